# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Schema-v1 remediation reports built by the real code from the recorded lab facts
(tests/unit/fixtures/report/lab-<host>.json), for the tests of code that reads reports."""

import copy
import json
import os

from ansible_collections.kcrash.nfqueue.plugins.module_utils import remediation_report
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy.choose import choose_strategy

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "report")


def lab_facts(host, answered_at=None):
    with open(os.path.join(FIXTURES, "lab-%s.json" % host)) as f:
        facts = json.load(f)
    if answered_at:
        facts = copy.deepcopy(facts)
        facts.setdefault("probe", {})["answered_at"] = answered_at
    return facts


def check_report(hosts, generated="2026-12-06T01:00:00Z", answered_at=None, strategy="auto"):
    """``remediate.yml --check`` report of lab fixture hosts {name: fixture host}."""
    inputs = {}
    for name, fixture in hosts.items():
        facts = lab_facts(fixture, answered_at)
        inputs[name] = {"plan": choose_strategy(facts, strategy=strategy), "before": facts}
    return json.loads(remediation_report.to_json(remediation_report.build(inputs, True, generated=generated)))
