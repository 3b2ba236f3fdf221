# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection, concurrent change: another process inserts a rule into an affected
chain AFTER the apply trip's backup save and digest check and BEFORE the restore commits
(a labelled stand-in restore tool first in PATH inserts it, then runs the real tool). The
transaction's length guard makes the restore fail as a whole: the other rule survives, the
NFQUEUE rule is untouched, and the message names the chain. Previously ``-R N`` overwrote
the other rule and the change was confirmed."""

import pytest

from conftest import run_play_json, stand_ins
from faultlab import NEEDS_ROOT, NS

pytestmark = NEEDS_ROOT

STANDIN = r'''#!/bin/sh
# STAND-IN (fault test): the first real `--noflush` restore (not --test) first lets
# "another process" insert a rule at the top of FORWARD, then runs the real tool.
case " $* " in *" --test "*) ;; *" --noflush "*)
  if [ ! -e "$KSAF_FLAG" ]; then : > "$KSAF_FLAG"; /usr/sbin/iptables-%(b)s -I FORWARD 1 -s 192.0.2.77 -j ACCEPT; fi ;;
esac
exec /usr/sbin/iptables-%(b)s-restore "$@"
'''


@pytest.mark.parametrize("flavour", ["legacy", "nft"])
def test_rule_inserted_between_save_and_restore_aborts_the_apply(tmp_path, flavour):
    ns = NS()
    try:
        ns.ok("iptables-%s -A FORWARD -p tcp --dport 1 -j ACCEPT; iptables-%s -A FORWARD -j NFQUEUE --queue-num 1"
              % (flavour, flavour))
        path = stand_ins(tmp_path / "bin", {"iptables-%s-restore" % flavour: STANDIN % {"b": flavour}})
        env = {"PATH": path, "KSAF_FLAG": str(tmp_path / "inserted")}
        rc, out = run_play_json(tmp_path, [{"name": "drop", "kcrash.nfqueue.nfqueue_target": {
            "backup_root": str(tmp_path / "b"), "persist": False}}], wrap=["ip", "netns", "exec", ns.name], env=env)
        res = out["plays"][0]["tasks"][0]["hosts"]["testhost"]
        assert (tmp_path / "inserted").exists()
        assert rc != 0 and res["failed"] and not res["changed"], res
        assert "chain FORWARD (iptables-%s, table filter)" % flavour in res["msg"], res["msg"]
        assert "changed during the apply" in res["msg"]
        rules = [line for line in ns.ok("iptables-%s-save -t filter" % flavour).splitlines() if line.startswith("-A ")]
        assert rules == ["-A FORWARD -s 192.0.2.77/32 -j ACCEPT", "-A FORWARD -p tcp -m tcp --dport 1 -j ACCEPT",
                         "-A FORWARD -j NFQUEUE --queue-num 1"]
        # run again: it re-plans from the new state and the other rule stays
        rc, out = run_play_json(tmp_path, [{"name": "drop", "kcrash.nfqueue.nfqueue_target": {
            "backup_root": str(tmp_path / "b"), "persist": False}}], wrap=["ip", "netns", "exec", ns.name], env=env)
        res = out["plays"][0]["tasks"][0]["hosts"]["testhost"]
        assert rc == 0 and res["changed"], res
        rules = [line for line in ns.ok("iptables-%s-save -t filter" % flavour).splitlines() if line.startswith("-A ")]
        assert rules == ["-A FORWARD -s 192.0.2.77/32 -j ACCEPT", "-A FORWARD -p tcp -m tcp --dport 1 -j ACCEPT",
                         "-A FORWARD -j DROP"]
    finally:
        ns.close()
