# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""report.py: JSON/CSV/HTML/summary of a fleet, from a real probe run plus Ansible result shapes."""

import csv
import io
import json
import subprocess
from html.parser import HTMLParser

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import probe, report


@pytest.fixture(scope="module")
def local_result():
    script, nonce = probe.build_probe()
    p = subprocess.run(["dash", "-c", script], capture_output=True, check=False)
    facts = probe.collect_facts(p.stdout.decode(), nonce, host="local")
    return {"changed": False, "ansible_facts": {"kcrash_nfqueue": facts}}


def exposed_result(local):
    f = json.loads(json.dumps(local["ansible_facts"]["kcrash_nfqueue"]))
    f["exposure"] = {"level": "exposed", "legs": {"kernel": "live", "rules": "live", "lro": "live"},
                     "reasons": ["kernel: x", "rules: live NFQUEUE rule <script>alert(1)</script>", "lro: eth0 on",
                                 "crash: /var/crash/a/vmcore-dmesg.txt shows this panic"],
                     "recommended": ["turn LRO off"], "flagged": True, "interfaces": ["eth0"], "rules": ["r1"]}
    return {"ansible_facts": {"kcrash_nfqueue": f}}


def fleet(local):
    return report.build_report({
        "web1": exposed_result(local),
        "db1": local,
        "gone": {"unreachable": True, "msg": "ssh: connect to host gone port 22: No route to host", "changed": False},
        "bad": {"failed": True, "msg": "host bad: cannot parse output of 'iptables-legacy-save' (line 2): x"},
        "skipped": None,
    }, generated="2026-01-01T00:00:00Z")


def test_rows_and_counts(local_result):
    rep = fleet(local_result)
    assert rep["total"] == 5
    assert [r["host"] for r in rep["hosts"]][0] == "web1"  # most severe first
    status = dict((r["host"], r["status"]) for r in rep["hosts"])
    assert status["gone"] == "unreachable" and status["bad"] == "failed" and status["skipped"] == "not_run"
    assert rep["counts"]["exposed"] == 1 and rep["counts"]["unreachable"] == 1 and rep["counts"]["failed"] == 1
    assert rep["flagged"] == ["web1"]
    web1 = rep["hosts"][0]
    assert web1["evidence"][0].startswith("crash:") and not any(r.startswith("crash:") for r in web1["reasons"])


def test_json_csv_roundtrip(local_result):
    rep = fleet(local_result)
    assert json.loads(report.render_json(rep))["counts"] == rep["counts"]
    rows = list(csv.DictReader(io.StringIO(report.render_csv(rep))))
    assert [r["host"] for r in rows] == [r["host"] for r in rep["hosts"]]
    assert rows[0]["flagged"] == "yes" and rows[0]["lro_interfaces"] == "eth0"
    assert "No route to host" in [r for r in rows if r["host"] == "gone"][0]["message"]


class _Rows(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.rows, self.scripts = [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-host" in a:
            self.rows.append((a["data-host"], a["class"]))
        if tag == "script":
            self.scripts += 1


def test_html_is_self_contained_and_escaped(local_result):
    page = report.render_html(fleet(local_result))
    parser = _Rows()
    parser.feed(page)
    assert ("gone", "unreachable") in parser.rows and ("web1", "exposed") in parser.rows
    assert len(parser.rows) == 5 and parser.scripts == 1  # only the inline sorter
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
    assert " src=" not in page and "<link" not in page and "href=" not in page  # nothing fetched


def test_summary(local_result):
    lines = report.summary_lines(fleet(local_result))
    assert lines[0].startswith("5 hosts: exposed 1")
    assert any(l.startswith("web1: exposed (crashed before)") for l in lines)
    assert any(l.startswith("gone: unreachable") for l in lines)
