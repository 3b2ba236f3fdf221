# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-host decision of playbooks/remediate.yml (strategy/choose.py)."""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy.choose import (
    ACTION_ORDER,
    STRATEGIES,
    choose_strategy,
)


def lro(active, fixed=False):
    return {"active": active, "fixed": fixed, "requested": None}


# Shaped like ansible_facts.kcrash_nfqueue of the lab's incident host (issue 3).
INCIDENT = {
    "kernel": {
        "release": "2.6.32-358.el6.x86_64",
        "family": "el6",
        "code_vulnerable": True,
        "evidence": [{"source": "el6 trees 431.17.1 .. 642.6.2", "confirmed": True}],
        "fixed_by": None,
    },
    "interfaces": {
        "eth0": {"kind": "physical", "lower": [], "features": {"lro": lro(True), "gro": lro(True)}},
        "lo": {"kind": "virtual", "lower": [], "features": {"lro": lro(False, True)}},
    },
    "nfqueue_rules": [{"table": "mangle", "chain": "PREROUTING", "rule": "-A PREROUTING ... -j NFQUEUE"}],
    "crash_evidence": {"vmcore": [{"path": "/var/crash/x/vmcore-dmesg.txt", "rip": "nf_queue+0x98"}],
                       "wtmp_crashes": [], "kdump": {}},
    "exposure": {"level": "exposed", "reasons": ["lro on eth0", "NFQUEUE mangle PREROUTING"],
                 "recommended": ["offload", "drop"]},
}


def facts(level="exposed", **changes):
    f = copy.deepcopy(INCIDENT)
    f["exposure"]["level"] = level
    for k, v in changes.items():
        f[k] = v
    return f


def el7_fixable():
    f = facts(kernel={"release": "3.10.0-514.el7.x86_64", "family": "el7", "code_vulnerable": True,
                      "evidence": [{"source": "el7 3.10.0-1160 has IS_ERR_OR_NULL", "confirmed": True}],
                      "fixed_by": "3.10.0-1160.el7"})
    f["crash_evidence"] = {"vmcore": [], "wtmp_crashes": [], "kdump": {}}
    return f


def test_auto_on_exposed_host_turns_lro_off():
    plan = choose_strategy(INCIDENT)
    assert plan["actions"] == ["offload"]
    assert plan["status"] == "remediate"
    assert plan["level"] == "exposed"
    assert plan["crashed_before"] is True
    assert plan["reasons"][0] == "exposed: offload"


def test_auto_el6_with_window_adds_no_kernel_upgrade_without_documented_fix():
    plan = choose_strategy(INCIDENT, "auto", window="2030-01-01 02:00")
    assert plan["actions"] == ["offload"]
    assert any("no documented fixed kernel" in r for r in plan["reasons"])


def test_auto_adds_kernel_where_documented_fix_and_window():
    plan = choose_strategy(el7_fixable(), "auto", window="02:00")
    assert plan["actions"] == ["offload", "kernel"]
    assert plan["kernel_fix"]["fixed_by"] == "3.10.0-1160.el7"
    assert plan["crashed_before"] is False
    # no window: no kernel upgrade, offload only
    assert choose_strategy(el7_fixable(), "auto", window="")["actions"] == ["offload"]
    assert choose_strategy(el7_fixable(), "auto", window="   ")["actions"] == ["offload"]


def test_auto_kernel_with_operator_named_target_on_el6():
    plan = choose_strategy(INCIDENT, "auto", window="02:00", kernel_target="3.10.0-1160.el7.x86_64")
    assert plan["actions"] == ["offload", "kernel"]
    assert "3.10.0-1160.el7.x86_64" in plan["reasons"][-1]


@pytest.mark.parametrize("strategy, actions", [("offload", ["offload"]), ("drop", ["drop"]),
                                               ("kernel", ["kernel"]), ("none", [])])
def test_forced_strategies(strategy, actions):
    plan = choose_strategy(INCIDENT, strategy)
    assert plan["actions"] == actions
    assert plan["status"] == ("report_only" if strategy == "none" else "remediate")


def test_kernel_strategy_says_when_nothing_documented():
    plan = choose_strategy(INCIDENT, "kernel")
    assert any("no documented fixed kernel" in r for r in plan["reasons"])
    plan = choose_strategy(el7_fixable(), "kernel", window="02:00")
    assert not any("no documented fixed kernel" in r for r in plan["reasons"])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_not_exposed_hosts_are_left_alone_whatever_the_strategy(strategy):
    plan = choose_strategy(facts("not_exposed"), strategy, window="02:00", kernel_target="x")
    assert plan["actions"] == []
    assert plan["status"] == "compliant"


def test_at_risk_is_remediated_by_default_but_levels_can_exclude_it():
    assert choose_strategy(facts("at_risk"))["actions"] == ["offload"]
    plan = choose_strategy(facts("at_risk"), levels=["exposed"])
    assert plan["actions"] == [] and plan["status"] == "compliant"
    assert "not in kcrash_remediate_levels" in plan["reasons"][0]


def test_unknown_is_left_alone_unless_asked():
    plan = choose_strategy(facts("unknown"))
    assert plan["actions"] == [] and plan["status"] == "unknown"
    assert choose_strategy(facts("unknown"), levels="exposed,unknown")["actions"] == ["offload"]


@pytest.mark.parametrize("bad", [None, {}, {"exposure": None}, {"exposure": "exposed"}, [], "x"])
def test_missing_facts_give_unknown_not_an_action(bad):
    plan = choose_strategy(bad, "drop")
    assert plan["status"] == "unknown" and plan["actions"] == []
    assert "no exposure facts" in plan["reasons"][0]


def test_unrecognised_level_is_unknown():
    plan = choose_strategy(facts("EXPOSED"), "drop")
    assert plan["status"] == "unknown" and plan["actions"] == []


def test_auto_blocked_when_lro_is_fixed_on_everywhere():
    f = facts()
    f["interfaces"]["eth0"]["features"]["lro"] = lro(True, fixed=True)
    plan = choose_strategy(f)
    assert plan["status"] == "blocked" and plan["actions"] == []
    assert "kcrash_strategy=drop" in plan["reasons"][0]
    # the operator's explicit drop works on the same host
    assert choose_strategy(f, "drop")["actions"] == ["drop"]
    # forced offload runs, but says it cannot work
    plan = choose_strategy(f, "offload")
    assert plan["actions"] == ["offload"]
    assert any("fixed on for eth0" in r for r in plan["reasons"])


def test_auto_blocked_still_schedules_a_documented_kernel_fix():
    f = el7_fixable()
    f["interfaces"]["eth0"]["features"]["lro"] = lro(True, fixed=True)
    plan = choose_strategy(f, "auto", window="02:00")
    assert plan["actions"] == ["kernel"] and plan["status"] == "remediate"


@pytest.mark.parametrize("bad", ["Auto", "reboot", 3, ["offload"]])
def test_bad_strategy_names_the_variable(bad):
    with pytest.raises(KcrashInputError) as e:
        choose_strategy(INCIDENT, bad)
    assert "kcrash_strategy" in str(e.value)


@pytest.mark.parametrize("bad", [[], ["not_exposed"], ["exposed", "bogus"], 5])
def test_bad_levels_name_the_variable(bad):
    with pytest.raises(KcrashInputError) as e:
        choose_strategy(INCIDENT, "auto", levels=bad)
    assert "kcrash_remediate_levels" in str(e.value)


def test_empty_strategy_means_auto():
    assert choose_strategy(INCIDENT, "")["strategy"] == "auto"
    assert choose_strategy(INCIDENT, None)["actions"] == ["offload"]


def test_input_is_not_modified():
    f = facts()
    before = copy.deepcopy(f)
    choose_strategy(f, "auto", window="x", kernel_target="y")
    assert f == before


LEVELS = st.sampled_from(["exposed", "at_risk", "not_exposed", "unknown", "weird", None])
FEATURE = st.fixed_dictionaries({"active": st.booleans(), "fixed": st.booleans()})
IFACES = st.dictionaries(st.sampled_from(["eth0", "eth1", "bond0", "lo"]),
                         st.fixed_dictionaries({"features": st.fixed_dictionaries({"lro": FEATURE})}))
FACTS = st.fixed_dictionaries({
    "exposure": st.fixed_dictionaries({"level": LEVELS}),
    "interfaces": IFACES,
    "kernel": st.fixed_dictionaries({"fixed_by": st.sampled_from([None, "", "3.10.0-1160.el7"])}),
})


@settings(max_examples=300, deadline=None)
@given(FACTS, st.sampled_from(STRATEGIES), st.sampled_from(["", "02:00"]),
       st.sampled_from([None, ["exposed"], ["exposed", "at_risk", "unknown"]]),
       st.sampled_from(["", "5.14.0"]))
def test_plan_invariants(f, strategy, window, levels, target):
    plan = choose_strategy(f, strategy, window=window, levels=levels, kernel_target=target)
    acts = plan["actions"]
    # ordered, no duplicates, only known actions
    assert acts == [a for a in ACTION_ORDER if a in acts]
    assert (plan["status"] == "remediate") == bool(acts)
    wanted = levels or ["exposed", "at_risk"]
    if plan["level"] not in wanted:
        assert acts == []
    if strategy == "none":
        assert acts == []
    if strategy in ("offload", "drop", "kernel") and acts:
        assert acts == [strategy]
    if "kernel" in acts and strategy == "auto":
        assert window and (f["kernel"]["fixed_by"] or target)
    assert plan["reasons"], "every plan says why"


@pytest.mark.parametrize("release, kernel_planned", [
    ("2.6.32-358.el6.x86_64", False),   # el6: no documented fix, auto never pretends one
    ("3.10.0-514.el7.x86_64", True),    # el7 below the documented 3.10.0-1160.el7
])
def test_auto_kernel_decision_follows_the_real_catalog(release, kernel_planned):
    from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel import kernel_verdict
    f = facts(kernel=kernel_verdict(release))
    plan = choose_strategy(f, "auto", window="02:00")
    assert ("kernel" in plan["actions"]) is kernel_planned
    assert plan["actions"][0] == "offload"
    if kernel_planned:
        assert plan["kernel_fix"]["fixed_by"] == "3.10.0-1160.el7"
        assert plan["kernel_fix"]["evidence"], "the documented fix carries its evidence"


def test_crashed_before_follows_the_verdicts_flag_when_present():
    f = facts()
    f["exposure"]["flagged"] = False   # vmcore present but not this bug's signature
    assert choose_strategy(f)["crashed_before"] is False
    f["exposure"]["flagged"] = True
    f["crash_evidence"] = {}
    assert choose_strategy(f)["crashed_before"] is True
