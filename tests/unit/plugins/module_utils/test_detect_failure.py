# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/detect_failure.py: which hosts the detect role fails, and the message."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import detect_failure


def detected(level, reasons=("r1", "r2")):
    """A registered exposure_facts result as Ansible keeps it."""
    return {"changed": False, "exposure": level, "msg": "h: %s" % level,
            "ansible_facts": {"kcrash_nfqueue": {"exposure": {"level": level, "reasons": list(reasons)}}}}


@pytest.mark.parametrize("result, levels, expected", [
    ({"unreachable": True, "msg": "Failed to connect to the host via ssh: port 1"}, [],
     "detection unreachable: Failed to connect to the host via ssh: port 1"),
    ({"failed": True, "msg": "cannot parse output of 'detection probe'"}, [],
     "detection failed: cannot parse output of 'detection probe'"),
    ({"failed": True, "unreachable": True, "msg": "x"}, [], "detection unreachable: x"),
    ({"failed": True}, ["exposed"], "detection failed: "),
    (detected("exposed"), ["exposed"], "exposed: r1; r2"),
    (detected("at_risk", ()), ["at_risk", "exposed"], "at_risk: "),
    (detected("exposed"), ["at_risk"], ""),
    (detected("exposed"), [], ""),
    (detected("not_exposed"), ["exposed", "at_risk", "unknown"], ""),
    ({"failed": False, "changed": False}, ["exposed"], ""),
    (None, ["exposed"], ""),
    ("not a result", ["exposed"], ""),
    ({"ansible_facts": {"kcrash_nfqueue": "odd"}}, ["exposed"], ""),
])
def test_message(result, levels, expected):
    assert detect_failure.message(result, levels) == expected


def test_failed_hosts_keeps_input_order_and_each_hosts_own_levels():
    results = {"a": detected("exposed"), "b": {"unreachable": True, "msg": "m"}, "c": detected("at_risk"),
               "d": detected("exposed"), "e": None}
    levels = {"a": ["exposed"], "c": ["exposed"], "d": []}
    got = detect_failure.failed_hosts(["e", "d", "c", "b", "a"], results.get, lambda h: levels.get(h, []))
    assert got == ["b", "a"]
    assert detect_failure.failed_hosts(None, results.get, lambda h: []) == []
