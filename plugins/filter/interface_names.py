# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter ``kcrash.nfqueue.interface_problems``: the play-level check of interface names with
the collection's one rule (``module_utils/shell.py`` ``validate_ifname``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy.fleet import interface_items
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import ifname_problem


def _interface_problems(value, name="kcrash_interfaces"):
    """What is wrong with the names of ``value`` (a list or comma-separated string): one
    message per bad name, ``[]`` when every name is valid."""
    try:
        items = interface_items(value, name)
    except KcrashInputError as e:
        return [str(e)]
    return [p for p in (ifname_problem(i) for i in items) if p]


class FilterModule(object):
    def filters(self):
        return {"interface_problems": _interface_problems}
