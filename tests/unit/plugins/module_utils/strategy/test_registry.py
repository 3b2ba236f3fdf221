# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The strategy registry (strategy/registry.py) is the one list of strategies: what is derived
from it says what the hand-kept tables said, and the static YAML (argument specs, roles,
catalog, module docs) names the same strategies."""

import importlib
import json
import os
import re

import pytest
import yaml

from conftest import REPO
from test_choose import INCIDENT, el7_fixable

from ansible_collections.kcrash.nfqueue.plugins.module_utils import catalog, report_record
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy import choose, registry

PKG = "ansible_collections.kcrash.nfqueue.plugins"


def _yaml(*parts):
    with open(os.path.join(REPO, *parts)) as f:
        return yaml.safe_load(f)


def _remediate_options():
    return _yaml("roles", "remediate", "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]


def test_derived_tables_say_what_the_hand_kept_ones_said():
    # remediate.yml's maps and strategy.py's tuples as they were written by hand before the registry
    assert choose.STRATEGIES == ("auto", "offload", "drop", "kernel", "none")
    assert choose.ACTION_ORDER == ("offload", "drop", "kernel")
    data = registry.as_data()
    assert data["reads"] == {"auto": ["offload"], "offload": ["offload"], "drop": ["drop"]}
    assert data["roles"] == {"offload": "offload", "drop": "nfqueue_drop", "kernel": "kernel_upgrade"}
    assert [s["role"] for s in data["strategies"]] == ["offload", "nfqueue_drop", "kernel_upgrade"]
    # remediate.yml's re-detection and the report's still_exposed: offload and drop hold at once
    assert data["immediate"] == ["offload", "drop"]


def test_kcrash_strategy_choices_in_the_argument_spec_are_the_registrys():
    opts = _remediate_options()
    assert opts["kcrash_strategy"]["choices"] == list(registry.CHOICES)
    assert opts["kcrash_strategy"]["default"] == "auto"
    assert opts["kcrash_strategy_override"]["choices"] == ["inventory"] + list(registry.CHOICES)


@pytest.mark.parametrize("strategy", registry.REGISTRY, ids=lambda s: s.name)
def test_each_strategy_names_things_that_exist(strategy):
    assert os.path.isfile(os.path.join(REPO, "roles", strategy.role, "meta", "argument_specs.yml"))
    for kind in ("action", "modules"):
        assert os.path.isfile(os.path.join(REPO, "plugins", kind, strategy.action + ".py")), kind
    mitigations = [m for bug in catalog.BUGS for m in bug.get("mitigations") or [] if m["id"] == strategy.catalog_id]
    assert mitigations and all(m["strategy"] == strategy.name for m in mitigations)
    with open(os.path.join(REPO, "roles", strategy.role, "tasks", "main.yml")) as f:
        assert re.search(r"^\s*register: %s$" % re.escape(strategy.result_var), f.read(), re.M)
    assert strategy.tags == (strategy.name,)


@pytest.mark.parametrize("name", sorted(registry.READS))
def test_each_read_is_a_script_with_its_nonce(name):
    module, func, kwargs = registry.READS[name]
    script, nonce = getattr(importlib.import_module("%s.module_utils.%s" % (PKG, module)), func)(**kwargs)
    assert nonce and nonce in script


def test_may_plan():
    assert registry.may_plan("auto") == ("offload", "kernel")
    assert registry.may_plan("none") == ()
    assert registry.may_plan("drop") == ("drop",)
    assert registry.may_plan("bogus") == ()


def test_every_plan_choose_strategy_makes_is_one_the_choice_may_plan():
    # the registry's may_plan is what choose_strategy can plan: checked on the lab incident's facts
    for facts in (INCIDENT, el7_fixable()):
        for choice in registry.CHOICES:
            plan = choose.choose_strategy(facts, strategy=choice, window="02:00", kernel_target="")
            assert set(plan["actions"]) <= set(registry.may_plan(choice)), (choice, plan)


def test_report_schema_lists_the_registrys_strategies():
    with open(os.path.join(REPO, "docs", "schema", "report-v1.json")) as f:
        schema = json.load(f)
    enums = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("enum") and "offload" in node["enum"]:
                enums.append(node["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)
    assert len(enums) == 2 and all(e == list(registry.ACTION_ORDER) for e in enums)
    assert report_record.ACTIONS == registry.ACTION_ORDER
    assert sorted(report_record._RESULT_READERS) == sorted(registry.BY_NAME)
