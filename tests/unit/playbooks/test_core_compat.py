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

from conftest import ANSIBLE_PLAYBOOK, COLLECTIONS, REPO

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
    env["ANSIBLE_COLLECTIONS_PATH"] = COLLECTIONS    # the role's check uses the collection's own filter
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


SHIPPED_GLOBS = ("playbooks/*.yml", "roles/*/tasks/*.yml", "roles/*/defaults/*.yml", "roles/*/vars/*.yml",
                 "roles/*/templates/*")
CONDITIONAL_KEYS = ("when", "that", "failed_when", "changed_when", "until")


def _conditionals(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in CONDITIONAL_KEYS:
                for v in value if isinstance(value, list) else [value]:
                    yield "{{ %s }}" % v
            yield from _conditionals(value)
    elif isinstance(node, list):
        for item in node:
            yield from _conditionals(item)


def _shipped_expressions():
    """Every Jinja expression of the playbooks, roles and templates: {{ }}, {% %} and the
    conditionals (when, that, ...), which are expressions without braces."""
    import glob
    exprs = []
    for pattern in SHIPPED_GLOBS:
        for path in sorted(glob.glob(os.path.join(REPO, pattern))):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            exprs += re.findall(r"\{\{.*?\}\}|\{%.*?%\}", text, re.S)
            if path.endswith(".yml"):
                exprs += list(_conditionals(yaml.safe_load(text)))
    return exprs


def _plugin_names(kind):
    """Names of the builtin `kind` (filter/test) plugins of this ansible-core, short and
    ansible.builtin., plus Jinja's own."""
    import jinja2.defaults
    doc = os.path.join(os.path.dirname(ANSIBLE_PLAYBOOK), "ansible-doc")
    out = subprocess.run([doc, "-t", kind, "-l", "-j", "ansible.builtin"], capture_output=True, text=True, check=True).stdout
    names = set(json.loads(out))
    names |= {n.split(".")[-1] for n in names}
    names |= set(jinja2.defaults.DEFAULT_FILTERS if kind == "filter" else jinja2.defaults.DEFAULT_TESTS)
    return names


def test_every_filter_and_test_the_playbooks_use_exists_in_this_core():
    """A filter or test newer than this ansible-core (or its Jinja) in a playbook, role or
    template would fail only when that path runs; check every name up front."""
    exprs = "\n".join(_shipped_expressions())
    # string literals hold regexes with "|": leave them out
    code = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "''", exprs)
    filters = set(re.findall(r"\|\s*([A-Za-z_][A-Za-z0-9_.]*)", code))
    tests = set(re.findall(r"\bis\s+(?:not\s+)?([A-Za-z_][A-Za-z0-9_.]*)", code))
    tests |= set(re.findall(r"\b(?:select|reject)\('([A-Za-z_][A-Za-z0-9_.]*)'", exprs))
    tests |= set(re.findall(r"\b(?:selectattr|rejectattr)\('[^']+',\s*'([A-Za-z_][A-Za-z0-9_.]*)'", exprs))
    assert {"default", "to_json", "kcrash.nfqueue.interface_problems"} <= filters and {"string", "match"} <= tests  # the scan sees them
    own = "kcrash.nfqueue."
    unknown_filters = sorted(f for f in filters - _plugin_names("filter") if not f.startswith(own))
    unknown_tests = sorted(t for t in tests - _plugin_names("test") if not t.startswith(own))
    assert not unknown_filters and not unknown_tests, (unknown_filters, unknown_tests)
