# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: collection_version
author: kcrash.nfqueue maintainers (@kcrash-nfqueue)
version_added: 1.0.0
short_description: Version of the kcrash.nfqueue collection that is loaded, or found in a directory
description:
  - Without terms, the version of the kcrash.nfqueue collection this lookup was loaded from (the
    one whose plugins and roles run, e.g. the one installed in an AWX execution environment).
  - With terms, the version of the kcrash.nfqueue collection at each directory (e.g. the
    project checkout the playbooks come from).
  - Read from C(MANIFEST.json) (built or installed collection) or C(galaxy.yml) (a checkout).
    Fails with the path when neither is there or the file names another collection.
options:
  _terms:
    description: Collection root directories.
    type: list
    elements: path
    required: false
  field:
    description: V(version), or V(source) (the file the version was read from).
    type: str
    choices: [version, source]
    default: version
"""

EXAMPLES = r"""
- name: Refuse to run with another version of the collection
  ansible.builtin.assert:
    that: lookup('kcrash.nfqueue.collection_version') == lookup('kcrash.nfqueue.collection_version', playbook_dir ~ '/..')
"""

RETURN = r"""
_raw:
  description: One version (or source file) per term, or one for the loaded collection.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.collection_meta import (
    collection_info,
    loaded_root,
)
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        roots = list(terms) or [loaded_root()]
        try:
            return [collection_info(root)[self.get_option("field")] for root in roots]
        except KcrashError as e:
            raise AnsibleLookupError("kcrash.nfqueue.collection_version: %s" % e)
