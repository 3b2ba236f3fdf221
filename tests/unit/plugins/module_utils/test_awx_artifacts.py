# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import json

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.awx_artifacts import artifacts
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError

from report_docs import check_report

# incident: exposed (LRO on + NFQUEUE), drift under auto; clean: nothing to do
REPORT = check_report({"web1": "incident", "web2": "incident", "db1": "clean", "ips1": "modern"})


def test_counts_are_the_reports_lines_only_the_first_not_compliant():
    art = artifacts(REPORT, max_hosts=1, paths={"json": "/r/x.json"})
    assert art["hosts_total"] == 4 and art["counts"] == REPORT["counts"] and art["drift"] == REPORT["drift"]
    not_quiet = [h["host"] for h in REPORT["hosts"] if h["outcome"] != "compliant"]
    assert "db1" not in not_quiet and len(not_quiet) >= 2
    assert [h["host"] for h in art["hosts"]] == not_quiet[:1] and art["hosts_left_out"] == len(not_quiet) - 1
    first = [h for h in REPORT["hosts"] if h["host"] == not_quiet[0]][0]
    assert art["hosts"][0] == {"host": first["host"], "status": "ok", "verdict": first["verdict"],
                               "outcome": first["outcome"], "actions": first["actions"], "changed": False}
    assert art["report"] == {"json": "/r/x.json"} and art["mode"] == "check" and art["kind"] == "remediate"


def test_drifted_incident_hosts_get_a_line():
    art = artifacts(REPORT)
    lines = dict((h["host"], h) for h in art["hosts"])
    assert lines["web1"]["outcome"] == "drift" and lines["web1"]["actions"] == ["offload"]
    assert "db1" not in lines


def test_size_stays_bounded_for_a_large_fleet():
    row = [h for h in REPORT["hosts"] if h["host"] == "web1"][0]
    big = dict(REPORT, hosts=[dict(row, host="web%05d" % i) for i in range(10000)])
    assert len(json.dumps(artifacts(big, max_hosts=100))) < 20000


@pytest.mark.parametrize("report, max_hosts", [({}, 1), (dict(REPORT, hosts=[{}]), 1), (REPORT, -1), (REPORT, True)])
def test_bad_input(report, max_hosts):
    with pytest.raises(KcrashInputError):
        artifacts(report, max_hosts)
