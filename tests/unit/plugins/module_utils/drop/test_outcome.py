# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The exit codes of the drop's host scripts are said in three places: ``drop/apply.py`` ``RC_*``
(what the scripts exit with and the action reads), the table of docs/drop.md, and the list
step of playbooks/rollback.yml (denied). These tests keep the last two equal to the first.
Then what those codes mean for the task: the pure functions of drop/outcome.py."""

import os
import re

import pytest
import yaml

from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import apply as drop_apply
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import outcome
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.read import ReadResult
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError

from conftest import REPO

from .drop_rules import dump, plan_of, table


def _codes():
    return dict((name, value) for name, value in vars(drop_apply).items() if name.startswith("RC_"))


def test_docs_table_lists_every_rollback_exit_code_with_its_value():
    with open(os.path.join(REPO, "docs", "drop.md")) as f:
        text = f.read()
    section = text[text.index("### Exit codes of the host script"):]
    section = section[:section.index("\n## ")]
    rows = dict((name, int(rc)) for rc, name in re.findall(r"^\| (\d+) \| `(RC_[A-Z]+)` \|", section, re.M))
    assert rows == _codes()


def test_rollback_playbook_list_step_exits_with_rc_denied_when_the_root_cannot_be_read():
    with open(os.path.join(REPO, "playbooks", "rollback.yml")) as f:
        plays = yaml.safe_load(f)
    tasks = [t for play in plays for t in play.get("tasks", []) if t.get("name") == "List the backups of the drop strategy"]
    assert len(tasks) == 1
    raw = tasks[0]["ansible.builtin.raw"]
    denied = re.findall(r"KCRASH-DENIED: [^;]*; exit (\d+);", raw)
    assert [int(rc) for rc in denied] == [drop_apply.RC_DENIED]


# ------------------------------------------------------------------ drop/outcome.py (pure)

TWO = table(["-A INPUT -p udp -j NFQUEUE --queue-num 1", "-A FORWARD -j NFQUEUE", "-A INPUT -j NFQUEUE"])


def _read(*dumps):
    rr = ReadResult()
    rr.dumps = list(dumps)
    rr.version = (1, 8, 9)
    return rr


def test_report_lists_changes_refusals_and_transactions_with_public_fields_only():
    p = plan_of(TWO)
    rep = outcome.report(p, _read(dump(TWO)))
    # positions count in their chain
    assert [(c["chain"], c["position"]) for c in rep["changes"]] == [("INPUT", 1), ("FORWARD", 1)]
    assert [(r["chain"], r["position"]) for r in rep["refused"]] == [("INPUT", 2)]
    assert all(set(c) <= set(outcome.RULE_KEYS) for c in rep["changes"] + rep["refused"])
    assert "tool" not in rep["changes"][0] and rep["changes"][0]["new_rule"] == "-A INPUT -p udp -j DROP"
    assert rep["transactions"] == [{"tool": "iptables-legacy-restore", "table": "filter",
                                    "text": p["iptables"][0]["text"]}]
    assert rep["backends"] == [{"tool": "iptables-legacy-save", "family": "ipv4", "backend": "legacy"}]
    assert rep["iptables_version"] == "1.8.9" and rep["management"]["port"] == 22


def test_summary_says_what_was_or_would_be_replaced_persisted_and_refused():
    p = plan_of(TWO)
    assert outcome.summary(p, check=True) == (
        "would replace 2 rule(s) by -j DROP; 2 change(s) not persisted (see changes[].persist_reason); 1 refused")
    assert outcome.summary(p, check=False).startswith("replaced 2 rule(s) by -j DROP; ")
    assert outcome.summary(plan_of(table(["-A INPUT -j NFQUEUE"])), check=False) == "nothing changed; 1 rule(s) refused"
    assert outcome.summary(plan_of(table(["-A INPUT -j DROP"])), check=True) == "no selected NFQUEUE rule: nothing to change"
    assert outcome.refused_message("h1", p) == (
        "host h1: nothing changed: 1 rule(s) refused: iptables-legacy-save filter INPUT #2: " + p["refused"][0]["reason"])


def test_read_warnings():
    p = plan_of(TWO)
    rr = _read()
    rr.uid, rr.errors = 1000, ["ip6tables-save failed (rc 1): x"]
    assert outcome.read_warnings(p, rr, become=False) == [
        "ip6tables-save failed (rc 1): x", "neither iptables-save nor nft was found on the host",
        "the read ran as uid 1000: iptables-save needs root (use become)"]
    rr.dumps, rr.uid = [dump(TWO)], 0
    assert outcome.read_warnings(p, rr, become=True) == ["ip6tables-save failed (rc 1): x"]


def test_replan_stop():
    assert outcome.replan_stop("h1", plan_of(TWO), "fail")["msg"] == (
        "host h1: nothing changed: rules changed meanwhile and 1 are now refused")
    assert outcome.replan_stop("h1", plan_of(TWO), "skip") is None
    done = outcome.replan_stop("h1", plan_of(table(["-A FORWARD -j DROP"])), "fail")
    assert done == {"changed": False, "msg": "nothing left to change after the rules changed meanwhile"}


@pytest.mark.parametrize("rc,words", [
    (drop_apply.RC_CHANGED, "kept changing between read and apply (3 attempts); nothing changed"),
    (drop_apply.RC_TEST, "failed its test (--test / nft -c); nothing changed"),
    (drop_apply.RC_BACKUP, "the backup could not be written completely; nothing changed"),
    (drop_apply.RC_FILES, "saved rule files could not be written; nothing changed"),
])
def test_apply_failures_that_changed_nothing_name_no_backup(rc, words):
    res = outcome.apply_failure("h1", rc, plan_of(TWO), "out\n", "err\n", "/b/x", 3)
    assert res["failed"] is True and res["changed"] is False and "backup_dir" not in res
    assert res["msg"].startswith("host h1: ") and words in res["msg"]


def test_apply_success_and_failed_restore():
    p = plan_of(TWO)
    assert outcome.apply_failure("h1", 0, p, "", "", "/b/x", 1) is None
    res = outcome.apply_failure("h1", drop_apply.RC_APPLY, p, "", "iptables-restore: line 9 failed\n", "/b/x", 1)
    assert res["backup_dir"] == "/b/x" and "moved_chains" not in res
    assert res["msg"] == "host h1: apply failed (rc 5), rules and files put back from /b/x: iptables-restore: line 9 failed"


def test_apply_failure_names_the_chains_whose_length_guard_failed():
    p = plan_of(TWO)
    tx = p["iptables"][0]
    # the transaction: *filter, then four guard lines per affected chain (FORWARD, INPUT)
    assert sorted(tx["guards"].items()) == [(2, "FORWARD"), (3, "FORWARD"), (4, "FORWARD"), (5, "FORWARD"),
                                            (6, "INPUT"), (7, "INPUT"), (8, "INPUT"), (9, "INPUT")]
    err = ("iptables-restore: line 8 failed\n"
           "KCRASH-FAIL: iptables-legacy-restore --noflush of filter: rules and files put back from /b/x\n")
    res = outcome.apply_failure("h1", drop_apply.RC_APPLY, p, "", err, "/b/x", 1)
    assert res["moved_chains"] == ["chain INPUT (iptables-legacy, table filter)"]
    assert res["msg"].startswith("host h1: the rules of chain INPUT (iptables-legacy, table filter) changed during")
    # a failure message of an earlier transaction does not count for this one
    assert outcome.drifted_chains(p, "line 8 failed\nKCRASH-FAIL: x\nKCRASH-FAIL: iptables-legacy-restore "
                                     "--noflush of filter: y") == []


def test_verification_and_its_failure():
    p = plan_of(TWO)
    assert outcome.verification(p, "", checked=False) == {"checked": False, "ok": None, "problems": [], "moved": []}
    ver = outcome.verification(p, "\n@@KCRASH-VERIFY:ipt:0:ok\n\n@@KCRASH-VERIFY:end\n", checked=True)
    assert ver == {"checked": True, "ok": True, "problems": [], "moved": []}
    ver = outcome.verification(p, "", checked=True)
    assert ver["ok"] is False and ver["problems"] == ["no verification listing for iptables-legacy-save table filter"]
    res = outcome.verification_failure("h1", ver, "/b/x", 0)
    assert res["changed"] is False and res["msg"] == (
        "host h1: verification failed (no verification listing for iptables-legacy-save table filter); "
        "rules and files put back from /b/x (restore rc 0)")
    assert outcome.verification_failure("h1", ver, "/b/x", 1)["changed"] is True
    assert outcome.moved_warning({"moved": []}) is None
    assert outcome.moved_warning({"moved": ["a #1", "b #2"]}).endswith(": a #1, b #2")


def test_confirmation():
    assert outcome.confirm_failure("h1", 0, "x\nKCRASH-CONFIRMED\n", "", "/b/x") is None
    assert outcome.confirm_failure("h1", 0, "no marker\n", "", "/b/x") == (
        "host h1: confirmation failed (rc 0: no marker); the watchdog restores /b/x")
    assert outcome.confirm_failure("h1", 1, "KCRASH-CONFIRMED\n", "boom\n", "/b/x") == (
        "host h1: confirmation failed (rc 1: boom); the watchdog restores /b/x")
    assert outcome.unconfirmed_message(plan_of(TWO), "/b/x", 120).endswith(
        "; NOT confirmed: the watchdog restores /b/x in 120 s")


def test_rollback_results():
    ok = outcome.rollback_result("h1", 0, "x\nKCRASH-BACKUP: /r/1\nKCRASH-BACKUP: /r/2\n", "", 1, "/r")
    assert ok == {"round_trips": 1, "backup_dir": "/r/2", "changed": True,
                  "msg": "restored live rules and saved files from /r/2"}
    bad = outcome.rollback_result("h1", 5, "KCRASH-BACKUP: /r/2\n", "restore failed\n", 1, "/r")
    assert bad["failed"] is True and bad["changed"] is True and bad["msg"] == (
        "host h1: restore of /r/2 failed (rc 5): restore failed")
    for result in (outcome.rollback_result, outcome.rollback_check_result):
        none = result("h1", drop_apply.RC_NOBACKUP, "", "", 1, "/r")
        assert none == {"changed": False, "round_trips": 1, "backup_dir": None,
                        "msg": "no complete backup of an applied change under /r: nothing restored"}
        again = result("h1", drop_apply.RC_ROLLEDBACK, "/r/2\n", "", 1, "/r")
        assert again["backup_dir"] == "/r/2" and "failed" not in again and "already rolled back" in again["msg"]
        broken = result("h1", drop_apply.RC_INCOMPLETE, "", "a\nmanifest mismatch\n", 1, "/r")
        assert broken["failed"] is True and broken["msg"] == "host h1: manifest mismatch"
        denied = result("h1", drop_apply.RC_DENIED, "", "KCRASH-DENIED: cannot read /r as uid 5: permission denied\n",
                        1, "/r")
        assert denied == {"failed": True, "changed": False, "round_trips": 1,
                          "msg": "host h1: cannot read /r as uid 5: permission denied; whether a backup exists "
                                 "under /r is unknown and nothing was restored: run with become (-b, ansible_become, "
                                 "AWX privilege escalation)"}
    would = outcome.rollback_check_result("h1", 0, "/r/2\n", "", 1, "/r")
    assert would == {"changed": True, "round_trips": 1, "backup_dir": "/r/2", "msg": "would restore /r/2"}


def test_timings_round_and_total():
    assert outcome.timings({"read": 0.12345, "plan": 1.0}, 100.0, 101.5) == {"read": 0.123, "plan": 1.0, "total": 1.5}


ARGS = {"target": "DROP", "families": None, "tables": None, "chains": None, "queue_nums": None,
        "comment_regex": None, "force": False, "ssh_port": None, "controller_address": None, "persist": True,
        "include_nft": True, "backup_root": "/var/backups/x", "watchdog_timeout": 120, "backup_keep": 10,
        "max_attempts": 3, "read_max_age": 600}


def test_options_from_args_checks_limits_and_backup_root():
    assert drop_options.from_args(ARGS).target == "DROP"
    with pytest.raises(KcrashError, match=r"^watchdog_timeout must be 5\.\.86400$"):
        drop_options.from_args(dict(ARGS, watchdog_timeout=4))
    with pytest.raises(KcrashError, match="max_attempts must be 1..10"):
        drop_options.from_args(dict(ARGS, max_attempts=11))
    with pytest.raises(KcrashError, match="backup_root"):
        drop_options.from_args(dict(ARGS, backup_root="relative/dir"))
