# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters detect_failure / detect_failed_hosts: hostvars lookups, per-host levels, undefined
values (the playbooks' use is tested end to end in tests/unit/playbooks/test_detect_failures.py)."""

from jinja2 import Undefined

from ansible_collections.kcrash.nfqueue.plugins.filter.detect_failure import FilterModule

F = FilterModule().filters()


def detected(level):
    return {"exposure": level, "ansible_facts": {"kcrash_nfqueue": {"exposure": {"level": level, "reasons": ["why"]}}}}


def test_detect_failure_of_an_undefined_result_is_empty():
    assert F["detect_failure"](Undefined(), ["exposed"]) == ""
    assert F["detect_failure"](detected("exposed"), Undefined()) == ""
    assert F["detect_failure"](detected("exposed"), ["exposed"]) == "exposed: why"


def test_detect_failed_hosts_reads_hostvars_and_a_hosts_own_levels_win():
    hostvars = {
        "a": {"kcrash_detect_result": detected("exposed")},
        "b": {"kcrash_detect_result": detected("exposed"), "kcrash_detect_fail_levels": []},
        "c": {"kcrash_detect_result": detected("at_risk"), "kcrash_detect_fail_levels": ["at_risk"]},
        "d": {"kcrash_detect_result": Undefined()},
        "e": {},
        "f": {"kcrash_detect_result": {"unreachable": True, "msg": "m"}, "kcrash_detect_fail_levels": Undefined()},
    }
    hosts = ["a", "b", "c", "d", "e", "f", "not-in-hostvars"]
    assert F["detect_failed_hosts"](hosts, hostvars, ["exposed"]) == ["a", "c", "f"]
    assert F["detect_failed_hosts"](hosts, hostvars) == ["c", "f"]
    assert F["detect_failed_hosts"](["a"], {"a": {"other": detected("exposed")}}, ["exposed"], result_var="other") == ["a"]
