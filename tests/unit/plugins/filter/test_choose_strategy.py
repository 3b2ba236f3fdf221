# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kcrash.nfqueue.choose_strategy filter: same planner, Ansible errors at the edge."""

import os
import subprocess
import sys

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kcrash.nfqueue.plugins.filter.choose_strategy import FilterModule

from conftest import COLLECTIONS

FACTS = {"exposure": {"level": "exposed"},
         "interfaces": {"eth0": {"features": {"lro": {"active": True, "fixed": False}}}}}


def test_filter_is_registered_and_plans():
    f = FilterModule().filters()["choose_strategy"]
    assert f(FACTS)["actions"] == ["offload"]
    assert f(FACTS, "drop")["actions"] == ["drop"]


def test_bad_strategy_is_a_filter_error_naming_the_variable():
    f = FilterModule().filters()["choose_strategy"]
    with pytest.raises(AnsibleFilterError, match="kcrash_strategy"):
        f(FACTS, "reboot-everything")


def test_filter_by_fqcn_in_a_real_ansible_run(tmp_path):
    """Resolve the filter by its FQCN through ansible's own loader (controller only)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    bindir = os.path.dirname(sys.executable)
    expr = "{{ f | kcrash.nfqueue.choose_strategy('drop') | to_json }}"
    out = subprocess.run(
        [os.path.join(bindir, "ansible"), "localhost", "-m", "ansible.builtin.debug",
         "-a", "msg=" + expr, "-e", '{"f": {"exposure": {"level": "exposed"}}}'],
        env=env, capture_output=True, text=True, timeout=120, cwd=str(tmp_path), check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert '\\"actions\\": [\\"drop\\"]' in out.stdout or '"actions": ["drop"]' in out.stdout


def test_choose_strategies_reads_host_variables_and_facts():
    f = FilterModule().filters()["choose_strategies"]
    hostvars = {
        "a": {"ansible_facts": {"kcrash_nfqueue": FACTS}},
        "b": {"ansible_facts": {"kcrash_nfqueue": FACTS}, "kcrash_strategy": "drop",
              "kcrash_interfaces": "eth0"},
        "c": {},
    }
    out = f(["a", "b", "c"], hostvars)
    assert out["a"]["plan"]["actions"] == ["offload"]
    assert out["b"]["plan"]["actions"] == ["drop"]
    assert out["b"]["offload_interfaces"] == ["eth0"]
    assert out["c"]["plan"]["status"] == "unknown"
    with pytest.raises(AnsibleFilterError, match="host b: .*kcrash_strategy|kcrash_strategy.*host b"):
        f(["b"], {"b": {"kcrash_strategy": "bogus"}})
