# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""saved_rules.py: NFQUEUE rules in grep -n filtered saved iptables and nftables files."""

from ansible_collections.kcrash.nfqueue.plugins.module_utils import saved_rules


def test_saved_files_only_real_targets():
    text = ("1:*mangle\n2::PREROUTING ACCEPT [0:0]\n"
            "5:-A PREROUTING -p tcp -m comment --comment \"NFQUEUE later\" -j ACCEPT\n"
            "6:-A PREROUTING -p tcp --dport 80 -j NFQUEUE --queue-num 3\n7:COMMIT\n")
    rules = saved_rules.parse_saved_iptables(text, "/etc/sysconfig/iptables", "ipv4")
    assert len(rules) == 1
    assert (rules[0]["line"], rules[0]["table"], rules[0]["chain"], rules[0]["queue"]["num"]) == (6, "mangle", "PREROUTING", 3)
    nft_rules = saved_rules.parse_saved_nft(
        "3:table inet filter {\n5:\tchain input {\n9:\t\ttcp dport 80 queue num 2 bypass\n"
        "12:\tmap q { typeof tcp dport : queue\n", "/etc/nftables.conf")
    assert [(r["table"], r["chain"], r["line"]) for r in nft_rules] == [("filter", "input", 9)]
