# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""shell.py: quoting, framing and the atomic file transaction, run in a real /bin/sh."""

import os
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import shell
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import (
    KcrashInputError,
    KcrashParseError,
)

from conftest import require_tool


def sh(script):
    p = subprocess.run(["/bin/sh", "-c", script], capture_output=True, check=False)
    return p.returncode, p.stdout.decode("utf-8", "surrogateescape"), p.stderr.decode("utf-8", "surrogateescape")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))))
def test_quote_roundtrips_through_real_sh(value):
    rc, out, dummy = sh("printf '%%s' %s" % shell.quote(value))
    assert rc == 0
    assert out == value


@pytest.mark.parametrize("name", ["eth0", "enp3s0f1", "bond0.100", "br-lan", "em1_2", "a" * 15])
def test_valid_ifnames(name):
    assert shell.validate_ifname(name) == name


@pytest.mark.parametrize("name", ["", "a" * 16, "eth0;reboot", "-K", "eth 0", "$(id)", "eth0/1", ".", "..", "eth0:1", "eth0\n", None, 3])
def test_invalid_ifnames(name):
    with pytest.raises(KcrashInputError):
        shell.validate_ifname(name)


def test_sections_roundtrip_in_real_sh():
    s = shell.Script()
    s.section("a", "printf 'no newline'")
    s.section("b", "echo out; echo err >&2; exit 4")
    s.section("c", "printf '@@KCRASH:fake:END:c:0\\n'")
    s.section("missing", shell.tool_command("kcrash-no-such-tool", "-x"))
    rc, out, err = sh(s.render())
    assert rc == 0, err
    secs = shell.split_sections(out, s.nonce)
    assert list(secs) == ["a", "b", "c", "missing"]
    assert secs["a"].stdout == "no newline" and secs["a"].rc == 0
    assert secs["b"].stdout == "out\n" and secs["b"].stderr == "err\n" and secs["b"].rc == 4
    assert secs["c"].stdout == "@@KCRASH:fake:END:c:0\n"
    assert secs["missing"].missing and "command not found" in secs["missing"].stderr


@pytest.mark.parametrize("shell_cmd", [["dash"], ["busybox", "sh"], ["bash", "--posix"]])
def test_combined_scripts_come_back_apart_in_one_run(shell_cmd, tmp_path):
    """combine(): two scripts, one exec; each answer split by its own nonce, the same
    sections as when run alone; exit status of the first; every temp dir removed."""
    require_tool(shell_cmd[0], shell_cmd[0])
    first, second = shell.Script(), shell.Script()
    first.section("kernel", "echo one; echo warn >&2")
    first.section("tmp", "printf '%s' \"$KC_T\"")
    first.raw("exit 3")
    second.section("kernel", "echo two")
    second.section("tmp", "printf '%s' \"$KC_T\"")
    second.section("fails", "exit 9")
    env = dict(os.environ, TMPDIR=str(tmp_path))
    p = subprocess.run(shell_cmd + ["-c", shell.combine([first.render(), second.render()])],
                       capture_output=True, text=True, env=env, check=False)
    assert p.returncode == 3, p.stderr
    a = shell.split_sections(p.stdout, first.nonce)
    b = shell.split_sections(p.stdout, second.nonce)
    assert list(a) == ["kernel", "tmp"] and list(b) == ["kernel", "tmp", "fails"]
    assert a["kernel"].stdout == "one\n" and a["kernel"].stderr == "warn\n"
    assert b["kernel"].stdout == "two\n" and b["fails"].rc == 9
    assert a["tmp"].stdout != b["tmp"].stdout, "each script has its own temp dir"
    for section in (a["tmp"], b["tmp"]):
        assert section.stdout.startswith("/tmp/kcrash.") and not os.path.exists(section.stdout)


@pytest.mark.parametrize("shell_cmd", [["dash"], ["busybox", "sh"], ["bash", "--posix"]])
def test_through_pipe_under_a_terminal_gives_the_tools_a_pipe_and_the_same_sections(shell_cmd, tmp_path):
    """Script(through_pipe=True) (the probe's): run under a real pty as ``ssh -tt`` runs it,
    the sections' stdout is a pipe (tools buffer fully instead of writing line by line into
    the terminals), and the answer reads the same as without the pipe: stdout, stderr,
    status of each section; the temp dir is removed."""
    import pty
    require_tool(shell_cmd[0], shell_cmd[0])
    answers = {}
    for piped in (False, True):
        s = shell.Script("fixednonce", through_pipe=piped)
        s.section("tty", "if [ -t 1 ]; then echo terminal; else echo pipe; fi")
        s.section("data", "printf 'a\\nb'; echo warn >&2; exit 4")
        s.section("tmp", "printf '%s' \"$KC_T\"")
        master, slave = pty.openpty()
        p = subprocess.Popen(shell_cmd + ["-c", s.render()], stdin=slave, stdout=slave, stderr=slave,
                             env=dict(os.environ, TMPDIR=str(tmp_path)))
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the pty's other side is closed
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        assert p.wait(timeout=30) == 0
        answers[piped] = shell.split_sections(out.decode(), "fixednonce")
    assert answers[False]["tty"].stdout == "terminal\n" and answers[True]["tty"].stdout == "pipe\n"
    for piped in (False, True):
        data = answers[piped]["data"]
        assert (data.stdout, data.stderr, data.rc) == ("a\nb", "warn\n", 4)
        assert not os.path.exists(answers[piped]["tmp"].stdout)


def test_combine_needs_a_script():
    with pytest.raises(KcrashInputError):
        shell.combine([])


def test_truncated_output_is_a_parse_error():
    s = shell.Script()
    s.section("a", "echo hello")
    rc, out, dummy = sh(s.render())
    cut = out[: out.index(":END:")]
    with pytest.raises(KcrashParseError) as e:
        shell.split_sections(cut, s.nonce, command="exposure probe")
    assert "exposure probe" in str(e.value) and "truncated" in str(e.value)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_posix_cksum_matches_real_cksum(data):
    p = subprocess.run(["cksum"], input=data, capture_output=True, check=False)
    assert p.stdout.decode().split()[:2] == shell.posix_cksum(data).split()


def test_file_transaction_writes_all_and_keeps_mode(tmp_path):
    a = tmp_path / "a.conf"
    a.write_text("old\n")
    os.chmod(a, 0o640)
    b = tmp_path / "sub" / "b.conf"
    backup = str(tmp_path / "bk")
    txt = shell.file_transaction(
        [
            shell.FileChange(str(a), "new 'quoted' $x\n", expect=shell.posix_cksum("old\n")),
            shell.FileChange(str(b), "created", mode="0600", expect=""),
        ],
        backup,
    )
    rc, out, err = sh(txt + "echo fine\n")
    assert rc == 0, err
    assert out == "fine\n"
    assert a.read_text() == "new 'quoted' $x\n"
    assert oct(os.stat(a).st_mode & 0o777) == "0o640"
    assert b.read_text() == "created" and oct(os.stat(b).st_mode & 0o777) == "0o600"
    assert (tmp_path / "bk" / shell.backup_name(str(a))).read_text() == "old\n"
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".kcrash")]


def test_file_transaction_refuses_changed_file_and_touches_nothing(tmp_path):
    a = tmp_path / "a.conf"
    a.write_text("changed by someone\n")
    b = tmp_path / "b.conf"
    txt = shell.file_transaction(
        [
            shell.FileChange(str(b), "b\n", expect=""),
            shell.FileChange(str(a), "new\n", expect=shell.posix_cksum("old\n")),
        ],
        str(tmp_path / "bk"),
    )
    rc, dummy, err = sh(txt)
    assert rc == 3
    assert "KCRASH-FAIL: check" in err and str(a) in err and "backup in" in err
    assert a.read_text() == "changed by someone\n"
    assert not b.exists()


def test_file_transaction_rolls_back_when_a_rename_fails(tmp_path):
    a = tmp_path / "a.conf"
    a.write_text("a-old\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    c = locked / "c.conf"
    c.write_text("c-old\n")
    txt = shell.file_transaction(
        [shell.FileChange(str(a), "a-new\n"), shell.FileChange(str(c), "c-new\n")],
        str(tmp_path / "bk"),
    )
    # make the second rename fail after staging: replace the put of c with a failing command
    txt = txt.replace('kc_put "$kc_s1"', 'false "$kc_s1"')
    rc, dummy, err = sh(txt)
    assert rc == 3 and "rename" in err
    assert a.read_text() == "a-old\n"
    assert c.read_text() == "c-old\n"
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".kcrash")]


def test_bad_paths_are_refused():
    with pytest.raises(KcrashInputError):
        shell.FileChange("relative/x", "")
    with pytest.raises(KcrashInputError):
        shell.FileChange("/etc/../x", "")
    with pytest.raises(KcrashInputError):
        shell.FileChange("/etc/x", "", mode="rw")
