# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every role variable is documented in the role's README.md with its default, and the
defaults file, the argument spec and the README agree (geerlingguy style)."""

import json
import os
import re

import pytest
import yaml

from conftest import REPO

ROLES = sorted(d for d in os.listdir(os.path.join(REPO, "roles"))
               if os.path.exists(os.path.join(REPO, "roles", d, "meta", "argument_specs.yml")))


def _load(*parts):
    with open(os.path.join(REPO, *parts)) as f:
        return yaml.safe_load(f)


def _readme_rows(role):
    with open(os.path.join(REPO, "roles", role, "README.md")) as f:
        text = f.read()
    rows = {}
    for m in re.finditer(r"^\| `([a-z0-9_]+)` \| ((?:[^|\\]|\\.)*) \|", text, re.M):
        rows[m.group(1)] = m.group(2).strip()
    return rows


def _as_readme(value):
    """How the README writes a default: `true`, `[lro]`, `''`, `auto`, `/var/...`."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "`%s`" % str(value).lower()
    if isinstance(value, list):
        return "`[%s]`" % ", ".join(str(v) for v in value)
    if value == "":
        return ("`''`", '`""`')
    return "`%s`" % value


def test_there_are_roles():
    assert {"detect", "offload", "nfqueue_drop", "kernel_upgrade", "remediate"} <= set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_every_variable_is_in_the_readme_with_its_default(role):
    spec = _load("roles", role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = _load("roles", role, "defaults", "main.yml") or {}
    rows = _readme_rows(role)
    missing = sorted(set(spec) - set(rows))
    assert not missing, "%s/README.md lacks %s" % (role, missing)
    for name, opt in spec.items():
        if "default" not in opt:
            continue
        assert name in defaults, "%s: %s has a spec default but none in defaults/main.yml" % (role, name)
        if isinstance(defaults[name], str) and "{{" in defaults[name]:
            continue    # computed at run time; the spec and README describe it in words
        assert json.dumps(defaults[name]) == json.dumps(opt["default"]), (role, name)
        want = _as_readme(opt["default"])
        if want is not None:
            assert rows[name].startswith(want if isinstance(want, tuple) else (want,)), "%s/README.md: %s default %s, spec says %s" % (
                role, name, rows[name], want)
