# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Renderers of a schema-v1 fleet report (``report_record``) that both reports share: the
self-contained HTML page and the flat CSV files.

The page needs nothing from outside (inline CSS, inline SVG charts, inline script): it works
offline and from an AWX artifact store. At the top, counts per verdict, outcome and action
with a bar chart; the legend of every value; the run metadata; filters (verdict, outcome,
strategy, changed, status, kernel, free text) over a sortable table, one row per host, whose
detail (results, diff summary, backups, rollback command, reboots, errors) folds out; identical
evidence is shown once per group with the group's host list.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.kcrash.nfqueue.plugins.module_utils import report_record as record
from ansible_collections.kcrash.nfqueue.plugins.module_utils.report_format import csv_text, escape, html_list

# ------------------------------------------------------------------ CSV

HOST_COLUMNS = (
    "host", "status", "error", "answered_at", "verdict", "verdict_after", "after_source", "outcome", "strategy",
    "action_offload", "action_drop", "action_kernel", "changed", "crashed_before", "kernel_release",
    "kernel_family", "kernel_code_vulnerable", "leg_kernel", "leg_rules", "leg_lro", "nfqueue_rules_live",
    "nfqueue_rules_saved", "nics", "lro_on_nics", "crash_evidence", "reason_kernel", "reason_rules",
    "reason_lro", "reason_crash", "failed_actions", "backups", "rollback_offload", "rollback_drop",
    "reboot_pending", "reboot_scheduled_at",
)
RULE_COLUMNS = ("host", "verdict", "source", "family", "backend", "table", "chain", "position", "file", "line",
                "rule")


def _yn(value):
    return "" if value is None else ("yes" if value else "no")


def _first_code(reasons, leg):
    return next((r["code"] for r in reasons if r["leg"] == leg), "")


def _host_csv_row(h):
    k = h["kernel"] or {}
    legs = h["legs"] or {}
    res = dict((r["action"], r) for r in h["results"])
    reboot = (res.get("kernel") or {}).get("reboot") or {}
    return [
        h["host"], h["status"], h["error"] or "", h["answered_at"] or "", h["verdict"] or "",
        h["verdict_after"] or "", h["after_source"], h["outcome"] or "", h["strategy"] or "",
        _yn("offload" in h["actions"]), _yn("drop" in h["actions"]), _yn("kernel" in h["actions"]),
        _yn(h["changed"]), _yn(h["crashed_before"]), k.get("release") or "", k.get("family") or "",
        _yn(k.get("code_vulnerable")), legs.get("kernel", ""), legs.get("rules", ""), legs.get("lro", ""),
        sum(1 for r in h["nfqueue_rules"] if r["source"] == "live"),
        sum(1 for r in h["nfqueue_rules"] if r["source"] == "saved"),
        len(h["nics"]), sum(1 for n in h["nics"] if n["lro"] == "on"), len(h["crash_evidence"]),
        _first_code(h["reasons"], "kernel"), _first_code(h["reasons"], "rules"), _first_code(h["reasons"], "lro"),
        _first_code(h["reasons"], "crash"), sum(1 for r in h["results"] if r["failed"]),
        sum(len(r["backups"]) for r in h["results"]),
        (res.get("offload") or {}).get("rollback_command") or "", (res.get("drop") or {}).get("rollback_command") or "",
        _yn(reboot.get("pending")) if reboot else "", reboot.get("scheduled_at") or "",
    ]


def hosts_csv(report):
    """One row per host, one value per column."""
    return csv_text(HOST_COLUMNS, [_host_csv_row(h) for h in report["hosts"]])


def rules_csv(report):
    """One row per NFQUEUE rule (live or saved) per host."""
    rows = []
    for h in report["hosts"]:
        for r in h["nfqueue_rules"]:
            rows.append([h["host"], h["verdict"] or "", r["source"], r["family"] or "", r["backend"] or "",
                         r["table"] or "", r["chain"] or "", "" if r["position"] is None else r["position"],
                         r["file"] or "", "" if r["line"] is None else r["line"], r["rule"]])
    return csv_text(RULE_COLUMNS, rows)


# ------------------------------------------------------------------ HTML

VERDICT_COLORS = {"exposed": "#d73027", "at_risk": "#fc8d59", "unknown": "#999999", "not_exposed": "#1a9850"}
OUTCOME_COLORS = {
    "still_exposed": "#b2182b", "not_detected": "#7b3294", "apply_failed": "#d6604d", "blocked": "#f4a582",
    "unchanged": "#bababa", "drift": "#fdb863", "report_only": "#fee090", "unknown": "#999999",
    "remediated": "#1b7837", "pending": "#80cdc1", "compliant": "#a6dba0",
}
STATUS_COLORS = {"ok": "#4575b4", "unreachable": "#542788", "failed": "#c51b7d", "not_run": "#cccccc"}
ACTION_COLORS = {"offload": "#2166ac", "drop": "#b35806", "kernel": "#762a83", "none": "#cccccc"}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:1.2em;color:#222;font-size:14px}
h1{font-size:1.35em;margin:.2em 0}h2{font-size:1.1em;margin:1em 0 .4em}
.meta dt{font-weight:600;float:left;clear:left;width:12em}.meta dd{margin:0 0 .15em 12.5em}
.charts{display:flex;flex-wrap:wrap;gap:1.2em}.chart{min-width:15em}.chart h3{font-size:.95em;margin:.2em 0}
.legend dl{columns:2;column-gap:2em}.legend dt{font-weight:600}.legend dd{margin:0 0 .4em 1em;break-before:avoid}
.filters{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ccc;z-index:2}
.filters label{margin-right:.8em;white-space:nowrap}.filters input[type=search]{width:16em}
table{border-collapse:collapse;width:100%}#hosts{table-layout:fixed}td{overflow-wrap:break-word}
th,td{border:1px solid #ddd;padding:.3em .45em;vertical-align:top;text-align:left}
th{background:#f0f0f0;cursor:pointer;user-select:none;position:sticky;top:3.2em}th:after{content:" \\2195";color:#999}
th[aria-sort=ascending]:after{content:" \\25B2"}th[aria-sort=descending]:after{content:" \\25BC"}
.tag{display:inline-block;padding:0 .4em;border-radius:3px;color:#fff;font-weight:600}
.v-exposed{background:#d73027}.v-at_risk{background:#fc8d59}.v-unknown{background:#999}.v-not_exposed{background:#1a9850}
.o-remediated{background:#1b7837}.o-compliant{background:#a6dba0;color:#222}.o-drift,.o-report_only,.o-blocked{background:#f1a340;color:#222}
.o-still_exposed,.o-apply_failed{background:#b2182b}.o-not_detected{background:#7b3294}.o-pending{background:#80cdc1;color:#222}
.o-unchanged,.o-unknown{background:#bababa;color:#222}
.s-unreachable{background:#542788}.s-failed{background:#c51b7d}.s-not_run{background:#ccc;color:#222}.s-ok{background:#4575b4}
tr.problem td:first-child{border-left:4px solid #c51b7d}code{font-size:.9em;word-break:break-all}
details>summary{cursor:pointer}small{color:#555}ul{margin:.2em 0 .2em 1.2em;padding:0}.err{color:#a50026}
.group{border:1px solid #ddd;margin:.4em 0;padding:.3em .6em}.hosts-list{max-height:8em;overflow:auto;font-size:.9em}
"""

# Filters and sort over the server-rendered rows: each row carries its filter keys as data-*
# attributes; the text searched is read once (lower case) and cached. Rows are hidden, never
# rebuilt; a sort re-appends the rows in one DocumentFragment.
_JS = """
(function(){
var tb=document.getElementById('hosts').tBodies[0],rows=Array.prototype.slice.call(tb.rows);
var sel=['verdict','outcome','strategy','changed','status','kernel'],f={},text=null,shown=document.getElementById('shown');
sel.forEach(function(k){f[k]=document.getElementById('f-'+k);if(f[k]){f[k].addEventListener('change',apply);}});
var q=document.getElementById('f-search');var timer=null;
q.addEventListener('input',function(){clearTimeout(timer);timer=setTimeout(apply,120);});
function want(r,k){var el=f[k];if(!el||!el.value){return true;}var v=r.getAttribute('data-'+k)||'';
 if(k==='status'&&el.value==='problem'){return v==='unreachable'||v==='failed';}return v===el.value;}
function apply(){var s=q.value.trim().toLowerCase(),n=0;
 if(s&&text===null){text=rows.map(function(r){return (r.getAttribute('data-search')+' '+r.textContent).toLowerCase();});}
 for(var i=0;i<rows.length;i++){var r=rows[i],ok=true;
  for(var j=0;j<sel.length&&ok;j++){ok=want(r,sel[j]);}
  if(ok&&s){ok=text[i].indexOf(s)>=0;}
  r.hidden=!ok;if(ok){n++;}}
 shown.textContent=n;}
var ths=document.querySelectorAll('#hosts thead th');
Array.prototype.forEach.call(ths,function(th,i){th.addEventListener('click',function(){
 var asc=th.getAttribute('aria-sort')!=='ascending';
 Array.prototype.forEach.call(ths,function(o){o.removeAttribute('aria-sort');});
 th.setAttribute('aria-sort',asc?'ascending':'descending');
 var keyed=rows.map(function(r,ix){var c=r.cells[i];var k=c.getAttribute('data-k');return [k!==null?k:c.textContent,ix,r];});
 var num=keyed.every(function(x){return x[0]===''||!isNaN(parseFloat(x[0]));});
 keyed.sort(function(a,b){var d=num?(parseFloat(a[0]||0)-parseFloat(b[0]||0)):(a[0]<b[0]?-1:a[0]>b[0]?1:0);
  if(d===0){d=a[1]-b[1];}return asc?d:-d;});
 var frag=document.createDocumentFragment();rows=keyed.map(function(x){frag.appendChild(x[2]);return x[2];});
 tb.appendChild(frag);text=null;});});
var details=null;
tb.addEventListener('toggle',function(e){var d=e.target,i=d.getAttribute&&d.getAttribute('data-detail');
 if(i===null||i===undefined||!d.open||d.getAttribute('data-filled')){return;}
 if(details===null){details=JSON.parse(document.getElementById('details').textContent);}
 d.insertAdjacentHTML('beforeend',details[+i]);d.setAttribute('data-filled','1');},true);
apply();
document.body.setAttribute('data-ready','1');
window.kcrashReportReady=(window.performance&&performance.now)?performance.now():0;
})();
"""


def _bar_chart(title, counts, order, colors, width=260):
    """A horizontal bar chart as inline SVG (one bar per value that occurs)."""
    items = [(k, counts.get(k, 0)) for k in order if counts.get(k)] + \
        [(k, v) for k, v in sorted(counts.items()) if k not in order and v]
    if not items:
        return ""
    top = max(v for _k, v in items)
    row_h, label_w = 18, 95
    bar_w = width - label_w - 45
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="%s">' % (
        width, row_h * len(items) + 4, escape(title))]
    for i, (k, v) in enumerate(items):
        y = i * row_h + 2
        w = max(1, int(round(bar_w * v / float(top))))
        parts.append('<text x="%d" y="%d" font-size="11" text-anchor="end">%s</text>' % (label_w - 4, y + 12, escape(k)))
        parts.append('<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s: %d</title></rect>' % (
            label_w, y, w, row_h - 4, colors.get(k, "#888"), escape(k), v))
        parts.append('<text x="%d" y="%d" font-size="11">%d</text>' % (label_w + w + 4, y + 12, v))
    parts.append("</svg>")
    return '<div class="chart" data-chart="%s"><h3>%s</h3>%s</div>' % (escape(title), escape(title), "".join(parts))


def _options(name, label, values, extra=()):
    opts = ['<option value="">all</option>'] + ['<option value="%s">%s</option>' % (escape(v), escape(t))
                                                for v, t in extra]
    opts += ['<option value="%s">%s</option>' % (escape(v), escape(v)) for v in values]
    return '<label>%s <select id="f-%s">%s</select></label>' % (escape(label), name, "".join(opts))


def _meta(report):
    r = report["run"]
    awx = r.get("awx") or {}
    items = [
        ("mode", report["mode"]), ("generated", report["generated"]), ("run started", r.get("started")),
        ("run finished", r.get("finished") or ("(run did not finish: interim report)" if not report["complete"]
                                               else None)),
        ("collection version", r.get("collection_version")), ("ansible-core", r.get("ansible_version")),
        ("play", r.get("playbook")), ("check mode", _yn(r.get("check_mode"))), ("limit", r.get("limit")),
        ("inventory", ", ".join(r.get("inventory_sources") or [])), ("strategy", r.get("strategy")),
        ("run variables", ", ".join("%s=%s" % (k, v if isinstance(v, str) else json.dumps(v, sort_keys=True))
                                    for k, v in sorted((r.get("variables") or {}).items()))),
        ("schema", report["schema"]),
    ]
    out = ["<dl class=\"meta\">"]
    for k, v in items:
        if v not in (None, ""):
            out.append("<dt>%s</dt><dd>%s</dd>" % (escape(k), escape(v)))
    if awx:
        job = escape(awx.get("job_id"))
        if awx.get("job_url"):
            # a link to the AWX job (the only href: nothing is fetched from it)
            job = '<a href="%s">%s</a>' % (escape(awx["job_url"]), job)
        keys = ("template_name", "launch_type", "user", "inventory_name", "project_revision", "workflow_job_id")
        out.append("<dt>AWX job</dt><dd>%s %s</dd>" % (job, escape(" ".join(
            "%s %s" % (k.replace("_", " "), awx[k]) for k in keys if awx.get(k)))))
    out.append("</dl>")
    return "".join(out)


def _legend(report):
    out = ['<details class="legend" id="legend"><summary>Legend: what every verdict, outcome, action and '
           'status means</summary>']
    for section in ("verdict", "outcome", "action", "status", "after_source"):
        values = report["legend"].get(section) or {}
        if section == "outcome" and report["kind"] != "remediate":
            continue
        out.append("<h3>%s</h3><dl>%s</dl>" % (escape(section.replace("_", " ")), "".join(
            '<dt data-legend="%s">%s</dt><dd>%s</dd>' % (escape(k), escape(k), escape(v)) for k, v in values.items())))
    out.append("</details>")
    return "".join(out)


def evidence_key(h):
    """Hosts with the same key show the same evidence (reason texts, crash evidence, and the
    recommendations that follow from them)."""
    return (tuple(r["text"] for r in h["reasons"]), tuple(h["recommended"]),
            tuple((c["kind"], c["path"], c["signature"], c["text"]) for c in h["crash_evidence"]))


def evidence_groups(hosts):
    """[(key, [host records])] in the order the groups first occur."""
    groups, order = {}, []
    for h in hosts:
        if h["status"] != "ok":
            continue
        k = evidence_key(h)
        if k not in groups:
            groups[k] = []
            order.append(k)
        groups[k].append(h)
    return [(k, groups[k]) for k in order]


def _row_detail(h):
    bits = []
    if h["error"]:
        bits.append('<p class="err">%s</p>' % escape(h["error"]))
    for r in h["results"]:
        line = "<b>%s</b>%s%s: %s" % (escape(r["action"]), " (changed)" if r["changed"] else "",
                                      " <span class=\"err\">(failed)</span>" if r["failed"] else "", escape(r["msg"]))
        sub = []
        if r["diff_summary"]:
            sub.append("changes:" + html_list(r["diff_summary"]))
        if r["backups"]:
            sub.append("backup: %s" % ", ".join("<code>%s</code>" % escape(b) for b in r["backups"]))
        if r["rollback_command"]:
            sub.append("rollback: <code class=\"rollback\">%s</code>" % escape(r["rollback_command"]))
        if r["reboot"]:
            rb = r["reboot"]
            sub.append("reboot: %s" % escape("scheduled at %s" % rb["scheduled_at"] if rb.get("scheduled_at")
                                             else ("rebooted" if rb.get("rebooted") else
                                                   ("pending" if rb.get("pending") else "none"))))
        bits.append("<div>%s%s</div>" % (line, "".join("<div>%s</div>" % s for s in sub)))
    if h["plan_reasons"]:
        bits.append("plan:" + html_list(h["plan_reasons"]))
    if h["recommended"] and h["status"] != "ok":
        bits.append("recommended:" + html_list(h["recommended"]))
    if h["reasons_after"]:
        bits.append("after:" + html_list([r["text"] for r in h["reasons_after"]]))
    if h["probe_notes"]:
        bits.append("probe notes:" + html_list(h["probe_notes"]))
    return "".join(bits)


def _detail_cell(h, details):
    html = _row_detail(h)
    if not html:
        return ""
    details.append(html)
    return '<details data-detail="%d"><summary>detail</summary></details>' % (len(details) - 1)


def _tag(prefix, value):
    if not value:
        return ""
    return '<span class="tag %s-%s">%s</span>' % (prefix, escape(value), escape(value.replace("_", " ")))


def _host_row(h, group_of, remediate, details):
    """One table row; its detail HTML goes to ``details`` (filled in when the row is opened)."""
    k = h["kernel"] or {}
    live = sum(1 for r in h["nfqueue_rules"] if r["source"] == "live")
    saved = len(h["nfqueue_rules"]) - live
    lro_on = [n["name"] for n in h["nics"] if n["lro"] == "on"]
    group = group_of.get(h["host"])
    cells = [
        '<td>%s</td>' % escape(h["host"]),
        '<td data-k="%d">%s</td>' % (record.STATUSES.index(h["status"]), _tag("s", h["status"])),
        '<td data-k="%d">%s%s</td>' % (record.LEVELS.index(h["verdict"]) if h["verdict"] in record.LEVELS else 9,
                                       _tag("v", h["verdict"]), " <b title=\"crashed this way before\">!</b>"
                                       if h["crashed_before"] else ""),
    ]
    if remediate:
        cells += [
            '<td>%s <small>%s</small></td>' % (_tag("v", h["verdict_after"]), escape(h["after_source"].replace("_", " "))),
            '<td>%s</td>' % _tag("o", h["outcome"]),
            '<td>%s<br><small>%s</small></td>' % (escape(h["strategy"] or ""), escape(" + ".join(h["actions"]) or "none")),
            '<td>%s</td>' % _yn(h["changed"]),
        ]
    cells += [
        '<td>%s<br><small>%s</small></td>' % (escape(k.get("release") or "-"), escape(k.get("family") or "")),
        '<td data-k="%d">%d / %d</td>' % (live * 1000 + saved, live, saved),
        '<td>%s</td>' % escape(" ".join(lro_on)),
        '<td data-k="%d">%s</td>' % (group or 0, ('<a href="#ev-%d">group %d</a>' % (group, group)) if group else ""),
        '<td>%s</td>' % _detail_cell(h, details),
    ]
    # what the free-text search sees beyond the row's text: reason codes, NICs, rule places
    search = " ".join([h["host"], h["error"] or ""] + [r["code"] for r in h["reasons"]] + [n["name"] for n in h["nics"]]
                      + ["%s %s" % (r["table"], r["chain"]) for r in h["nfqueue_rules"]])
    return ('<tr class="%s" data-host="%s" data-verdict="%s" data-outcome="%s" data-strategy="%s" data-changed="%s" '
            'data-status="%s" data-kernel="%s" data-search="%s">%s</tr>' % (
                "problem" if h["status"] in ("unreachable", "failed") or h["error"] else "",
                escape(h["host"]), escape(h["verdict"] or ""), escape(h["outcome"] or ""), escape(h["strategy"] or ""),
                "yes" if h["changed"] else "no", escape(h["status"]), escape(k.get("release") or ""),
                escape(search[:400]), "".join(cells)))


def _groups_html(groups):
    out = ['<h2>Evidence, once per group of hosts with the same evidence</h2>']
    for i, (_key, hosts) in enumerate(groups, 1):
        h0 = hosts[0]
        verdicts = sorted(set(h["verdict"] or "" for h in hosts))
        crash = ["%s %s %s" % (c["kind"], c["path"] or "", c["signature"] or c["text"] or "") for c in h0["crash_evidence"]]
        out.append(
            '<details class="group" id="ev-%d" data-hosts="%d"><summary>group %d: %d host(s), %s</summary>'
            '<div class="hosts-list">%s</div>%s%s' % (
                i, len(hosts), i, len(hosts), escape(", ".join(verdicts)),
                escape(", ".join(h["host"] for h in hosts)),
                html_list(["[%s] %s" % (r["code"], r["text"]) for r in h0["reasons"]]),
                ("crash evidence:" + html_list(crash)) if crash else "")
            + ("recommended:" + html_list(h0["recommended"]) if h0["recommended"] else "") + "</details>")
    return "".join(out)


def html(report):
    """The whole page (self-contained)."""
    hosts = report["hosts"]
    remediate = report["kind"] == "remediate"
    c = report["counts"]
    groups = evidence_groups(hosts)
    group_of = {}
    for i, (_k, members) in enumerate(groups, 1):
        for h in members:
            group_of[h["host"]] = i
    charts = [_bar_chart("verdict before" if remediate else "verdict", c["verdict"], record.LEVELS, VERDICT_COLORS)]
    if remediate:
        charts.append(_bar_chart("outcome", c["outcome"], tuple(OUTCOME_COLORS), OUTCOME_COLORS))
        charts.append(_bar_chart("verdict after", c["verdict_after"], record.LEVELS, VERDICT_COLORS))
    charts.append(_bar_chart("action", c["action"], record.ACTIONS + ("none",), ACTION_COLORS))
    charts.append(_bar_chart("detection status", c["status"], record.STATUSES, STATUS_COLORS))
    kernels = sorted(set((h["kernel"] or {}).get("release") or "" for h in hosts) - set([""]))
    strategies = sorted(set(h["strategy"] or "" for h in hosts) - set([""]))
    filters = [_options("verdict", "verdict", [v for v in record.LEVELS if c["verdict"].get(v)])]
    if remediate:
        filters.append(_options("outcome", "outcome", [o for o in OUTCOME_COLORS if c["outcome"].get(o)]))
        filters.append(_options("strategy", "strategy", strategies))
        filters.append(_options("changed", "changed", ["yes", "no"]))
    filters.append(_options("status", "reachability", list(record.STATUSES),
                            extra=[("problem", "unreachable or failed")]))
    filters.append(_options("kernel", "kernel", kernels))
    filters.append('<label>search <input type="search" id="f-search" placeholder="host, rule, NIC, reason"></label>')
    filters.append('<span><b id="shown">%d</b> of %d hosts shown</span>' % (len(hosts), len(hosts)))
    # column widths (em): a fixed table layout costs the browser one pass, not one per row
    heads = [("host", 16), ("status", 7), ("verdict" + (" before" if remediate else ""), 7.5)]
    if remediate:
        heads += [("verdict after", 8), ("outcome", 9.5), ("strategy / actions", 7), ("changed", 5.5)]
    heads += [("kernel", 12), ("NFQUEUE rules live / saved", 6.5), ("LRO on", 4.5), ("evidence", 6), ("detail", 26)]
    title = report["title"]
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="kcrash-report-schema" content="%s">' % escape(report["schema"]),
        "<title>%s</title><style>%s</style></head><body>" % (escape(title), _CSS),
        "<h1>%s</h1>" % escape(title),
        "" if report["complete"] else '<p class="err"><b>Interim report:</b> written while the run was going on; '
                                      'the run stopped or failed after this write.</p>',
        "<p>%d host(s); generated %s. %s</p>" % (len(hosts), escape(report["generated"] or "-"), escape(
            "Drift: %d host(s) differ from the remediated state (check mode: nothing was changed)." % report["drift"]
            if report["drift"] is not None else
            ("Hosts changed by this run: %d." % c["changed"] if remediate else "Detection changes nothing."))),
        '<div class="charts">%s</div>' % "".join(charts),
        _legend(report),
        '<details class="run" open><summary>Run</summary>%s</details>' % _meta(report),
        '<div class="filters">%s</div>' % " ".join(filters),
        '<table id="hosts" style="min-width:%gem"><colgroup>%s</colgroup><thead><tr>%s</tr></thead><tbody>' % (
            sum(w for _x, w in heads), "".join('<col style="width:%gem">' % w for _x, w in heads),
            "".join("<th>%s</th>" % escape(x) for x, _w in heads)),
    ]
    details = []
    parts.extend(_host_row(h, group_of, remediate, details) for h in hosts)
    parts.append("</tbody></table>")
    # the rows' detail, as data: parsed once, turned into elements only when a row is opened
    parts.append('<script type="application/json" id="details">%s</script>'
                 % json.dumps(details, separators=(",", ":")).replace("</", "<\\/"))
    parts.append(_groups_html(groups))
    parts.append("<script>%s</script></body></html>\n" % _JS)
    return "".join(parts)
