# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters ``kcrash.nfqueue.choose_strategy`` (one host) and ``choose_strategies`` (a play)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from jinja2 import Undefined

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy.choose import choose_strategy
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy.fleet import HOST_DEFAULTS, plan_fleet

_PASSED_THROUGH = tuple(HOST_DEFAULTS) + ("kcrash_offload_interfaces",)


def _choose_strategy(facts, strategy="auto", window="", levels=None, kernel_target=""):
    try:
        return choose_strategy(facts, strategy=strategy, window=window, levels=levels,
                               kernel_target=kernel_target)
    except KcrashError as e:
        raise AnsibleFilterError(str(e))


def _get(mapping, key):
    """mapping[key], None when absent; a variable that fails to template raises as usual."""
    try:
        value = mapping[key]
    except (KeyError, TypeError):
        return None
    if isinstance(value, Undefined):
        return None
    return value


def _choose_strategies(hosts, hostvars, overrides=None):
    """``ansible_play_hosts | kcrash.nfqueue.choose_strategies(hostvars[, overrides])``."""
    inputs = {}
    for host in hosts or []:
        hv = _get(hostvars, host) or {}
        facts = _get(_get(hv, "ansible_facts") or {}, "kcrash_nfqueue")
        inputs[host] = {"facts": facts,
                        "vars": dict((k, _get(hv, k)) for k in _PASSED_THROUGH)}
    try:
        return plan_fleet(inputs, overrides)
    except KcrashError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {"choose_strategy": _choose_strategy, "choose_strategies": _choose_strategies}
