# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report of ``remediate.yml``: before / after per host, as schema-v1 records
(``report_record``) rendered as JSON, CSV and HTML (``report_page``).

Pure: builds and renders text; the ``remediation_report`` action writes the files.

Input per host (what the playbook keeps in host variables):
``plan`` (``choose_strategy()`` output, None when detection failed), ``before`` and ``after``
(``kcrash_nfqueue`` facts; ``after`` only after a real run that changed the host),
``results`` (the strategy roles' registered results by action) and ``detection`` (the
registered detection result, for the error of an unreachable or failed host).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import report_page
from ansible_collections.kcrash.nfqueue.plugins.module_utils import report_record as record
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.report_format import json_text
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy import registry

# Outcome per host, from worst to best (the report sorts by it).
OUTCOMES = (
    "still_exposed",      # real run: re-detection still says exposed
    "not_detected",       # detection failed or host unreachable
    "apply_failed",       # real run: planned, but no re-detection result (failed / stopped)
    "blocked",            # exposed, the chosen strategy cannot fix it (or refused, e.g. no fixed kernel)
    "unchanged",          # planned, but the strategy found nothing to change
    "drift",              # check mode: would be changed
    "report_only",        # exposed / at risk, strategy none
    "unknown",            # exposure unknown, left alone
    "remediated",         # real run: changed and re-detected not exposed
    "pending",            # real run: changed, still at risk or pending a reboot (kernel)
    "compliant",          # not exposed / not in the remediated levels: left alone
)

#: Kernel role statuses that mean "nothing will be installed".
KERNEL_REFUSED = ("no_target", "precheck_failed")


def _detection_status(detection):
    if isinstance(detection, dict):
        if detection.get("unreachable"):
            return "unreachable", detection.get("msg") or "host unreachable"
        if detection.get("failed"):
            return "failed", detection.get("msg") or "detection failed"
    return "not_run", "detection did not run on this host"


def host_row(name, plan, before, after, check_mode, results=None, detection=None):
    """One host's schema-v1 record.

    ``results`` maps a planned action (offload, drop, kernel) to the result the strategy role
    registered (``kcrash_offload_result``, ...), when it ran.
    """
    if not isinstance(plan, dict) or before is None:
        status, error = _detection_status(detection)
        row = record.host(name, None, status=status, error=error)
        row["outcome"] = "not_detected"
        row["plan_reasons"] = ["no detection result: host unreachable or detection failed"]
        return row
    row = record.host(name, before)
    row["strategy"] = plan.get("strategy")
    row["actions"] = [a for a in plan.get("actions") or [] if a in record.ACTIONS]
    row["crashed_before"] = row["crashed_before"] or bool(plan.get("crashed_before"))
    row["plan_reasons"] = [str(r) for r in plan.get("reasons") or []]
    row["results"] = record.results(name, results)
    if after is not None:
        row["verdict_after"], row["after_source"] = record.level(after), "measured"
        row["reasons_after"] = record.reasons(after)
        row["answered_at"] = record.answered_at(after) or row["answered_at"]
    row["changed"] = not check_mode and any(r["changed"] for r in row["results"])
    failed = [r for r in row["results"] if r["failed"]]
    if failed:
        row["error"] = "; ".join("%s: %s" % (r["action"], r["msg"]) for r in failed)[:2000]
    row["outcome"] = _outcome(row, plan.get("status"), check_mode)
    if row["verdict_after"] is None and (not row["actions"] or check_mode or row["outcome"] == "unchanged"):
        # not changed, so not measured again: the verdict holds as it was read
        row["verdict_after"], row["after_source"] = row["verdict"], "carried_over"
    return row


def _outcome(row, status, check_mode):
    if not row["actions"]:
        return {"blocked": "blocked", "report_only": "report_only", "unknown": "unknown"}.get(status, "compliant")
    res = dict((r["action"], r) for r in row["results"])
    kernel = res.get("kernel") or {}
    if res and all(a in res for a in row["actions"]) and not any(r["changed"] for r in res.values()) \
            and not any(r["failed"] for r in res.values()):
        # every planned strategy ran and had nothing to change
        refused = kernel.get("status") in KERNEL_REFUSED and row["actions"] == ["kernel"]
        return "blocked" if refused else "unchanged"
    if check_mode:
        return "drift"
    if row["verdict_after"] is None:
        return "apply_failed"
    if row["verdict_after"] == "exposed" and set(row["actions"]) & set(registry.IMMEDIATE):
        return "still_exposed"
    if row["verdict_after"] == "not_exposed":
        return "remediated"
    return "pending"


def build(hosts, check_mode, generated=None, run=None, complete=True):
    """Report dict from ``hosts`` = {name: {plan, before, after, results, detection}}."""
    if not isinstance(hosts, dict):
        raise KcrashInputError("hosts", "must be a mapping of host name to plan/before/after")
    rows = []
    for name in sorted(hosts):
        h = hosts[name] or {}
        rows.append(host_row(name, h.get("plan"), h.get("before"), h.get("after"), check_mode,
                             h.get("results"), h.get("detection")))
    order = dict((o, i) for i, o in enumerate(OUTCOMES))
    rows.sort(key=lambda r: (order.get(r["outcome"], len(order)), r["host"]))
    mode = "check" if check_mode else "apply"
    drift = sum(1 for r in rows if r["outcome"] == "drift") if check_mode else None
    return record.document("remediate", mode, "kcrash.nfqueue remediation report (%s)" % mode, generated,
                           run or record.empty_run(), rows, complete, drift)


def to_json(report):
    return json_text(report)


def to_csv(report):
    return report_page.hosts_csv(report)


def to_html(report):
    return report_page.html(report)


def render_all(report):
    """{format: text} of every file the remediation report writes."""
    return {"json": to_json(report), "csv": to_csv(report), "rules.csv": report_page.rules_csv(report),
            "html": to_html(report)}


def _hostvar(hostvars, name, var):
    try:
        return hostvars[name].get(var)
    except (KeyError, TypeError, AttributeError):
        return None


def hosts_from_vars(names, plans, hostvars, result_vars):
    """:func:`build`'s input from what ``remediate.yml`` keeps: ``plans`` (``kcrash_remediation``:
    {host: {plan, before}}), ``hostvars`` (each host's ``kcrash_redetect`` and
    ``kcrash_detect_result``) and ``result_vars`` ({action: the variable its role registers})."""
    hosts = {}
    for name in names:
        planned = plans.get(name) or {}
        redetect = _hostvar(hostvars, name, "kcrash_redetect") or {}
        after = (redetect.get("ansible_facts") or {}).get("kcrash_nfqueue") \
            if isinstance(redetect, dict) and not redetect.get("skipped") else None
        results = dict((action, _hostvar(hostvars, name, var)) for action, var in result_vars.items())
        hosts[name] = {"plan": planned.get("plan"), "before": planned.get("before"), "after": after,
                       "results": results, "detection": _hostvar(hostvars, name, "kcrash_detect_result")}
    return hosts


def action_result(report, written):
    """The ``remediation_report`` action's result, from the report and ``written`` (``paths``,
    ``history``, ``removed`` of the files written)."""
    outcomes = report["counts"]["outcome"]
    out = record.written_result(report, written["paths"], written["history"], written["removed"])
    out.update({
        "mode": report["mode"],
        "drift": report["drift"],
        "outcomes": outcomes,
        # an interim report (written before the apply, so that a run that stops still leaves
        # one) says so: its outcomes are not the run's
        "msg": "%s%s report for %d host(s): %s (%s)" % (
            "" if report["complete"] else "interim ", report["mode"], report["total"], written["paths"]["html"],
            ", ".join("%s %d" % kv for kv in sorted(outcomes.items())) or "no host"),
    })
    return out
