# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Base class of every kcrash.nfqueue action: move shell text to a host, bring text back.

No Python runs on the target. A script goes out as one low-level exec through ``/bin/sh``
(one round trip). A script too large for one exec argument (Linux limits a single
argument to 128 KiB) is sent with ``put_file`` into a private temp dir and run from there.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile
import time

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError

# Stay well below MAX_ARG_STRLEN (131072) once become wrappers and quoting are added.
MAX_INLINE_BYTES = 96 * 1024


class ShellActionBase(ActionBase):
    """Subclass, implement ``run()``, use ``self.run_sh()`` for every remote step."""

    TRANSFERS_FILES = False
    _requires_connection = True

    def host_label(self, task_vars=None):
        tv = task_vars or {}
        return tv.get("inventory_hostname") or getattr(self._play_context, "remote_addr", None) or "?"

    def run_sh(self, script, task_vars=None, what="script"):
        """Run POSIX sh ``script`` on the host. Returns (rc, stdout, stderr, round_trips, seconds).

        Raises AnsibleActionFail naming host and ``what`` when the connection itself fails.
        """
        started = time.time()
        trips = 0
        try:
            data = to_bytes(script, errors="surrogate_or_strict")
            if len(data) <= MAX_INLINE_BYTES:
                res = self._low_level_execute_command(script, executable="/bin/sh")
                trips = 1
            else:
                tmpdir = self._make_tmp_path()
                trips += 1
                remote = self._connection._shell.join_path(tmpdir, "kcrash.sh")
                fd, local = tempfile.mkstemp(prefix="kcrash-", suffix=".sh")
                try:
                    with os.fdopen(fd, "wb") as f:
                        f.write(data)
                    self._transfer_file(local, remote)
                    trips += 1
                finally:
                    os.unlink(local)
                cmd = "sh %s; kc_rc=$?; rm -rf %s; exit $kc_rc" % (
                    self._connection._shell.quote(remote),
                    self._connection._shell.quote(tmpdir),
                )
                res = self._low_level_execute_command(cmd, executable="/bin/sh")
                trips += 1
        except KcrashError as e:
            raise AnsibleActionFail("host %s: %s: %s" % (self.host_label(task_vars), what, e))
        except (AnsibleActionFail, AnsibleConnectionFailure):
            # a connection failure stays one, so Ansible reports the host UNREACHABLE
            raise
        except Exception as e:  # connection plugins raise many types
            raise AnsibleActionFail(
                "host %s: %s could not be run: %s" % (self.host_label(task_vars), what, e)
            )
        return res.get("rc"), res.get("stdout", ""), res.get("stderr", ""), trips, time.time() - started

    def fail(self, task_vars, message, **extra):
        res = {"failed": True, "msg": "host %s: %s" % (self.host_label(task_vars), message)}
        res.update(extra)
        return res
