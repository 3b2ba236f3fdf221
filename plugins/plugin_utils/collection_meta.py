# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which version of kcrash.nfqueue a directory holds (playbooks vs the loaded collection).

Under AWX the playbooks come from the project (a git checkout) while the plugins and roles
come from the collection installed in the execution environment: the two can differ. A
collection root says its version in ``MANIFEST.json`` (built or installed collection) or in
``galaxy.yml`` (a checkout); nothing else is trusted and no constant is kept by hand.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import yaml

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError

#: this collection, whatever version it is
NAMESPACE = "kcrash"
NAME = "nfqueue"


def collection_info(root):
    """``{"version", "source"}`` of the collection at ``root``; KcrashInputError when neither
    file is there, cannot be read, or names another collection."""
    for name in ("MANIFEST.json", "galaxy.yml"):
        path = os.path.join(root, name)
        if not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as f:
                data = f.read()
            info = json.loads(data)["collection_info"] if name == "MANIFEST.json" else yaml.safe_load(data)
        except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as e:
            raise KcrashInputError(path, "cannot read the collection version: %s" % e)
        if not isinstance(info, dict) or (info.get("namespace"), info.get("name")) != (NAMESPACE, NAME):
            raise KcrashInputError(path, "is not the %s.%s collection" % (NAMESPACE, NAME))
        version = info.get("version")
        if not isinstance(version, str) or not version.strip():
            raise KcrashInputError(path, "has no version")
        return {"version": version.strip(), "source": path}
    raise KcrashInputError(root, "holds neither MANIFEST.json nor galaxy.yml of %s.%s" % (NAMESPACE, NAME))


def loaded_root():
    """Root directory of the collection this code was loaded from."""
    here = os.path.dirname(os.path.abspath(__file__))  # <root>/plugins/plugin_utils
    return os.path.dirname(os.path.dirname(here))
