# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""drop/plan.py (pure): the plan of live and saved rules: selection through the plan, refusals,
saved-file twins and rewrites, nft transactions, the el6 trailing blank, the fast scan vs the
full parse. Live behaviour is in test_apply.py."""

import importlib.util
import os

from hypothesis import HealthCheck, given, settings
import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save as ips
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import plan as drop_plan
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import read as drop_read
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import verify as drop_verify
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import posix_cksum

from .drop_rules import HERE, MG, SAVED, dump, fixture, plan_of, table


# the dump strategies of the parser's tests
_spec = importlib.util.spec_from_file_location("kc_test_iptables_save", os.path.join(HERE, "..", "test_iptables_save.py"))
TIS = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(TIS)


def test_recorded_dump_plan_positions_and_transaction():
    p = plan_of(fixture("iptables", "legacy-save.txt"))
    # INPUT rules mention NFQUEUE only in comments; FORWARD/IDS/IDS_DEEP/ORPHAN/mangle are real
    got = sorted((c["table"], c["chain"], c["position"]) for c in p["changes"])
    assert got == [("filter", "FORWARD", 1), ("filter", "FORWARD", 2), ("filter", "IDS", 2),
                   ("filter", "IDS_DEEP", 1), ("filter", "ORPHAN", 1), ("mangle", "PREROUTING", 1)]
    tx = {t["table"]: t for t in p["iptables"]}
    assert tx["filter"]["text"].splitlines() == [
        "*filter",
        # the length guards: the transaction fails as a whole if a chain's length changed
        "-N KCRASH-GUARD-0", "-A FORWARD -j KCRASH-GUARD-0", "-D FORWARD 6", "-X KCRASH-GUARD-0",
        "-N KCRASH-GUARD-1", "-A IDS -j KCRASH-GUARD-1", "-D IDS 3", "-X KCRASH-GUARD-1",
        "-N KCRASH-GUARD-2", "-A IDS_DEEP -j KCRASH-GUARD-2", "-D IDS_DEEP 2", "-X KCRASH-GUARD-2",
        "-N KCRASH-GUARD-3", "-A ORPHAN -j KCRASH-GUARD-3", "-D ORPHAN 2", "-X KCRASH-GUARD-3",
        "-R FORWARD 1 -p tcp -m tcp --dport 80 -j DROP",
        "-R FORWARD 2 -p tcp -m tcp --dport 25 -j DROP",
        "-R IDS 2 -p tcp -j DROP",
        "-R IDS_DEEP 1 -j DROP",
        "-R ORPHAN 1 -j DROP",
        "COMMIT",
    ]
    assert tx["filter"]["restore_tool"] == "iptables-legacy-restore"
    assert tx["filter"]["chains"] == ["FORWARD", "IDS", "IDS_DEEP", "ORPHAN"]
    # the digest is the POSIX cksum of exactly those chains' rule lines
    rs = ips.parse(fixture("iptables", "legacy-save.txt"))
    lines = "".join(r.text + "\n" for r in rs.rules() if r.table == "filter" and r.chain in tx["filter"]["chains"])
    assert tx["filter"]["digest"] == posix_cksum(lines)
    assert p["changed"] and all(c["persisted"] is False for c in p["changes"])
    assert "no saved ruleset file found" in p["changes"][0]["persist_reason"]


def test_counters_form_gives_the_same_plan():
    a = plan_of(fixture("iptables", "legacy-save.txt"))
    b = plan_of(fixture("iptables", "legacy-save-c.txt"))
    assert [t["text"] for t in a["iptables"]] == [t["text"] for t in b["iptables"]]
    assert [t["digest"] for t in a["iptables"]] == [t["digest"] for t in b["iptables"]]


def test_idempotent_after_replacement():
    text = table(["-A FORWARD -j DROP"])
    p = plan_of(text)
    assert not p["changed"] and p["changes"] == [] and p["iptables"] == []


SEL = table([
    "-A FORWARD -j NFQUEUE --queue-num 1",
    '-A FORWARD -m comment --comment "ids: suricata" -j NFQUEUE --queue-balance 4:7',
    "-A OUTPUT -p udp -j NFQUEUE --queue-num 9",
])


@pytest.mark.parametrize("kw,expect", [
    ({}, [1, 2, 1]),
    ({"chains": ["FORWARD"]}, [1, 2]),
    ({"queue_nums": [5]}, [2]),
    ({"queue_nums": [9, 1]}, [1, 1]),
    ({"comment_regex": "^ids:"}, [2]),
    ({"families": ["ipv6"]}, []),
    ({"tables": ["mangle"]}, []),
])
def test_selection_filters(kw, expect):
    p = plan_of(SEL, drop_options.Options(**kw))
    assert [c["position"] for c in p["changes"]] == expect


def test_reject_only_where_valid():
    text = table(["-A PREROUTING -p udp -j NFQUEUE"], name="mangle",
                 chains=("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"))
    p = plan_of(text, drop_options.Options(target="REJECT"))
    assert not p["changes"] and "not valid in the mangle table" in p["refused"][0]["reason"]
    p = plan_of(table(["-A FORWARD -p udp -j NFQUEUE"]), drop_options.Options(target="reject"))
    assert p["changes"][0]["new_rule"] == "-A FORWARD -p udp -j REJECT"


def test_plan_refuses_and_force_overrides():
    text = table(["-A INPUT -j NFQUEUE", "-A INPUT -p udp -j NFQUEUE"])
    p = plan_of(text)
    assert [c["position"] for c in p["changes"]] == [2]
    assert [r["position"] for r in p["refused"]] == [1]
    assert p["refused"][0]["reason"].startswith("lockout guard")
    p = plan_of(text, drop_options.Options(force=True))
    assert [c["position"] for c in p["changes"]] == [1, 2]
    # ACCEPT (fail open) cannot lock anybody out
    p = plan_of(text, drop_options.Options(target="ACCEPT"))
    assert len(p["changes"]) == 2


def test_saved_file_twin_found_and_rewritten_byte_for_byte():
    live = fixture("iptables", "legacy-save.txt")
    saved = {"/etc/sysconfig/iptables": SAVED, "/etc/iptables/rules.v4": None}
    p = drop_plan.plan([dump(live)], drop_options.Options(tables=["mangle"]), MG, saved=saved)
    (ch,) = p["changes"]
    assert ch["persisted"] is True and ch["persisted_in"] == ["/etc/sysconfig/iptables"]
    (f,) = p["files"]
    assert f["path"] == "/etc/sysconfig/iptables" and f["count"] == 2 and f["expect"] == posix_cksum(SAVED)
    exp = SAVED.replace("--from 0 --to 1480 -j NFQUEUE \n", "--from 0 --to 1480 -j DROP\n").replace(
        "--dport 8443 -j NFQUEUE --queue-num 4", "--dport 8443 -j DROP")
    assert f["after"] == exp
    # the catch-all INPUT rule in the file is refused by the guard as it would be live
    assert "-A INPUT -j NFQUEUE" in f["after"]
    assert any(d["before_header"] == "/etc/sysconfig/iptables" for d in p["diff"])


def test_persist_false_and_rules_from_elsewhere():
    live = table(["-A FORWARD -j NFQUEUE"])
    p = drop_plan.plan([dump(live)], drop_options.Options(persist=False), MG, saved={"/etc/sysconfig/iptables": SAVED})
    assert not p["files"] and p["changes"][0]["persist_reason"].startswith("persist is false")
    p = drop_plan.plan([dump(live)], drop_options.Options(), MG, saved={"/etc/sysconfig/iptables": SAVED})
    assert p["changes"][0]["persisted"] is False
    assert "no saved file contains this rule" in p["changes"][0]["persist_reason"]


def test_unparseable_saved_file_is_reported_not_fatal():
    p = drop_plan.plan([dump(table(["-A FORWARD -j NFQUEUE"]))], drop_options.Options(), MG,
                       saved={"/etc/sysconfig/iptables": "*filter\n-A FORWARD -j NFQUEUE\n"})
    assert p["saved_unparsed"][0]["path"] == "/etc/sysconfig/iptables"
    assert "COMMIT" in p["saved_unparsed"][0]["error"]
    assert p["changes"] and not p["files"]


NFT_LIVE = """table inet ids { # handle 7
\tchain pre { # handle 1
\t\ttype filter hook forward priority -150; policy accept;
\t\ttcp dport { 80, 443 } counter packets 5 bytes 300 queue flags bypass to 3 comment "web" # handle 4
\t\tip saddr 10.0.0.1 queue to 1-2 # handle 6
\t}
\tchain in { # handle 2
\t\ttype filter hook input priority 0; policy accept;
\t\tqueue to 0 # handle 9
\t}
}
"""


def test_nft_replace_rule_by_handle():
    p = drop_plan.plan([], drop_options.Options(), MG, nft_text=NFT_LIVE)
    lines = p["nft"]["text"].splitlines()
    assert lines == [
        'replace rule inet ids pre handle 4 tcp dport { 80, 443 } counter packets 5 bytes 300 drop comment "web"',
        "replace rule inet ids pre handle 6 ip saddr 10.0.0.1 drop",
    ]
    assert [r["handle"] for r in p["refused"]] == [9]
    assert p["nft"]["tables"] == [("inet", "ids")]


def test_nft_iptables_nft_tables_are_left_to_iptables_nft_restore():
    text = fixture("nft", "iptables-nft-compat.nft-a.txt")
    dumps = [dump(fixture("iptables", "nft-save.txt"), backend="nft", tool="iptables-nft-save"),
             dump(fixture("iptables", "nft6-save.txt"), family="ipv6", backend="nft", tool="ip6tables-nft-save")]
    p = drop_plan.plan(dumps, drop_options.Options(), MG, nft_text=text)
    assert p["nft"] is None
    assert all(c["backend"] == "nft" for c in p["changes"])


def test_el6_trailing_blank_is_expected_after_the_change():
    """iptables 1.4.7 prints every rule with a trailing blank; the planned post-state digest
    and the verification follow the tool's own formatting."""
    text = table(["-A FORWARD -p udp -j ACCEPT ", "-A FORWARD -p tcp -j NFQUEUE --queue-num 0 "])
    p = plan_of(text)
    tx = p["iptables"][0]
    assert tx["post_digest"] == posix_cksum("-A FORWARD -p udp -j ACCEPT \n-A FORWARD -p tcp -j DROP \n")
    post = table(["-A FORWARD -p udp -j ACCEPT ", "-A FORWARD -p tcp -j DROP "])
    assert drop_verify.verify(p, {("ipt", 0): post}) == {"ok": True, "problems": [], "moved": []}


def _full_dump(text, family="ipv4", backend="legacy", tool="iptables-legacy-save"):
    d = drop_read.Dump.__new__(drop_read.Dump)
    d.family, d.backend, d.tool, d.text = family, backend, tool, text
    d.ruleset = ips.parse(text, command=tool)
    return d


def _plans_agree(text, opts=None):
    # the strategies build valid saves: a parse error here is a parser bug, not a reason to stop
    full = _full_dump(text)
    opts = opts or drop_options.Options(force=True)
    a = drop_plan.plan([dump(text)], opts, MG)
    b = drop_plan.plan([full], opts, MG)
    assert a == b
    for tx in a["iptables"]:
        t = full.ruleset.tables[tx["table"]]
        assert tx["digest"] == posix_cksum("".join(r.text + "\n" for r in t.rules if any(
            ("[0:0] " + r.text).find("] -A " + c) >= 0 for c in tx["chains"])))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TIS.grouped_dumps())
def test_plan_from_scan_equals_plan_from_full_parse(text):
    _plans_agree(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TIS.dumps())
def test_plan_from_scan_equals_plan_from_full_parse_any_order(text):
    _plans_agree(text)
