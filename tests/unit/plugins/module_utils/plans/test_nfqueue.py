# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plans/nfqueue.py (pure): selection, replacement text, lockout guard, saved files,
nft transactions, read-answer parsing. Live behaviour is in test_nfqueue_live.py."""

import os

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save as ips
from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft as nftm
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.plans import nfqueue as P
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Script, posix_cksum

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "..", "..", "fixtures")


def fixture(*p):
    with open(os.path.join(FIX, *p), encoding="utf-8") as f:
        return f.read()


def dump(text, family="ipv4", backend="legacy", tool="iptables-legacy-save"):
    return P.Dump(family, backend, tool, text)


def table(body, name="filter", chains=("INPUT", "FORWARD", "OUTPUT"), extra=()):
    head = "*%s\n" % name + "".join(":%s ACCEPT [0:0]\n" % c for c in chains)
    head += "".join(":%s - [0:0]\n" % c for c in extra)
    return head + "".join(line + "\n" for line in body) + "COMMIT\n"


MG = P.Management(22, None, None)


def plan_of(text, opts=None, mgmt=MG, **kw):
    return P.plan([dump(text)], opts or P.Options(), mgmt, **kw)


# ------------------------------------------------------------------ replacement text

def test_replacement_keeps_every_byte_before_the_target():
    rs = ips.parse(fixture("iptables", "legacy-save.txt"))
    seed = [r for r in rs.rules() if r.table == "mangle"][0]
    assert P.ipt_replacement(seed, "DROP") == (
        "-A PREROUTING -p tcp -m multiport --dports 80,443 -m set --match-set lee src -m string "
        "--string \"t.test.com\" --algo kmp --to 1480 -j DROP")
    r = ips.parse(table(['-A FORWARD -m comment --comment "x -j NFQUEUE y" -j NFQUEUE --queue-num 3'])).table_list[0].rules[0]
    assert P.ipt_replacement(r, "ACCEPT") == '-A FORWARD -m comment --comment "x -j NFQUEUE y" -j ACCEPT'


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


# ------------------------------------------------------------------ selection

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
    p = plan_of(SEL, P.Options(**kw))
    assert [c["position"] for c in p["changes"]] == expect


@pytest.mark.parametrize("kw", [{"target": "QUEUE"}, {"queue_nums": ["x"]}, {"comment_regex": "("},
                                {"families": ["ipv5"]}, {"chains": ["a b"]}, {"ssh_port": 0},
                                {"controller_address": "not-an-ip"}])
def test_bad_options(kw):
    with pytest.raises(KcrashInputError):
        P.Options(**kw)


def test_reject_only_where_valid():
    text = table(["-A PREROUTING -p udp -j NFQUEUE"], name="mangle",
                 chains=("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"))
    p = plan_of(text, P.Options(target="REJECT"))
    assert not p["changes"] and "not valid in the mangle table" in p["refused"][0]["reason"]
    p = plan_of(table(["-A FORWARD -p udp -j NFQUEUE"]), P.Options(target="reject"))
    assert p["changes"][0]["new_rule"] == "-A FORWARD -p udp -j REJECT"


# ------------------------------------------------------------------ lockout guard

def _risk(rule, chain="INPUT", mgmt=MG, reach=None):
    d = {"backend": "legacy", "rule": "-A %s %s" % (chain, rule), "reachable_from": reach or [chain]}
    return P.lockout_risk(d, mgmt)


@pytest.mark.parametrize("rule", [
    "-j NFQUEUE",
    "-p tcp -j NFQUEUE",
    "-p tcp -m tcp --dport 22 -j NFQUEUE",
    "-p tcp -m multiport --dports 20:30 -j NFQUEUE",
    "-m conntrack --ctstate NEW -j NFQUEUE",
    "-m set --match-set mgmt src -j NFQUEUE",
    "-p tcp -m string --string ssh --algo bm -j NFQUEUE",
    "-p tcp -m tcp ! --dport 80 -j NFQUEUE",
    "-i eth0 -j NFQUEUE",
    "-s 10.0.0.0/8 -j NFQUEUE",          # controller address unknown: cannot prove
    "-p tcp -m tcp --sport 1024:65535 -j NFQUEUE",
    '-m comment --comment "--dport 80" -j NFQUEUE',
    "! -i lo -j NFQUEUE",                 # every interface but loopback: SSH included
    "! --in-interface lo -p tcp -j NFQUEUE",
    "! -i eth9 -j NFQUEUE",
])
def test_guard_refuses_rules_that_could_match(rule):
    risky, reason = _risk(rule)
    assert risky, reason
    assert "tcp port 22" in reason


@pytest.mark.parametrize("rule,why", [
    ("-p udp -j NFQUEUE", "-p udp"),
    ("! -p tcp -j NFQUEUE", "! -p tcp"),
    ("-p tcp -m multiport --dports 80,443 -m set --match-set lee src -j NFQUEUE", "--dports 80,443"),
    ("-p tcp -m tcp --dport 1000:2000 -j NFQUEUE", "--dport 1000:2000"),
    ("-p tcp -m tcp ! --dport 22 -j NFQUEUE", "! --dport 22"),
    ("-p tcp -m tcp --sport 53 -j NFQUEUE", "--sport 53"),
    ("-i lo -j NFQUEUE", "-i lo"),
    ("-m state --state INVALID -j NFQUEUE", "--state INVALID"),
    ("-f -j NFQUEUE", "-f"),
])
def test_guard_accepts_rules_that_exclude_management(rule, why):
    risky, reason = _risk(rule)
    assert not risky, reason
    assert why in reason


def test_guard_uses_the_controller_and_host_addresses():
    m = P.management("192.0.2.10 51000 198.51.100.5 2222", P.Options())
    assert (m.port, str(m.client), str(m.server)) == (2222, "192.0.2.10", "198.51.100.5")
    assert not _risk("-s 10.0.0.0/8 -j NFQUEUE", mgmt=m)[0]
    assert _risk("-s 192.0.2.0/24 -j NFQUEUE", mgmt=m)[0]
    assert not _risk("! -s 192.0.2.0/24 -j NFQUEUE", mgmt=m)[0]
    assert not _risk("-d 203.0.113.1 -j NFQUEUE", mgmt=m)[0]
    assert not _risk("-p tcp --dport 22 -j NFQUEUE", mgmt=m)[0]  # ssh listens on 2222 here
    assert _risk("-p tcp --dport 2222 -j NFQUEUE", mgmt=m)[0]
    assert not _risk("-s 192.0.2.0/24 -j NFQUEUE", mgmt=m, chain="FORWARD")[0]
    # IPv6 controller vs IPv4 rule
    m6 = P.management("2001:db8::1 40000 2001:db8::2 22", P.Options())
    assert not _risk("-s 10.0.0.0/8 -j NFQUEUE", mgmt=m6)[0]
    # options override
    mo = P.management(None, P.Options(ssh_port=2200, controller_address="10.1.1.1"))
    assert (mo.port, str(mo.client)) == (2200, "10.1.1.1")


def test_guard_directions_and_chains():
    # FORWARD is never crossed by management traffic
    assert not _risk("-j NFQUEUE", chain="FORWARD")[0]
    # OUTPUT carries the answers: ssh is the *source* port there
    assert _risk("-j NFQUEUE", chain="OUTPUT")[0]
    assert not _risk("-p tcp --sport 80 -j NFQUEUE", chain="OUTPUT")[0]
    assert _risk("-p tcp --sport 22 -j NFQUEUE", chain="OUTPUT")[0]
    # a user chain reached from INPUT
    assert _risk("-j NFQUEUE", chain="IDS", reach=["INPUT"])[0]
    assert not _risk("-j NFQUEUE", chain="ORPHAN", reach=[])[0]


def test_guard_nft_rules():
    hooks = {"in": "input", "fwd": "forward"}

    def mk(text, chain="in"):
        return {"backend": "nftables", "rule": text, "reachable_from": [chain]}

    assert P.lockout_risk(mk("queue to 1"), MG, hooks)[0]
    assert not P.lockout_risk(mk("tcp dport { 80, 443 } queue to 1"), MG, hooks)[0]
    assert P.lockout_risk(mk("tcp dport { 22, 443 } queue to 1"), MG, hooks)[0]
    assert not P.lockout_risk(mk("meta l4proto udp queue to 1"), MG, hooks)[0]
    assert not P.lockout_risk(mk('iifname "lo" queue to 1'), MG, hooks)[0]
    assert not P.lockout_risk(mk("queue to 1", "fwd"), MG, hooks)[0]
    assert P.lockout_risk(mk("tcp dport != 80 queue to 1"), MG, hooks)[0]
    assert not P.lockout_risk(mk("tcp dport != 22 queue to 1"), MG, hooks)[0]


def test_guard_negated_loopback_match_is_not_a_loopback_match():
    """`! -i lo` queues everything that does NOT arrive on loopback, SSH included: the
    opposite of `-i lo`, which only loopback traffic can match."""
    assert not _risk("-i lo -j NFQUEUE")[0]
    risky, reason = _risk("! -i lo -j NFQUEUE")
    assert risky and "tcp port 22" in reason, reason
    text = table(["-A INPUT ! -i lo -j NFQUEUE", "-A INPUT -i lo -j NFQUEUE"])
    p = plan_of(text)
    assert [r["position"] for r in p["refused"]] == [1] and [c["position"] for c in p["changes"]] == [2]
    assert p["refused"][0]["reason"].startswith("lockout guard")
    assert [c["position"] for c in plan_of(text, P.Options(force=True))["changes"]] == [1, 2]
    # OUTPUT: `! -o lo` carries the SSH answers
    assert _risk("! -o lo -j NFQUEUE", chain="OUTPUT")[0]
    assert not _risk("-o lo -j NFQUEUE", chain="OUTPUT")[0]
    # nft: iifname != "lo"
    hooks = {"in": "input"}

    def mk(text):
        return {"backend": "nftables", "rule": text, "reachable_from": ["in"]}

    assert P.lockout_risk(mk('iifname != "lo" queue to 1'), MG, hooks)[0]
    assert not P.lockout_risk(mk('iifname "lo" queue to 1'), MG, hooks)[0]


def test_plan_refuses_and_force_overrides():
    text = table(["-A INPUT -j NFQUEUE", "-A INPUT -p udp -j NFQUEUE"])
    p = plan_of(text)
    assert [c["position"] for c in p["changes"]] == [2]
    assert [r["position"] for r in p["refused"]] == [1]
    assert p["refused"][0]["reason"].startswith("lockout guard")
    p = plan_of(text, P.Options(force=True))
    assert [c["position"] for c in p["changes"]] == [1, 2]
    # ACCEPT (fail open) cannot lock anybody out
    p = plan_of(text, P.Options(target="ACCEPT"))
    assert len(p["changes"]) == 2


# ------------------------------------------------------------------ saved files

SAVED = ("# Generated by iptables-save v1.4.7 on Tue Oct 31 11:00:00 2017\n*mangle\n:PREROUTING ACCEPT [0:0]\n"
         ":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
         "-A PREROUTING -p tcp -m multiport --dports 80,443 -m set --match-set lee src -m string --string "
         "\"t.test.com\" --algo kmp --from 0 --to 1480 -j NFQUEUE \n"
         "-A PREROUTING -p tcp --dport 8443 -j NFQUEUE --queue-num 4\n"
         "COMMIT\n# Completed on Tue Oct 31 11:00:00 2017\n*filter\n:INPUT ACCEPT [0:0]\n"
         "-A INPUT -j NFQUEUE\nCOMMIT\n")


def test_saved_file_twin_found_and_rewritten_byte_for_byte():
    live = fixture("iptables", "legacy-save.txt")
    saved = {"/etc/sysconfig/iptables": SAVED, "/etc/iptables/rules.v4": None}
    p = P.plan([dump(live)], P.Options(tables=["mangle"]), MG, saved=saved)
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
    p = P.plan([dump(live)], P.Options(persist=False), MG, saved={"/etc/sysconfig/iptables": SAVED})
    assert not p["files"] and p["changes"][0]["persist_reason"].startswith("persist is false")
    p = P.plan([dump(live)], P.Options(), MG, saved={"/etc/sysconfig/iptables": SAVED})
    assert p["changes"][0]["persisted"] is False
    assert "no saved file contains this rule" in p["changes"][0]["persist_reason"]


def test_unparseable_saved_file_is_reported_not_fatal():
    p = P.plan([dump(table(["-A FORWARD -j NFQUEUE"]))], P.Options(), MG,
               saved={"/etc/sysconfig/iptables": "*filter\n-A FORWARD -j NFQUEUE\n"})
    assert p["saved_unparsed"][0]["path"] == "/etc/sysconfig/iptables"
    assert "COMMIT" in p["saved_unparsed"][0]["error"]
    assert p["changes"] and not p["files"]


# ------------------------------------------------------------------ nft

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
    p = P.plan([], P.Options(), MG, nft_text=NFT_LIVE)
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
    p = P.plan(dumps, P.Options(), MG, nft_text=text)
    assert p["nft"] is None
    assert all(c["backend"] == "nft" for c in p["changes"])


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
    new, edits = P.rewrite_nft_config(NFT_CONF, P.Options(), MG, "drop")
    assert new == NFT_CONF.replace("queue num 0-3 fanout,bypass", "drop").replace(
        "queue to $QN;", "drop;").replace("icmp queue\n", "icmp drop\n").replace("queue bypass;", "drop;")
    assert [(e["table"], e["chain"], e["line"]) for e in edits] == [
        ("ids", "pre", 9), ("ids", "pre", 10), ("ids", "pre", 14), ("other", "c", 15)]
    new, edits = P.rewrite_nft_config(NFT_CONF, P.Options(chains=["c"]), MG, "drop")
    assert len(edits) == 1 and "tcp dport 80 drop;" in new


def test_queue_span():
    t = 'tcp dport 1 queue flags bypass to 1-2 comment "x"'
    s, e = nftm.queue_span(t)
    assert t[s:e] == "queue flags bypass to 1-2"
    t = "ip saddr vmap { 1.1.1.1 : jump queue } queue to ip saddr map { 10.0.0.1 : 1 }; accept"
    s, e = nftm.queue_span(t)
    assert t[s:e] == "queue to ip saddr map { 10.0.0.1 : 1 }"


# ------------------------------------------------------------------ read answer

def test_parse_read_of_a_framed_answer():
    s = Script()
    s.section("version.iptables", "echo 'iptables v1.4.7'")
    s.section("save.iptables-save", "printf '%s' " + _q(fixture("iptables", "legacy-save.txt")))
    s.section("save.ip6tables-save", "exit 127")
    s.section("nft", "exit 127")
    s.section("file.etc_sysconfig_iptables", "printf '%s' " + _q(SAVED))
    s.section("file.etc_iptables_rules.v4", "exit 3")
    marker = "@@KCFILE:%s:" % s.nonce
    s.section("nftconf", "printf '\\n%sBEGIN:/etc/nftables.conf\\nflush ruleset\\n\\n%sEND\\n'" % (marker, marker))
    s.section("ssh", "echo '10.0.0.1 5000 10.0.0.2 22'")
    import subprocess
    out = subprocess.run(["/bin/sh", "-c", s.render()], capture_output=True, text=True, check=False).stdout
    rr = P.parse_read(out, s.nonce)
    assert rr.version == (1, 4, 7) and not P.restore_supports_wait(rr.version)
    assert [(d.tool, d.backend, d.family) for d in rr.dumps] == [("iptables-save", "legacy", "ipv4")]
    assert rr.dumps[0].restore_tool == "iptables-restore"
    assert "ip6tables-save" in rr.missing and "nft" in rr.missing
    assert rr.saved["/etc/sysconfig/iptables"] == SAVED and rr.saved["/etc/iptables/rules.v4"] is None
    assert rr.nft_saved == {"/etc/nftables.conf": "flush ruleset\n"}
    assert rr.ssh_connection == "10.0.0.1 5000 10.0.0.2 22"
    assert P.restore_supports_wait((1, 6, 2)) and P.restore_supports_wait((1, 8, 9))


def _q(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


def test_read_script_collects_nft_includes(tmp_path):
    """The nftables.conf include walker, run for real against a temp /etc layout."""
    P.read_script()
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "a.nft").write_text('table ip a { chain c { queue to 1; } }\ninclude "%s/b.conf"\n' % inc)
    (inc / "b.conf").write_text("table ip b {}\n")
    main = tmp_path / "main.conf"
    main.write_text('include "%s/*.nft"\nflush ruleset\n' % inc)
    walker = P._nft_files_section("@@M:").replace(" ".join(P.SAVED_NFT_FILES), str(main))
    import subprocess
    out = subprocess.run(["/bin/sh", "-c", walker], capture_output=True, text=True, check=False).stdout
    files = P.split_files(out, "@@M:")
    assert sorted(files) == sorted([str(main), str(inc / "a.nft"), str(inc / "b.conf")])
    assert files[str(inc / "b.conf")] == "table ip b {}\n"


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_fast_cksum_equals_reference_and_real_cksum(data):
    import subprocess
    assert P.posix_cksum(data) == posix_cksum(data)
    real = subprocess.run(["cksum"], input=data, capture_output=True, check=False).stdout.decode().split()
    assert P.posix_cksum(data).split() == real[:2]


def test_el6_trailing_blank_is_expected_after_the_change():
    """iptables 1.4.7 prints every rule with a trailing blank; the planned post-state digest
    and the verification follow the tool's own formatting."""
    text = table(["-A FORWARD -p udp -j ACCEPT ", "-A FORWARD -p tcp -j NFQUEUE --queue-num 0 "])
    p = plan_of(text)
    tx = p["iptables"][0]
    assert tx["post_digest"] == posix_cksum("-A FORWARD -p udp -j ACCEPT \n-A FORWARD -p tcp -j DROP \n")
    post = table(["-A FORWARD -p udp -j ACCEPT ", "-A FORWARD -p tcp -j DROP "])
    assert P.verify(p, {("ipt", 0): post}) == {"ok": True, "problems": [], "moved": []}


# ------------------------------------------------------------------ fast path == full parse

import importlib.util  # noqa: E402

from hypothesis import HealthCheck  # noqa: E402

# the dump strategies of the parser's tests
_spec = importlib.util.spec_from_file_location("kc_test_iptables_save", os.path.join(HERE, "..", "test_iptables_save.py"))
TIS = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(TIS)


def _full_dump(text, family="ipv4", backend="legacy", tool="iptables-legacy-save"):
    d = P.Dump.__new__(P.Dump)
    d.family, d.backend, d.tool, d.text = family, backend, tool, text
    d.ruleset = ips.parse(text, command=tool)
    return d


def _plans_agree(text, opts=None):
    # the strategies build valid saves: a parse error here is a parser bug, not a reason to stop
    full = _full_dump(text)
    opts = opts or P.Options(force=True)
    a = P.plan([dump(text)], opts, MG)
    b = P.plan([full], opts, MG)
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


@settings(max_examples=300, deadline=None)
@given(TIS.grouped_dumps(), st.data())
def test_digest_ranges_give_the_lines_grep_gives(text, data):
    rs = ips.parse(text)
    for t in rs.table_list:
        names = sorted(set(t.chains) | set(ips.BUILTIN_CHAINS.get(t.name, ())))
        chains = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
        want = P.digest_lines(t.rule_texts, chains)
        assert P._digest_text(t.rule_texts, chains, P.digest_ranges(t.rule_texts, chains)) == (
            "\n".join(want) + "\n" if want else "")


def test_digest_mimics_grep_cut_on_a_real_counter_save():
    """The controller's digest is what `grep -F -e '] -A C' | cut -d ' ' -f 2- | cksum` prints
    on the -c save of the same rules (prefix-named chains and a quoted needle included)."""
    import subprocess
    text = table(["-A FORWARD -p tcp -j ACCEPT", "-A FORWARDX -j DROP",
                  '-A INPUT -m comment --comment "x] -A FORWARD y" -j ACCEPT', "-A FORWARD -j NFQUEUE"],
                 extra=("FORWARDX",))
    counted = "".join(("[1:2] " + l if l.startswith("-A ") else l) + "\n" for l in text.splitlines())
    t = ips.parse(text).tables["filter"]
    cmd = P.digest_command(["FORWARD"], "/dev/stdin")
    real = subprocess.run(["sh", "-c", cmd], input=counted.encode(), capture_output=True, check=True).stdout.decode().strip()
    assert real == P.chain_digest(t, ["FORWARD"])
    assert len(P.digest_lines(t.rule_texts, ["FORWARD"])) == 4
