# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The skip gate (skip_gate.py): a run with a skip the allow-list does not name exits non-zero
under the gate, and only then; the real allow-list parses and gives a reason for every entry."""

import os
import subprocess
import sys

import pytest

import skip_gate

HERE = os.path.dirname(os.path.abspath(__file__))

TESTS = '''
import pytest

def test_runs():
    pass

def test_tool_missing():
    pytest.skip("ethtool not installed (apt-get install ethtool)")

@pytest.mark.skipif(True, reason="needs root")
def test_root():
    pass

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False
'''


def _run(tmp_path, allow, gate=True, tests=TESTS, ci=False, args=()):
    (tmp_path / "test_sample.py").write_text(tests)
    (tmp_path / "allow.txt").write_text(allow)
    env = dict(os.environ, PYTHONPATH=HERE, KCRASH_ALLOWED_SKIPS=str(tmp_path / "allow.txt"))
    env.pop("CI", None)
    if ci:
        env["CI"] = "true"
    env["KCRASH_SKIP_GATE"] = "1" if gate else "0"
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "skip_gate", "-q", "-p", "no:cacheprovider",
                        "--rootdir", str(tmp_path), str(tmp_path / "test_sample.py")] + list(args),
                       cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120, check=False)
    return p.returncode, p.stdout + p.stderr


def test_unlisted_skips_fail_the_run_and_are_named(tmp_path):
    rc, out = _run(tmp_path, "*::test_root | needs root | lab runs as root\n")
    assert rc == 1, out
    assert "UNEXPECTED SKIP test_sample.py::test_tool_missing: ethtool not installed" in out
    assert "UNEXPECTED SKIP test_sample.py::test_root" not in out
    assert "test_xfail" not in out.split("skip gate")[-1]


def test_every_skip_allowed_passes(tmp_path):
    rc, out = _run(tmp_path, "# comment\n\n*::test_root | needs root | x\n* | *ethtool* | y\n")
    assert rc == 0, out
    assert "skip gate: 2 skip(s), all allowed" in out


def test_gate_off_lists_skips_but_passes(tmp_path):
    rc, out = _run(tmp_path, "", gate=False)
    assert rc == 0, out
    assert "UNEXPECTED" not in out


def test_malformed_allow_list_fails_the_run(tmp_path):
    rc, out = _run(tmp_path, "* | needs root\n")
    assert rc == 1, out
    assert "cannot read the allow-list" in out


@pytest.mark.parametrize("line", ["a | b", "a | b | ", " | b | c", "a|b|c"])
def test_entry_needs_three_fields_and_a_reason(line):
    with pytest.raises(skip_gate.AllowListError):
        skip_gate.parse_allow_list(line)


def test_gate_active_only_when_asked():
    assert skip_gate.gate_active({"KCRASH_SKIP_GATE": "1"})
    assert skip_gate.gate_active({"CI": "true"})
    assert not skip_gate.gate_active({"CI": "false", "KCRASH_SKIP_GATE": "0"})
    assert not skip_gate.gate_active({})


def test_project_allow_list_parses_with_a_reason_each():
    with open(skip_gate.ALLOWED_SKIPS, encoding="utf-8") as f:
        entries = skip_gate.parse_allow_list(f.read())
    assert all(len(why) > 10 for _n, _r, why in entries)


TOOL_TESTS = '''
from conftest import require_tool

def test_needs_a_tool():
    require_tool("kcrash-no-such-tool", "kcrash-tool-package")

def test_finds_a_tool():
    assert require_tool("sh", "dash").endswith("/sh")
'''


def test_missing_tool_fails_under_ci_naming_the_tool_and_its_package(tmp_path):
    """conftest.require_tool: with CI=true a missing tool is a test failure (not a skip that an
    allow-list could let through), naming the tool and the apt package that has it."""
    rc, out = _run(tmp_path, "* | *kcrash-no-such-tool* | allowed, yet CI must still fail\n", gate=False,
                   tests=TOOL_TESTS, ci=True)
    assert rc == 1, out
    assert "1 failed, 1 passed" in out, out
    assert "CI=true: tool `kcrash-no-such-tool` not installed: apt-get install -y kcrash-tool-package" in out


def test_missing_tool_skips_locally_with_the_install_hint(tmp_path):
    rc, out = _run(tmp_path, "", gate=False, tests=TOOL_TESTS, ci=False, args=["-rs"])
    assert rc == 0, out
    assert "1 passed, 1 skipped" in out, out
    assert "tool `kcrash-no-such-tool` not installed: apt-get install -y kcrash-tool-package" in out
