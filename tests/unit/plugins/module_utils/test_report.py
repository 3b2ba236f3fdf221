# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""report.py (detect.yml's fleet report): schema-v1 records from real lab facts and Ansible
result shapes; JSON validates against docs/schema/report-v1.json, CSV round-trips the counts,
the HTML page is self-contained and escaped."""

import csv
import io
import json
import os
import re
from html.parser import HTMLParser

from conftest import REPO
from report_fleet import csv_counts, detection_results, lab_facts, validate

from ansible_collections.kcrash.nfqueue.plugins.module_utils import report
from ansible_collections.kcrash.nfqueue.plugins.module_utils import report_record as record


def results():
    out = dict(("lab-%s" % n, {"changed": False, "ansible_facts": {"kcrash_nfqueue": lab_facts(n)}})
               for n in ("incident", "modern", "bare", "clean"))
    out["gone"] = {"unreachable": True, "msg": "ssh: connect to host gone port 22: No route to host"}
    out["bad"] = {"failed": True, "msg": "host bad: cannot parse output of 'iptables-legacy-save' (line 2): x"}
    out["skipped"] = None
    return out


def fleet():
    return report.build_report(results(), generated="2026-01-01T00:00:00Z")


def test_validates_against_the_schema_and_counts():
    rep = validate(json.loads(report.render_json(fleet())))
    assert rep["schema"] == "kcrash.nfqueue/report/v1" and rep["kind"] == "detect" and rep["total"] == 7
    assert rep["counts"]["status"] == {"ok": 4, "unreachable": 1, "failed": 1, "not_run": 1}
    assert rep["counts"]["verdict"] == {"exposed": 1, "not_exposed": 3}
    assert rep["counts"]["changed"] == 0 and rep["counts"]["crashed_before"] == 1
    assert rep["hosts"][0]["host"] == "lab-incident"  # worst first
    by = dict((h["host"], h) for h in rep["hosts"])
    assert by["gone"]["error"].endswith("No route to host") and by["gone"]["verdict"] is None
    assert by["lab-clean"]["after_source"] == "carried_over"


def test_structured_fields_of_the_incident_host():
    h = fleet()["hosts"][0]
    assert h["kernel"]["release"] == "2.6.32-358.el6.x86_64" and h["kernel"]["code_vulnerable"] is True
    eth0 = [n for n in h["nics"] if n["name"] == "eth0"][0]
    assert (eth0["lro"], eth0["lro_fixed"], eth0["receives"]) == ("on", False, True)
    recorded = lab_facts("incident")["interfaces"]["eth0"]
    assert (eth0["driver"], eth0["kind"], eth0["gro"]) == (recorded["driver"], recorded["kind"], "on")
    live = [r for r in h["nfqueue_rules"] if r["source"] == "live"]
    assert [(r["table"], r["chain"], r["backend"]) for r in live] == [("mangle", "PREROUTING", "legacy")]
    assert "-j NFQUEUE" in live[0]["rule"]
    saved = [r for r in h["nfqueue_rules"] if r["source"] == "saved"]
    assert saved[0]["file"] == "/etc/sysconfig/iptables"
    assert "rip-nf_queue+0x98" in [c["signature"] for c in h["crash_evidence"]]
    codes = [r["code"] for r in h["reasons"]]
    assert codes[:3] == ["kernel.code_vulnerable", "rules.live", "rules.saved_only"] or \
        {"kernel.code_vulnerable", "rules.live", "lro.on", "crash.this_panic", "crash.wtmp"} <= set(codes)
    assert not [c for c in codes if c.endswith(".other")], codes


def test_every_lab_reason_has_a_code():
    for name in ("incident", "modern", "bare", "clean"):
        h = report.host_row(name, {"ansible_facts": {"kcrash_nfqueue": lab_facts(name)}})
        assert h["reasons"] and not [r for r in h["reasons"] if r["code"].endswith(".other")], h["reasons"]


def test_csv_is_flat_and_round_trips_the_counts():
    rep = report.build_report(detection_results(300), generated="2026-01-01T00:00:00Z")
    text = report.render_csv(rep)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["host"] for r in rows] == [h["host"] for h in rep["hosts"]]
    assert not any("|" in v for r in rows for v in r.values() if v and "rule" not in v)
    assert csv_counts(text) == rep["counts"]
    rules = list(csv.DictReader(io.StringIO(report.render_rules_csv(rep))))
    assert len(rules) == sum(len(h["nfqueue_rules"]) for h in rep["hosts"])
    assert {r["source"] for r in rules} == {"live", "saved"}


class _Rows(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.rows, self.scripts, self.external = [], 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-host" in a:
            self.rows.append((a["data-host"], a["data-status"], a["data-verdict"]))
        if tag == "script" and a.get("type") != "application/json":
            self.scripts += 1
        if a.get("src") or (tag == "link"):
            self.external.append((tag, a))


def test_html_is_self_contained_and_escaped():
    res = results()
    evil = lab_facts("incident")
    evil["exposure"]["reasons"].append("rules: live NFQUEUE rule <script>alert(1)</script>")
    res["<b>odd</b>"] = {"ansible_facts": {"kcrash_nfqueue": evil}}
    page = report.render_html(report.build_report(res, generated="2026-01-01T00:00:00Z"))
    parser = _Rows()
    parser.feed(page)
    assert ("gone", "unreachable", "") in parser.rows and ("lab-incident", "ok", "exposed") in parser.rows
    assert len(parser.rows) == 8 and parser.scripts == 1 and parser.external == []
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
    assert "<b>odd</b>" not in page
    assert "<svg" in page and 'id="legend"' in page
    for v in ("exposed", "at_risk", "unknown", "not_exposed", "unreachable", "failed"):
        assert 'data-legend="%s"' % v in page


def test_identical_evidence_is_shown_once_per_group():
    rep = report.build_report(detection_results(200), generated="2026-01-01T00:00:00Z")
    page = report.render_html(rep)
    ok = [h for h in rep["hosts"] if h["status"] == "ok"]
    # the incident hosts differ by kernel; modern, bare and clean hosts share their evidence
    groups = page.count('class="group"')
    assert groups == len(set(h["kernel"]["release"] for h in ok if h["verdict"] == "exposed")) + 3
    # each kernel's evidence text once (in its group), not once per host
    assert page.count("(el6) carries the unchecked") == groups - 3
    assert page.count('href="#ev-') == len(ok)


def test_summary():
    lines = report.summary_lines(fleet())
    assert lines[0].startswith("7 hosts: exposed 1")
    assert any(x.startswith("lab-incident: exposed (crashed before)") for x in lines)
    assert any(x.startswith("gone: unreachable") for x in lines)


def test_run_metadata_on_the_page_awx_job_linked():
    from ansible_collections.kcrash.nfqueue.plugins.module_utils import report_record
    rep = fleet()
    rep["run"] = report_record.run(
        {"awx_job_id": 42, "tower_job_id": 42, "awx_job_launch_type": "scheduled", "awx_job_template_name": "Detect",
         "kcrash_awx_url": "https://awx.example.net", "kcrash_detect_fail_levels": ["exposed"],
         "ansible_inventory_sources": ["/runner/inventory/hosts"]},
        "20261206T024500Z", "2026-12-06T02:45:00Z", "2026-12-06T02:46:00Z", collection_version="0.1.0",
        ansible_version="2.19.14", check_mode=True)
    validate(rep)
    page = report.render_html(rep)
    assert '<a href="https://awx.example.net/#/jobs/playbook/42/output">42</a>' in page
    for text in ("scheduled", "/runner/inventory/hosts", "2.19.14", "0.1.0", "2026-12-06T02:46:00Z",
                 'kcrash_detect_fail_levels=[&quot;exposed&quot;]'):
        assert text in page, text


def test_every_reason_exposure_can_give_has_a_documented_code():
    """Each reason text module_utils/exposure.py writes (its "<leg>: ..." string literals, the
    placeholders filled) gets a code other than <leg>.other, and the code is in the user
    guide's list. Catches a new reason (e.g. unread crash evidence) the report does not know."""
    with open(os.path.join(REPO, "plugins", "module_utils", "exposure.py")) as f:
        source = f.read()
    with open(os.path.join(REPO, "docs", "user-guide.md")) as f:
        guide = f.read()
    templates = re.findall(r'"((?:kernel|rules|lro|crash): [^"]*)"', source)
    assert len(templates) >= 20, templates
    for t in templates:
        text = re.sub(r"%[sd]", "x", t)
        code = record.reason(text)["code"]
        assert not code.endswith(".other"), text
        assert "`%s`" % code in guide, code
