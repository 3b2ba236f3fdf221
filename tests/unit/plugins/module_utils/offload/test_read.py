# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""offload/read.py: the read framing runs in a real /bin/sh (read-only) and parses back."""

import subprocess

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import read as P
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Script

from .reads import run_sh


def test_file_dump_framing_roundtrip(tmp_path):
    contents = {"a": "x=1\ny=2\n", "b": "no newline at end", "c": "", "d": "\n\n", "e": "tab\there\n@@ not a marker\n"}
    for k, v in contents.items():
        (tmp_path / k).write_text(v)
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "nowhere")
    s = Script()
    marker = "@@KCOFF:%s:" % s.nonce
    s.section("files", P._dump_files_script(marker, [str(tmp_path / "*")]))
    p = run_sh(s.render())
    assert p.returncode == 0, p.stderr
    from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import split_sections
    files, bad = P.parse_files(split_sections(p.stdout, s.nonce)["files"].stdout, marker)
    assert files == dict((str(tmp_path / k), v) for k, v in contents.items())
    assert bad == {str(link): "dangling symbolic link"}


def test_read_script_runs_here():
    script, nonce = P.build_read_script()
    p = run_sh(script)
    assert p.returncode == 0, p.stderr
    read = P.parse_read(p.stdout, nonce, "controller")
    assert "lo" in read["interfaces"] and read["interfaces"]["lo"]["kind"] == "loopback"


def test_truncated_read_output_is_a_parse_error():
    script, nonce = P.build_read_script()
    out = run_sh(script).stdout
    with pytest.raises(KcrashParseError) as e:
        P.parse_read(out[: out.index(":BEGIN:files")], nonce, "web49")
    assert "web49" in str(e.value) and "offload read probe" in str(e.value)


def test_read_riding_with_the_probe_uses_the_probes_walk():
    """build_read_script(walk=False) + the probe's walk (both run for real on this machine,
    read-only) parses to the same read as a read that walks itself."""
    from ansible_collections.kcrash.nfqueue.plugins.module_utils import probe
    from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import combine
    full, full_nonce = P.build_read_script()
    lean, lean_nonce = P.build_read_script(walk=False)
    assert "BEGIN:interfaces" in full and "BEGIN:interfaces" not in lean
    probe_script, probe_nonce = probe.build_probe()
    answer = subprocess.run(["/bin/sh", "-c", combine([probe_script, lean])], capture_output=True,
                            text=True, check=False).stdout
    alone = subprocess.run(["/bin/sh", "-c", full], capture_output=True, text=True, check=False).stdout
    walk = probe.walk_answer(answer, probe_nonce)
    carried = P.parse_read(answer, lean_nonce, walk=walk)
    own = P.parse_read(alone, full_nonce)
    assert carried["interfaces"] and set(carried["interfaces"]) == set(own["interfaces"])
    for key in ("interfaces", "managers", "files", "nm", "no_ethtool"):
        assert carried[key] == own[key], key
    with pytest.raises(KcrashParseError):
        P.parse_read(answer, lean_nonce)    # no walk of its own and none given
