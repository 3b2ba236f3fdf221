# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet report: per-host rows from exposure_facts results, rendered as JSON, CSV and one
self-contained HTML page (sortable table, counts per verdict, reasons and evidence per
host, unreachable and failed hosts listed as such), plus a short text summary.

Pure renderers: text in, text out. The playbook's controller-side step writes the files.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.report_format import (
    csv_text, escape, html_list, json_text)

STATUSES = ("exposed", "at_risk", "unknown", "not_exposed", "failed", "unreachable", "not_run")
ORDER = dict((s, i) for i, s in enumerate(STATUSES))

CSV_COLUMNS = ("host", "status", "level", "flagged", "kernel", "family", "code_vulnerable",
               "nfqueue_rules", "saved_nfqueue_rules", "lro_interfaces", "legs", "reasons",
               "recommended", "message")


def _facts_of(result):
    if not isinstance(result, dict):
        return None
    f = result.get("kcrash_nfqueue")
    if isinstance(f, dict):
        return f
    af = result.get("ansible_facts")
    if isinstance(af, dict) and isinstance(af.get("kcrash_nfqueue"), dict):
        return af["kcrash_nfqueue"]
    return None


def host_row(host, result):
    """One report row from a registered ``exposure_facts`` result (or None: not run)."""
    row = {
        "host": str(host), "status": "not_run", "level": None, "flagged": False, "kernel": None,
        "family": None, "code_vulnerable": None, "nfqueue_rules": 0, "saved_nfqueue_rules": 0,
        "lro_interfaces": [], "legs": {}, "reasons": [], "recommended": [], "evidence": [],
        "rules": [], "message": None, "missing_tools": [], "errors": [],
    }
    if not isinstance(result, dict):
        row["message"] = "detection did not run on this host"
        return row
    if result.get("unreachable"):
        row["status"] = "unreachable"
        row["message"] = str(result.get("msg") or "host unreachable")[:500]
        return row
    facts = _facts_of(result)
    if result.get("failed") or facts is None:
        row["status"] = "failed"
        row["message"] = str(result.get("msg") or "detection failed")[:1000]
        return row
    exp = facts.get("exposure") or {}
    k = facts.get("kernel") or {}
    row.update({
        "status": exp.get("level") or "unknown",
        "level": exp.get("level") or "unknown",
        "flagged": bool(exp.get("flagged")),
        "kernel": k.get("release"),
        "family": k.get("family"),
        "code_vulnerable": k.get("code_vulnerable"),
        "nfqueue_rules": len(facts.get("nfqueue_rules") or []),
        "saved_nfqueue_rules": len(facts.get("saved_nfqueue_rules") or []),
        "lro_interfaces": list(exp.get("interfaces") or []),
        "legs": dict(exp.get("legs") or {}),
        "reasons": [r for r in exp.get("reasons") or [] if not str(r).startswith("crash:")],
        "evidence": [r for r in exp.get("reasons") or [] if str(r).startswith("crash:")]
        + ["kernel evidence: %s%s" % (e.get("source"), "" if e.get("confirmed") else " (unconfirmed)")
           for e in k.get("evidence") or [] if isinstance(e, dict)],
        "recommended": list(exp.get("recommended") or []),
        "rules": list(exp.get("rules") or []),
        "missing_tools": list((facts.get("probe") or {}).get("missing_tools") or []),
        "errors": ["%s: %s" % (e.get("item"), e.get("message")) for e in (facts.get("probe") or {}).get("errors") or []
                   if isinstance(e, dict)],
    })
    if row["status"] not in ORDER:
        row["status"] = "unknown"
    return row


def build_report(results, generated=None, title="kcrash.nfqueue fleet exposure report"):
    """``results``: {host: registered result or None} -> report dict."""
    rows = [host_row(h, r) for h, r in sorted((results or {}).items(), key=lambda x: str(x[0]))]
    rows.sort(key=lambda r: (ORDER.get(r["status"], 99), r["host"]))
    counts = dict((s, 0) for s in STATUSES)
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {
        "title": title,
        "generated": generated,
        "total": len(rows),
        "counts": counts,
        "flagged": [r["host"] for r in rows if r["flagged"]],
        "hosts": rows,
    }


def render_json(report):
    return json_text(report)


def _csv_row(r):
    return [
        r["host"], r["status"], r["level"] or "", "yes" if r["flagged"] else "no", r["kernel"] or "",
        r["family"] or "", "" if r["code_vulnerable"] is None else str(r["code_vulnerable"]).lower(),
        r["nfqueue_rules"], r["saved_nfqueue_rules"], " ".join(r["lro_interfaces"]),
        " ".join("%s=%s" % kv for kv in sorted(r["legs"].items())),
        " | ".join(r["reasons"] + r["evidence"]), " | ".join(r["recommended"]), r["message"] or "",
    ]


def render_csv(report):
    return csv_text(CSV_COLUMNS, [_csv_row(r) for r in report.get("hosts") or []])


def summary_lines(report):
    c = report.get("counts") or {}
    lines = ["%d hosts: %s" % (report.get("total", 0), ", ".join(
        "%s %d" % (s, c.get(s, 0)) for s in STATUSES if c.get(s) or s in ("exposed", "at_risk", "not_exposed")))]
    for r in report.get("hosts") or []:
        if r["status"] in ("exposed", "at_risk", "unknown"):
            lead = next((x for x in r["reasons"] if x.startswith("lro:") or x.startswith("rules:")), "")
            lines.append("%s: %s%s%s" % (r["host"], r["status"], " (crashed before)" if r["flagged"] else "",
                                         " - " + lead if lead else ""))
        elif r["status"] in ("failed", "unreachable"):
            lines.append("%s: %s - %s" % (r["host"], r["status"], (r["message"] or "")[:200]))
        elif r["flagged"]:
            lines.append("%s: %s but crashed this way before" % (r["host"], r["status"]))
    return lines


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}.counts span{display:inline-block;margin:0 .6em .6em 0;padding:.3em .7em;border-radius:4px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.35em .5em;vertical-align:top;text-align:left}
th{background:#f0f0f0;cursor:pointer;user-select:none}th:after{content:" \\2195";color:#999}
.exposed{background:#f8d0d0}.at_risk{background:#fbe3c0}.unknown{background:#eee}.not_exposed{background:#d6f0d6}
.failed{background:#e8d0f0}.unreachable{background:#d8d8f0}.not_run{background:#fafafa}
details{margin:.2em 0}ul{margin:.2em 0 .2em 1.2em;padding:0}small{color:#555}
"""

_JS = """
document.querySelectorAll('th').forEach(function(th, i){th.addEventListener('click', function(){
 var tb=th.closest('table').tBodies[0], rows=Array.prototype.slice.call(tb.rows), asc=th.dataset.asc!=='1';
 th.dataset.asc=asc?'1':'0';
 rows.sort(function(a,b){var x=a.cells[i].dataset.key||a.cells[i].textContent, y=b.cells[i].dataset.key||b.cells[i].textContent;
  var nx=parseFloat(x), ny=parseFloat(y); if(!isNaN(nx)&&!isNaN(ny)){return asc?nx-ny:ny-nx;}
  return asc?x.localeCompare(y):y.localeCompare(x);});
 rows.forEach(function(r){tb.appendChild(r);});});});
"""


def render_html(report):
    c = report.get("counts") or {}
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<title>%s</title><style>%s</style></head><body>" % (escape(report.get("title")), _CSS),
        "<h1>%s</h1>" % escape(report.get("title")),
        "<p><small>generated %s; %d hosts</small></p>" % (escape(report.get("generated") or "-"), report.get("total", 0)),
        "<div class=\"counts\">%s</div>" % "".join(
            "<span class=\"%s\" data-count=\"%s\">%s: <b>%d</b></span>" % (s, s, s.replace("_", " "), c.get(s, 0))
            for s in STATUSES if c.get(s) or s in ("exposed", "at_risk", "not_exposed", "unknown")),
    ]
    if report.get("flagged"):
        parts.append("<p><b>Crashed this way before:</b> %s</p>" % escape(", ".join(report["flagged"])))
    parts.append("<table id=\"hosts\"><thead><tr><th>host</th><th>verdict</th><th>crashed before</th><th>kernel</th>"
                 "<th>NFQUEUE rules (live/saved)</th><th>LRO on</th><th>reasons and evidence</th>"
                 "<th>recommended</th></tr></thead><tbody>")
    for r in report.get("hosts") or []:
        detail = html_list(r["reasons"])
        if r["evidence"]:
            detail += "<details><summary>evidence (%d)</summary>%s</details>" % (len(r["evidence"]), html_list(r["evidence"]))
        if r["rules"]:
            detail += "<details><summary>rules (%d)</summary>%s</details>" % (len(r["rules"]), html_list(r["rules"]))
        extra = r["errors"] + (["missing tools: " + ", ".join(r["missing_tools"])] if r["missing_tools"] else [])
        if extra:
            detail += "<details><summary>probe notes</summary>%s</details>" % html_list(extra)
        if r["message"]:
            detail += "<p>%s</p>" % escape(r["message"])
        parts.append(
            "<tr class=\"%s\" data-host=\"%s\"><td>%s</td><td data-key=\"%d\">%s</td><td>%s</td><td>%s<br><small>%s%s</small></td>"
            "<td data-key=\"%d\">%d / %d</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                escape(r["status"]), escape(r["host"]), escape(r["host"]), ORDER.get(r["status"], 99), escape(r["status"].replace("_", " ")),
                "yes" if r["flagged"] else "no", escape(r["kernel"] or "-"), escape(r["family"] or ""),
                "" if r["code_vulnerable"] is None else (", code vulnerable" if r["code_vulnerable"] else ", has the fix"),
                r["nfqueue_rules"], r["nfqueue_rules"], r["saved_nfqueue_rules"], escape(" ".join(r["lro_interfaces"])),
                detail, html_list(r["recommended"])))
    parts.append("</tbody></table><script>%s</script></body></html>\n" % _JS)
    return "".join(parts)
