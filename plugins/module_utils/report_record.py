# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report document, version 1 (``docs/schema/report-v1.json``), shared by the
detection report (``report.py``) and the remediation report (``remediation_report.py``).

Pure functions: facts and registered results in, plain dicts out. One host record per host,
with structured fields (kernel, NICs, NFQUEUE rules, crash evidence, reasons with codes,
per-action results with backups and the exact rollback command), the run metadata, counts
and the legend of every value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re
import time

from ansible_collections.kcrash.nfqueue.plugins.module_utils import netdev
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import backup_name, quote
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy import registry

SCHEMA = "kcrash.nfqueue/report/v1"

LEVELS = ("exposed", "at_risk", "unknown", "not_exposed")
STATUSES = ("ok", "unreachable", "failed", "not_run")
#: The strategies a host record can list, in apply order (schema v1: docs/schema/report-v1.json).
ACTIONS = registry.ACTION_ORDER

LEGEND = {
    "status": {
        "ok": "detection answered and a verdict was reached",
        "unreachable": "the host could not be reached (see the error)",
        "failed": "detection ran but failed (see the error); the host's exposure is not known",
        "not_run": "detection did not run on this host (limited out, or the run stopped before it)",
    },
    "verdict": {
        "exposed": "all three legs are live now: a vulnerable kernel, an NFQUEUE rule that received packets "
                   "traverse, and LRO on a receiving NIC; the panic can happen now",
        "at_risk": "every leg is live or could become live by itself (rule only in a saved file, LRO off now "
                   "but turned on by configuration or the driver)",
        "unknown": "no leg rules the panic out and at least one could not be read; never reported lower",
        "not_exposed": "at least one leg is absent and cannot appear by itself (kernel has the NULL check, no "
                       "NFQUEUE rule, or LRO off and fixed on every receiving NIC)",
    },
    "outcome": {
        "still_exposed": "a real run changed the host but re-detection still says exposed",
        "not_detected": "no detection result (unreachable or failed): nothing was planned",
        "apply_failed": "a strategy was planned but did not complete (see its message; the host was put back)",
        "blocked": "exposed, but the chosen strategy cannot fix it (e.g. no documented fixed kernel)",
        "unchanged": "a strategy was planned but found nothing to change",
        "drift": "check mode: the host differs from the remediated state and would be changed",
        "report_only": "exposed or at risk; strategy none: reported only",
        "unknown": "exposure unknown: left alone",
        "remediated": "changed, and re-detection says not exposed",
        "pending": "changed; still at risk or waiting for a reboot into the new kernel",
        "compliant": "not exposed (or not in the levels to remediate): left alone",
    },
    "action": {
        "offload": "turn LRO off now and persistently on the receiving NICs (ethtool -K <nic> lro off + config)",
        "drop": "replace the NFQUEUE target by DROP, live and in the saved rule files, behind a rollback timer",
        "kernel": "install a kernel with the NULL check, make it the boot default, reboot (now, in a window, "
                  "or left to the operator)",
        "none": "no action planned for this host",
    },
    "after_source": {
        "measured": "verdict after = re-detected on the host after the change",
        "carried_over": "verdict after = verdict before: the host was not changed (check mode, nothing to do, "
                        "or not re-detected), so it was not measured again",
        "none": "no verdict after (detection or the apply failed)",
    },
}

# reason text (module_utils/exposure.py) -> code; the first match wins, else "<leg>.other"
_REASON_CODES = (
    ("kernel", "code_vulnerable", r"carries the unchecked"),
    ("kernel", "has_fix", r"has the NULL check"),
    ("kernel", "unknown", r"not known to carry"),
    ("rules", "live", r"live NFQUEUE rule"),
    ("rules", "saved_only", r"only in saved rules"),
    ("rules", "local_only", r"only locally generated"),
    ("rules", "unreachable_chain", r"no built-in chain reaches"),
    ("rules", "unreadable", r"could not be read"),
    ("rules", "none", r"no NFQUEUE/QUEUE rule"),
    ("lro", "on", r"has large-receive-offload on"),
    ("lro", "persisted_on", r"turns it on"),
    ("lro", "requested_on", r"requested on"),
    ("lro", "driver_default", r"can turn it back on"),
    ("lro", "unknown", r"offload state unknown|does not report LRO|no interface data"),
    ("lro", "off", r"LRO is off on every NIC|no NIC that receives"),
    ("crash", "this_panic", r"shows this panic"),
    ("crash", "related", r"related catalog signatures"),
    ("crash", "dmesg", r"current dmesg matches"),
    ("crash", "vmcore_unread", r"without vmcore-dmesg"),
    ("crash", "wtmp", r"crash record"),
    ("crash", "unread", r"evidence unknown, not read"),
)
_COMPILED = tuple((leg, code, re.compile(rx)) for leg, code, rx in _REASON_CODES)


def reason(text):
    """``{code, leg, text}`` of one reason line (``<leg>: ...``)."""
    text = str(text)
    leg = text.split(":", 1)[0].strip() if ":" in text else ""
    if leg not in ("kernel", "rules", "lro", "crash"):
        return {"code": "other.other", "leg": "other", "text": text}
    for r_leg, code, rx in _COMPILED:
        if r_leg == leg and rx.search(text):
            return {"code": "%s.%s" % (leg, code), "leg": leg, "text": text}
    return {"code": "%s.other" % leg, "leg": leg, "text": text}


def reasons(facts):
    exp = (facts or {}).get("exposure") or {}
    return [reason(r) for r in exp.get("reasons") or []]


def kernel(facts):
    k = (facts or {}).get("kernel")
    if not isinstance(k, dict):
        return None
    return {
        "release": k.get("release"), "family": k.get("family"), "code_vulnerable": k.get("code_vulnerable"),
        "fixed_by": k.get("fixed_by"),
        "evidence": [{"source": str(e.get("source")), "confirmed": bool(e.get("confirmed")), "note": e.get("note")}
                     for e in k.get("evidence") or [] if isinstance(e, dict)],
    }


def _state(feature):
    if not isinstance(feature, dict) or feature.get("active") is None:
        return None
    return "on" if feature.get("active") else "off"


def nics(facts):
    interfaces = (facts or {}).get("interfaces") or {}
    receiving = set(netdev.candidate_nics({"interfaces": interfaces})) if interfaces else set()
    out = []
    for name in sorted(interfaces):
        info = interfaces[name] or {}
        feats = info.get("features") or {}
        lro = feats.get("lro") if isinstance(feats.get("lro"), dict) else None
        out.append({"name": name, "driver": info.get("driver"), "kind": info.get("kind"), "lro": _state(lro),
                    "lro_fixed": None if lro is None else bool(lro.get("fixed")),
                    "gro": _state(feats.get("gro")), "receives": name in receiving})
    return out


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def nfqueue_rules(facts):
    f = facts or {}
    out = []
    for source, key in (("live", "nfqueue_rules"), ("saved", "saved_nfqueue_rules")):
        for r in f.get(key) or []:
            if not isinstance(r, dict):
                continue
            out.append({"source": source, "family": r.get("family"), "backend": r.get("backend"),
                        "table": r.get("table"), "chain": r.get("chain"), "rule": str(r.get("rule") or ""),
                        "position": _int_or_none(r.get("position")), "file": r.get("file"),
                        "line": _int_or_none(r.get("line"))})
    return out


def crash_evidence(facts):
    ce = (facts or {}).get("crash_evidence") or {}
    out = []
    for kind in ("vmcore", "dmesg"):
        for h in ce.get(kind) or []:
            if isinstance(h, dict):
                out.append({"kind": kind, "path": h.get("path"), "bug_id": h.get("bug_id"),
                            "signature": h.get("signature"), "text": h.get("line") or h.get("rip")})
    for d in ce.get("crash_dirs") or []:
        if isinstance(d, dict):
            out.append({"kind": "crash_dir", "path": d.get("path"), "bug_id": None, "signature": None,
                        "text": "vmcore" if d.get("vmcore") else None})
    for w in ce.get("wtmp_crashes") or []:
        if isinstance(w, dict):
            out.append({"kind": "wtmp", "path": None, "bug_id": None, "signature": None, "text": w.get("line")})
    return out


def probe_notes(facts):
    p = (facts or {}).get("probe") or {}
    notes = ["%s: %s" % (e.get("item"), e.get("message")) for e in p.get("errors") or [] if isinstance(e, dict)]
    if p.get("missing_tools"):
        notes.append("missing tools: " + ", ".join(str(t) for t in p["missing_tools"]))
    return notes


def answered_at(facts):
    """When the probe's answer was read (``probe.answered_at``, set by exposure_facts)."""
    return ((facts or {}).get("probe") or {}).get("answered_at")


def level(facts):
    exp = (facts or {}).get("exposure")
    if isinstance(exp, dict):
        lv = exp.get("level") or "unknown"
        return lv if lv in LEVELS else "unknown"
    return None


def host(name, facts=None, status="ok", error=None):
    """A host record with every field of the schema; detection fields from ``facts``."""
    exp = (facts or {}).get("exposure") or {}
    return {
        "host": str(name), "answered_at": answered_at(facts), "status": status,
        "error": None if error is None else str(error)[:2000],
        "verdict": level(facts), "verdict_after": None, "after_source": "none", "outcome": None,
        "strategy": None, "actions": [], "changed": False, "crashed_before": bool(exp.get("flagged")),
        "legs": dict(exp["legs"]) if isinstance(exp.get("legs"), dict) else None,
        "kernel": kernel(facts), "nics": nics(facts), "nfqueue_rules": nfqueue_rules(facts),
        "crash_evidence": crash_evidence(facts), "reasons": reasons(facts), "reasons_after": [],
        "recommended": [str(r) for r in exp.get("recommended") or []], "plan_reasons": [], "results": [],
        "probe_notes": probe_notes(facts),
    }


# ------------------------------------------------------------------ strategy results

def _offload_result(res, name):
    diff = list(res.get("runtime_commands") or [])
    diff += ["%s %s" % (f.get("action"), f.get("path")) for f in res.get("files") or []
             if isinstance(f, dict) and f.get("action") not in (None, "none")]
    diff += list(res.get("nm_commands") or [])
    bdir = res.get("backup_dir")
    rollback = None
    # NetworkManager settings changed through nmcli have no backup file and no known value to
    # go back to: no rollback command is given rather than an incomplete one
    if bdir and not res.get("nm_commands"):
        cmds = ["cp -p %s %s" % (quote(posixpath.join(bdir, backup_name(f["path"]))), quote(f["path"]))
                for f in res.get("files") or [] if isinstance(f, dict) and f.get("action") not in (None, "none")
                and f.get("path")]
        for c in res.get("runtime_commands") or []:
            # "ethtool -K eth0 lro off gro off" -> the same features back on
            words = str(c).split()
            if len(words) >= 4 and words[:2] == ["ethtool", "-K"]:
                cmds.append("ethtool -K %s %s" % (quote(words[2]), " ".join(
                    "%s on" % quote(w) for w in words[3::2])))
        rollback = " && ".join(cmds) or None
    return diff, [bdir] if bdir else [], rollback, None


def _drop_result(res, name):
    diff = []
    for c in res.get("changes") or []:
        if isinstance(c, dict):
            diff.append("%s %s: %s -> %s" % (c.get("table"), c.get("chain"), c.get("rule"), c.get("new_rule")))
    diff += ["rewrite %s" % f.get("path") for f in res.get("files") or [] if isinstance(f, dict)]
    bdir = res.get("backup_dir")
    rollback = None
    if bdir:
        rollback = "ansible-playbook kcrash.nfqueue.rollback -l %s -e %s -e %s" % (
            quote(name), quote("kcrash_rollback_backup=%s" % posixpath.basename(bdir.rstrip("/"))),
            quote("kcrash_drop_backup_root=%s" % posixpath.dirname(bdir.rstrip("/"))))
    return diff, [bdir] if bdir else [], rollback, None


def _kernel_result(res, name):
    diff = []
    if res.get("target") and res.get("install"):
        diff.append("install %s" % res.get("target"))
    if res.get("set_default"):
        diff.append("boot default %s" % res.get("target"))
    rb = res.get("reboot") if isinstance(res.get("reboot"), dict) else {}
    reboot = None
    if res.get("pending_reboot") is not None or rb:
        reboot = {"pending": bool(res.get("pending_reboot")),
                  "scheduled_at": rb.get("time") if rb.get("mode") == "window" else None,
                  "rebooted": res.get("rebooted")}
    return diff, [], None, reboot


_RESULT_READERS = {"offload": _offload_result, "drop": _drop_result, "kernel": _kernel_result}


def results(name, registered):
    """Per-action result records from the strategy roles' registered results ({action: result})."""
    out = []
    for action in ACTIONS:
        res = (registered or {}).get(action)
        if not isinstance(res, dict) or res.get("skipped"):
            continue
        diff, backups, rollback, reboot = _RESULT_READERS[action](res, name)
        out.append({"action": action, "changed": bool(res.get("changed")), "failed": bool(res.get("failed")),
                    "status": None if res.get("status") is None else str(res.get("status")),
                    "msg": str(res.get("msg") or ""), "diff_summary": [str(d) for d in diff],
                    "backups": backups, "rollback_command": rollback, "reboot": reboot})
    return out


# ------------------------------------------------------------------ run metadata, document

_RUN_VARS = ("kcrash_strategy", "kcrash_interfaces", "kcrash_window", "kcrash_remediate_levels", "kcrash_serial",
             "kcrash_max_fail_percentage", "kcrash_confirm", "kcrash_kernel_target", "kcrash_hosts",
             "kcrash_detect_hosts", "kcrash_detect_fail_levels", "kcrash_carry_reads",
             "kcrash_report_keep")


def _first(task_vars, *names):
    for n in names:
        v = task_vars.get(n)
        if v not in (None, ""):
            return v
    return None


def awx(task_vars):
    """AWX / AAP job metadata from its extra variables (tower_* and awx_* are both set)."""
    job_id = _first(task_vars, "awx_job_id", "tower_job_id")
    if job_id is None:
        return None
    # AWX passes no URL of its own: kcrash_awx_url (set on the job template) gives the base
    base = _first(task_vars, "kcrash_awx_url")
    url = "%s/#/jobs/playbook/%s/output" % (str(base).rstrip("/"), job_id) if base else None
    return {"job_id": job_id, "job_url": url,
            "launch_type": _first(task_vars, "awx_job_launch_type", "tower_job_launch_type"),
            "template_name": _first(task_vars, "awx_job_template_name", "tower_job_template_name"),
            "user": _first(task_vars, "awx_user_name", "tower_user_name"),
            "project_revision": _first(task_vars, "awx_project_revision", "tower_project_revision"),
            "inventory_name": _first(task_vars, "awx_inventory_name", "tower_inventory_name"),
            "workflow_job_id": _first(task_vars, "awx_workflow_job_id", "tower_workflow_job_id")}


def run(task_vars, run_id, started, finished, collection_version=None, ansible_version=None, playbook=None,
        check_mode=False, diff_mode=False):
    """The ``run`` object from the task's variables (values only, no secrets: kcrash_* run variables)."""
    tv = task_vars or {}
    limit = tv.get("ansible_limit")
    sources = tv.get("ansible_inventory_sources") or []
    if isinstance(sources, str):
        sources = [sources]
    variables = {}
    for n in _RUN_VARS:
        if n in tv:
            v = tv[n]
            variables[n] = v if isinstance(v, (bool, int, float, list, dict)) or v is None else str(v)
    strategy = tv.get("kcrash_strategy")
    return {"id": run_id, "started": started, "finished": finished, "collection_version": collection_version,
            "ansible_version": ansible_version, "playbook": playbook, "check_mode": bool(check_mode),
            "diff_mode": bool(diff_mode), "limit": None if not limit else str(limit),
            "inventory_sources": [str(s) for s in sources], "strategy": None if strategy is None else str(strategy),
            "variables": variables, "awx": awx(tv)}


def counts(hosts):
    c = {"status": {}, "verdict": {}, "verdict_after": {}, "action": {}, "outcome": {}, "changed": 0,
         "crashed_before": 0}

    def bump(key, value):
        c[key][value] = c[key].get(value, 0) + 1

    for h in hosts:
        bump("status", h["status"])
        if h["verdict"]:
            bump("verdict", h["verdict"])
        if h["verdict_after"]:
            bump("verdict_after", h["verdict_after"])
        for a in h["actions"] or ["none"]:
            bump("action", a)
        if h["outcome"]:
            bump("outcome", h["outcome"])
        c["changed"] += 1 if h["changed"] else 0
        c["crashed_before"] += 1 if h["crashed_before"] else 0
    return c


def document(kind, mode, title, generated, run_info, hosts, complete=True, drift=None):
    """The whole report; ``generated`` defaults to now (ISO 8601 UTC)."""
    if not generated:
        generated = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"schema": SCHEMA, "kind": kind, "mode": mode, "title": title, "generated": generated,
            "complete": bool(complete), "run": run_info, "total": len(hosts), "counts": counts(hosts),
            "drift": drift, "legend": LEGEND, "hosts": hosts}


def written_result(report, paths, history, removed):
    """The result keys both report actions return once the files are written: never
    ``changed`` (the report is the controller's output, not a change on any host), the latest
    ``paths`` and the timestamped ``history`` by format, the ``removed`` old files, the
    report's ``counts`` and ``hosts_total``."""
    return {"changed": False, "paths": paths, "history": history, "removed": removed,
            "counts": report["counts"], "hosts_total": report["total"]}


def empty_run(run_id="19700101T000000Z"):
    """A run object for callers without task variables (filters, tests)."""
    return run({}, run_id, None, None)
