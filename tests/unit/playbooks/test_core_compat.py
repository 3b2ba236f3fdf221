# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Templating that differs between the supported ansible-core versions (2.16 .. 2.21).

Runs under every version of the controller matrix (scripts/matrix.sh runs tests/unit/playbooks
with each version's ansible-playbook). The expression under test is read from the role, not
copied, so a change to the role is what gets tested.
"""

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from conftest import ANSIBLE_PLAYBOOK, REPO

REMEDIATE_TASKS = os.path.join(REPO, "roles", "remediate", "tasks", "main.yml")

# roles/remediate/tasks/main.yml before the fix: ternary() evaluates both arguments, and up to
# ansible-core 2.18 `split` on a list raises "descriptor 'split' for 'str' objects doesn't
# apply to a 'list' object" (2.19's data tagging made split tolerate it).
OLD_INTERFACES_OK = (
    "{{ ((kcrash_interfaces is string) | ternary(kcrash_interfaces | split(','), kcrash_interfaces))"
    " | map('trim') | reject('equalto', '') | reject('match', '^[A-Za-z0-9_.:@+-]{1,15}$')"
    " | list | length == 0 }}")


def core_version():
    out = subprocess.run([ANSIBLE_PLAYBOOK, "--version"], capture_output=True, text=True, check=True).stdout
    return tuple(int(x) for x in re.search(r"core ([0-9]+)\.([0-9]+)", out).groups())


def role_interfaces_ok():
    with open(REMEDIATE_TASKS, encoding="utf-8") as f:
        tasks = yaml.safe_load(f)
    for task in tasks:
        for item in task.get("loop") or []:
            if isinstance(item, dict) and item.get("name") == "kcrash_interfaces":
                return item["ok"].strip()
    raise AssertionError("no kcrash_interfaces check in %s" % REMEDIATE_TASKS)


def evaluate(tmp_path, expression, value):
    """(rc, result or error text) of ``expression`` with kcrash_interfaces=value, templated by
    the real ansible-playbook of this python's ansible-core."""
    play = [{"hosts": "localhost", "gather_facts": False,
             "vars": {"kcrash_interfaces": value, "expr_result": expression},
             "tasks": [{"ansible.builtin.debug": {"msg": "RESULT={{ expr_result | to_json }}"}}]}]
    (tmp_path / "play.yml").write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    env.pop("ANSIBLE_CONFIG", None)
    p = subprocess.run([ANSIBLE_PLAYBOOK, "-i", "localhost,", "-c", "local", str(tmp_path / "play.yml")],
                       cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120, check=False)
    m = re.search(r'RESULT=(true|false)', p.stdout)
    if p.returncode == 0 and m:
        return 0, m.group(1) == "true"
    return p.returncode or 1, p.stdout[-1500:] + p.stderr[-1500:]


@pytest.mark.parametrize("value, valid", [
    ([], True),                       # the default
    (["eth0", "bond0.100"], True),
    ("eth0, eth1", True),
    ("", True),
    ("eth0;reboot", False),
    (["eth0", "x" * 16], False),
    ("eth0,x" + "y" * 15, False),
])
def test_interfaces_check_of_the_role_on_this_core(tmp_path, value, valid):
    rc, result = evaluate(tmp_path, role_interfaces_ok(), value)
    assert rc == 0, result
    assert result is valid


def test_old_ternary_expression_fails_before_2_19(tmp_path):
    """The reproduction of issue 12: the old expression with the default [] fails on 2.16,
    2.17 and 2.18 and passes from 2.19 on. Under the matrix this runs on each version, so it
    also shows the test above would have caught it."""
    rc, result = evaluate(tmp_path, OLD_INTERFACES_OK, [])
    if core_version() < (2, 19):
        assert rc != 0
        assert "descriptor 'split'" in result, result
    else:
        assert (rc, result) == (0, True)
