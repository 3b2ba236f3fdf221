# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fields of one NFQUEUE rule (or nft ``queue`` statement) as the actions return it: the
rule shape ``exposure_facts`` (``kcrash_nfqueue.nfqueue_rules``) and ``nfqueue_target``
(``changes``) share.

ansible-core merges doc fragments into ``DOCUMENTATION`` only, never into ``RETURN``: the
modules' ``RETURN`` blocks list these fields themselves, and
``tests/unit/plugins/modules/test_module_docs.py`` checks that each lists them exactly as
written here (a module may add fields of its own).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # the ``contains`` of a returned list of NFQUEUE rules
    RETURN = r"""
family:
  description: V(ipv4), V(ipv6) for iptables; the nft table family (V(ip), V(ip6), V(inet) ...) for native nft.
  type: str
backend:
  description: V(legacy), V(nft) (iptables-nft) or V(nftables) (native nft).
  type: str
table:
  description: Table name.
  type: str
chain:
  description: Chain name.
  type: str
position:
  description: 1-based position in the chain when read.
  type: int
rule:
  description: The rule as read, its C(-A CHAIN ...) line without counters, or the nft rule text.
  type: str
handle:
  description: nft rule handle (native nft), else V(null).
  type: int
queue:
  description: The queue target, C(num), C(balance) ([first, last]), C(bypass), C(fanout).
  type: dict
reachable_from:
  description: Built-in chains (or nft base chains) from which the rule's chain is reached.
  type: list
  elements: str
"""
