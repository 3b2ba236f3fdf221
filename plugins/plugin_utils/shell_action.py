# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Base class of every kcrash.nfqueue action: move shell text to a host, bring text back.

No Python runs on the target. A script goes out as one low-level exec through ``/bin/sh``
(one round trip). Linux limits one exec argument to 128 KiB, and the whole command is one
argument twice: of the controller's ``ssh`` and of the login shell on the host. The size
that counts is the command as it will be sent: the become plugin's wrapping and Ansible's
quoting (twice with become: each ``'`` becomes 17 bytes) included. A command too large is
sent with ``put_file`` into Ansible's remote temp dir and run as ``/bin/sh FILE`` (never
executed itself: ``/tmp`` or the home may be ``noexec``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shlex
import subprocess
import tempfile
import time

from ansible import constants as C
from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ssh_settings
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import new_nonce, tty_calibration, untty

# MAX_ARG_STRLEN is 131072 bytes with the terminating NUL; a margin for what a connection
# may add around the command (e.g. a shell prefix of its own).
MAX_WIRE_BYTES = 131072 - 2048
SHELL = "/bin/sh"


class ShellActionBase(ActionBase):
    """Subclass, set ``ARGSPEC`` (the module doc's options as an argument spec), implement
    ``run_action(args, task_vars, result)``; use ``self.run_sh()`` for every remote step.

    ``run()`` is the template every action shares: Ansible's own bookkeeping, argument
    validation against ``ARGSPEC`` (bad input fails before the host is touched), then
    ``run_action``; a ``KcrashError`` raised anywhere in it (a parser that cannot read an
    output, a plan that refuses) becomes a failed result naming the host."""

    TRANSFERS_FILES = False
    _requires_connection = True
    tty_layers = 0
    ARGSPEC = None

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ShellActionBase, self).run(tmp, task_vars)
        if self.ARGSPEC is None:
            raise AnsibleActionFail("%s sets no ARGSPEC" % type(self).__name__)
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGSPEC)
        try:
            return self.run_action(args, task_vars, result)
        except KcrashError as e:
            return self.fail(task_vars, str(e))

    def run_action(self, args, task_vars, result):
        """The action's own work: ``args`` validated, ``result`` Ansible's result so far;
        returns the result."""
        raise NotImplementedError("%s must implement run_action()" % type(self).__name__)

    def host_label(self, task_vars=None):
        tv = task_vars or {}
        return tv.get("inventory_hostname") or getattr(self._play_context, "remote_addr", None) or "?"

    def run_sh(self, script, task_vars=None, what="script"):
        """Run POSIX sh ``script`` on the host. Returns (rc, stdout, stderr, round_trips, seconds).

        ``stdout`` is what the script wrote, also when it came through terminals (``ssh
        -tt`` and sudo's pty turn "\\n" into "\\r\\n": a calibration line the script
        prints first says how many layers to undo). A terminal merges the script's stderr
        into stdout; ``stderr`` then holds that merged text followed by the connection's
        own stderr, so messages taken from it carry the script's errors either way
        (``self.tty_layers`` says how many terminals there were).

        Raises AnsibleActionFail naming host and ``what`` when the connection itself fails.
        """
        started = time.time()
        trips = 0
        tty_nonce = new_nonce()
        script = tty_calibration(tty_nonce) + script
        try:
            data = to_bytes(script, errors="surrogate_or_strict")
            if self.wire_size(script) <= MAX_WIRE_BYTES:
                res = self._low_level_execute_command(script, executable=SHELL)
                trips = 1
            else:
                res, trips = self._run_from_file(data)
        except KcrashError as e:
            raise AnsibleActionFail("host %s: %s: %s" % (self.host_label(task_vars), what, e))
        except (AnsibleActionFail, AnsibleConnectionFailure):
            # a connection failure stays one, so Ansible reports the host UNREACHABLE
            raise
        except Exception as e:  # connection plugins raise many types
            raise AnsibleActionFail(
                "host %s: %s could not be run: %s" % (self.host_label(task_vars), what, e)
            )
        out, err = res.get("stdout", "") or "", res.get("stderr", "") or ""
        out, self.tty_layers = untty(out, tty_nonce)
        if self.tty_layers:
            err = out + ("\n" + err if err.strip() else "")
        return res.get("rc"), out, err, trips, time.time() - started

    def _becomes(self):
        """Whether ``_low_level_execute_command(sudoable=True)`` wraps the command in the
        become plugin's command (the same test it makes)."""
        conn = self._connection
        if not conn.become or str(getattr(conn, "transport", "")).endswith("network_cli"):
            return False
        ruser = self._get_remote_user()
        buser = self.get_become_option("become_user")
        return bool(C.BECOME_ALLOW_SAME_USER or (buser != ruser or not any((ruser, buser))))

    def wire_size(self, script):
        """Bytes of the command line ``script`` becomes on its way to the host: built with
        the connection's own become plugin and shell, as ``_low_level_execute_command``
        does (the become plugin is asked again for the real run)."""
        conn = self._connection
        cmd = script
        if self._becomes():
            conn._shell.executable = SHELL
            cmd = conn.become.build_become_command(cmd, conn._shell)
        if getattr(conn, "allow_executable", True):
            # Ansible's own quoting (``_low_level_execute_command`` uses shlex.quote), not
            # shell.quote: this measures what Ansible sends, it builds no shell text of ours
            cmd = SHELL + " -c " + shlex.quote(cmd)
        return len(to_bytes(cmd, errors="surrogate_or_strict"))

    def _run_from_file(self, data):
        """Copy the script into Ansible's remote temp dir (made and written as the login
        user), let the become user read it, run it with ``/bin/sh FILE``; remove it.
        Returns (result, round trips)."""
        shell = self._connection._shell
        tmpdir = self._make_tmp_path()
        trips = 1
        remote = shell.join_path(tmpdir, "kcrash.sh")
        fd, local = tempfile.mkstemp(prefix="kcrash-", suffix=".sh")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            self._transfer_file(local, remote)
            trips += 1
        finally:
            os.unlink(local)
        unprivileged = self._becomes() and self._is_become_unprivileged()
        if unprivileged:
            # the same ACL/chmod/chown steps Ansible takes for its module files
            self._fixup_perms2([tmpdir, remote], execute=False)
            trips += 1
            cmd = "%s %s" % (SHELL, shell.quote(remote))
        else:
            cmd = "%s %s; kc_rc=$?; rm -rf %s; exit $kc_rc" % (SHELL, shell.quote(remote), shell.quote(tmpdir))
        res = self._low_level_execute_command(cmd, executable=SHELL)
        trips += 1
        if not unprivileged:
            shell.tmpdir = None  # removed above: the action's cleanup need not try again
        if unprivileged:
            # the directory belongs to the login user: removed without become
            self._remove_tmp_path(tmpdir, force=True)
            trips += 1
        return res, trips

    def ssh_settings(self):
        """None for a connection that is not ``ansible.builtin.ssh``; else the SSH port it
        uses and whether it goes through a proxy, from the connection's own settings
        (``ansible_port``, ``ssh_args``/``ssh_common_args``/``ssh_extra_args`` with ``-p`` or
        ``-o Port=``, first one wins as in OpenSSH) and, for what they leave open,
        ``ssh -G`` with the same arguments (``ssh_config``; prints, connects nowhere)."""
        conn = self._connection
        if str(getattr(conn, "transport", "")) not in ssh_settings.SSH_TRANSPORTS:
            return None

        def opt(name):
            try:
                return conn.get_option(name)
            except Exception:  # an option this version does not have
                return None

        words, origin = ssh_settings.option_words(opt("ssh_args"), opt("port"), opt("ssh_common_args"),
                                                  opt("ssh_extra_args"))
        found = ssh_settings.from_args(words, origin)
        host = opt("host") or getattr(self._play_context, "remote_addr", None)
        if (found["port"] is None or not found["proxied"]) and host:
            try:
                p = subprocess.run([opt("ssh_executable") or "ssh", "-G"] + words + [str(host)],
                                   capture_output=True, text=True, timeout=15, check=False)
            except (OSError, subprocess.SubprocessError):
                p = None
            if p is not None and p.returncode == 0:
                g = ssh_settings.parse_ssh_G(p.stdout)
                if found["port"] is None and g["port"]:
                    found["port"], found["port_from"] = g["port"], "ssh -G %s (ssh_config or the default)" % host
                if not found["proxied"] and g["proxied"]:
                    found["proxied"], found["proxy"] = True, g["proxy"]
        return found

    def fail(self, task_vars, message, **extra):
        res = {"failed": True, "msg": "host %s: %s" % (self.host_label(task_vars), message)}
        res.update(extra)
        return res
