# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet report of detect.yml: one schema-v1 record per host (``report_record``) from the
registered ``exposure_facts`` results, rendered as JSON, CSV and one self-contained HTML page
(``report_page``), plus a short text summary.

Pure renderers: text in, text out. The ``exposure_report`` action writes the files.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import report_page
from ansible_collections.kcrash.nfqueue.plugins.module_utils import report_record as record
from ansible_collections.kcrash.nfqueue.plugins.module_utils.report_format import json_text

TITLE = "kcrash.nfqueue fleet exposure report"

# worst first: the order of the table and of the summary
RANK = dict((s, i) for i, s in enumerate(("exposed", "at_risk", "unknown", "failed", "unreachable", "not_run",
                                          "not_exposed")))


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


def rank(row):
    return RANK.get(row["verdict"] if row["status"] == "ok" else row["status"], 99)


def host_row(host, result):
    """One schema-v1 host record from a registered ``exposure_facts`` result (None: not run)."""
    if not isinstance(result, dict):
        return record.host(host, status="not_run", error="detection did not run on this host")
    if result.get("unreachable"):
        return record.host(host, status="unreachable", error=result.get("msg") or "host unreachable")
    facts = _facts_of(result)
    if result.get("failed") or facts is None:
        return record.host(host, status="failed", error=result.get("msg") or "detection failed")
    row = record.host(host, facts)
    # detection changes nothing: the verdict holds after the run as it was read
    row["verdict_after"], row["after_source"] = row["verdict"], "carried_over"
    return row


def build_report(results, generated=None, title=TITLE, run=None, complete=True):
    """``results``: {host: registered result or None} -> schema-v1 report dict."""
    rows = [host_row(h, r) for h, r in (results or {}).items()]
    rows.sort(key=lambda r: (rank(r), r["host"]))
    return record.document("detect", "detect", title, generated, run or record.empty_run(), rows, complete)


def render_json(report):
    return json_text(report)


def render_csv(report):
    return report_page.hosts_csv(report)


def render_rules_csv(report):
    return report_page.rules_csv(report)


def render_html(report):
    return report_page.html(report)


def summary_lines(report):
    c = report.get("counts") or {}
    levels, status = c.get("verdict") or {}, c.get("status") or {}
    parts = ["%s %d" % (s, levels.get(s, 0)) for s in record.LEVELS if levels.get(s) or s != "unknown"]
    parts += ["%s %d" % (s, status[s]) for s in record.STATUSES if s != "ok" and status.get(s)]
    lines = ["%d hosts: %s" % (report.get("total", 0), ", ".join(parts))]
    for r in report.get("hosts") or []:
        if r["status"] != "ok":
            lines.append("%s: %s - %s" % (r["host"], r["status"], (r["error"] or "")[:200]))
        elif r["verdict"] in ("exposed", "at_risk", "unknown"):
            lead = next((x["text"] for x in r["reasons"] if x["leg"] in ("lro", "rules")
                         and x["code"] not in ("lro.off", "rules.none")), "")
            lines.append("%s: %s%s%s" % (r["host"], r["verdict"], " (crashed before)" if r["crashed_before"] else "",
                                         " - " + lead if lead else ""))
        elif r["crashed_before"]:
            lines.append("%s: %s but crashed this way before" % (r["host"], r["verdict"]))
    return lines


#: The files the ``exposure_report`` action can write: format -> renderer.
RENDERERS = {"json": render_json, "csv": render_csv, "rules.csv": render_rules_csv, "html": render_html}


def action_result(report, written, formats):
    """The ``exposure_report`` action's result: ``written`` (``paths``, ``history``,
    ``removed`` of the files written), the summary lines and the message, listing the files of
    ``formats`` in that order."""
    listed = ", ".join(written["paths"][f] for f in formats)
    out = record.written_result(report, written["paths"], written["history"], written["removed"])
    out["summary"] = summary_lines(report) + ["report: " + listed]
    out["msg"] = "exposure report for %d host(s): %s" % (report["total"], listed)
    return out
