# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action ``kcrash.nfqueue.nfqueue_target``: replace NFQUEUE targets (and native nft queue
statements) by DROP/REJECT/ACCEPT, live and in the saved rule files, behind a rollback
watchdog. Thin: read trip, pure planner, apply trip (backup + check + timer + restore +
verification listings), confirm trip; what their exit codes mean is decided in
module_utils/drop/outcome.py. Check mode: the read trip only.
Documentation: plugins/modules/nfqueue_target.py; design: docs/drop.md."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import apply as drop_apply
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import outcome
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.management import management
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.plan import plan as make_plan
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.read import parse_read, read_script, restore_supports_wait
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import backup_stamp, combine
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils import read_cache
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.shell_action import ShellActionBase

ARGSPEC = {
    "target": {"type": "str", "default": "DROP", "choices": ["DROP", "REJECT", "ACCEPT", "drop", "reject", "accept"]},
    "families": {"type": "list", "elements": "str"},
    "tables": {"type": "list", "elements": "str"},
    "chains": {"type": "list", "elements": "str"},
    "queue_nums": {"type": "list", "elements": "int"},
    "comment_regex": {"type": "str"},
    "force": {"type": "bool", "default": False},
    "on_refused": {"type": "str", "default": "fail", "choices": ["fail", "skip"]},
    "persist": {"type": "bool", "default": True},
    "include_nft": {"type": "bool", "default": True},
    "ssh_port": {"type": "int"},
    "controller_address": {"type": "str"},
    "watchdog_timeout": {"type": "int", "default": 120},
    "confirm": {"type": "bool", "default": True},
    "test_first": {"type": "bool", "default": True},
    "verify": {"type": "bool", "default": False},
    "backup_root": {"type": "str", "default": drop_apply.BACKUP_ROOT},
    "backup_keep": {"type": "int", "default": 10},
    "max_attempts": {"type": "int", "default": 3},
    "rollback": {"type": "str"},
    "reuse_read": {"type": "bool", "default": True},
    "read_max_age": {"type": "int", "default": 600},
    "probe_after": {"type": "bool", "default": False},
}


class ActionModule(ShellActionBase):

    ARGSPEC = ARGSPEC

    def run_action(self, args, task_vars, result):
        self._args, self._vars, self._host = args, task_vars, self.host_label(task_vars)
        self._options = drop_options.from_args(args)
        if args["rollback"]:
            return self._rollback(result)
        self._started, self._timings, self._trips = time.time(), {}, 0
        refs = read_cache.references(task_vars)
        kept, read_source = None, {"source": "own trip"}
        if args["reuse_read"]:
            # a stale answer is caught by the apply trip's check of the affected chains,
            # which then reads again
            kept, read_source, refs = read_cache.take(task_vars, self._host, "drop", args["read_max_age"],
                                                      self._task.check_mode)
        # the management port as the SSH connection's settings give it (sudo drops
        # SSH_CONNECTION; the read finds the login shell's when it may read /proc)
        self._ssh = self.ssh_settings()
        rr, plan = self._read_and_plan(kept)
        result["read"] = read_source
        result["ansible_facts"] = {read_cache.FACT: refs}
        result.update(outcome.report(plan, rr))
        warnings = outcome.read_warnings(plan, rr, self._play_context.become)
        if warnings:
            result["warnings"] = warnings
        result["round_trips"] = self._trips
        if plan["refused"] and args["on_refused"] == "fail":
            result.update(failed=True, changed=False, msg=outcome.refused_message(self._host, plan))
            return result
        result["changed"] = plan["changed"]
        if self._task.diff and plan["changed"]:
            result["diff"] = plan["diff"]
        if not plan["changed"] or self._task.check_mode:
            result["msg"] = outcome.summary(plan, check=self._task.check_mode)
            result["timings"] = outcome.timings(self._timings, self._started, time.time())
            return result
        return self._apply(result, rr, plan, kept, refs)

    def _read_and_plan(self, carried=None):
        """Read (or take the carried read answer) and plan: ``(ReadResult, plan)``."""
        t0 = time.time()
        if carried is not None:
            out, nonce = carried["stdout"], carried["nonce"]
        else:
            script, nonce = read_script()
            rc, out, err = self._trip(script, "nfqueue_target read")
            if rc != 0:
                raise KcrashError("read round trip exited %s: %s" % (rc, (err or out)[-500:]))
        self._timings["read"] = self._timings.get("read", 0) + time.time() - t0
        t0 = time.time()
        rr = parse_read(out, nonce, self._host)
        mgmt = management(rr.ssh_connection, self._options, self._vars.get("ansible_port"), connection=self._ssh)
        if rr.ssh_connection_from not in (None, "env"):
            mgmt.source = mgmt.source.replace(
                "SSH_CONNECTION", "SSH_CONNECTION of the login shell (%s; read under become)" % rr.ssh_connection_from, 1)
        plan = make_plan(rr.dumps, self._options, mgmt, rr.nft_text, rr.saved, rr.nft_saved,
                         restore_supports_wait(rr.version))
        self._timings["plan"] = self._timings.get("plan", 0) + time.time() - t0
        return rr, plan

    def _trip(self, script, what):
        rc, out, err, n, _secs = self.run_sh(script, self._vars, what)
        self._trips += n
        return rc, out, err

    def _apply(self, result, rr, plan, kept, refs):
        """Apply (re-read and re-plan when the rules moved meanwhile), verify, confirm."""
        args, host = self._args, self._host
        attempt = 0
        while True:
            attempt += 1
            bdir = drop_apply.backup_dir(args["backup_root"], backup_stamp())
            script = drop_apply.apply_script(plan, bdir, seconds=args["watchdog_timeout"],
                                             test_first=args["test_first"],
                                             wait=restore_supports_wait(rr.version), verify=args["verify"])
            t0 = time.time()
            rc, out, err = self._trip(script, "nfqueue_target apply")
            self._timings["apply"] = self._timings.get("apply", 0) + time.time() - t0
            if rc != drop_apply.RC_CHANGED or attempt >= args["max_attempts"]:
                break
            rr, plan = self._read_and_plan()
            result.update(outcome.report(plan, rr))
            stop = outcome.replan_stop(host, plan, args["on_refused"])
            if stop:
                result.update(stop)
                return result
        result.update(round_trips=self._trips, attempts=attempt)
        failure = outcome.apply_failure(host, rc, plan, out, err, bdir, attempt)
        if failure:
            result.update(failure)
            return result
        result["backup_dir"] = bdir
        ver = result["verify"] = outcome.verification(plan, out, args["verify"])
        if ver["ok"] is False:
            rc2, _out, _err = self._trip(drop_apply.undo_script(bdir), "nfqueue_target undo")
            result.update(outcome.verification_failure(host, ver, bdir, rc2), round_trips=self._trips)
            return result
        if outcome.moved_warning(ver):
            result.setdefault("warnings", []).append(outcome.moved_warning(ver))
        if not args["confirm"]:
            result["watchdog"] = {"armed": True, "timeout": args["watchdog_timeout"], "confirmed": False}
            result["msg"] = outcome.unconfirmed_message(plan, bdir, args["watchdog_timeout"])
            result["round_trips"] = self._trips
            result["timings"] = outcome.timings(self._timings, self._started, time.time())
            return result
        return self._confirm(result, plan, bdir, kept, refs)

    def _confirm(self, result, plan, bdir, kept, refs):
        args = self._args
        t0 = time.time()
        script = drop_apply.confirm_script(bdir, args["backup_root"], args["backup_keep"])
        probe_nonce = reread = None
        if args["probe_after"]:
            # the re-detection that follows (exposure_facts reuse_probe) rides with the
            # confirmation: it sees the rules as they stay
            probe_script, probe_nonce, reread = read_cache.carried_probe(kept, "drop")
            script = combine([script, probe_script])
        rc, out, err = self._trip(script, "nfqueue_target confirm")
        self._timings["confirm"] = time.time() - t0
        if probe_nonce is not None and rc == 0:
            refs["probe"] = read_cache.store_carried_probe(self._host, kept, probe_nonce, reread, out)
        result["round_trips"] = self._trips
        result["timings"] = outcome.timings(self._timings, self._started, time.time())
        failed = outcome.confirm_failure(self._host, rc, out, err, bdir)
        if failed:
            result.update(failed=True, msg=failed)
            return result
        result["watchdog"] = {"armed": True, "timeout": args["watchdog_timeout"], "confirmed": True}
        result["msg"] = outcome.summary(plan, check=False)
        return result

    def _rollback(self, result):
        """Put back the latest (or the named) backup: live tables and saved files."""
        root = self._args["backup_root"]
        stamp = None if self._args["rollback"] == "latest" else self._args["rollback"]
        if stamp is not None:
            drop_apply.backup_dir(root, stamp)  # validates the name
        if self._task.check_mode:
            rc, out, err, n, _secs = self.run_sh(drop_apply.list_script(root, stamp), self._vars,
                                                 "nfqueue_target rollback (check)")
            result.update(outcome.rollback_check_result(self._host, rc, out, err, n, root))
            return result
        rc, out, err, n, _secs = self.run_sh(drop_apply.rollback_script(root, stamp), self._vars,
                                             "nfqueue_target rollback")
        result.update(outcome.rollback_result(self._host, rc, out, err, n, root))
        return result
