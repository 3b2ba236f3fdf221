# -*- coding: utf-8 -*-
import json

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import remediation_report
from ansible_collections.kcrash.nfqueue.plugins.module_utils.awx_artifacts import artifacts
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError


def row(host, outcome, actions=(), changed=None):
    results = {} if changed is None else {actions[0]: {"changed": changed, "failed": False, "msg": "", "status": None}}
    return {"host": host, "outcome": outcome, "actions": list(actions), "results": results}


REPORT = {"mode": "apply", "generated": "g", "drift": None,
          "outcomes": {"still_exposed": 1, "remediated": 2, "compliant": 2},
          "hosts": [row("a", "still_exposed", ["drop"], True), row("b", "remediated", ["offload"], True),
                    row("c", "remediated", ["offload"], True), row("d", "compliant"), row("e", "compliant")]}


def test_counts_cover_every_host_lines_only_the_first_non_compliant():
    art = artifacts(REPORT, max_hosts=2, paths={"json": "/r/x.json"})
    assert art["hosts_total"] == 5 and art["changed"] == 3
    assert [h["host"] for h in art["hosts"]] == ["a", "b"] and art["hosts_left_out"] == 1
    assert art["hosts"][0] == {"host": "a", "outcome": "still_exposed", "actions": ["drop"], "changed": True}
    assert art["report"] == {"json": "/r/x.json"} and art["outcomes"] == REPORT["outcomes"]


def test_size_stays_bounded_for_a_large_fleet():
    big = dict(REPORT, hosts=[row("web%05d" % i, "drift", ["offload"]) for i in range(10000)])
    small = len(json.dumps(artifacts(big, max_hosts=100)))
    assert small < 10000


def test_from_a_real_remediation_report():
    facts = {"exposure": {"level": "not_exposed", "reasons": []}}
    rep = remediation_report.build({"h1": {"plan": {"strategy": "auto", "actions": [], "status": "compliant"},
                                           "before": facts}, "h2": {}}, check_mode=True)
    art = artifacts(json.loads(remediation_report.to_json(rep)))
    assert art["outcomes"] == {"compliant": 1, "not_detected": 1} and art["drift"] == 0
    assert art["hosts"] == [{"host": "h2", "outcome": "not_detected", "actions": [], "changed": False}]


@pytest.mark.parametrize("report, max_hosts", [({}, 1), ({"hosts": [{}]}, 1), (REPORT, -1), (REPORT, True)])
def test_bad_input(report, max_hosts):
    with pytest.raises(KcrashInputError):
        artifacts(report, max_hosts)
