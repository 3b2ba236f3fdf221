# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ShellActionBase.run_sh reads output right when it came through terminals (issue 11,
defect 1): ``ansible.builtin.ssh`` runs our command under ``ssh -tt``, whose pty turns
"\\n" into "\\r\\n" and merges stderr into stdout; a terminal inside it (sudo's pty,
here util-linux ``script``) adds another "\\r".

The scripts run for real under a real pty (``pty.openpty`` with ``opost onlcr``, as sshd
sets a session pty) and, for two layers, ``script -qec`` inside it. The expected bytes are
written literally in the tests (printf of known text), and the probe's kernel release
comes from ``os.uname()``, not from the code under test."""

import os
import pty
import shlex
import subprocess
import termios
import types

import pytest
from ansible.plugins.loader import shell_loader

from ansible_collections.kcrash.nfqueue.plugins.module_utils import probe
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Script, split_sections, untty
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.shell_action import ShellActionBase
from conftest import require_tool


def run_in_pty(argv, layers):
    """(rc, output bytes) of ``argv`` with stdin/stdout/stderr on a fresh pty (onlcr on);
    ``layers`` 2 runs it under ``script`` inside that pty (a terminal in a terminal)."""
    if layers == 2:
        require_tool("script", "util-linux")
        argv = ["script", "-q", "-e", "-c", shlex.join(argv), "/dev/null"]
    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] |= termios.OPOST | termios.ONLCR
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    # with a terminal on stdin, script(1) switches the outer one to raw mode (no onlcr there,
    # as sudo's pty does): stdin from /dev/null keeps both terminals translating
    stdin = subprocess.DEVNULL if layers == 2 else slave
    p = subprocess.Popen(argv, stdin=stdin, stdout=slave, stderr=slave, close_fds=True, start_new_session=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:  # EIO: the last writer closed the pty
            break
        if not b:
            break
        chunks.append(b)
    rc = p.wait(timeout=120)
    os.close(master)
    return rc, b"".join(chunks)


class PtyConnectionAction(ShellActionBase):
    """run_sh with the low-level exec done under ``layers`` real terminals, as the ssh
    connection does it with ``-tt`` (stdout only: the pty merged stderr into it)."""

    def __init__(self, layers):  # pylint: disable=super-init-not-called
        self.layers = layers
        self._play_context = None
        self._connection = types.SimpleNamespace(become=None, allow_executable=True, transport="local",
                                                 _shell=shell_loader.get("sh"))

    def run(self, tmp=None, task_vars=None):
        raise NotImplementedError

    def _low_level_execute_command(self, cmd, sudoable=True, in_data=None, executable=None, **kw):
        assert in_data is None  # what makes the ssh plugin use -tt
        if self.layers:
            rc, out = run_in_pty([executable, "-c", cmd], self.layers)
            return {"rc": rc, "stdout": out.decode("utf-8", "surrogateescape"), "stderr": ""}
        p = subprocess.run([executable, "-c", cmd], capture_output=True, check=False)
        return {"rc": p.returncode, "stdout": p.stdout.decode("utf-8", "surrogateescape"),
                "stderr": p.stderr.decode("utf-8", "surrogateescape")}


# data whose "\r" must survive: CRLF lines, a lone CR, a trailing CR, CR CR LF, no final LF
TRICKY = "dos line\r\nlone\rcr\nends in cr\r\nCRCRLF\r\r\ntab\there\nno newline at end"
TRICKY_PRINTF = r"dos line\r\nlone\rcr\nends in cr\r\nCRCRLF\r\r\ntab\there\nno newline at end"


def _tricky_script():
    s = Script()
    s.section("data", "printf '%s'" % TRICKY_PRINTF)
    s.section("err", "printf 'line one\\r\\nline two\\n' >&2; printf 'out\\n'; exit 3")
    s.section("empty", ":")
    return s


@pytest.mark.parametrize("layers", [0, 1, 2])
def test_sections_come_back_byte_exact_through_terminals(layers):
    s = _tricky_script()
    action = PtyConnectionAction(layers)
    rc, out, err, trips, _secs = action.run_sh(s.render(), None, "tty test")
    assert rc == 0 and trips == 1
    assert action.tty_layers == layers
    secs = split_sections(out, s.nonce, "tty test")
    assert secs["data"].stdout == TRICKY and secs["data"].stderr == "" and secs["data"].rc == 0
    assert secs["err"].stdout == "out\n"
    assert secs["err"].stderr == "line one\r\nline two\n"
    assert secs["err"].rc == 3
    assert secs["empty"].stdout == "" and secs["empty"].stderr == ""
    assert "@@KCRASH-TTY" not in out


@pytest.mark.parametrize("layers", [1, 2])
def test_split_sections_reads_raw_terminal_text(layers):
    """Offline text (a user's own ``raw`` capture fed to the filters) is read right too."""
    s = _tricky_script()
    rc, raw = run_in_pty(["sh", "-c", s.render()], layers)
    text = raw.decode()
    assert "\r" * layers + "\n@@KCRASH:" in text  # the terminal really translated
    secs = split_sections(text, s.nonce, "tty test")
    assert secs["data"].stdout == TRICKY
    assert secs["err"].stderr == "line one\r\nline two\n"


@pytest.mark.parametrize("layers", [1, 2])
def test_script_stderr_reaches_messages_when_merged(layers):
    action = PtyConnectionAction(layers)
    rc, out, err, _n, _s = action.run_sh("echo 'KCRASH-FAIL: write /etc/x: backup in /b' >&2\nexit 3\n", None, "t")
    assert rc == 3
    assert "KCRASH-FAIL: write /etc/x: backup in /b" in err
    assert "\r" not in err


def test_detection_probe_parses_through_two_terminals():
    script, nonce = probe.build_probe()
    action = PtyConnectionAction(2)
    rc, out, _err, _n, _s = action.run_sh(script, None, "detection probe")
    assert rc == 0
    facts = probe.collect_facts(out, nonce, host="pty")
    assert facts["kernel"]["release"] == os.uname().release
    plain_out = PtyConnectionAction(0).run_sh(script, None, "detection probe")[1]
    assert facts["probe"]["sections"] == probe.collect_facts(plain_out, nonce)["probe"]["sections"]


def test_untty_leaves_untranslated_text_alone():
    text = "\n@@KCRASH-TTY:n1\nkeep\r\nthis\r"
    assert untty(text, "n1") == ("keep\r\nthis\r", 0)
    assert untty("no marker\r\n", "n1") == ("no marker\r\n", 0)
