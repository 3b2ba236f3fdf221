# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""drop/selection.py (pure): the replacement text of a rule."""

from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save as ips
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import selection

from .drop_rules import fixture, table


def test_replacement_keeps_every_byte_before_the_target():
    rs = ips.parse(fixture("iptables", "legacy-save.txt"))
    seed = [r for r in rs.rules() if r.table == "mangle"][0]
    assert selection.ipt_replacement(seed, "DROP") == (
        "-A PREROUTING -p tcp -m multiport --dports 80,443 -m set --match-set lee src -m string "
        "--string \"t.test.com\" --algo kmp --to 1480 -j DROP")
    r = ips.parse(table(['-A FORWARD -m comment --comment "x -j NFQUEUE y" -j NFQUEUE --queue-num 3'])).table_list[0].rules[0]
    assert selection.ipt_replacement(r, "ACCEPT") == '-A FORWARD -m comment --comment "x -j NFQUEUE y" -j ACCEPT'
