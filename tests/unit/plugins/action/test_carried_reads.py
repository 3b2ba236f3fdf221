# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Round trips carried by other round trips, on a real lab host (podman, incident image).

exposure_facts(strategy_reads=[offload]) -> offload plans from that read with no trip of its
own, and plans exactly what its own read gives; offload(probe_after) -> the re-detection
exposure_facts(reuse_probe) needs no trip and sees the change; each carried answer is used
once by a real run; an answer older than the limit is not used; offload with no facts carries
the probe in its read trip.
"""

import json
import os

import pytest

from conftest import TEST_NAME_PREFIX, bundled_collections, lab_hosts, podman, run_play_json

# the container lab_hosts starts (prefixed when KCRASH_TEST_NAME_PREFIX is set)
NAME = TEST_NAME_PREFIX + "carried-test-incident"


_podman = podman


@pytest.fixture
def host():
    with lab_hosts("carried-test", ("incident",)) as names:
        yield names["incident"]


def run_play(tmp_path, tasks):
    (tmp_path / "inv.yml").write_text("all:\n  hosts:\n    labhost:\n      ansible_connection: containers.podman.podman\n"
                                      "      ansible_host: %s\n" % NAME)
    rc, out = run_play_json(tmp_path, tasks, inventory=str(tmp_path / "inv.yml"), collections=bundled_collections())
    results = dict((t["task"]["name"], t["hosts"]["labhost"]) for t in out["plays"][0]["tasks"])
    assert rc == 0, "rc %s: %s" % (rc, json.dumps(results, indent=1)[-3000:])
    # the run's private controller directory is gone with the run: nothing outlives it
    assert not any("kcrash-reads" in dirs for dummy, dirs, dummy2 in os.walk(str(tmp_path / "ltmp")))
    return results


def test_reads_ride_along_and_are_used_once(tmp_path, host):
    r = run_play(tmp_path, [
        {"name": "detect", "kcrash.nfqueue.exposure_facts": {"strategy_reads": ["offload"]}},
        {"name": "plan from the carried read", "kcrash.nfqueue.offload": {}, "check_mode": True},
        {"name": "plan from an own read", "kcrash.nfqueue.offload": {"reuse_read": False}, "check_mode": True},
        {"name": "apply from the carried read", "kcrash.nfqueue.offload": {"probe_after": True}},
        {"name": "re-detect from the carried probe", "kcrash.nfqueue.exposure_facts": {"reuse_probe": True}},
        {"name": "re-detect again", "kcrash.nfqueue.exposure_facts": {"reuse_probe": True}},
        {"name": "offload again", "kcrash.nfqueue.offload": {}},
    ])
    d = r["detect"]
    assert d["ansible_facts"]["kcrash_nfqueue"]["probe"]["round_trips"] == 1
    assert d["exposure"] == "exposed"
    assert set(d["ansible_facts"]["kcrash_nfqueue_reads"]) == {"offload"}
    assert "stdout" not in json.dumps(d["ansible_facts"]["kcrash_nfqueue_reads"]), "facts carry references only"

    carried, own = r["plan from the carried read"], r["plan from an own read"]
    assert carried["read"]["source"] == "detection trip" and carried["round_trips"] == 0
    assert own["read"]["source"] == "own trip" and own["round_trips"] == 1
    assert carried["changed"] and own["changed"]
    for key in ("interfaces", "files", "runtime_commands", "nm_commands"):
        assert carried[key] == own[key], key

    applied = r["apply from the carried read"]
    assert applied["read"]["source"] == "detection trip", "check mode does not use the answer up"
    assert applied["changed"] and applied["round_trips"] == 1
    assert applied["interfaces"]["eth0"]["after"]["lro"]["active"] is False

    redetect = r["re-detect from the carried probe"]["ansible_facts"]["kcrash_nfqueue"]
    # only what offload changes was read again, the rest is this run's detection answer
    assert redetect["probe"]["round_trips"] == 0
    assert redetect["probe"]["source"].startswith("interfaces, persist re-read after the change by the strategy's trip")
    before = d["ansible_facts"]["kcrash_nfqueue"]
    for key in ("kernel", "nfqueue_rules", "crash_evidence"):
        assert redetect[key] == before[key], key
    assert redetect["exposure"]["level"] != "exposed"
    assert redetect["interfaces"]["eth0"]["features"]["lro"]["active"] is False
    again = r["re-detect again"]["ansible_facts"]["kcrash_nfqueue"]
    assert again["probe"]["round_trips"] == 1, "a carried probe is used once"
    assert again["exposure"]["level"] == redetect["exposure"]["level"]

    last = r["offload again"]
    assert last["read"]["source"] == "own trip" and "no offload read" in last["read"]["why"]
    assert not last["changed"]
    live = _podman("exec", NAME, "ethtool", "-k", "eth0").stdout
    assert "large-receive-offload: off" in live


def test_old_answer_is_not_used_and_a_lone_offload_detects_in_its_read(tmp_path, host):
    r = run_play(tmp_path, [
        {"name": "detect", "kcrash.nfqueue.exposure_facts": {"strategy_reads": ["offload"]}},
        {"name": "too old", "kcrash.nfqueue.offload": {"read_max_age": 0}, "check_mode": True},
    ])
    assert r["too old"]["read"]["source"] == "own trip" and "old" in r["too old"]["read"]["why"]
    assert r["too old"]["round_trips"] == 1

    r = run_play(tmp_path, [
        {"name": "offload alone", "kcrash.nfqueue.offload": {}, "check_mode": True},
    ])
    alone = r["offload alone"]
    assert alone["round_trips"] == 1 and alone["read"]["detection_carried"] is True
    facts = alone["ansible_facts"]["kcrash_nfqueue"]
    assert facts["exposure"]["level"] == "exposed" and "offload read trip" in facts["probe"]["source"]
    assert alone["interfaces_source"] == "ansible_facts.kcrash_nfqueue.interfaces"
    assert alone["changed"] and list(alone["interfaces"]) == ["eth0"]


def test_drop_reads_ride_along_too(tmp_path, host):
    """The drop strategy: its read rides with the detection, the re-detection rides with its
    confirmation trip and re-reads only the rule sections."""
    r = run_play(tmp_path, [
        {"name": "detect", "kcrash.nfqueue.exposure_facts": {"strategy_reads": ["drop"]}},
        {"name": "plan from the carried read", "kcrash.nfqueue.nfqueue_target": {}, "check_mode": True},
        {"name": "plan from an own read", "kcrash.nfqueue.nfqueue_target": {"reuse_read": False}, "check_mode": True},
        {"name": "apply", "kcrash.nfqueue.nfqueue_target": {"probe_after": True, "backup_root": "/root/kc-drop"}},
        {"name": "re-detect", "kcrash.nfqueue.exposure_facts": {"reuse_probe": True}},
    ])
    before = r["detect"]["ansible_facts"]["kcrash_nfqueue"]
    assert r["detect"]["exposure"] == "exposed" and len(before["nfqueue_rules"]) == 1
    carried, own = r["plan from the carried read"], r["plan from an own read"]
    assert carried["read"]["source"] == "detection trip" and carried["round_trips"] == 0
    assert own["read"]["source"] == "own trip" and own["round_trips"] == 1
    for key in ("changes", "files", "transactions", "refused"):
        assert carried[key] == own[key], key
    assert [c["new_rule"].endswith("-j DROP") for c in carried["changes"]] == [True]

    applied = r["apply"]
    assert applied["changed"] and applied["read"]["source"] == "detection trip"
    assert applied["watchdog"]["confirmed"] is True
    assert applied["round_trips"] == 2, "apply + confirm (which carries the re-detection), no read trip"

    after = r["re-detect"]["ansible_facts"]["kcrash_nfqueue"]
    assert after["probe"]["round_trips"] == 0 and "re-read after the change" in after["probe"]["source"]
    assert "save.iptables-legacy-save" in after["probe"]["source"]
    assert after["nfqueue_rules"] == [] and after["saved_nfqueue_rules"] == []
    assert after["exposure"]["level"] != "exposed"
    assert after["kernel"] == before["kernel"] and after["interfaces"] == before["interfaces"]
    live = _podman("exec", NAME, "iptables-save", "-t", "mangle").stdout
    assert "-j DROP" in live and "NFQUEUE" not in live
