# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every option of the kernel_upgrade / reboot_schedule actions is documented with the same
type, default and choices in its doc-only module."""

import importlib

import pytest
import yaml

PAIRS = [("kernel_upgrade", "kernel_upgrade"), ("reboot_schedule", "reboot_schedule")]


@pytest.mark.parametrize("action,module", PAIRS)
def test_docs_match_argspec(action, module):
    act = importlib.import_module("ansible_collections.kcrash.nfqueue.plugins.action.%s" % action)
    mod = importlib.import_module("ansible_collections.kcrash.nfqueue.plugins.modules.%s" % module)
    doc = yaml.safe_load(mod.DOCUMENTATION)
    opts = doc["options"]
    assert set(opts) == set(act.ARGSPEC), set(opts) ^ set(act.ARGSPEC)
    for name, spec in act.ARGSPEC.items():
        assert opts[name]["type"] == spec["type"], name
        assert opts[name].get("default") == spec.get("default"), name
        assert opts[name].get("choices") == spec.get("choices"), name
    yaml.safe_load(mod.EXAMPLES)
    ret = yaml.safe_load(mod.RETURN)
    assert all("description" in v and "returned" in v for v in ret.values())
