# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lookup ``kcrash.nfqueue.strategy_registry``: the strategy registry (module_utils/strategy/registry.py)
as data, so playbooks and roles keep no copy of it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: strategy_registry
author: kcrash.nfqueue maintainers (@kcrash-nfqueue)
version_added: 1.1.0
short_description: The collection's remediation strategies, from its one registry
description:
  - Returns parts of the strategy registry (C(plugins/module_utils/strategy/registry.py)), such as
    which role applies each strategy, which read the detection trip carries for each value of
    C(kcrash_strategy) and the apply order.
  - Controller only, pure data; C(playbooks/remediate.yml) and C(roles/remediate) use it instead
    of keeping their own tables.
options:
  _terms:
    description:
      - Which parts, each one of V(strategies) (one dict per strategy, in apply order, with
        C(name), C(role), C(action), C(catalog_id), C(read), C(result_var), C(tags), C(immediate)),
        V(choices) (what C(kcrash_strategy) may say), V(order) (strategy names in apply order),
        V(roles) (strategy name -> role), V(reads) (C(kcrash_strategy) value -> the strategies
        whose read the detection trip carries), V(result_vars) (strategy name -> what its role
        registers), V(immediate) (the strategies whose fix holds without a reboot).
      - None returns the whole registry as one dict with those keys.
    type: list
    elements: str
    required: false
"""

EXAMPLES = r"""
- name: The role of each strategy
  ansible.builtin.debug:
    msg: "{{ lookup('kcrash.nfqueue.strategy_registry', 'roles') }}"

- name: The strategy roles, in apply order
  ansible.builtin.debug:
    msg: "{{ lookup('kcrash.nfqueue.strategy_registry', 'strategies') | map(attribute='role') | list }}"
"""

RETURN = r"""
_raw:
  description: One element per term (the whole registry as one dict when no term is given).
  type: list
  elements: raw
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy import registry


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        data = registry.as_data()
        if not terms:
            return [data]
        out = []
        for term in terms:
            if term not in data:
                raise AnsibleLookupError("strategy_registry: %r is not one of %s" % (term, ", ".join(sorted(data))))
            out.append(data[term])
        return out
