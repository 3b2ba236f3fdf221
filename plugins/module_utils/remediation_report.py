# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report of ``remediate.yml``: before / after per host, as JSON, CSV and HTML.

Pure: builds and renders text; the ``remediation_report`` action writes the files.

Input per host (what the playbook keeps in host variables):
``plan`` (``choose_strategy()`` output, None when detection failed), ``before`` and ``after``
(``kcrash_nfqueue`` facts; ``after`` only after a real run that changed the host).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.report_format import (
    csv_text, escape, html_list, json_text)

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

CSV_COLUMNS = ("host", "outcome", "strategy", "actions", "level_before", "level_after",
               "crashed_before", "results", "reasons")

#: Kernel role statuses that mean "nothing will be installed".
KERNEL_REFUSED = ("no_target", "precheck_failed")


def _level(facts):
    if isinstance(facts, dict) and isinstance(facts.get("exposure"), dict):
        return facts["exposure"].get("level") or "unknown"
    return None


def _reasons(facts):
    if isinstance(facts, dict) and isinstance(facts.get("exposure"), dict):
        return [str(r) for r in facts["exposure"].get("reasons") or []]
    return []


def _results(results):
    """{action: {changed, msg, status}} from the strategy roles' registered results."""
    out = {}
    for action, res in (results or {}).items():
        if not isinstance(res, dict) or res.get("skipped"):
            continue
        out[action] = {"changed": bool(res.get("changed")), "failed": bool(res.get("failed")),
                       "msg": str(res.get("msg") or ""), "status": res.get("status")}
    return out


def host_row(name, plan, before, after, check_mode, results=None):
    """One host's line of the report.

    ``results`` maps a planned action (offload, drop, kernel) to the result the strategy role
    registered (``kcrash_offload_result``, ...), when it ran.
    """
    row = {
        "host": name,
        "strategy": None,
        "actions": [],
        "status": None,
        "level_before": _level(before),
        "level_after": _level(after),
        "crashed_before": False,
        "plan_reasons": [],
        "reasons_before": _reasons(before),
        "reasons_after": _reasons(after),
        "recommended": [],
        "results": _results(results),
    }
    if isinstance(before, dict) and isinstance(before.get("exposure"), dict):
        row["recommended"] = [str(r) for r in before["exposure"].get("recommended") or []]
    if not isinstance(plan, dict) or before is None:
        row["outcome"] = "not_detected"
        row["plan_reasons"] = ["no detection result: host unreachable or detection failed"]
        return row
    row["strategy"] = plan.get("strategy")
    row["actions"] = list(plan.get("actions") or [])
    row["status"] = plan.get("status")
    row["crashed_before"] = bool(plan.get("crashed_before"))
    row["plan_reasons"] = [str(r) for r in plan.get("reasons") or []]
    status = plan.get("status")
    if not row["actions"]:
        row["outcome"] = {"blocked": "blocked", "report_only": "report_only",
                          "unknown": "unknown"}.get(status, "compliant")
        if row["level_after"] is None:
            row["level_after"] = row["level_before"]
        return row
    res = row["results"]
    kernel = res.get("kernel") or {}
    if res and all(a in res for a in row["actions"]) and not any(r["changed"] for r in res.values()) \
            and not any(r["failed"] for r in res.values()):
        # every planned strategy ran and had nothing to change
        refused = kernel.get("status") in KERNEL_REFUSED and row["actions"] == ["kernel"]
        row["outcome"] = "blocked" if refused else "unchanged"
        if row["level_after"] is None and check_mode:
            row["level_after"] = row["level_before"]
        return row
    if check_mode:
        row["outcome"] = "drift"
        return row
    if row["level_after"] is None:
        row["outcome"] = "apply_failed"
    elif row["level_after"] == "exposed" and set(row["actions"]) & set(("offload", "drop")):
        row["outcome"] = "still_exposed"
    elif row["level_after"] == "not_exposed":
        row["outcome"] = "remediated"
    else:
        row["outcome"] = "pending"
    return row


def build(hosts, check_mode, generated=None, strategy_default=None):
    """Report dict from ``hosts`` = {name: {plan, before, after}}."""
    if not isinstance(hosts, dict):
        raise KcrashInputError("hosts", "must be a mapping of host name to plan/before/after")
    rows = []
    for name in sorted(hosts):
        h = hosts[name] or {}
        rows.append(host_row(name, h.get("plan"), h.get("before"), h.get("after"), check_mode,
                             h.get("results")))
    order = dict((o, i) for i, o in enumerate(OUTCOMES))
    rows.sort(key=lambda r: (order.get(r["outcome"], len(order)), r["host"]))
    counts = dict((o, 0) for o in OUTCOMES)
    for r in rows:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    before = {}
    after = {}
    for r in rows:
        if r["level_before"]:
            before[r["level_before"]] = before.get(r["level_before"], 0) + 1
        if r["level_after"]:
            after[r["level_after"]] = after.get(r["level_after"], 0) + 1
    return {
        "report": "kcrash.nfqueue remediation",
        "mode": "check" if check_mode else "apply",
        "generated": generated,
        "hosts_total": len(rows),
        "drift": counts["drift"] if check_mode else None,
        "outcomes": dict((k, v) for k, v in counts.items() if v),
        "levels_before": before,
        "levels_after": after,
        "hosts": rows,
    }


def to_json(report):
    return json_text(report)


def _csv_row(r):
    return [
        r["host"], r["outcome"], r["strategy"] or "", " + ".join(r["actions"]),
        r["level_before"] or "", r["level_after"] or "",
        "yes" if r["crashed_before"] else "no",
        " | ".join("%s: %s" % (a, v["msg"]) for a, v in sorted(r["results"].items())),
        " | ".join(r["plan_reasons"] + r["reasons_before"]),
    ]


def to_csv(report):
    return csv_text(CSV_COLUMNS, [_csv_row(r) for r in report["hosts"]])


_CSS = (
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #ccc;padding:.35em .5em;text-align:left;vertical-align:top}"
    "th{background:#eee;cursor:pointer;user-select:none}"
    "td ul{margin:0;padding-left:1.1em}"
    ".o-still_exposed,.o-not_detected,.o-apply_failed{background:#fbd5d5}"
    ".o-blocked,.o-drift,.o-report_only{background:#fde9c4}"
    ".o-unknown,.o-pending{background:#f3f3c8}"
    ".o-remediated,.o-compliant{background:#d9f2d9}"
    ".counts span{display:inline-block;margin:0 1em .5em 0;padding:.2em .5em;border:1px solid #ccc}"
)

_JS = (
    "document.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',"
    "function(){var tb=th.closest('table').tBodies[0];var rows=Array.from(tb.rows);"
    "var asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';rows.sort(function(a,b){"
    "var x=a.cells[i].dataset.k||a.cells[i].textContent,y=b.cells[i].dataset.k||b.cells[i].textContent;"
    "return asc?x.localeCompare(y,undefined,{numeric:true}):y.localeCompare(x,undefined,{numeric:true});});"
    "rows.forEach(function(r){tb.appendChild(r);});});});"
)


def to_html(report):
    """A self-contained page: counts, then a sortable table, one row per host."""
    order = dict((o, i) for i, o in enumerate(OUTCOMES))
    title = "kcrash.nfqueue remediation report (%s)" % report["mode"]
    out = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\">",
           "<title>%s</title><style>%s</style></head><body>" % (escape(title), _CSS),
           "<h1>%s</h1>" % escape(title)]
    if report.get("generated"):
        out.append("<p>Generated %s. %d host(s).</p>" % (escape(report["generated"]), report["hosts_total"]))
    else:
        out.append("<p>%d host(s).</p>" % report["hosts_total"])
    if report["mode"] == "check":
        out.append("<p><strong>Drift: %d host(s)</strong> differ from the remediated state "
                   "(check mode: nothing was changed).</p>" % (report["drift"] or 0))
    out.append("<div class=\"counts\">%s</div>" % "".join(
        "<span class=\"o-%s\">%s: %d</span>" % (escape(k), escape(k), v)
        for k, v in sorted(report["outcomes"].items(), key=lambda kv: order.get(kv[0], 99))))
    out.append("<table><thead><tr>%s</tr></thead><tbody>" % "".join(
        "<th>%s</th>" % h for h in ("host", "outcome", "strategy", "actions", "before", "after",
                                    "crashed before", "why", "evidence before", "after detail")))
    for r in report["hosts"]:
        out.append(
            "<tr class=\"o-%s\"><td>%s</td><td data-k=\"%02d\">%s</td><td>%s</td><td>%s</td>"
            "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                escape(r["outcome"]), escape(r["host"]), order.get(r["outcome"], 99), escape(r["outcome"]),
                escape(r["strategy"] or ""), escape(" + ".join(r["actions"])), escape(r["level_before"] or ""),
                escape(r["level_after"] or ("(check mode)" if report["mode"] == "check" else "")),
                "yes" if r["crashed_before"] else "no",
                html_list(r["plan_reasons"] + ["%s: %s" % (a, v["msg"]) for a, v in sorted(r["results"].items())]),
                html_list(r["reasons_before"] + r["recommended"]), html_list(r["reasons_after"])))
    out.append("</tbody></table><script>%s</script></body></html>" % _JS)
    return "\n".join(out) + "\n"
