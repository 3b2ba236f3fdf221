# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The plan of a whole play, one controller task (strategy/fleet.py)."""

import pytest

from test_choose import INCIDENT, el7_fixable, facts

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy.fleet import (
    interface_list,
    plan_fleet,
)


def test_plan_fleet_uses_each_hosts_own_variables():
    out = plan_fleet({
        "a": {"facts": INCIDENT, "vars": {}},
        "b": {"facts": INCIDENT, "vars": {"kcrash_strategy": "drop"}},
        "c": {"facts": facts("not_exposed"), "vars": {"kcrash_strategy": "drop"}},
        "d": {"facts": None, "vars": {}},
        "e": {"facts": el7_fixable(), "vars": {"kcrash_window": "02:00", "kcrash_strategy": None}},
    })
    assert out["a"]["plan"]["actions"] == ["offload"]
    assert out["b"]["plan"]["actions"] == ["drop"]
    assert out["c"]["plan"]["actions"] == []
    assert out["d"]["plan"]["status"] == "unknown" and out["d"]["before"] is None
    assert out["e"]["plan"]["actions"] == ["offload", "kernel"]
    assert out["e"]["plan"]["window"] == "02:00"
    assert out["a"]["before"] is INCIDENT


def test_plan_fleet_interfaces_feed_the_offload_role():
    out = plan_fleet({
        "a": {"facts": INCIDENT, "vars": {"kcrash_interfaces": "eth0, eth1,,eth0"}},
        "b": {"facts": INCIDENT, "vars": {"kcrash_offload_interfaces": ["em1"]}},
        "c": {"facts": INCIDENT, "vars": {}},
    })
    assert out["a"]["offload_interfaces"] == ["eth0", "eth1"]
    assert out["a"]["plan"]["interfaces"] == ["eth0", "eth1"]
    assert out["b"]["offload_interfaces"] == ["em1"]   # the role's own variable is kept
    assert out["c"]["offload_interfaces"] == "auto"


@pytest.mark.parametrize("var, value", [
    ("kcrash_strategy", "reboot"), ("kcrash_remediate_levels", ["nope"]),
    ("kcrash_interfaces", "eth0;reboot"), ("kcrash_interfaces", ["x" * 16]), ("kcrash_interfaces", 5)])
def test_plan_fleet_errors_name_host_and_variable(var, value):
    with pytest.raises(KcrashInputError) as e:
        plan_fleet({"ok": {"facts": INCIDENT, "vars": {}}, "web7": {"facts": INCIDENT, "vars": {var: value}}})
    assert var in str(e.value) and "host web7" in str(e.value)


def test_interface_list():
    assert interface_list(None) == [] and interface_list("") == []
    assert interface_list(["eth0", " bond0.100 "]) == ["eth0", "bond0.100"]
    with pytest.raises(KcrashInputError):
        interface_list("eth0 $(reboot)")


# ---------------------------------------------------------------- launch-time overrides (AWX surveys)

@pytest.mark.parametrize("as_inventory", ["inventory", "", None, "  "])
def test_override_that_means_inventory_keeps_each_hosts_own_value(as_inventory):
    hosts = {"blocked": {"facts": INCIDENT, "vars": {"kcrash_strategy": "drop", "kcrash_interfaces": "eth0"}},
             "plain": {"facts": INCIDENT, "vars": {}}}
    out = plan_fleet(hosts, {"kcrash_strategy_override": as_inventory,
                             "kcrash_interfaces_override": "" if as_inventory == "inventory" else as_inventory,
                             "kcrash_window_override": as_inventory if as_inventory != "inventory" else ""})
    assert out["blocked"]["plan"]["strategy"] == "drop" and out["blocked"]["plan"]["actions"] == ["drop"]
    assert out["blocked"]["plan"]["interfaces"] == ["eth0"]
    assert out["plain"]["plan"]["strategy"] == "auto" and out["plain"]["plan"]["actions"] == ["offload"]


def test_answered_override_replaces_every_hosts_value():
    hosts = {"blocked": {"facts": INCIDENT, "vars": {"kcrash_strategy": "drop", "kcrash_window": "01:00"}},
             "plain": {"facts": INCIDENT, "vars": {}}}
    out = plan_fleet(hosts, {"kcrash_strategy_override": "offload", "kcrash_interfaces_override": "em1, em2",
                             "kcrash_window_override": "03:30"})
    for host in ("blocked", "plain"):
        assert out[host]["plan"]["strategy"] == "offload"
        assert out[host]["offload_interfaces"] == ["em1", "em2"]
        assert out[host]["plan"]["window"] == "03:30"


@pytest.mark.parametrize("overrides, name", [
    ({"kcrash_strategy_override": "reboot"}, "kcrash_strategy_override"),
    ({"kcrash_interfaces_override": "eth0;reboot"}, "kcrash_interfaces_override"),
    ({"kcrash_strategy": "drop"}, "kcrash_strategy"),
])
def test_bad_override_names_the_override(overrides, name):
    with pytest.raises(KcrashInputError) as e:
        plan_fleet({"web7": {"facts": INCIDENT, "vars": {}}}, overrides)
    assert e.value.name == name
