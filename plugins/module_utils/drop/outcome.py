# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the drop strategy's round trips mean for the task: the report of a plan, its
warnings and summary, and the interpretation of the apply, confirm and rollback scripts'
exit codes (:mod:`.apply` ``RC_*``) as result fields and messages naming the host.

Pure: the action (plugins/action/nfqueue_target.py) runs the trips and hands their rc,
stdout and stderr here; every function returns data (a message, or the fields to put in
the task result), none runs anything.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import apply as drop_apply
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.plan import guard_failures
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.verify import verify

RULE_KEYS = ("family", "backend", "table", "chain", "position", "handle", "rule", "new_rule", "queue",
             "reachable_from", "persisted", "persisted_in", "persist_reason", "lockout", "reason", "statement")

# the apply script's exit codes that leave the host as it was: (what happened, how much of
# stderr the message quotes)
_NOTHING_CHANGED = {
    drop_apply.RC_TEST: "a transaction failed its test (--test / nft -c)",
    drop_apply.RC_BACKUP: "the backup could not be written completely",
    drop_apply.RC_FILES: "saved rule files could not be written",
}


def public_rule(rule):
    """The fields of a planned (or refused) rule the task returns."""
    return dict((k, rule[k]) for k in RULE_KEYS if k in rule)


def report(plan, rr):
    """The result fields describing ``plan`` and the read (``read.ReadResult``) it came from."""
    return {
        "changes": [public_rule(c) for c in plan["changes"]],
        "refused": [public_rule(c) for c in plan["refused"]],
        "files": [{"path": f["path"], "kind": f["kind"], "count": f["count"]} for f in plan["files"]],
        "transactions": ([{"tool": t["restore_tool"], "table": t["table"], "text": t["text"]}
                          for t in plan["iptables"]]
                         + ([{"tool": "nft", "table": None, "text": plan["nft"]["text"]}] if plan["nft"] else [])),
        "management": plan["management"],
        "backends": [{"tool": d.tool, "family": d.family, "backend": d.backend} for d in rr.dumps],
        "iptables_version": ".".join(str(x) for x in rr.version) if rr.version else None,
    }


def read_warnings(plan, rr, become):
    """Warnings of a read and its plan: unparsable saved files, failed reads, no firewall
    tool at all, a read without root (``become``: whether the task escalates)."""
    warnings = list(plan["warnings"]) + ["cannot parse %s: %s" % (s["path"], s["error"])
                                         for s in plan["saved_unparsed"]]
    warnings += list(rr.errors)
    if not rr.dumps and rr.nft_text is None:
        warnings.append("neither iptables-save nor nft was found on the host")
    if rr.uid not in (None, 0) and not become:
        warnings.append("the read ran as uid %s: iptables-save needs root (use become)" % rr.uid)
    return warnings


def refused_message(host, plan):
    """The failure message when rules were refused and ``on_refused`` is ``fail``."""
    return "host %s: nothing changed: %d rule(s) refused: %s" % (
        host, len(plan["refused"]), "; ".join("%s %s %s #%s: %s" % (
            r.get("tool", r["backend"]), r["table"], r["chain"], r["position"], r["reason"])
            for r in plan["refused"]))


def summary(plan, check):
    """One line saying what was (``check``: would be) replaced, persisted and refused."""
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


def replan_stop(host, plan, on_refused):
    """After the rules changed between read and apply and were read again: the result
    fields that end the task (the new plan refuses rules, or has nothing left to change),
    or None to apply the new plan."""
    if plan["refused"] and on_refused == "fail":
        return {"failed": True, "changed": False,
                "msg": "host %s: nothing changed: rules changed meanwhile and %d are now refused"
                       % (host, len(plan["refused"]))}
    if not plan["changed"]:
        return {"changed": False, "msg": "nothing left to change after the rules changed meanwhile"}
    return None


def drifted_chains(plan, err):
    """``["chain FORWARD (iptables-legacy, table filter)", ...]`` whose length guard failed:
    the restore's own message (``line N``) comes right before the ``KCRASH-FAIL: <tool>
    --noflush of <table>`` line of the apply script."""
    out = []
    for tx in plan["iptables"]:
        tag = "KCRASH-FAIL: %s --noflush of %s:" % (tx["restore_tool"], tx["table"])
        at = (err or "").find(tag)
        if at < 0:
            continue
        for chain in guard_failures(tx, err[:at].rsplit("KCRASH-FAIL", 1)[-1]):
            out.append("chain %s (%s, table %s)" % (chain, tx["restore_tool"].replace("-restore", ""), tx["table"]))
    return out


def apply_failure(host, rc, plan, out, err, bdir, attempts):
    """The result fields of a failed apply trip (exit code ``rc`` of
    :func:`.apply.apply_script`, after ``attempts`` tries), or None when it succeeded."""
    if rc == 0:
        return None
    if rc == drop_apply.RC_CHANGED:
        return {"failed": True, "changed": False,
                "msg": "host %s: the rules kept changing between read and apply (%d attempts); nothing changed: %s"
                       % (host, attempts, out.strip()[-300:])}
    if rc in _NOTHING_CHANGED:
        return {"failed": True, "changed": False,
                "msg": "host %s: %s; nothing changed: %s" % (host, _NOTHING_CHANGED[rc], err.strip()[-800:])}
    drift = drifted_chains(plan, err)
    if drift:
        return {"failed": True, "changed": False, "backup_dir": bdir, "moved_chains": drift,
                "msg": "host %s: the rules of %s changed during the apply (another process inserted "
                       "or deleted a rule there after the check): that transaction was refused as a "
                       "whole and nothing was replaced in it; tables already changed and saved files "
                       "were put back from %s; run again to re-plan: %s"
                       % (host, ", ".join(drift), bdir, err.strip()[-500:])}
    return {"failed": True, "changed": False, "backup_dir": bdir,
            "msg": "host %s: apply failed (rc %s), rules and files put back from %s: %s"
                   % (host, rc, bdir, err.strip()[-800:])}


def verification(plan, out, checked):
    """The ``verify`` result field: the post-apply listings in the apply trip's ``out``
    compared with ``plan`` when ``checked`` (the ``verify`` option); else unchecked (the
    apply trip checked the affected chains right before the atomic restores)."""
    if not checked:
        return {"checked": False, "ok": None, "problems": [], "moved": []}
    ver = verify(plan, drop_apply.split_verify(out))
    ver["checked"] = True
    return ver


def verification_failure(host, ver, bdir, undo_rc):
    """The result fields after a failed verification was undone (``undo_rc``: the exit
    code of :func:`.apply.undo_script`)."""
    return {"failed": True, "changed": undo_rc != 0,
            "msg": "host %s: verification failed (%s); rules and files put back from %s (restore rc %s)"
                   % (host, "; ".join(ver["problems"]), bdir, undo_rc)}


def moved_warning(ver):
    """The warning for replacements found away from their planned position, or None."""
    if not ver["moved"]:
        return None
    return ("replacements not at their planned position (rules changed during the apply): %s"
            % ", ".join(ver["moved"]))


def unconfirmed_message(plan, bdir, timeout):
    return "%s; NOT confirmed: the watchdog restores %s in %d s" % (summary(plan, check=False), bdir, timeout)


def confirm_failure(host, rc, out, err, bdir):
    """The message of a failed confirmation (the watchdog then restores), or None."""
    if rc == 0 and "KCRASH-CONFIRMED" in out:
        return None
    return "host %s: confirmation failed (rc %s: %s); the watchdog restores %s" % (
        host, rc, (err or out).strip()[-300:], bdir)


def _denied(host, err, trips, backup_root):
    why = [line for line in err.splitlines() if line.startswith("KCRASH-DENIED: ")]
    return {"failed": True, "changed": False, "round_trips": trips,
            "msg": "host %s: %s; whether a backup exists under %s is unknown and nothing was restored: run "
                   "with become (-b, ansible_become, AWX privilege escalation)"
                   % (host, why[-1][len("KCRASH-DENIED: "):] if why else "the backups cannot be read", backup_root)}


def _no_rollback(host, rc, out, err, trips, backup_root):
    """Nothing restored: no complete backup of an applied change, the latest one was
    already rolled back (not restored twice unless named), or it is incomplete."""
    lines = out.strip().splitlines()
    why = (err or out).strip().splitlines()
    res = {"changed": False, "round_trips": trips, "backup_dir": lines[-1] if rc == drop_apply.RC_ROLLEDBACK else None}
    if rc == drop_apply.RC_NOBACKUP:
        res["msg"] = "no complete backup of an applied change under %s: nothing restored" % backup_root
    elif rc == drop_apply.RC_ROLLEDBACK:
        res["msg"] = ("%s was already rolled back: nothing restored again (name it with rollback=<stamp>, "
                      "kcrash_rollback_backup, to restore it once more)" % res["backup_dir"])
    else:
        res.update(failed=True, msg="host %s: %s" % (host, why[-1] if why else "backup incomplete"))
    return res


_NOT_RESTORED = (drop_apply.RC_NOBACKUP, drop_apply.RC_ROLLEDBACK, drop_apply.RC_INCOMPLETE)


def rollback_check_result(host, rc, out, err, trips, backup_root):
    """The task result of :func:`.apply.list_script` (a rollback in check mode)."""
    if rc == drop_apply.RC_DENIED:
        return _denied(host, err, trips, backup_root)
    if rc in _NOT_RESTORED:
        return _no_rollback(host, rc, out, err, trips, backup_root)
    return {"changed": rc == 0, "round_trips": trips,
            "backup_dir": out.strip().splitlines()[-1] if out.strip() else None,
            "msg": "would restore %s" % out.strip()}


def rollback_result(host, rc, out, err, trips, backup_root):
    """The task result of :func:`.apply.rollback_script`."""
    if rc == drop_apply.RC_DENIED:
        return _denied(host, err, trips, backup_root)
    if rc in _NOT_RESTORED:
        return _no_rollback(host, rc, out, err, trips, backup_root)
    bdir = None
    for line in out.splitlines():
        if line.startswith("KCRASH-BACKUP: "):
            bdir = line[len("KCRASH-BACKUP: "):].strip()
    res = {"round_trips": trips, "backup_dir": bdir}
    if rc != 0:
        res.update(failed=True, changed=True,
                   msg="host %s: restore of %s failed (rc %s): %s" % (host, bdir, rc, err.strip()[-800:]))
    else:
        res.update(changed=True, msg="restored live rules and saved files from %s" % bdir)
    return res


def timings(seconds, started, now):
    """The ``timings`` result field: seconds per stage, rounded, and the total."""
    out = dict((k, round(v, 3)) for k, v in seconds.items())
    out["total"] = round(now - started, 3)
    return out
