# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""This checkout imported as ``ansible_collections.kcrash.nfqueue`` by a bench script, through
the same link tests/unit/conftest.py makes (``.build/pytest-collections``). A bench script
imports it as ``import checkout`` (the script's own directory is on sys.path)."""

import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def install():
    """Link the checkout under ``.build/pytest-collections`` and install Ansible's collection
    finder on it; returns that collections root."""
    root = os.path.join(REPO, ".build", "pytest-collections")
    ns = os.path.join(root, "ansible_collections", "kcrash")
    os.makedirs(ns, exist_ok=True)
    link = os.path.join(ns, "nfqueue")
    if not os.path.islink(link):
        os.symlink(REPO, link)
    if root not in sys.path:
        sys.path.insert(0, root)
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
    _AnsibleCollectionFinder._remove()
    _AnsibleCollectionFinder(paths=[root])._install()
    return root
