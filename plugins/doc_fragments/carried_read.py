# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options of the strategy actions that plan from a read the detection trip carried."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  reuse_read:
    description:
      - Plan from the read that the detection trip carried earlier in this run
        (C(kcrash.nfqueue.exposure_facts) with its option C(strategy_reads) naming this
        strategy) instead of a read trip of its own, when the answer belongs to this host and
        is at most O(read_max_age) seconds old. The answer stays on the controller, in the
        run's private temporary directory (never in facts); a real run uses it once.
      - Why a read that is seconds old is safe to apply from is in this action's notes.
    type: bool
    default: true
  read_max_age:
    description: Oldest carried read (seconds) that O(reuse_read) accepts; older means a read trip of its own.
    type: int
    default: 600
"""
