# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action ``kcrash.nfqueue.nfqueue_target``: replace NFQUEUE targets (and native nft queue
statements) by DROP/REJECT/ACCEPT, live and in the saved rule files, behind a rollback
watchdog. Thin: read trip, pure planner, apply trip (backup + check + timer + restore +
verification listings), confirm trip. Check mode: the read trip only.
Documentation: plugins/modules/nfqueue_target.py; design: docs/drop.md."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kcrash.nfqueue.plugins.module_utils import rollback
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.plans import nfqueue as nfplan
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import backup_stamp, combine, validate_abs_path
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
    "backup_root": {"type": "str", "default": rollback.BACKUP_ROOT},
    "backup_keep": {"type": "int", "default": 10},
    "max_attempts": {"type": "int", "default": 3},
    "rollback": {"type": "str"},
    "reuse_read": {"type": "bool", "default": True},
    "read_max_age": {"type": "int", "default": 600},
    "probe_after": {"type": "bool", "default": False},
}

_RULE_KEYS = ("family", "backend", "table", "chain", "position", "handle", "rule", "new_rule", "queue",
              "reachable_from", "persisted", "persisted_in", "persist_reason", "lockout", "reason", "statement")


def _public(rule):
    return dict((k, rule[k]) for k in _RULE_KEYS if k in rule)


def _drifted_chains(plan, err):
    """``["chain FORWARD (iptables-legacy, table filter)", ...]`` whose length guard failed:
    the restore's own message (``line N``) comes right before the ``KCRASH-FAIL: <tool>
    --noflush of <table>`` line of the apply script."""
    out = []
    for tx in plan["iptables"]:
        tag = "KCRASH-FAIL: %s --noflush of %s:" % (tx["restore_tool"], tx["table"])
        at = (err or "").find(tag)
        if at < 0:
            continue
        for chain in nfplan.guard_failures(tx, err[:at].rsplit("KCRASH-FAIL", 1)[-1]):
            out.append("chain %s (%s, table %s)" % (chain, tx["restore_tool"].replace("-restore", ""), tx["table"]))
    return out


class ActionModule(ShellActionBase):

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGSPEC)
        host = self.host_label(task_vars)
        started = time.time()
        try:
            options = nfplan.Options(
                target=args["target"], families=args["families"], tables=args["tables"], chains=args["chains"],
                queue_nums=args["queue_nums"], comment_regex=args["comment_regex"], force=args["force"],
                ssh_port=args["ssh_port"], controller_address=args["controller_address"],
                persist=args["persist"], include_nft=args["include_nft"])
            validate_abs_path(args["backup_root"], "backup_root")
            for name, (low, high) in sorted(nfplan.LIMITS.items()):
                if not low <= args[name] <= high:
                    return self.fail(task_vars, "%s must be %d..%d" % (name, low, high))
        except KcrashError as e:
            return self.fail(task_vars, str(e))

        if args["rollback"]:
            return self._rollback(args, task_vars, result)

        trips = [0]
        timings = {}
        refs = read_cache.references(task_vars)
        kept = None
        read_source = {"source": "own trip"}
        if args["reuse_read"]:
            # a stale answer is caught by the apply trip's check of the affected chains,
            # which then reads again
            kept, read_source, refs = read_cache.take(task_vars, host, "drop", args["read_max_age"],
                                                      self._task.check_mode)

        # the management port as the SSH connection's settings give it (sudo drops
        # SSH_CONNECTION; the read finds the login shell's when it may read /proc)
        ssh_conn = self.ssh_settings()

        def read_and_plan(carried=None):
            t0 = time.time()
            if carried is not None:
                out, nonce = carried["stdout"], carried["nonce"]
            else:
                script, nonce = nfplan.read_script()
                rc, out, err, n, _secs = self.run_sh(script, task_vars, "nfqueue_target read")
                trips[0] += n
                if rc != 0:
                    raise KcrashError("read round trip exited %s: %s" % (rc, (err or out)[-500:]))
            timings["read"] = timings.get("read", 0) + time.time() - t0
            t0 = time.time()
            rr = nfplan.parse_read(out, nonce, host)
            mgmt = nfplan.management(rr.ssh_connection, options, task_vars.get("ansible_port"), connection=ssh_conn)
            if rr.ssh_connection_from not in (None, "env"):
                mgmt.source = mgmt.source.replace(
                    "SSH_CONNECTION", "SSH_CONNECTION of the login shell (%s; read under become)" % rr.ssh_connection_from, 1)
            plan = nfplan.plan(rr.dumps, options, mgmt, rr.nft_text, rr.saved, rr.nft_saved,
                               nfplan.restore_supports_wait(rr.version))
            timings["plan"] = timings.get("plan", 0) + time.time() - t0
            return rr, plan

        try:
            rr, plan = read_and_plan(kept)
        except KcrashError as e:
            return self.fail(task_vars, str(e))
        result["read"] = read_source
        result["ansible_facts"] = {read_cache.FACT: refs}

        result.update(self._report(plan, rr))
        warnings = list(plan["warnings"]) + ["cannot parse %s: %s" % (s["path"], s["error"])
                                             for s in plan["saved_unparsed"]]
        warnings += list(rr.errors)
        if not rr.dumps and rr.nft_text is None:
            warnings.append("neither iptables-save nor nft was found on the host")
        if rr.uid not in (None, 0) and not self._play_context.become:
            warnings.append("the read ran as uid %s: iptables-save needs root (use become)" % rr.uid)
        if warnings:
            result["warnings"] = warnings
        result["round_trips"] = trips[0]

        if plan["refused"] and args["on_refused"] == "fail":
            result.update(failed=True, changed=False, msg="host %s: nothing changed: %d rule(s) refused: %s" % (
                host, len(plan["refused"]), "; ".join("%s %s %s #%s: %s" % (
                    r.get("tool", r["backend"]), r["table"], r["chain"], r["position"], r["reason"])
                    for r in plan["refused"])))
            return result
        result["changed"] = plan["changed"]
        if self._task.diff and plan["changed"]:
            result["diff"] = plan["diff"]
        if not plan["changed"] or self._task.check_mode:
            result["msg"] = self._summary(plan, check=self._task.check_mode)
            result["timings"] = self._timings(timings, started)
            return result

        # ---------------- apply (re-read and re-plan when the rules moved meanwhile)
        attempt = 0
        while True:
            attempt += 1
            stamp = backup_stamp()
            bdir = rollback.backup_dir(args["backup_root"], stamp)
            script = rollback.apply_script(plan, bdir, seconds=args["watchdog_timeout"],
                                           test_first=args["test_first"],
                                           wait=nfplan.restore_supports_wait(rr.version),
                                           verify=args["verify"])
            t0 = time.time()
            rc, out, err, n, _secs = self.run_sh(script, task_vars, "nfqueue_target apply")
            trips[0] += n
            timings["apply"] = timings.get("apply", 0) + time.time() - t0
            if rc == rollback.RC_CHANGED and attempt < args["max_attempts"]:
                try:
                    rr, plan = read_and_plan()
                except KcrashError as e:
                    return self.fail(task_vars, str(e))
                result.update(self._report(plan, rr))
                if plan["refused"] and args["on_refused"] == "fail":
                    result.update(failed=True, changed=False,
                                  msg="host %s: nothing changed: rules changed meanwhile and %d are now refused"
                                  % (host, len(plan["refused"])))
                    return result
                if not plan["changed"]:
                    result.update(changed=False, msg="nothing left to change after the rules changed meanwhile")
                    return result
                continue
            break
        result["round_trips"] = trips[0]
        result["attempts"] = attempt
        if rc == rollback.RC_CHANGED:
            result.update(failed=True, changed=False, msg="host %s: the rules kept changing between read and apply "
                          "(%d attempts); nothing changed: %s" % (host, attempt, out.strip()[-300:]))
            return result
        if rc == rollback.RC_TEST:
            result.update(failed=True, changed=False, msg="host %s: a transaction failed its test (--test / nft -c); "
                          "nothing changed: %s" % (host, err.strip()[-800:]))
            return result
        if rc == rollback.RC_BACKUP:
            result.update(failed=True, changed=False, msg="host %s: the backup could not be written completely; "
                          "nothing changed: %s" % (host, err.strip()[-800:]))
            return result
        if rc == rollback.RC_FILES:
            result.update(failed=True, changed=False, msg="host %s: saved rule files could not be written; nothing "
                          "changed: %s" % (host, err.strip()[-800:]))
            return result
        if rc != 0:
            drift = _drifted_chains(plan, err)
            if drift:
                result.update(failed=True, changed=False, backup_dir=bdir, moved_chains=drift,
                              msg="host %s: the rules of %s changed during the apply (another process inserted "
                                  "or deleted a rule there after the check): that transaction was refused as a "
                                  "whole and nothing was replaced in it; tables already changed and saved files "
                                  "were put back from %s; run again to re-plan: %s"
                                  % (host, ", ".join(drift), bdir, err.strip()[-500:]))
                return result
            result.update(failed=True, changed=False, backup_dir=bdir,
                          msg="host %s: apply failed (rc %s), rules and files put back from %s: %s"
                          % (host, rc, bdir, err.strip()[-800:]))
            return result
        result["backup_dir"] = bdir
        if args["verify"]:
            ver = nfplan.verify(plan, rollback.split_verify(out))
            ver["checked"] = True
        else:
            # the apply trip checked the affected chains right before the atomic restores
            ver = {"checked": False, "ok": None, "problems": [], "moved": []}
        result["verify"] = ver
        if ver["ok"] is False:
            rc2, out2, err2, n, _secs = self.run_sh(rollback.undo_script(bdir), task_vars, "nfqueue_target undo")
            trips[0] += n
            result.update(failed=True, changed=rc2 != 0, round_trips=trips[0],
                          msg="host %s: verification failed (%s); rules and files put back from %s (restore rc %s)"
                          % (host, "; ".join(ver["problems"]), bdir, rc2))
            return result
        if ver["moved"]:
            result.setdefault("warnings", []).append(
                "replacements not at their planned position (rules changed during the apply): %s"
                % ", ".join(ver["moved"]))
        if not args["confirm"]:
            result["watchdog"] = {"armed": True, "timeout": args["watchdog_timeout"], "confirmed": False}
            result["msg"] = ("%s; NOT confirmed: the watchdog restores %s in %d s"
                             % (self._summary(plan, check=False), bdir, args["watchdog_timeout"]))
            result["round_trips"] = trips[0]
            result["timings"] = self._timings(timings, started)
            return result
        t0 = time.time()
        script = rollback.confirm_script(bdir, args["backup_root"], args["backup_keep"])
        probe_nonce = reread = None
        if args["probe_after"]:
            # the re-detection that follows (exposure_facts reuse_probe) rides with the
            # confirmation: it sees the rules as they stay
            probe_script, probe_nonce, reread = read_cache.carried_probe(kept, "drop")
            script = combine([script, probe_script])
        rc, out, err, n, _secs = self.run_sh(script, task_vars, "nfqueue_target confirm")
        trips[0] += n
        timings["confirm"] = time.time() - t0
        if probe_nonce is not None and rc == 0:
            refs["probe"] = read_cache.store_carried_probe(host, kept, probe_nonce, reread, out)
        result["round_trips"] = trips[0]
        result["timings"] = self._timings(timings, started)
        if rc != 0 or "KCRASH-CONFIRMED" not in out:
            result.update(failed=True, msg="host %s: confirmation failed (rc %s: %s); the watchdog restores %s"
                          % (host, rc, (err or out).strip()[-300:], bdir))
            return result
        result["watchdog"] = {"armed": True, "timeout": args["watchdog_timeout"], "confirmed": True}
        result["msg"] = self._summary(plan, check=False)
        return result

    def _rollback(self, args, task_vars, result):
        """Put back the latest (or the named) backup: live tables and saved files."""
        host = self.host_label(task_vars)
        stamp = None if args["rollback"] == "latest" else args["rollback"]
        try:
            if stamp is not None:
                rollback.backup_dir(args["backup_root"], stamp)
        except KcrashError as e:
            return self.fail(task_vars, str(e))
        if self._task.check_mode:
            script = rollback.list_script(args["backup_root"], stamp)
            rc, out, err, n, _secs = self.run_sh(script, task_vars, "nfqueue_target rollback (check)")
            if rc == rollback.RC_DENIED:
                return self._denied(task_vars, args, err, n)
            if rc in (rollback.RC_NOBACKUP, rollback.RC_ROLLEDBACK, rollback.RC_INCOMPLETE):
                return self._no_rollback(result, rc, out, err, n, args, host)
            result.update(changed=rc == 0, round_trips=n, backup_dir=out.strip().splitlines()[-1] if out.strip() else None,
                          msg="would restore %s" % out.strip())
            return result
        script = rollback.rollback_script(args["backup_root"], stamp)
        rc, out, err, n, _secs = self.run_sh(script, task_vars, "nfqueue_target rollback")
        result["round_trips"] = n
        bdir = None
        for line in out.splitlines():
            if line.startswith("KCRASH-BACKUP: "):
                bdir = line[len("KCRASH-BACKUP: "):].strip()
        result["backup_dir"] = bdir
        if rc == rollback.RC_DENIED:
            return self._denied(task_vars, args, err, n)
        if rc in (rollback.RC_NOBACKUP, rollback.RC_ROLLEDBACK, rollback.RC_INCOMPLETE):
            return self._no_rollback(result, rc, out, err, n, args, host)
        if rc != 0:
            result.update(failed=True, changed=True,
                          msg="host %s: restore of %s failed (rc %s): %s" % (host, bdir, rc, err.strip()[-800:]))
            return result
        result.update(changed=True, msg="restored live rules and saved files from %s" % bdir)
        return result

    def _denied(self, task_vars, args, err, trips):
        why = [line for line in err.splitlines() if line.startswith("KCRASH-DENIED: ")]
        return self.fail(task_vars, "%s; whether a backup exists under %s is unknown and nothing was restored: run "
                         "with become (-b, ansible_become, AWX privilege escalation)"
                         % (why[-1][len("KCRASH-DENIED: "):] if why else "the backups cannot be read",
                            args["backup_root"]), changed=False, round_trips=trips)

    @staticmethod
    def _no_rollback(result, rc, out, err, trips, args, host):
        """Nothing restored: no complete backup of an applied change, the latest one was
        already rolled back (not restored twice unless named), or it is incomplete."""
        lines = out.strip().splitlines()
        why = (err or out).strip().splitlines()
        result.update(changed=False, round_trips=trips, backup_dir=lines[-1] if rc == rollback.RC_ROLLEDBACK else None)
        if rc == rollback.RC_NOBACKUP:
            result["msg"] = "no complete backup of an applied change under %s: nothing restored" % args["backup_root"]
        elif rc == rollback.RC_ROLLEDBACK:
            result["msg"] = ("%s was already rolled back: nothing restored again (name it with rollback=<stamp>, "
                             "kcrash_rollback_backup, to restore it once more)" % result["backup_dir"])
        else:
            result.update(failed=True, msg="host %s: %s" % (host, why[-1] if why else "backup incomplete"))
        return result

    @staticmethod
    def _timings(t, started):
        out = dict((k, round(v, 3)) for k, v in t.items())
        out["total"] = round(time.time() - started, 3)
        return out

    @staticmethod
    def _report(plan, rr):
        return {
            "changes": [_public(c) for c in plan["changes"]],
            "refused": [_public(c) for c in plan["refused"]],
            "files": [{"path": f["path"], "kind": f["kind"], "count": f["count"]} for f in plan["files"]],
            "transactions": ([{"tool": t["restore_tool"], "table": t["table"], "text": t["text"]}
                              for t in plan["iptables"]]
                             + ([{"tool": "nft", "table": None, "text": plan["nft"]["text"]}] if plan["nft"] else [])),
            "management": plan["management"],
            "backends": [{"tool": d.tool, "family": d.family, "backend": d.backend} for d in rr.dumps],
            "iptables_version": ".".join(str(x) for x in rr.version) if rr.version else None,
        }

    @staticmethod
    def _summary(plan, check):
        verb = "would replace" if check else "replaced"
        if not plan["changed"]:
            if plan["refused"]:
                return "nothing changed; %d rule(s) refused" % len(plan["refused"])
            return "no selected NFQUEUE rule: nothing to change"
        bits = ["%s %d rule(s) by -j %s" % (verb, len(plan["changes"]), plan["target"])]
        if plan["files"]:
            bits.append("saved files: %s" % ", ".join(f["path"] for f in plan["files"]))
        lost = [c for c in plan["changes"] if not c.get("persisted")]
        if lost:
            bits.append("%d change(s) not persisted (see changes[].persist_reason)" % len(lost))
        if plan["refused"]:
            bits.append("%d refused" % len(plan["refused"]))
        return "; ".join(bits)
