# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every action's argument spec and its doc-only module (with the doc fragments it extends)
say the same options with the same type, default, choices, elements and requiredness
(test_kernel_action_docs.py checks the rest of the kernel_upgrade / reboot_schedule docs).
A host path is ``type: str`` on both sides: ``path`` would expand ``~`` on the controller."""

import glob
import importlib
import os

import pytest
import yaml

from conftest import REPO

ACTIONS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, "plugins", "action", "*.py")))
PKG = "ansible_collections.kcrash.nfqueue.plugins"


def _documented_options(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    opts = {}
    for fragment in doc.get("extends_documentation_fragment") or []:
        namespace, name, frag = fragment.split(".")[:3]
        assert (namespace, name) == ("kcrash", "nfqueue"), fragment
        var = fragment.split(".")[3].upper() if fragment.count(".") == 3 else "DOCUMENTATION"
        frag_mod = importlib.import_module("%s.doc_fragments.%s" % (PKG, frag))
        opts.update(yaml.safe_load(getattr(frag_mod.ModuleDocFragment, var))["options"] or {})
    for name, option in doc["options"].items():
        # as ansible-core merges: the fragment's option updated by the module's own keys
        opts[name] = dict(opts.get(name) or {}, **option)
    return opts


def test_every_action_has_its_doc_module():
    modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, "plugins", "modules", "*.py")))
    assert ACTIONS == modules
    assert len(ACTIONS) == 8


def argspec(action):
    """The spec the action validates against: ``ActionModule.ARGSPEC`` (the ShellActionBase
    template validates with it before ``run_action``; every action sets it)."""
    spec = action.ActionModule.ARGSPEC
    assert isinstance(spec, dict), "%s sets no ARGSPEC" % action.__name__
    return spec


@pytest.mark.parametrize("name", ACTIONS)
def test_action_argspec_matches_its_documentation(name):
    action = importlib.import_module("%s.action.%s" % (PKG, name))
    spec = argspec(action)
    opts = _documented_options(importlib.import_module("%s.modules.%s" % (PKG, name)))
    assert sorted(opts) == sorted(spec)
    for option, s in spec.items():
        o = opts[option]
        assert (o["type"], o.get("default"), sorted(o.get("choices") or []), o.get("elements"),
                bool(o.get("required"))) == \
            (s["type"], s.get("default"), sorted(s.get("choices") or []), s.get("elements"),
             bool(s.get("required"))), option
