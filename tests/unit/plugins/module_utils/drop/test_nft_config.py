# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""drop/nft_config.py (pure): the rewrite of saved nftables scripts."""

from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft as nftm
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import nft_config
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options

from .drop_rules import MG


NFT_CONF = """#!/usr/sbin/nft -f
flush ruleset
include "/etc/nftables.d/*.nft"
define QN = 3
table inet ids {
\tchain pre {
\t\ttype filter hook forward priority -150; policy accept;
\t\ttcp dport { 80,
\t\t\t443 } queue num 0-3 fanout,bypass comment "ids" # keep this comment
\t\tudp dport 53 queue to $QN; udp dport 54 accept
\t}
\tmap m { typeof ip saddr : queue; }
}
add rule inet ids pre meta l4proto icmp queue
table ip other { chain c { type filter hook input priority 0; tcp dport 80 queue bypass; } }
"""


def test_nft_config_rewrite_keeps_everything_else():
    new, edits = nft_config.rewrite_nft_config(NFT_CONF, drop_options.Options(), MG, "drop")
    assert new == NFT_CONF.replace("queue num 0-3 fanout,bypass", "drop").replace(
        "queue to $QN;", "drop;").replace("icmp queue\n", "icmp drop\n").replace("queue bypass;", "drop;")
    assert [(e["table"], e["chain"], e["line"]) for e in edits] == [
        ("ids", "pre", 9), ("ids", "pre", 10), ("ids", "pre", 14), ("other", "c", 15)]
    new, edits = nft_config.rewrite_nft_config(NFT_CONF, drop_options.Options(chains=["c"]), MG, "drop")
    assert len(edits) == 1 and "tcp dport 80 drop;" in new


def test_queue_span():
    t = 'tcp dport 1 queue flags bypass to 1-2 comment "x"'
    s, e = nftm.queue_span(t)
    assert t[s:e] == "queue flags bypass to 1-2"
    t = "ip saddr vmap { 1.1.1.1 : jump queue } queue to ip saddr map { 10.0.0.1 : 1 }; accept"
    s, e = nftm.queue_span(t)
    assert t[s:e] == "queue to ip saddr map { 10.0.0.1 : 1 }"
