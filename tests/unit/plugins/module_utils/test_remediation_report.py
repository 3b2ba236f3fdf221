# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""remediate.yml's fleet report: outcomes per host and the three renderings."""

import csv
import io
import json
from html.parser import HTMLParser

import pytest
from report_fleet import csv_counts, validate

from ansible_collections.kcrash.nfqueue.plugins.module_utils import remediation_report as rr
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy.choose import choose_strategy


def facts(level, reasons=("r",), lro_active=True):
    return {"exposure": {"level": level, "reasons": list(reasons), "recommended": ["turn LRO off"]},
            "interfaces": {"eth0": {"features": {"lro": {"active": lro_active, "fixed": False}}}}}


EXPOSED = facts("exposed", ["lro: eth0 has large-receive-offload on", "rules: mangle PREROUTING"])
FIXED = facts("not_exposed", ["lro: LRO is off on every NIC"], lro_active=False)


def fleet(check_mode):
    hosts = {
        "incident": {"plan": choose_strategy(EXPOSED), "before": EXPOSED,
                     "after": None if check_mode else FIXED},
        "clean": {"plan": choose_strategy(facts("not_exposed")), "before": facts("not_exposed")},
        "gone": {"plan": None, "before": None},
        "audit": {"plan": choose_strategy(EXPOSED, "none"), "before": EXPOSED},
    }
    return hosts


def test_check_mode_outcomes_and_drift_count():
    rep = rr.build(fleet(True), True)
    by = {r["host"]: r for r in rep["hosts"]}
    assert rep["mode"] == "check" and rep["drift"] == 1
    assert by["incident"]["outcome"] == "drift"
    assert by["incident"]["actions"] == ["offload"]
    # check mode changed nothing: "after" is the verdict carried over, and says so
    assert (by["incident"]["verdict_after"], by["incident"]["after_source"]) == ("exposed", "carried_over")
    assert by["clean"]["outcome"] == "compliant"
    assert by["clean"]["verdict_after"] == "not_exposed"
    assert by["incident"]["changed"] is False
    assert by["gone"]["outcome"] == "not_detected"
    assert by["audit"]["outcome"] == "report_only"
    # worst first
    assert [r["host"] for r in rep["hosts"]] == ["gone", "incident", "audit", "clean"]
    assert rep["counts"]["outcome"] == {"not_detected": 1, "drift": 1, "report_only": 1, "compliant": 1}
    validate(json.loads(rr.to_json(rep)))


def test_apply_outcomes_before_after():
    rep = rr.build(fleet(False), False)
    by = {r["host"]: r for r in rep["hosts"]}
    assert rep["mode"] == "apply" and rep["drift"] is None
    assert by["incident"]["outcome"] == "remediated"
    assert (by["incident"]["verdict"], by["incident"]["verdict_after"]) == ("exposed", "not_exposed")
    assert by["incident"]["after_source"] == "measured"
    assert [r["text"] for r in by["incident"]["reasons_after"]] == ["lro: LRO is off on every NIC"]
    assert by["incident"]["reasons_after"][0]["code"] == "lro.off"
    assert rep["counts"]["verdict"] == {"exposed": 2, "not_exposed": 1}
    assert by["gone"]["status"] == "not_run" and by["gone"]["error"]
    validate(json.loads(rr.to_json(rep)))


@pytest.mark.parametrize("after, outcome", [
    (None, "apply_failed"), ("exposed", "still_exposed"), ("at_risk", "pending"),
    ("not_exposed", "remediated")])
def test_real_run_outcome_follows_re_detection(after, outcome):
    row = rr.host_row("h", choose_strategy(EXPOSED), EXPOSED, facts(after) if after else None, False)
    assert row["outcome"] == outcome


def test_blocked_and_unknown_are_reported_as_such():
    blocked = facts("exposed")
    blocked["interfaces"]["eth0"]["features"]["lro"]["fixed"] = True
    assert rr.host_row("h", choose_strategy(blocked), blocked, None, True)["outcome"] == "blocked"
    unk = facts("unknown")
    assert rr.host_row("h", choose_strategy(unk), unk, None, True)["outcome"] == "unknown"


def test_csv_round_trip():
    rep = rr.build(fleet(False), False)
    text = rr.to_csv(rep)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["host"] for r in rows] == [r["host"] for r in rep["hosts"]]
    inc = [r for r in rows if r["host"] == "incident"][0]
    assert inc["outcome"] == "remediated" and inc["action_offload"] == "yes" and inc["action_drop"] == "no"
    assert inc["verdict"] == "exposed" and inc["verdict_after"] == "not_exposed"
    assert inc["after_source"] == "measured" and inc["reason_lro"] == "lro.on"
    assert csv_counts(text) == rep["counts"]


def test_json_is_the_report():
    rep = rr.build(fleet(True), True, generated="2030-01-01T00:00:00Z")
    assert json.loads(rr.to_json(rep)) == rep


class _Cells(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.rows, self.scripts, self._in = [], 0, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        if tag == "script" and dict(attrs).get("type") != "application/json":
            self.scripts += 1
        if tag in ("td", "th"):
            self._in = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._in is not None:
            self.rows[-1].append("".join(self._in))
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._in.append(data)


def test_html_is_self_contained_sortable_and_escaped():
    hosts = fleet(True)
    evil = facts("exposed", ["<script>alert(1)</script> & \"quoted\""])
    hosts["<b>odd</b>"] = {"plan": choose_strategy(evil), "before": evil}
    page = rr.to_html(rr.build(hosts, True))
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<b>odd</b>" not in page
    assert "http" not in page.replace("http://www.w3.org/2000/svg", ""), "no external resources"
    p = _Cells()
    p.feed(page)
    assert p.scripts == 1  # only the filter / sort script
    header, body = p.rows[0], p.rows[1:]
    assert header[:5] == ["host", "status", "verdict before", "verdict after", "outcome"]
    assert len(body) == 5 and all(len(r) == len(header) for r in body)
    odd = [r for r in body if r[0] == "<b>odd</b>"][0]
    assert odd[4] == "drift"
    assert "Drift: 2 host(s)" in page


def test_bad_input():
    with pytest.raises(KcrashInputError):
        rr.build(["incident"], True)


def test_strategy_results_refine_the_outcome():
    plan = choose_strategy(EXPOSED)
    # check mode, the offload role ran and would change something: drift, with its message
    row = rr.host_row("h", plan, EXPOSED, None, True,
                      {"offload": {"changed": True, "msg": "eth0: lro off"}, "drop": None})
    assert row["outcome"] == "drift" and row["results"][0]["msg"] == "eth0: lro off"
    # the role ran and had nothing to change: not drift
    row = rr.host_row("h", plan, EXPOSED, None, True, {"offload": {"changed": False, "msg": "ok"}})
    assert row["outcome"] == "unchanged" and row["verdict_after"] == "exposed"
    # a role that was skipped does not count
    row = rr.host_row("h", plan, EXPOSED, None, True, {"offload": {"skipped": True}})
    assert row["outcome"] == "drift" and row["results"] == []


def test_kernel_without_documented_fix_is_blocked_not_pending():
    plan = choose_strategy(EXPOSED, "kernel")
    res = {"kernel": {"changed": False, "status": "no_target",
                      "msg": "no documented fixed kernel for el6; use offload or drop"}}
    for check_mode in (True, False):
        row = rr.host_row("h", plan, EXPOSED, EXPOSED if not check_mode else None, check_mode, res)
        assert row["outcome"] == "blocked"
    rep = rr.build({"h": {"plan": plan, "before": EXPOSED, "results": res}}, False)
    assert rep["hosts"][0]["results"][0]["msg"] == "no documented fixed kernel for el6; use offload or drop"
    assert "no documented fixed kernel for el6" in rr.to_html(rep)
    # a scheduled upgrade: pending
    res = {"kernel": {"changed": True, "status": "planned", "msg": "reboot at 02:30"}}
    assert rr.host_row("h", plan, EXPOSED, EXPOSED, False, res)["outcome"] == "pending"
    row = rr.host_row("h", plan, EXPOSED, facts("at_risk"), False, res)
    assert row["outcome"] == "pending"
    # an immediate fix that did not take is a failure, not pending
    offload = {"offload": {"changed": True, "msg": "x"}}
    assert rr.host_row("h", choose_strategy(EXPOSED), EXPOSED, EXPOSED, False, offload)["outcome"] \
        == "still_exposed"


def test_results_carry_backups_the_rollback_command_and_reboots():
    import shlex
    plan = choose_strategy(EXPOSED)
    odd = "/etc/sysconfig/network-scripts/ifcfg-eth0 x'$(id)"
    res = {"offload": {"changed": True, "msg": "changed", "backup_dir": "/var/backups/kcrash-nfqueue/offload-20261206T024911Z",
                       "runtime_commands": ["ethtool -K eth0 lro off gro off"],
                       "files": [{"path": odd, "action": "update"}, {"path": "/etc/untouched", "action": "none"}]},
           "kernel": {"changed": True, "status": "planned", "msg": "reboot at 02:30", "pending_reboot": True,
                      "reboot": {"mode": "window", "time": "02:30"}, "target": "3.10.0-1160.el7", "install": True}}
    row = rr.host_row("h", plan, EXPOSED, FIXED, False, res)
    off, kern = row["results"]
    assert off["backups"] == ["/var/backups/kcrash-nfqueue/offload-20261206T024911Z"]
    assert off["diff_summary"] == ["ethtool -K eth0 lro off gro off", "update " + odd]
    words = shlex.split(off["rollback_command"].replace(" && ", " ; "))
    # the hostile file name stays one word: quoted, never run
    assert words[:4] == ["cp", "-p", "/var/backups/kcrash-nfqueue/offload-20261206T024911Z/"
                         "etc_sysconfig_network-scripts_ifcfg-eth0 x'$(id)", odd]
    assert words[4:] == [";", "ethtool", "-K", "eth0", "lro", "on", "gro", "on"]
    assert kern["reboot"] == {"pending": True, "scheduled_at": "02:30", "rebooted": None}
    assert kern["rollback_command"] is None and kern["diff_summary"] == ["install 3.10.0-1160.el7"]
    page = rr.to_html(rr.build({"h": {"plan": plan, "before": EXPOSED, "after": FIXED, "results": res}}, False))
    assert "reboot: scheduled at 02:30" in page


def test_no_rollback_command_when_it_could_not_be_exact():
    plan = choose_strategy(EXPOSED)
    res = {"offload": {"changed": True, "msg": "changed", "backup_dir": "/var/backups/kcrash-nfqueue/offload-1",
                       "runtime_commands": ["ethtool -K eth0 lro off"], "files": [],
                       "nm_commands": ["nmcli connection modify 5fb06bd0 ethtool.feature-lro off"]}}
    off = rr.host_row("h", plan, EXPOSED, FIXED, False, res)["results"][0]
    assert off["backups"] == ["/var/backups/kcrash-nfqueue/offload-1"] and off["rollback_command"] is None
    assert "nmcli connection modify 5fb06bd0 ethtool.feature-lro off" in off["diff_summary"]


@pytest.mark.parametrize("complete, start", [(True, "apply report for 4 host(s): /r/x.html ("),
                                             (False, "interim apply report for 4 host(s): /r/x.html (")])
def test_the_run_message_says_when_the_report_is_interim(complete, start):
    rep = rr.build(fleet(False), False, complete=complete)
    written = {"paths": {"html": "/r/x.html", "json": "/r/x.json", "csv": "/r/x.csv"}, "history": {}, "removed": []}
    out = rr.action_result(rep, written)
    assert out["msg"].startswith(start), out["msg"]
    assert "remediated 1" in out["msg"] and "not_detected 1" in out["msg"]
