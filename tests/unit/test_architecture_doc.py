# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/architecture.md names every controller-side module (plugins/module_utils,
plugins/plugin_utils) and every playbook, and names no file that is not there (a moved file,
e.g. collection_meta.py from module_utils to plugin_utils, must move in the map too)."""

import glob
import os
import re

from conftest import REPO


def _doc():
    with open(os.path.join(REPO, "docs", "architecture.md")) as f:
        return f.read()


def _named_paths(text):
    """`module_utils/...py` and `plugin_utils/...py` paths in backticks, `{a,b}` expanded."""
    out = set()
    for m in re.finditer(r"`((?:module_utils|plugin_utils)/[\w/]*?)(?:\{([\w,]+)\}|(\w+))\.py", text):
        names = m.group(2).split(",") if m.group(2) else [m.group(3)]
        out.update("%s%s.py" % (m.group(1), n) for n in names)
    return out


def _files():
    out = set()
    for top in ("module_utils", "plugin_utils"):
        for path in glob.glob(os.path.join(REPO, "plugins", top, "**", "*.py"), recursive=True):
            if os.path.basename(path) != "__init__.py":
                out.add(os.path.relpath(path, os.path.join(REPO, "plugins")))
    return out


def test_architecture_map_names_every_controller_module_and_only_existing_ones():
    named = _named_paths(_doc())
    files = _files()
    assert sorted(files - named) == [] and sorted(named - files) == []


def test_architecture_names_every_playbook():
    text = _doc()
    at = text.index("`playbooks/` holds")
    listed = set(re.findall(r"\w+", text[at + len("`playbooks/` holds"):text.index(".", at)])) - {"and"}
    playbooks = set(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(REPO, "playbooks", "*.yml")))
    assert playbooks <= listed
