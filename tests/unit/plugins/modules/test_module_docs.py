# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module docs share their ``attributes`` through the doc fragment
``kcrash.nfqueue.attributes``, and list the NFQUEUE rule fields exactly as the fragment
``nfqueue_rule`` writes them (ansible-core merges fragments into DOCUMENTATION only, so RETURN
repeats them and this test keeps the copies equal)."""

import glob
import importlib
import os

import pytest
import yaml

from conftest import REPO

PKG = "ansible_collections.kcrash.nfqueue.plugins"
MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, "plugins", "modules", "*.py")))
FRAGMENTS = importlib.import_module("%s.doc_fragments.attributes" % PKG).ModuleDocFragment
RULE_FIELDS = yaml.safe_load(importlib.import_module("%s.doc_fragments.nfqueue_rule" % PKG).ModuleDocFragment.RETURN)

# where a module returns a list of NFQUEUE rules: module -> path of keys to the list in RETURN
RULE_LISTS = {
    "exposure_facts": ("ansible_facts", "kcrash_nfqueue", "nfqueue_rules"),
    "nfqueue_target": ("changes",),
}


def _module(name):
    return importlib.import_module("%s.modules.%s" % (PKG, name))


def _attributes(doc):
    """The module's attributes after merging its fragments, as ansible-core does: the
    fragment's entry updated by the module's own keys."""
    out = {}
    for fragment in doc.get("extends_documentation_fragment") or []:
        parts = fragment.split(".")
        if parts[2] != "attributes":
            continue
        var = parts[3].upper() if len(parts) == 4 else "DOCUMENTATION"
        for key, value in (yaml.safe_load(getattr(FRAGMENTS, var)).get("attributes") or {}).items():
            out[key] = dict(value)
    for key, value in (doc.get("attributes") or {}).items():
        out.setdefault(key, {}).update(value)
    return out


@pytest.mark.parametrize("name", MODULES)
def test_every_module_takes_its_attributes_from_the_fragment(name):
    doc = yaml.safe_load(_module(name).DOCUMENTATION)
    assert any(f.split(".")[:3] == ["kcrash", "nfqueue", "attributes"]
               for f in doc.get("extends_documentation_fragment") or []), name
    attrs = _attributes(doc)
    assert set(attrs) >= {"check_mode", "diff_mode"}
    for key, value in attrs.items():
        assert value.get("support") in ("full", "partial", "none"), (key, value)
        assert value.get("description"), key
    # what the module states itself is only what differs from the fragment
    for key, value in (doc.get("attributes") or {}).items():
        assert set(value) <= {"description", "support"}


@pytest.mark.parametrize("name", sorted(RULE_LISTS))
def test_rule_fields_are_the_fragments(name):
    node = yaml.safe_load(_module(name).RETURN)
    for i, key in enumerate(RULE_LISTS[name]):
        node = node[key] if i == 0 else node["contains"][key]
    assert node["type"] == "list" and node["elements"] == "dict"
    contains = node["contains"]
    for field, want in RULE_FIELDS.items():
        assert contains.get(field) == want, field
