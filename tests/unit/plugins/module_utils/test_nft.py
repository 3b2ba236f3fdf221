# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nft.py against the public corpus (text and JSON golden dumps), own recordings of the real
nft 1.0.6 and hypothesis properties. Native nft ``queue`` statements cannot be loaded in
this kernel (CONFIG_NFT_QUEUE unset): queue tests stop at text/JSON (see fixtures README)."""

import json
import os
import re
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError

from conftest import require_tool

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "..", "fixtures", "nft")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def fixture(name):
    return read(os.path.join(FIX, name))


def test_corpus_every_nft_entry_matches_truth(corpus):
    with open(os.path.join(corpus, "truth.json"), encoding="utf-8") as f:
        truth = json.load(f)
    entries = [(k, v) for k, v in sorted(truth.items()) if k.startswith("nft/")]
    assert entries
    for key, want in entries:
        text = read(os.path.join(corpus, key))
        rs = nft.parse(text, command=key)
        assert rs.format == ("json" if key.endswith(".json") else "text")
        got = nft.queue_rules(rs)
        exp = want["queue_rules"]
        assert len(got) == len(exp), (key, got)
        for g, e in zip(got, exp):
            for field, value in e.items():
                assert g[field] == value, (key, field, g[field], value)
        for obj, e in zip(want.get("json_queue_objects", []), exp):
            assert nft.json_queue(obj)[0] == e["statement"]


def test_corpus_queue_dicts(corpus):
    rs = nft.parse(read(os.path.join(corpus, "nft/n01_nftables-testsuite_0012different_defines.nft")))
    q = [r["queue"] for r in nft.queue_rules(rs)]
    assert q[0] == {"num": 0, "balance": None, "bypass": True, "fanout": False}
    assert q[1] == {"num": None, "balance": [1, 42], "bypass": False, "fanout": False}
    assert q[2] == {"num": None, "balance": [1, 42], "bypass": True, "fanout": True}
    assert q[3] == {"num": None, "balance": None, "bypass": False, "fanout": False}
    # no hook: the table's chain is not a base chain, so it is reached from nowhere
    assert all(r["reachable_from"] == [] for r in nft.queue_rules(rs))
    assert [r["position"] for r in nft.queue_rules(rs)] == [13, 14, 15, 16, 17]


def test_corpus_map_declaration_is_not_a_statement(corpus):
    rs = nft.parse(read(os.path.join(corpus, "nft/n03_nftables-testsuite_nfqueue_map.nft")))
    (r,) = nft.queue_rules(rs)
    assert r["chain"] == "test" and r["queue"]["num"] is None and r["queue"]["bypass"] is True


# ------------------------------------------------------------------ own recordings

def test_recorded_native_text_and_json_agree():
    a = nft.parse(fixture("native.nft-a.txt"))
    t = nft.parse(fixture("native.nft.txt"))
    j = nft.parse(fixture("native.json"))
    assert nft.queue_rules(a) == nft.queue_rules(j) == []
    for rs in (a, t, j):
        fw = rs.tables[0]
        assert (fw.family, fw.name) == ("inet", "fw")
        assert list(fw.chains) == ["input", "web", "deep", "dns", "orphan"]
        reach = nft.reachability(fw)
        assert reach["deep"] == ["input"] and reach["dns"] == ["input"]
        assert "orphan" not in reach
        assert fw.chains["input"].hook == "input"
        assert [r.position for r in fw.chains["input"].rules] == [1, 2, 3, 4, 5]
    assert [r.handle for r in a.tables[0].chains["input"].rules] == [8, 9, 10, 12, 13]
    assert [r.handle for r in j.tables[0].chains["input"].rules] == [8, 9, 10, 12, 13]
    assert all(r.handle is None for r in t.rules())
    ssh = a.tables[0].chains["input"].rules[1]
    assert ssh.text == 'tcp dport 22 ip saddr @mgmt accept comment "ssh {mgmt} # not a handle"'
    assert ssh.comment == "ssh {mgmt} # not a handle"
    assert [r.text for r in a.rules()] == [r.text for r in t.rules()]


EXPECT_COMPAT = [
    # (family, table, chain, handle, statement, queue)
    ("ip", "mangle", "PREROUTING", 2, "queue to 0", {"num": 0, "balance": None, "bypass": False, "fanout": False}),
    ("ip", "filter", "IDS", 16, "queue flags bypass to 2", {"num": 2, "balance": None, "bypass": True, "fanout": False}),
    ("ip", "filter", "ORPHAN", 18, "queue to 5", {"num": 5, "balance": None, "bypass": False, "fanout": False}),
    ("ip", "filter", "FORWARD", 10, "queue flags bypass,fanout to 0-3",
     {"num": None, "balance": [0, 3], "bypass": True, "fanout": True}),
    ("ip", "filter", "FORWARD", 11, "queue to 7", {"num": 7, "balance": None, "bypass": False, "fanout": False}),
    ("ip6", "filter", "V6IDS", 7, "queue to 11", {"num": 11, "balance": None, "bypass": False, "fanout": False}),
    ("ip6", "filter", "FORWARD", 5, "queue flags bypass to 4-7",
     {"num": None, "balance": [4, 7], "bypass": True, "fanout": False}),
    ("ip6", "mangle", "PREROUTING", 2, "queue to 0", {"num": 0, "balance": None, "bypass": False, "fanout": False}),
]


def test_recorded_iptables_nft_compat_text_old_queue_syntax():
    """nft 1.0.6 prints iptables-nft NFQUEUE targets in the old `queue num N a,b` form."""
    rs = nft.parse(fixture("iptables-nft-compat.nft-a.txt"))
    got = nft.queue_rules(rs)
    assert [(r["family"], r["table"], r["chain"], r["handle"], r["statement"], r["queue"]) for r in got] \
        == EXPECT_COMPAT
    assert got[0]["iptables_nft"] is True  # shows "xt match" words
    assert got[3]["iptables_nft"] is False  # nothing in the text tells
    hinted = nft.queue_rules(rs, iptables_nft_tables=[("ip", "filter"), ("ip", "mangle"),
                                                      ("ip6", "filter"), ("ip6", "mangle")])
    assert all(r["iptables_nft"] for r in hinted)
    ids = [r for r in got if r["chain"] == "IDS"][0]
    assert ids["reachable_from"] == ["FORWARD"]
    assert [r for r in got if r["chain"] == "ORPHAN"][0]["reachable_from"] == []


def test_recorded_iptables_nft_compat_json_shows_xt_target():
    rs = nft.parse(fixture("iptables-nft-compat.json"))
    got = nft.queue_rules(rs)
    assert len(got) == len(EXPECT_COMPAT)
    assert {r["statement"] for r in got} == {"xt target NFQUEUE"}
    assert all(r["iptables_nft"] for r in got)
    assert sorted(r["handle"] for r in got) == sorted(e[3] for e in EXPECT_COMPAT)


def test_recorded_iptables_nft_compat_json_renders_xt_as_nft_prints():
    """A match nft cannot translate is printed `xt match NAME` by nft 1.0.6, and the JSON
    rendering says the same; an xt target shows as `xt target NAME` (nft prints the
    translation, `queue num 2 bypass`, which the JSON form does not carry)."""
    text = {(r.family, r.table, r.chain, r.handle): r for r in nft.parse(fixture("iptables-nft-compat.nft-a.txt")).rules()}
    js = {(r.family, r.table, r.chain, r.handle): r for r in nft.parse(fixture("iptables-nft-compat.json")).rules()}
    assert set(text) == set(js)
    printed = [k for k in text if "xt match" in text[k].text and "queue" not in text[k].text]
    assert len(printed) == 2
    for k in printed:
        assert (js[k].text, js[k].xt, text[k].xt) == (text[k].text, True, True)
    ids = ("ip", "filter", "IDS", 16)
    assert text[ids].text == "meta l4proto tcp counter packets 0 bytes 0 queue num 2 bypass"
    assert js[ids].text == "meta l4proto tcp counter packets 0 bytes 0 xt target NFQUEUE"


# ------------------------------------------------------------------ live, real nft

# Loaded with the real nft in a throwaway namespace (no queue statement: CONFIG_NFT_QUEUE is
# unset here); every family, base and user chains, and the expressions queue statements use
# (jhash, symhash, numgen, concatenations, ranges, prefixes, sets).
LIVE_RULESET = """table inet t {
\tchain c {
\t\ttype filter hook input priority 0; policy accept;
\t\tiif "lo" accept
\t\toif "lo" accept
\t\tiifname "lo" accept
\t\toifname "eth*" drop
\t\tiiftype loopback accept
\t\toiftype ether accept
\t\tmeta skuid 0 accept
\t\tmeta skgid 0 accept
\t\tmeta nftrace set 1
\t\tmeta rtclassid 1 accept
\t\tmeta pkttype host accept
\t\tmeta cpu 1 accept
\t\tmeta iifgroup 1 accept
\t\tmeta oifgroup 1 accept
\t\tmeta cgroup 1 accept
\t\tmeta ipsec exists accept
\t\tmeta iifkind "veth" accept
\t\tmeta oifkind "veth" accept
\t\tmeta mark 0x1 accept
\t\tmeta l4proto tcp accept
\t\tip saddr 10.0.0.0/8 tcp dport 1-1024 accept
\t\tct state established,related accept
\t\tct original ip saddr 1.2.3.4 accept
\t\ttcp dport { 22, 80 } counter accept
\t\tip saddr . tcp dport { 1.2.3.4 . 22 } accept
\t\tmeta mark set jhash ip saddr . tcp dport mod 4 seed 0xa offset 1
\t\tmeta mark set symhash mod 2
\t\tmeta mark set numgen inc mod 2 offset 3
\t\tmeta mark set tcp dport map { 22 : 1, 80 : 2 }
\t\t@th,16,16 22 accept
\t\ttcp dport vmap { 22 : accept, 23 : drop }
\t\ttcp dport vmap { 24 : jump e, 25 : accept }
\t\tlog
\t\treject
\t\tip protocol tcp notrack
\t\tcounter packets 0 bytes 0
\t\tjump d
\t\tgoto d
\t\treturn
\t}
\tchain d {
\t\tcontinue
\t}
\tchain e {
\t\tdrop
\t}
}
table bridge b {
\tchain c {
\t\ttype filter hook input priority 0; policy accept;
\t}
}
table arp a {
\tchain c {
\t\ttype filter hook input priority 0;
\t}
}
table netdev n {
\tchain c {
\t\tcounter
\t}
}
table ip i {
\tchain c {
\t}
}
table ip6 i6 {
\tchain c {
\t}
}"""

# (family, table, chain, hook) as declared above, in nft's listing order
LIVE_CHAINS = [("inet", "t", "c", "input"), ("inet", "t", "d", None), ("inet", "t", "e", None), ("bridge", "b", "c", "input"),
               ("arp", "a", "c", "input"), ("netdev", "n", "c", None), ("ip", "i", "c", None),
               ("ip6", "i6", "c", None)]


def _listings(ruleset, tag):
    """(nft -a list ruleset, nft -j list ruleset) of ``ruleset``, from the real nft in a
    throwaway namespace."""
    if os.geteuid() != 0:
        pytest.skip("needs root (ip netns)")
    require_tool("ip", "iproute2")
    tool = require_tool("nft", "nftables")
    ns = "fw-test-nft-%s-%d" % (tag, os.getpid())
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", ns, tool, "-f", "-"], input=ruleset.encode(), check=True)
        out = [subprocess.run(["ip", "netns", "exec", ns, tool] + args + ["list", "ruleset"], capture_output=True,
                              check=True).stdout.decode() for args in (["-a"], ["-j"])]
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)
    return out


@pytest.fixture(scope="module")
def live_nft():
    """(nft -a list ruleset, nft -j list ruleset) of LIVE_RULESET, from the real nft."""
    return _listings(LIVE_RULESET, "live")


def _real_rules(text):
    """(table family, table, chain, handle, rule text) of every rule line nft printed: the
    lines inside a chain after its type line, with the handle comment cut off."""
    out = []
    fam = tab = chain = None
    for line in text.split("\n"):
        m = re.match(r"^table (\S+) (\S+) \{ # handle \d+$", line)
        if m:
            fam, tab = m.groups()
            continue
        m = re.match(r"^\tchain (\S+) \{ # handle \d+$", line)
        if m:
            chain = m.group(1)
            continue
        m = re.match(r"^\t\t(.*) # handle (\d+)$", line)
        if m:
            out.append((fam, tab, chain, int(m.group(2)), m.group(1)))
    return out


def test_live_nft_tables_chains_rules_and_handles(live_nft):
    text, js = live_nft
    real = _real_rules(text)
    assert len(real) == 42
    for rs in (nft.parse(text), nft.parse(js)):
        assert [(t.family, t.name, c.name, c.hook) for t in rs.tables for c in t.chains.values()] == LIVE_CHAINS
        assert [(r.family, r.table, r.chain, r.handle) for r in rs.rules()] == [x[:4] for x in real]
        for t in rs.tables:
            for c in t.chains.values():
                assert [r.position for r in c.rules] == list(range(1, len(c.rules) + 1))
        fw = rs.tables[0]
        # e only through the verdict map (nft prints "{ 24 : jump e, 25 : accept }")
        assert nft.reachability(fw) == {"c": ["c"], "d": ["c"], "e": ["c"]}
        assert [r.targets for r in fw.chains["c"].rules[-3:]] == [["d"], ["d"], []]
        vmap = [r for r in fw.chains["c"].rules if "24" in r.text and "vmap" in r.text]
        assert [r.targets for r in vmap] == [["e"]]
        assert all(not r.xt and r.comment is None for r in rs.rules())
        assert nft.queue_rules(rs) == []
    # the text parser keeps each rule's text as printed
    assert [r.text for r in nft.parse(text).rules()] == [x[4] for x in real]


def test_live_nft_table_and_chain_handles_and_repr(live_nft):
    """Table and chain handles as nft prints them (`table inet t { # handle 1`), in both forms."""
    text, js = live_nft
    want_tables = [int(h) for h in re.findall(r"^table \S+ \S+ \{ # handle (\d+)$", text, re.M)]
    want_chains = [int(h) for h in re.findall(r"^\tchain \S+ \{ # handle (\d+)$", text, re.M)]
    for rs in (nft.parse(text), nft.parse(js)):
        assert [t.handle for t in rs.tables] == want_tables
        assert [c.handle for t in rs.tables for c in t.chains.values()] == want_chains
    r = nft.parse(text).tables[0].chains["d"].rules[0]
    assert repr(r) == "NftRule(inet t d #1 handle=%d 'continue')" % r.handle


def test_saved_files_are_the_nftables_services_files():
    """Debian's nftables.service (checked in the installed unit when present) loads
    /etc/nftables.conf; Fedora/RHEL's loads /etc/sysconfig/nftables.conf."""
    assert nft.SAVED_FILES == ("/etc/nftables.conf", "/etc/sysconfig/nftables.conf")
    for unit in ("/lib/systemd/system/nftables.service", "/usr/lib/systemd/system/nftables.service"):
        if os.path.exists(unit):
            assert "nft -f %s\n" % nft.SAVED_FILES[0] in read(unit)


# rules whose JSON form nft.render_stmt/render_expr renders exactly as nft 1.0.6 prints them
LIVE_EXACT_JSON = [
    "iifgroup 1 accept", "oifgroup 1 accept", "meta l4proto tcp accept",
    "ip saddr 10.0.0.0/8 tcp dport 1-1024 accept", "ct original ip saddr 1.2.3.4 accept",
    "tcp dport { 22, 80 } counter packets 0 bytes 0 accept", "ip saddr . tcp dport { 1.2.3.4 . 22 } accept",
    "th dport 22 accept", "tcp dport vmap { 22 : accept, 23 : drop }", "log", "ip protocol tcp notrack",
    "counter packets 0 bytes 0", "jump d", "goto d", "return", "continue",
]


def test_live_nft_json_renders_as_nft_prints(live_nft):
    text, js = live_nft
    real = {x[3]: x[4] for x in _real_rules(text)}
    doc = json.loads(js)["nftables"]
    rules = {o["rule"]["handle"]: o["rule"] for o in doc if "rule" in o}
    parsed = {r.handle: r for r in nft.parse(js).rules()}
    seen = []
    for handle, line in real.items():
        if line in LIVE_EXACT_JSON:
            assert parsed[handle].text == line
            seen.append(line)
        # the hash and generator expressions a queue number can come from
        m = re.match(r"^meta mark set ((?:jhash|symhash|numgen) .*)$", line)
        if m:
            (mangle,) = [e["mangle"] for e in rules[handle]["expr"] if "mangle" in e]
            assert nft.render_expr(mangle["value"]) == m.group(1)
            seen.append(line)
        # meta keys nft prints without "meta" (and, as all others, with it)
        word = line.split(" ", 1)[0]
        left = rules[handle]["expr"][0].get("match", {}).get("left", {})
        if "meta" in left:
            key = left["meta"]["key"]
            assert nft.render_expr(left).split(" ")[-1] == key
            if word != "meta":
                assert (word, nft.render_expr(left)) == (key, key)
    assert set(seen) == set(LIVE_EXACT_JSON + [
        "meta mark set jhash ip saddr . tcp dport mod 4 seed 0xa offset 1", "meta mark set symhash mod 2",
        "meta mark set numgen inc mod 2 offset 3"])


# Statements and expressions beyond the queue statement (match operators, verdicts, counters,
# conntrack keys, raw payloads, sets, maps and the hash/generator expressions), loaded with the
# real nft: the rendering of each rule's JSON form is compared with the line nft prints for it.
RENDER_RULESET = """table ip x {
\tcounter cnt {
\t}
\tchain c {
\t\ttype filter hook input priority 0; policy accept;
\t\ttcp dport != 22 accept
\t\ttcp dport < 1024 accept
\t\ttcp dport >= 1024 drop
\t\ttcp dport > 1024 drop
\t\ttcp dport <= 1024 drop
\t\ttcp dport != { 22, 80 } drop
\t\ttcp flags syn accept
\t\tct state established,related accept
\t\tct mark 0x1 accept
\t\tmeta l4proto tcp ct reply proto-dst 22 accept
\t\tct original daddr 1.2.3.4 accept
\t\t@ll,0,8 1 accept
\t\tip saddr { 10.0.0.1 comment "x", 10.0.0.2 } accept
\t\tmeta mark set jhash ip saddr mod 2
\t\tmeta mark set jhash ip saddr . tcp dport mod 2 seed 0x10 offset 3
\t\tmeta mark set numgen random mod 2
\t\tmeta mark set numgen inc mod 4 offset 1
\t\tmeta mark set symhash mod 2 offset 5
\t\tmeta mark set ip saddr map { 10.0.0.1 : 1, 10.2.0.0/16 : 2 }
\t\tmeta mark set ip saddr . tcp dport map { 10.0.0.1 . 22 : 1 }
\t\ttcp dport vmap { 22 : jump d, 23 : goto d, 24 : return, 25 : continue, 26 : accept, 27 : drop }
\t\treject
\t\treject with tcp reset
\t\tlog prefix "x "
\t\tlog
\t\tcounter name "cnt"
\t\tcounter
\t\tip protocol tcp notrack
\t\tmeta ipsec missing accept
\t\tmeta ipsec exists drop
\t\tip saddr 10.0.0.0/8 accept
\t\tip saddr 10.1.2.3-10.1.2.9 accept
\t\tmeta l4proto { tcp, udp } accept
\t\tmeta skuid 0 accept
\t\tmeta skgid != 1 accept
\t\tiifname "lo" accept
\t\toif "lo" accept
\t\tudp dport 53 jump d comment "dns"
\t\tgoto d
\t\treturn
\t\ttcp dport 22 jump match
\t\ttcp dport vmap { 24 : jump match, 25 : goto target }
\t}
\tchain d {
\t\tcontinue
\t}
\tchain match {
\t}
\tchain target {
\t}
}
table inet y {
\tchain c {
\t\ttype filter hook input priority 0;
\t\treject
\t\tmeta nfproto ipv4 drop
\t\tip6 saddr ::1 accept
\t}
}
"""

# (family, the line nft prints) -> our text, where the JSON form is rendered differently on
# purpose: statements no queue rule uses fall back to `name JSON` (render_expr's last line);
# nft prints a `ct original` address with the table's family, which JSON does not carry; the
# comment of an anonymous set element is left out.
RENDER_DIFFERS = {
    ("ip", "reject"): 'reject {"expr": "port-unreachable", "type": "icmp"}',
    ("inet", "reject"): 'reject {"expr": "port-unreachable", "type": "icmpx"}',
    ("ip", "reject with tcp reset"): 'reject {"type": "tcp reset"}',
    ("ip", 'log prefix "x "'): 'log {"prefix": "x "}',
    ("ip", "ct original ip daddr 1.2.3.4 accept"): "ct original daddr 1.2.3.4 accept",
    ("ip", 'ip saddr { 10.0.0.1 comment "x", 10.0.0.2 } accept'): "ip saddr { 10.0.0.1, 10.0.0.2 } accept",
}


def _canon(line):
    """What JSON does not carry: nft prints strings of some types quoted (`iifname "lo"`) and
    marks in hex (`0x00000001`) by the data type; JSON has `lo` and 1."""
    return re.sub(r"\b0x([0-9a-f]+)\b", lambda m: str(int(m.group(1), 16)), line.replace('"', ""))


@pytest.fixture(scope="module")
def live_render():
    return _listings(RENDER_RULESET, "render")


def test_live_nft_json_statements_render_as_nft_prints(live_render):
    text, js = live_render
    real = [(x[0], x[3], x[4]) for x in _real_rules(text)]
    assert len(real) == 46
    rules = {(o["rule"]["family"], o["rule"]["handle"]): o["rule"] for o in json.loads(js)["nftables"] if "rule" in o}
    parsed = {(r.family, r.handle): r for r in nft.parse(js).rules()}
    differ = set()
    for fam, handle, line in real:
        got = parsed[(fam, handle)].text
        if (fam, line) in RENDER_DIFFERS:
            assert got == RENDER_DIFFERS[(fam, line)]
            differ.add((fam, line))
            continue
        if line.startswith("meta mark set "):
            # the expressions a queue number can come from, as `queue to` would hold them
            (mangle,) = [e["mangle"] for e in rules[(fam, handle)]["expr"] if "mangle" in e]
            got = "meta mark set " + nft.render_expr(mangle["value"])
        assert _canon(got) == _canon(line)
    assert differ == set(RENDER_DIFFERS)
    # and the text parser keeps every line as printed
    assert [r.text for r in nft.parse(text).rules()] == [x[2] for x in real]
    # chains named like the xt words: jump targets, no xt rule
    for rs in (nft.parse(text), nft.parse(js)):
        last = rs.tables[0].chains["c"].rules[-2:]
        assert [(sorted(r.targets), r.xt) for r in last] == [(["match"], False), (["match", "target"], False)]
        assert nft.reachability(rs.tables[0]) == {"c": ["c"], "d": ["c"], "match": ["c"], "target": ["c"]}


# ------------------------------------------------------------------ statement syntax

@pytest.mark.parametrize("words,stmt", [
    ("", "queue to 0"),
    ("num 0-3 fanout,bypass", "queue flags bypass,fanout to 0-3"),
    ("num 0-3 bypass,fanout", "queue flags bypass,fanout to 0-3"),
    ("num 4 bypass", "queue flags bypass to 4"),
    ("bypass", "queue flags bypass to 0"),
    ("flags fanout,bypass to 1-2", "queue flags bypass,fanout to 1-2"),
    ("to numgen inc mod 4", "queue to numgen inc mod 4"),
    ("flags bypass to jhash tcp dport . tcp sport mod 4", "queue flags bypass to jhash tcp dport . tcp sport mod 4"),
])
def test_queue_words(words, stmt):
    assert nft.parse_queue_words(words.split())[0] == stmt


# Text in the exact form nft 1.0.6 prints (same as the corpus golden dumps), written by hand
# because this kernel cannot load native queue statements.
HAND_TEXT = """table inet ids { # handle 7
\tchain pre { # handle 1
\t\ttype filter hook prerouting priority -150; policy accept;
\t\ttcp dport { 80,
\t\t\t    443 } queue flags bypass to 3 comment "multi-line set" # handle 4
\t\tjump inner # handle 5
\t}

\tchain inner { # handle 2
\t\tip saddr 10.0.0.1 queue to 1-2 # handle 6
\t\tmeta mark 0x1 jump queue # handle 8
\t}

\tchain queue { # handle 3
\t\tdrop # handle 9
\t}
}
"""


def test_hand_text_multiline_rule_comment_and_chain_named_queue():
    rs = nft.parse(HAND_TEXT)
    got = nft.queue_rules(rs)
    assert [(r["chain"], r["handle"], r["statement"]) for r in got] == [
        ("pre", 4, "queue flags bypass to 3"), ("inner", 6, "queue to 1-2")]
    assert got[0]["rule"] == 'tcp dport { 80, 443 } queue flags bypass to 3 comment "multi-line set"'
    assert got[1]["reachable_from"] == ["pre"]
    r = rs.tables[0].chains["pre"].rules[0]
    assert (r.line, r.end_line) == (4, 5)


def test_queue_rule_is_the_documented_dict():
    """plugins/filter/nfqueue_rules.yml: one dict per rule, family, backend, table, chain,
    position, rule, handle, queue, reachable_from, and for nft the statement; nft keeps no
    per-rule counters in the shape (its `counter` statement is part of the rule text)."""
    rs = nft.parse(HAND_TEXT)
    got = nft.queue_rules(rs)[1]
    assert got == {"family": "inet", "backend": "nftables", "table": "ids", "chain": "inner", "position": 1,
                   "handle": 6, "rule": "ip saddr 10.0.0.1 queue to 1-2", "statement": "queue to 1-2",
                   "counters": None, "queue": {"num": None, "balance": [1, 2], "bypass": False, "fanout": False},
                   "reachable_from": ["pre"], "iptables_nft": False}
    # a copy: the caller may change it
    got["queue"]["num"] = 9
    assert nft.queue_rules(rs)[1]["queue"]["num"] is None


@pytest.mark.parametrize("text,obj", [
    ("queue to numgen inc mod 4", {"num": {"numgen": {"mode": "inc", "mod": 4, "offset": 0}}}),
    ("queue flags bypass to numgen random mod 2 offset 1",
     {"num": {"numgen": {"mode": "random", "mod": 2, "offset": 1}}, "flags": ["bypass"]}),
    ("queue to symhash mod 2", {"num": {"symhash": {"mod": 2, "offset": 0}}}),
    ("queue to jhash ip saddr mod 2 seed 0x0", {"num": {"jhash": {
        "expr": {"payload": {"protocol": "ip", "field": "saddr"}}, "mod": 2, "seed": 0, "offset": 0}}}),
])
def test_json_queue_to_a_generator_or_hash_is_the_text_statement(text, obj):
    """libnftables-json(5): the "offset" of numgen, jhash and symhash is optional and
    defaults to 0, and nft -j writes "offset": 0 for numgen (live:
    test_live_nft_json_statements_render_as_nft_prints); nft prints an offset only when it is
    not 0. One queue statement read from its text or its JSON form is the same statement."""
    assert nft.json_queue(obj)[0] == nft.parse_queue_words(nft.words(text)[1:])[0] == text


def test_long_words_in_messages_are_cut_at_120_characters():
    name = "t" * 121
    for text, message in (("table inet %s! {\n}\n" % name[:119], "bad table name '%s!'" % name[:119]),
                          ("table inet %s! {\n}\n" % name[:120], "bad table name '%s...'" % name[:120])):
        with pytest.raises(KcrashParseError) as ei:
            nft.parse(text)
        assert ei.value.message == message
    with pytest.raises(KcrashParseError) as ei:
        nft.parse_json(json.dumps({"nftables": [{"x" * 200: 1, "y": 2}]}))
    assert ei.value.message == "unexpected element %s..." % json.dumps({"x" * 200: 1, "y": 2})[:120]


# The print forms below are nft's (nft(8): `queue [flags QUEUE_FLAGS] [to QUEUE_EXPRESSION]`,
# flags listed comma-separated, blanks allowed around the comma in input; the corpus golden
# dumps show the printed form). This kernel cannot load a queue statement (see the fixtures README).
@pytest.mark.parametrize("words,stmt,queue", [
    ("flags bypass , fanout to 2", "queue flags bypass,fanout to 2", (2, None, True, True)),
    ("flags bypass, fanout to 2", "queue flags bypass,fanout to 2", (2, None, True, True)),
    ("flags fanout to 65535", "queue flags fanout to 65535", (65535, None, False, True)),
    ("num 3 fanout", "queue flags fanout to 3", (3, None, False, True)),
    ("to 1-42", "queue to 1-42", (None, [1, 42], False, False)),
    ("to symhash mod 2", "queue to symhash mod 2", (None, None, False, False)),
    ("flags bypass to ip saddr . ip daddr . tcp dport map @get_queue_id",
     "queue flags bypass to ip saddr . ip daddr . tcp dport map @get_queue_id", (None, None, True, False)),
    ("to tcp dport map { 22 : 1, 80 : 2 }", "queue to tcp dport map { 22 : 1, 80 : 2 }", (None, None, False, False)),
    # `to` is optional (queue 0)
    ("flags bypass", "queue flags bypass to 0", (0, None, True, False)),
    ("flags bypass,fanout", "queue flags bypass,fanout to 0", (0, None, True, True)),
    ("flags fanout , bypass", "queue flags bypass,fanout to 0", (0, None, True, True)),
    ("flags bypass, fanout", "queue flags bypass,fanout to 0", (0, None, True, True)),
    ("flags bypass to 0-1 ", "queue flags bypass to 0-1", (None, [0, 1], True, False)),
    ("num 123456789", "queue to 123456789", (123456789, None, False, False)),
    # the old syntax takes its arguments in any order, each flag alone or in a comma list
    # (nft's parser_bison.y: queue_stmt_args, queue_stmt_arg); nft prints the new form
    ("bypass num 3", "queue flags bypass to 3", (3, None, True, False)),
    ("num 1-2 bypass fanout", "queue flags bypass,fanout to 1-2", (None, [1, 2], True, True)),
    # blanks around a map's commas are nft input too; it prints `1, 80` (as for
    # `meta mark set tcp dport map { 22 : 1 , 80 : 2 }` in nft 1.0.6)
    ("flags bypass to tcp dport map { 22 : 1 , 80 : 2 }", "queue flags bypass to tcp dport map { 22 : 1, 80 : 2 }",
     (None, None, True, False)),
    ("num tcp dport map { 22 : 1 , 80 : 2 , 443 : 3 } fanout", "queue flags fanout to tcp dport map { 22 : 1, 80 : 2, 443 : 3 }",
     (None, None, False, True)),
    ("num 1234567890", "queue to 1234567890", (None, None, False, False)),
])
def test_queue_words_print_form_and_queue(words, stmt, queue):
    got_stmt, q = nft.parse_queue_words(nft.words(words))
    assert got_stmt == stmt
    assert (q["num"], q["balance"], q["bypass"], q["fanout"]) == queue


@pytest.mark.parametrize("words,stmt", [
    # a text cut after the flag list's comma (a truncated listing): the flags read so far
    ("flags bypass ,", "queue flags bypass to 0"),
    ("flags bypass , fanout ,", "queue flags bypass,fanout to 0"),
    ("flags bypass,", "queue flags bypass to 0"),
    # words it does not know stay in the expression, so nothing is lost
    ("flags", "queue to flags"),
    ("to", "queue to to"),
    ("num 1 foo", "queue to 1 foo"),
    ("foo bar", "queue to foo bar"),
    ("to 1 bypass foo", "queue flags bypass to 1 foo"),
    # nft(8): no number is queue 0
    ("num bypass", "queue flags bypass to 0"),
])
def test_queue_words_of_a_cut_or_unknown_text(words, stmt):
    assert nft.parse_queue_words(words.split())[0] == stmt
    (rule,) = nft.parse("table ip t {\n\tchain c {\n\t\tqueue %s\n\t}\n}\n" % words).rules()
    assert rule.queue_statement == stmt


def test_lines_cut_after_jump_or_xt():
    """partial.py closes a cut listing with braces and parses it: a rule line may then end in
    `jump` or `xt`. It has no target and shows no xt match."""
    rs = nft.parse_text("table ip t {\n\tchain c {\n\t\ttcp dport 22 jump\n\t\tmeta l4proto tcp xt\n\t}\n}\n")
    assert [(r.text, r.targets, r.xt) for r in rs.rules()] == [
        ("tcp dport 22 jump", [], False), ("meta l4proto tcp xt", [], False)]


def test_xt_target_nft_prints():
    """An iptables-nft target without translation, as nft 1.0.6 prints it and -j writes it
    (recorded: `iptables-nft -t mangle -A PREROUTING -j TTL --ttl-set 5` in a netns)."""
    text = ("table ip mangle { # handle 1\n\tchain PREROUTING { # handle 1\n"
            "\t\ttype filter hook prerouting priority mangle; policy accept;\n"
            "\t\tcounter packets 0 bytes 0 xt target TTL # handle 2\n\t}\n}\n")
    js = ('{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, '
          '{"table": {"family": "ip", "name": "mangle", "handle": 1}}, {"chain": {"family": "ip", "table": "mangle", '
          '"name": "PREROUTING", "handle": 1, "type": "filter", "hook": "prerouting", "prio": -150, "policy": "accept"}}, '
          '{"rule": {"family": "ip", "table": "mangle", "chain": "PREROUTING", "handle": 2, "expr": [{"counter": '
          '{"packets": 0, "bytes": 0}}, {"xt": {"type": "target", "name": "TTL"}}]}}]}')
    for rs in (nft.parse(text), nft.parse(js)):
        (r,) = rs.rules()
        assert (r.text, r.xt, r.queue_statement, r.handle) == ("counter packets 0 bytes 0 xt target TTL", True, None, 2)


def test_braces_without_blank_before():
    """nft -f takes `table inet t{` and `chain c{` (checked with nft -c 1.0.6)."""
    rs = nft.parse("table inet t{\n\tchain c{\n\t\taccept\n\t}\n}\n")
    assert [(t.family, t.name, list(t.chains)) for t in rs.tables] == [("inet", "t", ["c"])]


def test_rule_over_three_lines():
    """A hand-written rule may spread a set over lines (nft -f reads it; nft prints it on one)."""
    text = ("table inet t {\n\tchain c {\n\t\ttcp dport { 80,\n\t\t\t443,\n\t\t\t8080 } queue to 3\n"
            "\t\taccept\n\t}\n}\n")
    rs = nft.parse(text)
    assert [(r.text, r.line, r.end_line, r.position) for r in rs.rules()] == [
        ("tcp dport { 80, 443, 8080 } queue to 3", 3, 5, 1), ("accept", 6, 6, 2)]


def test_comments_and_strings_in_text_lines():
    """`#` starts a comment outside strings only; the handle comment is read after it."""
    text = ('table inet t { # handle 1\n\tchain c { # handle 2\n'
            '\t\tiifname "a#b" accept comment "x # y" # handle 3\n'
            '\t\tiifname "{" accept # handle 4\n\t\taccept #handle 5\n'
            '\t\tmeta mark 1 accept #\n\t}\n}\n')
    rs = nft.parse(text)
    rules = list(rs.rules())
    assert [(r.text, r.handle, r.comment) for r in rules] == [
        ('iifname "a#b" accept comment "x # y"', 3, "x # y"), ('iifname "{" accept', 4, None),
        ("accept", 5, None), ("meta mark 1 accept", None, None)]
    assert (rs.tables[0].handle, rs.tables[0].chains["c"].handle) == (1, 2)
    assert nft._split_comment('a "#" b # c') == ('a "#" b ', " c")
    assert nft._split_comment("#x") == ("", "x")
    assert nft._split_comment('a "b') == (None, None)
    assert nft._braces('{ "}" {') == 2 and nft._braces("{ } }") == -1
    assert nft._collapse('a  "x  y"\t{ b }') == 'a "x  y" { b }'
    assert nft._unquote('"x"') == "x" and nft._unquote('"') == '"' and nft._unquote('""') == ""


def test_runs_of_blanks_outside_strings_are_one_blank():
    """_collapse's docstring; a hand-written rule line may hold them (nft prints one blank)."""
    rs = nft.parse('table ip t {\n\tchain c {\n\t\ttcp  dport 22\taccept  comment "a  b" \n\t}\n}\n')
    assert [r.text for r in rs.rules()] == ['tcp dport 22 accept comment "a  b"']
    for code, want in (("tcp dport 22  accept", "tcp dport 22 accept"), ("tcp dport 22\taccept", "tcp dport 22 accept"),
                       ("  accept\t", "accept"), ("a \t b", "a b"), ("accept", "accept")):
        assert nft._collapse(code) == want


def test_words_glue_comma_lists_as_nft_prints_them():
    assert nft.words("ct state established,related,new accept") == ["ct", "state", "established,related,new", "accept"]
    assert nft.words('tcp dport { 80, 443 } comment "a, b"') == ["tcp", "dport", "{", "80,", "443", "}", "comment",
                                                                 '"a, b"']
    assert nft.words("a , b") == ["a", ",", "b"]
    # nft reads a set written without blanks (`{22,80}`): only the comma glues
    assert nft.words("tcp dport {22,80} accept") == ["tcp", "dport", "{", "22,80", "}", "accept"]
    assert nft.words('x{"a b";}') == ["x", "{", '"a b"', ";", "}"]
    assert nft.lex('x{"a b";}') == [("x", 0, 1), ("{", 1, 2), ('"a b"', 2, 7), (";", 7, 8), ("}", 8, 9)]


@pytest.mark.parametrize("code,start,span", [
    ('tcp sport 1 tcp dport 1 oifname "foobar" queue flags bypass to jhash tcp dport . tcp sport mod 4', 0,
     "queue flags bypass to jhash tcp dport . tcp sport mod 4"),
    ("queue flags bypass to ip saddr . ip daddr . tcp dport map @get_queue_id", 0,
     "queue flags bypass to ip saddr . ip daddr . tcp dport map @get_queue_id"),
    ("chain c { queue to 1 }", 0, "queue to 1"),
    ("queue to 1; queue to 2", 12, "queue to 2"),
    ("queue to 1; queue to 2", 0, "queue to 1"),
    ("meta mark 0x1 jump queue", 0, None),
    ("udp dport 53 goto queue", 0, None),
    ("typeof ip saddr : queue", 0, None),
    ("type ipv4_addr : queue", 0, None),
    ('queue to 3 comment "queue to 4"', 0, "queue to 3"),
    ('jump queue comment "x" queue to 4', 0, "queue to 4"),
    # a chain named queue is no statement, wherever the search starts
    ("udp dport 53 jump queue", 17, None),
    # a map's braces are part of the expression; a block's closing brace or a comment ends it
    ('tcp dport 22 queue to tcp dport map { 22 : 1, 80 : 2 } comment "x"', 0, "queue to tcp dport map { 22 : 1, 80 : 2 }"),
    ("chain c { queue flags bypass to tcp dport map { 22 : 1 } }", 0, "queue flags bypass to tcp dport map { 22 : 1 }"),
    ("chain c { queue to tcp dport map { 22 : 1 }; accept }", 0, "queue to tcp dport map { 22 : 1 }"),
])
def test_queue_span_from_keyword_to_last_word(code, start, span):
    got = nft.queue_span(code, start=start)
    if span is None:
        assert got is None
    else:
        s, e = got
        assert code[s:e] == span and s >= start


def test_queue_span_starts_at_the_beginning_and_find_queue_skips_names():
    """queue_span's default start is the code's first character (drop/selection.py passes a
    rule's text alone). _find_queue (partial.py reads a cut text line by line, declarations
    included) skips a chain named queue and the data type of a map: the corpus's
    `typeof ... : queue` from nftables' own test suite."""
    assert nft.queue_span("queue to 1") == (0, 10)
    # a bare `queue` (queue 0) is the whole statement
    assert nft.queue_span("queue") == (0, 5)
    assert nft.queue_span('tcp dport 22 queue comment "x"') == (13, 18)
    assert nft.queue_span("chain c { queue }") == (10, 15)
    assert nft.queue_span("queue flags bypass to 0-3 comment \"x\"") == (0, 25)
    for line in ("udp dport 53 goto queue", "tcp dport 22 jump queue", "typeof ip saddr . ip daddr . tcp dport : queue"):
        assert nft._find_queue(nft.words(line)) is None
    assert nft._find_queue(nft.words("tcp dport 22 queue to 1")) == 3


BAD_TEXT = [
    ("table inet t {\n\tchain c {\n\t\tqueue to 1\n", 4, "ruleset ends inside a block (output truncated?)"),
    ('table inet t {\n\tchain c {\n\t\tiifname "lo accept\n\t}\n}\n', 3, "unterminated string"),
    ("chain c {\n}\n", 1, "unrecognised line 'chain c {'"),
    ("table inet t {\n}\n}\n", 3, "unrecognised line '}'"),
    ("table bogus family name x {\n}\n", 1, "bad table line 'table bogus family name x {'"),
    ("table inet t! {\n}\n", 1, "bad table name 't!'"),
    # nft -c refuses an unknown family: "syntax error, unexpected string"
    ("table foo t {\n}\n", 1, "bad table line 'table foo t {'"),
    ("table inet t {\n\tchain c d {\n\t}\n}\n", 2, "bad chain line 'chain c d {'"),
    ("table inet t {\n\tchain c {\n\t}\n\tchain c {\n\t}\n}\n", 4, "chain 'c' listed twice"),
    ("table inet t {\n\tchain c {\n\t\ttcp dport 1 }\n", 3, "unbalanced '}' in rule"),
    ("table inet t {\n\tchain c {\n\t\ttcp dport { 1,\n\t\t2 } } accept\n", 4, "unbalanced '}' in rule"),
    ("table inet t {\n\tset s {\n\t} }\n", 3, "unbalanced '}'"),
    ("table inet t {\n\tflags dormant }\n", 2, "unbalanced '}'"),
]


@pytest.mark.parametrize("text,line,words", BAD_TEXT)
def test_malformed_text_names_the_line(text, line, words):
    with pytest.raises(KcrashParseError) as ei:
        nft.parse(text)
    assert (ei.value.command, ei.value.line, ei.value.message) == ("nft list ruleset", line, words)


def test_malformed_input_that_is_no_text():
    for fn, command in ((nft.parse_text, "nft list ruleset"), (nft.parse_json, "nft -j list ruleset")):
        with pytest.raises(KcrashParseError) as ei:
            fn(5)
        assert (ei.value.command, ei.value.message) == (command, "expected text, got int")
    assert nft.parse(b'{"nftables": []}'.decode()).format == "json"
    assert nft.parse_json(b'{"nftables": []}').tables == []


def test_table_without_family_is_ip_and_declarations_are_skipped():
    """nft(8): a table declared without a family is `ip`. Set/map/flowtable/counter blocks,
    one-line declarations and chain comments hold no rules."""
    text = ("table t {\n\tflags dormant\n\tcounter cnt {\n\t\tpackets 0 bytes 0\n\t}\n"
            "\tset s { type ipv4_addr; elements = { 10.0.0.1 } }\n"
            "\tchain c {\n\t\ttype filter hook forward priority 0; policy drop;\n\t\tcomment \"fwd\"\n"
            "\t\tip saddr @s queue to 7 # handle 4\n\t}\n}\n")
    rs = nft.parse(text)
    (t,) = rs.tables
    assert (t.family, t.name, t.line, t.end_line) == ("ip", "t", 1, 12)
    c = t.chains["c"]
    assert (c.hook, c.line, c.end_line) == ("forward", 7, 11)
    (r,) = c.rules
    assert (r.text, r.handle, r.line, r.position) == ("ip saddr @s queue to 7", 4, 10, 1)
    (q,) = nft.queue_rules(rs)
    assert q["queue"]["num"] == 7 and q["reachable_from"] == ["c"] and q["iptables_nft"] is False


def test_json_queue_objects_as_libnftables_json_documents_them():
    """libnftables-json(5): QUEUE = {"num": EXPRESSION, "flags": FLAGS}, FLAGS a string or an
    array of strings, both optional."""
    assert nft.json_queue({"flags": "bypass", "num": 3}) == (
        "queue flags bypass to 3", {"num": 3, "balance": None, "bypass": True, "fanout": False})
    assert nft.json_queue({}) == ("queue to 0", {"num": 0, "balance": None, "bypass": False, "fanout": False})
    assert nft.json_queue({"num": {"range": [2, 5]}, "flags": ["fanout"]})[0] == "queue flags fanout to 2-5"
    with pytest.raises(ValueError):
        nft.json_queue(5)
    doc = {"nftables": [{"metainfo": {"json_schema_version": 1}}, {"table": {"family": "inet", "name": "t", "handle": 1}},
                        {"chain": {"family": "inet", "table": "t", "name": "c", "handle": 2, "hook": "input"}},
                        {"rule": {"family": "inet", "table": "t", "chain": "c", "handle": 3, "comment": "q",
                                  "expr": [{"queue": {"num": 4, "flags": "bypass"}}]}}]}
    rs = nft.parse(json.dumps(doc))
    (q,) = nft.queue_rules(rs)
    assert (q["rule"], q["statement"], q["handle"], q["reachable_from"]) == (
        'queue flags bypass to 4 comment "q"', "queue flags bypass to 4", 3, ["c"])
    assert rs.format == "json" and rs.command == "nft -j list ruleset"


# ------------------------------------------------------------------ malformed

@pytest.mark.parametrize("text", [
    "table inet t {\n\tchain c {\n\t\tqueue to 1\n",          # truncated
    'table inet t {\n\tchain c {\n\t\tiifname "lo accept\n\t}\n}\n',  # open string
    "chain c {\n}\n",                                          # rule outside a table
    "table inet t {\n}\n}\n",                                  # extra brace
    "table bogus family name x {\n}\n",
])
def test_malformed_text(text):
    with pytest.raises(KcrashParseError) as ei:
        nft.parse_text(text)
    assert "nft list ruleset" in str(ei.value)


@pytest.mark.parametrize("text", ['{"nftables": [', '{"x": 1}', '{"nftables": [{"rule": {"family": "ip"}}]}',
                                  '{"nftables": [{"table": {"family": "ip", "name": "t"}}, {"rule": '
                                  '{"family": "ip", "table": "t", "chain": "c", "expr": [{"queue": 5}]}}]}'])
def test_malformed_json(text):
    with pytest.raises(KcrashParseError):
        nft.parse_json(text)


T_IP = {"table": {"family": "ip", "name": "t"}}


@pytest.mark.parametrize("items,message", [
    ([5], "unexpected element 5"),
    ([{"a": {}, "b": {}}], 'unexpected element {"a": {}, "b": {}}'),
    ([{"table": 5}], "'table' is not an object"),
    ([{"table": {"family": "ip"}}], "table without family/name"),
    ([T_IP, {"chain": {"family": "ip", "table": "t"}}], "chain without name"),
    ([T_IP, {"chain": {"family": "ip", "table": "u", "name": "c"}}], "object refers to unknown table ip u"),
    ([T_IP, {"rule": {"family": "ip", "table": "t"}}], "rule without chain"),
    ([T_IP, {"rule": {"family": "ip", "table": "t", "chain": "c"}}], "rule without expr list"),
    ([T_IP, {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [{"queue": 5}]}}],
     "cannot render rule in ip t c: queue is not an object"),
    ([T_IP, {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [5]}}],
     "cannot render rule in ip t c: bad expression 5"),
])
def test_malformed_json_messages(items, message):
    with pytest.raises(KcrashParseError) as ei:
        nft.parse_json(json.dumps({"nftables": [{"metainfo": "x"}] + items}))
    assert (ei.value.command, ei.value.message) == ("nft -j list ruleset", message)


def test_malformed_json_document():
    for text, message in (('{"x": 1}', "no top-level 'nftables' list"), ("[]", "no top-level 'nftables' list"),
                          ('{"nftables": 1}', "no top-level 'nftables' list")):
        with pytest.raises(KcrashParseError) as ei:
            nft.parse_json(text)
        assert ei.value.message == message
    with pytest.raises(KcrashParseError) as ei:
        nft.parse_json('{"nftables": [')
    assert ei.value.message.startswith("invalid JSON: ")
    with pytest.raises(KcrashParseError) as ei:
        nft.parse_json("[" * 100000 + "]" * 100000)
    assert ei.value.message == "JSON nested too deeply"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_text_parser_never_raises_other_errors(text):
    try:
        rs = nft.parse_text(text)
    except KcrashParseError:
        return
    _queue_rules_come_from_the_text(rs, text)


def _queue_rules_come_from_the_text(rs, text):
    """Every queue rule found is a rule of the text that has a queue statement, in a table and
    chain the text declares: no invented rules."""
    rules = nft.queue_rules(rs)
    assert len(rules) <= text.count("queue")
    for r in rules:
        assert "queue" in r["rule"] and r["statement"]
        assert r["table"] in text and r["chain"] in text


_frag = st.sampled_from(["table inet t {\n", "chain c {\n", "}\n", "queue to 1\n", "queue num 0-3 bypass\n",
                         "type filter hook input priority 0;\n", "jump c\n", '"', "# handle 3\n", "{", ",",
                         "set s {\n", "map m {\n", "typeof ip saddr : queue\n"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_frag, max_size=25))
def test_text_parser_never_raises_on_shuffled_fragments(parts):
    try:
        rs = nft.parse_text("".join(parts))
    except KcrashParseError:
        return
    _queue_rules_come_from_the_text(rs, "".join(parts))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["nftables", "table", "chain", "rule", "family", "name", "expr", "queue", "num",
                         "flags", "range", "jump", "target", "xt", "type", "handle", "hook", "symhash",
                         "mod", "jhash", "expr", "map", "key", "data", "concat", "payload", "meta"]),
        children, max_size=3),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(_json)
def test_json_parser_never_raises_other_errors(doc):
    text = json.dumps(doc)
    try:
        rs = nft.parse_json(text)
    except KcrashParseError:
        return
    rules = nft.queue_rules(rs)
    # a queue rule needs a "queue" expression somewhere in the document
    assert len(rules) <= text.count('"queue"')
