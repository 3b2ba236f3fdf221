# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``kcrash.nfqueue.choose_strategy``: facts + operator choice -> remediation plan."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.plans.strategy import choose_strategy


def _choose_strategy(facts, strategy="auto", window="", levels=None, kernel_target=""):
    try:
        return choose_strategy(facts, strategy=strategy, window=window, levels=levels,
                               kernel_target=kernel_target)
    except KcrashError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {"choose_strategy": _choose_strategy}
