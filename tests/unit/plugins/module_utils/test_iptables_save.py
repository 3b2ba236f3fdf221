# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""iptables_save.py against the public corpus, own recordings of the real tools, and
hypothesis properties (parse never raises anything but KcrashParseError; parse->render is
the identity)."""

import json
import os
import re
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save as ips
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError

from conftest import require_tool

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "..", "fixtures", "iptables")


def read(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


def fixture(name):
    return read(os.path.join(FIX, name))


def truth_entries(corpus, prefix):
    with open(os.path.join(corpus, "truth.json"), encoding="utf-8") as f:
        truth = json.load(f)
    return [(k, v) for k, v in sorted(truth.items()) if k.startswith(prefix)]


# ----------------------------------------------------------------------------- corpus

def test_corpus_every_iptables_entry_matches_truth(corpus):
    entries = truth_entries(corpus, "iptables/")
    assert entries, "truth.json lists no iptables entries"
    for key, want in entries:
        text = read(os.path.join(corpus, key))
        rs = ips.parse(text, command=key)
        assert ips.render(rs) == text, key
        family = "ipv6" if "ip6tables" in text.split("\n", 1)[0] else "ipv4"
        got = ips.nfqueue_rules(rs, family=family)
        exp = want.get("nfqueue_rules")
        assert exp is not None, key
        assert len(got) == len(exp), (key, got)
        for g, e in zip(got, exp):
            for field, value in e.items():
                assert g[field] == value, (key, field)


def test_corpus_i90_goto_builtin_and_targetless_rule(corpus):
    rs = ips.parse(read(os.path.join(corpus, "iptables/i90_insights-core_rhel6_iptables-save_noNFQUEUE.txt")))
    flt = rs.tables["filter"]
    assert [r.position for r in flt.chain_rules("INPUT")] == [1, 2, 3, 4, 5, 6, 7]
    goto = flt.chain_rules("INPUT")[1]
    assert goto.goto and goto.target == "ACCEPT"
    targetless = flt.chain_rules("INPUT")[3]
    assert (targetless.target, targetless.goto, targetless.target_args, targetless.is_queue) == (None, False, [], False)
    assert [t.name for t in rs.table_list] == ["filter", "mangle", "nat"]
    assert rs.tables["filter"].chains["REJECT-LOG"].builtin is False
    assert rs.tables["filter"].chains["OUTPUT"].counters == (769, 196899)


def test_corpus_i92_counters_and_leading_completed_comment(corpus):
    text = read(os.path.join(corpus, "iptables/i92_iptables-testsuite_fedora27-iptables_noNFQUEUE.txt"))
    rs = ips.parse(text)
    r = rs.tables["filter"].chain_rules("INPUT")[1]
    assert r.counters == (0, 123456789)
    assert r.text == "-A INPUT -i virbr0 -p tcp -m tcp --dport 53 -j ACCEPT"
    reach = ips.reachability(rs.tables["filter"])
    assert reach["IN_FedoraWorkstation_allow"] == ["INPUT"]
    assert sorted(reach["FWDO_FedoraWorkstation_log"]) == ["FORWARD"]


# ----------------------------------------------------------------- own real recordings

RECORDED = [
    ("legacy-save.txt", "ipv4", "legacy"),
    ("legacy-save-c.txt", "ipv4", "legacy"),
    ("nft-save.txt", "ipv4", "nft"),
    ("nft-save-c.txt", "ipv4", "nft"),
    ("default-save-c.txt", "ipv4", "nft"),
    ("legacy6-save.txt", "ipv6", "legacy"),
    ("legacy6-save-c.txt", "ipv6", "legacy"),
    ("nft6-save.txt", "ipv6", "nft"),
]


@pytest.mark.parametrize("name,family,backend", RECORDED)
def test_recorded_round_trip(name, family, backend):
    text = fixture(name)
    rs = ips.parse(text, command=name)
    assert ips.render(rs) == text


def _by_chain(rules):
    return {(r["table"], r["chain"], r["position"]): r for r in rules}


@pytest.mark.parametrize("name,backend", [("legacy-save.txt", "legacy"), ("legacy-save-c.txt", "legacy"),
                                          ("nft-save.txt", "nft"), ("nft-save-c.txt", "nft")])
def test_recorded_ipv4_nfqueue_rules(name, backend):
    rs = ips.parse(fixture(name))
    rules = ips.nfqueue_rules(rs, family="ipv4", backend=backend)
    got = _by_chain(rules)
    seed = got[("mangle", "PREROUTING", 1)]
    assert seed["rule"] == (
        "-A PREROUTING -p tcp -m multiport --dports 80,443 -m set --match-set lee src -m string "
        "--string \"t.test.com\" --algo kmp --to 1480 -j NFQUEUE --queue-num 0")
    assert seed["queue"] == {"num": 0, "balance": None, "bypass": False, "fanout": False}
    assert seed["reachable_from"] == ["PREROUTING"]
    assert seed["family"] == "ipv4" and seed["backend"] == backend and seed["handle"] is None
    bal = got[("filter", "FORWARD", 1)]
    assert bal["queue"] == {"num": None, "balance": [0, 3], "bypass": True, "fanout": True}
    assert got[("filter", "FORWARD", 2)]["queue"]["num"] == 7
    ids = got[("filter", "IDS", 2)]
    assert ids["queue"] == {"num": 2, "balance": None, "bypass": True, "fanout": False}
    # IDS is reached from FORWARD by -j and by -g
    assert ids["reachable_from"] == ["FORWARD"]
    orphan = got[("filter", "ORPHAN", 1)]
    assert orphan["reachable_from"] == []
    # NFQUEUE only inside comments is not a target
    assert not any(r["chain"] == "INPUT" for r in rules)
    if backend == "legacy":
        q = got[("filter", "IDS_DEEP", 1)]
        assert q["target"] == "QUEUE" and q["queue"] == {"num": 0, "balance": None, "bypass": False, "fanout": False}
        assert q["goto"] is False
        assert q["reachable_from"] == ["FORWARD"]
        assert len(rules) == 6
    else:
        assert len(rules) == 5
    if name.endswith("-c.txt"):
        assert seed["counters"] == {"packets": 0, "bytes": 0}
    else:
        assert seed["counters"] is None


def test_recorded_ipv6_nfqueue_rules():
    for name in ("legacy6-save.txt", "nft6-save.txt"):
        rules = ips.nfqueue_rules(ips.parse(fixture(name)), family="ipv6")
        got = _by_chain(rules)
        assert len(rules) == 3
        assert got[("filter", "FORWARD", 1)]["queue"] == {"num": None, "balance": [4, 7], "bypass": True,
                                                          "fanout": False}
        v6 = got[("filter", "V6IDS", 1)]
        assert v6["queue"]["num"] == 11 and v6["reachable_from"] == ["FORWARD"]
        assert v6["family"] == "ipv6"


def test_recorded_quoted_comment_tokens():
    rs = ips.parse(fixture("legacy-save.txt"))
    r = rs.tables["filter"].chain_rules("INPUT")[1]
    i = r.words.index("--comment")
    assert r.words[i + 1] == "with \"quotes\" and 'single' and \\backslash"
    assert ips.is_quoted(r.words[i + 1])
    r = [x for x in rs.tables["filter"].rules if "--string" in x.words][0]
    assert r.words[r.words.index("--string") + 1] == 'GET /"x" \\ y'
    h = [x for x in rs.tables["filter"].rules if "--hex-string" in x.words][0]
    assert h.words[h.words.index("--hex-string") + 1] == "|0001ff6162630d0a|"


def _independent_reading(text):
    """What a plain reading of an iptables-save dump gives, written apart from the parser
    (lines, counters, per-chain positions; target words for lines without quotes)."""
    tables, rules = [], []
    table = None
    positions = {}
    for no, line in enumerate(text.split("\n"), 1):
        if line.startswith("*"):
            table = {"name": line[1:], "line": no, "chains": {}}
            positions = {}
            tables.append(table)
        elif line.startswith(":"):
            table["chains"][line[1:].split(" ")[0]] = no
        elif line == "COMMIT":
            table["commit"] = no
        elif line.startswith(("-A ", "[")):
            m = re.match(r"^(?:\[(\d+):(\d+)\] )?(-A (\S+).*)$", line)
            chain = m.group(4)
            positions[chain] = positions.get(chain, 0) + 1
            r = {"table": table["name"], "chain": chain, "line": no, "position": positions[chain], "text": m.group(3),
                 "counters": (int(m.group(1)), int(m.group(2))) if m.group(1) else None}
            if '"' not in line:
                t = re.search(r" -([jg]) (\S+)(.*)$", line)
                r["target"] = (t.group(2), t.group(1) == "g", t.group(3).split()) if t else (None, False, [])
            rules.append(r)
    return tables, rules


@pytest.mark.parametrize("name", [r[0] for r in RECORDED])
def test_recorded_lines_positions_counters_and_targets(name):
    """Line numbers, counters, positions and the target words of every rule of a real
    recording, against an independent plain reading of the same text. A save without
    counters takes scan()'s text-level path (checked), one with counters the per-line one."""
    text = fixture(name)
    assert (ips._scan_text(text, "iptables-save") is not None) is ("-c" not in name)
    tables, rules = _independent_reading(text)
    assert rules and any(r.get("target", (None,))[0] == "NFQUEUE" for r in rules)
    for fn in (ips.parse, ips.scan):
        rs = fn(text)
        assert [(t.name, t.line, t.commit_line) for t in rs.table_list] == \
            [(t["name"], t["line"], t["commit"]) for t in tables]
        for t, want in zip(rs.table_list, tables):
            assert {c.name: c.line for c in t.chains.values()} == want["chains"]
            assert t.rule_texts == [r["text"] for r in rules if r["table"] == t.name]
        by_line = {r["line"]: r for r in rules}
        got = list(rs.rules())
        assert got if fn is ips.scan else len(got) == len(rules)
        for r in got:
            w = by_line[r.line]
            assert (r.table, r.chain, r.position, r.text, r.counters) == \
                (w["table"], w["chain"], w["position"], w["text"], w["counters"]), (fn.__name__, r.line)
            assert rs.items[r.line - 1] is r
            if "target" in w:
                assert (r.target, r.goto, r.target_args) == w["target"], (fn.__name__, r.line)
    assert ips.render(rs) == text


def test_a_last_word_jump_flag_is_no_target():
    """`-j`/`-g` as the last word has no target word after it (iptables-restore refuses such a
    line); the parsers read it as a rule without a target, never fail on it."""
    for flag in ("-j", "-g", "--jump", "--goto"):
        text = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp %s\nCOMMIT\n" % flag
        for fn in (ips.parse, ips.scan):
            rs = fn(text, command="/etc/iptables/rules.v4")
            assert rs.command == "/etc/iptables/rules.v4"
            assert rs.tables["filter"].rule_texts == ["-A INPUT -p tcp %s" % flag]
            for r in rs.tables["filter"].rules:  # scan() may leave it out: it neither queues nor jumps
                assert (r.target, r.target_index, r.goto, r.target_args) == (None, None, False, [])
            assert fn is ips.scan or len(rs.tables["filter"].rules) == 1
            assert ips.nfqueue_rules(rs) == [] and ips.render(rs) == text


def test_repr_of_a_rule_names_table_chain_position_and_text():
    r = ips.parse("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n").tables["filter"].rules[0]
    assert repr(r) == "Rule('filter', 'INPUT', #1, '-A INPUT -j ACCEPT')"


# ------------------------------------------------------------- tokenizer details

def test_tokenizer_follows_iptables_restore():
    t = ips.tokenize('-A X -m comment --comment "a b"c -j  ACCEPT')
    assert t == ["-A", "X", "-m", "comment", "--comment", "a b", "c", "-j", "ACCEPT"]
    assert ips.is_quoted(t[5]) and not ips.is_quoted(t[6])
    assert ips.tokenize('ab"c d"') == ["abc d"]
    assert ips.tokenize('"" x') == ["", "x"]
    assert ips.tokenize(r'a\b "q\"\\"') == ["a\\b", 'q"\\']
    with pytest.raises(ips.TokenizeError):
        ips.tokenize('"open')


def test_unquoted_jump_inside_comment_is_data():
    rs = ips.parse("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment -j -j ACCEPT\nCOMMIT\n")
    r = rs.tables["filter"].rules[0]
    assert r.target == "ACCEPT"
    rs = ips.parse('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "-j NFQUEUE" -j ACCEPT\nCOMMIT\n')
    assert ips.nfqueue_rules(rs) == []


def test_hand_written_file_without_counters_and_undeclared_builtin():
    text = "# saved by hand\n*mangle\n-A PREROUTING -j NFQUEUE --queue-num 3\nCOMMIT\n"
    rs = ips.parse(text, command="/etc/sysconfig/iptables")
    (r,) = ips.nfqueue_rules(rs)
    assert r["reachable_from"] == ["PREROUTING"] and r["queue"]["num"] == 3
    assert ips.render(rs) == text


def test_nfqueue_rule_defaults_and_counters_packets_then_bytes():
    """Counters are `[packets:bytes]` (iptables-save -c); the default family and back end."""
    rs = ips.parse("*filter\n:INPUT ACCEPT [0:0]\n[5:300] -A INPUT -j NFQUEUE\n[7:9] -A INPUT -g NFQUEUE\nCOMMIT\n")
    a, b = ips.nfqueue_rules(rs)
    assert (a["family"], a["backend"], a["counters"], a["goto"]) == ("ipv4", "legacy", {"packets": 5, "bytes": 300}, False)
    assert (b["counters"], b["goto"]) == ({"packets": 7, "bytes": 9}, True)
    r = ips.rule_dict(rs.tables["filter"].rules[0], {})
    assert (r["family"], r["backend"], r["reachable_from"]) == ("ipv4", "legacy", [])


def test_nfqueue_without_queue_num_defaults_to_zero():
    rs = ips.parse("*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j NFQUEUE --queue-bypass\nCOMMIT\n")
    (r,) = ips.nfqueue_rules(rs)
    assert r["queue"] == {"num": 0, "balance": None, "bypass": True, "fanout": False}


# ----------------------------------------------------------------- malformed input

BAD = [
    ("-A INPUT -j ACCEPT\n", 1, "before any"),
    ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n", 3, "no COMMIT"),
    ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"x -j ACCEPT\nCOMMIT\n", 3, "quote"),
    ("*filter\nhello world\nCOMMIT\n", 2, "unrecognised"),
    ("*filter\n*nat\nCOMMIT\n", 2, "committed"),
    ("COMMIT\n", 1, "outside"),
    ("*filter\n:INPUT ACCEPT [0:0]\n[1:x] -A INPUT -j ACCEPT\nCOMMIT\n", 3, "counters"),
    ("*filter\n-I INPUT -j ACCEPT\nCOMMIT\n", 2, "unsupported"),
    ("*filter\n-A NOPE -j ACCEPT\nCOMMIT\n", 2, "undeclared"),
    (":INPUT ACCEPT [0:0]\n", 1, "before any"),
]


@pytest.mark.parametrize("text,line,words", BAD)
def test_malformed_raises_parse_error_naming_command_and_line(text, line, words):
    with pytest.raises(KcrashParseError) as ei:
        ips.parse(text, command="iptables-save")
    assert ei.value.line == line
    assert "iptables-save" in str(ei.value) and ("line %d" % line) in str(ei.value)
    assert words in str(ei.value)


F = "*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n"
EXACT = [
    ("-A INPUT -j ACCEPT\n", 1, "rule before any '*table' line"),
    (F + '-A INPUT -m comment --comment "x -j ACCEPT\nCOMMIT\n', 4,
     "unterminated quote in '-A INPUT -m comment --comment \"x -j ACCEPT'"),
    (F + "-A \nCOMMIT\n", 4, "rule without a chain name: '-A '"),
    (F + '-A "X" -j ACCEPT\nCOMMIT\n', 4, "rule without a valid chain name: '-A \"X\" -j ACCEPT'"),
    (F + "-A NOPE -j ACCEPT\nCOMMIT\n", 4, "rule appends to undeclared chain 'NOPE'"),
    (F + '-A INPUT -j "X"\nCOMMIT\n', 4, "bad target 'X'"),
    (F + "[1:x] -A INPUT -j ACCEPT\nCOMMIT\n", 4, "bad counters in '[1:x] -A INPUT -j ACCEPT'"),
    (F + "[1:2] COMMIT\nCOMMIT\n", 4, "unrecognised line '[1:2] COMMIT'"),
    (F + "-I INPUT -j ACCEPT\nCOMMIT\n", 4, "unsupported command '-I' (only -A rules are understood)"),
    (F + "hello world\nCOMMIT\n", 4, "unrecognised line 'hello world'"),
    ("*filter\n*nat\nCOMMIT\n", 2, "table 'nat' starts before table 'filter' was committed"),
    ("COMMIT\n", 1, "COMMIT outside a table"),
    (":INPUT ACCEPT [0:0]\n", 1, "chain line before any '*table' line"),
    ("*filter\n:INPUT\nCOMMIT\n", 2, "bad chain line ':INPUT'"),
    ("*filter\n:-X - [0:0]\nCOMMIT\n", 2, "bad chain name '-X'"),
    (F + ":X - [0:0]\nCOMMIT\n", 4, "chain 'X' declared twice"),
    (F + "-A INPUT -j X\n", 4, "table 'filter' has no COMMIT (output truncated?)"),
    ("*fil ter\nCOMMIT\n", 1, "bad table line '*fil ter'"),
    ("*filter\n-A INPUT -m comment --comment " + "y" * 130 + "\nCOMMIT\n", None, None),
]


@pytest.mark.parametrize("text,line,message", EXACT)
def test_malformed_messages_word_for_word(text, line, message):
    """Each error says what is wrong and where, the same from parse() and scan()."""
    if message is None:  # a long line is cut at 120 characters in the message
        text = text.replace("*filter\n", "*filter\n-A OOPS\n")
        line, message = 2, "rule appends to undeclared chain 'OOPS'"
        long_text = "*filter\n" + "-I " + "z" * 130 + "\nCOMMIT\n"
        with pytest.raises(KcrashParseError) as ei:
            ips.parse(long_text)
        assert ei.value.message == "unsupported command '-I' (only -A rules are understood)"
        long_text = "*filter\n" + "x" * 130 + "\nCOMMIT\n"
        with pytest.raises(KcrashParseError) as ei:
            ips.parse(long_text)
        assert ei.value.message == "unrecognised line '%s...'" % ("x" * 120)
    for fn in (ips.parse, ips.scan):
        with pytest.raises(KcrashParseError) as ei:
            fn(text, command="ip6tables-save")
        assert (ei.value.command, ei.value.line, ei.value.message) == ("ip6tables-save", line, message), fn.__name__
    with pytest.raises(KcrashParseError) as ei:
        ips.parse(5)
    assert (ei.value.message, ei.value.line) == ("expected text, got int", None)


def test_truncated_real_output_is_an_error():
    text = fixture("legacy-save-c.txt")
    cut = text[: text.rindex("COMMIT")]
    with pytest.raises(KcrashParseError):
        ips.parse(cut)


def test_empty_output_is_an_empty_ruleset():
    rs = ips.parse("")
    assert rs.table_list == [] and ips.render(rs) == ""


# ------------------------------------------------ the format's vocabulary, from the real tools

def _netns(tag):
    require_tool("ip", "iproute2")
    ns = "fw-test-ips-%s-%d" % (tag, os.getpid())
    subprocess.run(["ip", "netns", "add", ns], check=True)
    return ns


def _restore(ns, text, tool="iptables-legacy-restore"):
    return subprocess.run(["ip", "netns", "exec", ns, tool], input=text.encode(), capture_output=True, check=False)


def _save(ns, table, tool="iptables-legacy-save"):
    return subprocess.run(["ip", "netns", "exec", ns, tool, "-t", table], capture_output=True,
                          check=True).stdout.decode()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (ip netns)")
def test_builtin_chains_are_those_of_the_real_tables():
    """Each table's built-in chains, in the order iptables-save declares them (policy, not
    '-'), and a saved file may append to exactly those without declaring them: what
    iptables-restore accepts, parse() accepts, and the rule is reached from that chain."""
    require_tool("iptables-legacy-restore", "iptables")
    ns = _netns("builtin")
    try:
        for table in ("filter", "nat", "mangle", "raw", "security"):
            accepted = []
            for chain in ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING", "NOPE"):
                text = "*%s\n-A %s -j NFQUEUE --queue-num 1\nCOMMIT\n" % (table, chain)
                real = _restore(ns, text).returncode == 0
                try:
                    rs = ips.parse(text, command="/etc/sysconfig/iptables")
                except KcrashParseError as e:
                    assert not real, (table, chain, str(e))
                    assert "undeclared chain '%s'" % chain in str(e)
                    continue
                assert real, (table, chain)
                accepted.append(chain)
                (r,) = ips.nfqueue_rules(rs)
                assert (r["table"], r["chain"], r["reachable_from"]) == (table, chain, [chain])
            saved = _save(ns, table)
            declared = [m.group(1) for m in re.finditer(r"^:(\S+) (\S+) ", saved, re.M) if m.group(2) != "-"]
            assert list(ips.BUILTIN_CHAINS[table]) == declared, table
            assert sorted(accepted) == sorted(declared), table
        assert sorted(ips.BUILTIN_CHAINS) == ["filter", "mangle", "nat", "raw", "security"]
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


# hand-written saved files: long options, and an option value "-j" (a getopt argument, so
# data) before the real target; each line is loaded by the real iptables-restore, whose
# save must show "-j NFQUEUE --queue-num 0" (the target it registered)
HAND_TARGETS = [
    "--append FORWARD --jump NFQUEUE",
    "-A FORWARD -m comment --comment -j -j NFQUEUE",
    "-A FORWARD -m string --algo bm --string -j -j NFQUEUE",
    "-A FORWARD -m string --algo bm --hex-string -j -j NFQUEUE",
    "-A FORWARD -m recent --rcheck --name -j -j NFQUEUE",
    "-A FORWARD -m helper --helper -j -j NFQUEUE",
    "-A FORWARD -m physdev --physdev-in -j -j NFQUEUE",
    "-A FORWARD -m physdev --physdev-out -j -j NFQUEUE",
    "-A FORWARD -i -j -j NFQUEUE",
    "-A FORWARD --in-interface -j -j NFQUEUE",
    "-A FORWARD -o -j -j NFQUEUE",
    "-A FORWARD --out-interface -j -j NFQUEUE",
]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (ip netns)")
def test_hand_written_targets_are_the_ones_iptables_restore_loads():
    require_tool("iptables-legacy-restore", "iptables")
    ns = _netns("hand")
    try:
        for line in HAND_TARGETS:
            text = "*filter\n:FORWARD ACCEPT [0:0]\n%s\nCOMMIT\n" % line
            res = _restore(ns, text)
            assert res.returncode == 0, (line, res.stderr)
            (real,) = [l for l in _save(ns, "filter").split("\n") if l.startswith("-A ")]
            assert real.endswith(" -j NFQUEUE --queue-num 0"), real
            for src in (text, "*filter\n:FORWARD ACCEPT [0:0]\n%s\nCOMMIT\n" % real):
                for fn in (ips.parse, ips.scan):
                    (r,) = ips.nfqueue_rules(fn(src))
                    assert (r["target"], r["chain"], r["position"], r["goto"]) == ("NFQUEUE", "FORWARD", 1, False), \
                        (fn.__name__, src)
                    assert r["queue"]["num"] == 0
        # the recent match's --set takes no value: the -j after it is the target
        text = "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m recent --set -j NFQUEUE --queue-num 3\nCOMMIT\n"
        assert _restore(ns, text).returncode == 0
        (real,) = [l for l in _save(ns, "filter").split("\n") if l.startswith("-A ")]
        assert real.endswith(" -j NFQUEUE --queue-num 3"), real
        for fn in (ips.parse, ips.scan):
            (r,) = ips.nfqueue_rules(fn(text))
            assert (r["target"], r["queue"]["num"]) == ("NFQUEUE", 3)
        # --goto is a goto, to the chain named after it
        text = "*filter\n:FORWARD ACCEPT [0:0]\n:IDS - [0:0]\n--append FORWARD --goto IDS\n-A IDS -j NFQUEUE\nCOMMIT\n"
        assert _restore(ns, text).returncode == 0
        assert "\n-A FORWARD -g IDS\n" in _save(ns, "filter")
        for fn in (ips.parse, ips.scan):
            rs = fn(text)
            g = [r for r in rs.tables["filter"].rules if r.chain == "FORWARD"][0]
            assert (g.target, g.goto, g.target_args) == ("IDS", True, [])
            assert ips.nfqueue_rules(rs)[0]["reachable_from"] == ["FORWARD"]
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


def test_save_tools_are_the_real_tools_of_their_family_and_back_end():
    """SAVE_TOOLS against the real tools' own --version: 'ip6tables...' is IPv6, '(legacy)'
    or '(nf_tables)' the back end; the plain name's back end is not fixed (it is
    `iptables --version`'s, so the entry leaves it None)."""
    names = ["iptables-legacy-save", "iptables-nft-save", "iptables-save",
             "ip6tables-legacy-save", "ip6tables-nft-save", "ip6tables-save"]
    assert [t for _f, _b, t in ips.SAVE_TOOLS] == names
    for family, backend, tool in ips.SAVE_TOOLS:
        path = require_tool(tool, "iptables")
        out = subprocess.run([path, "--version"], capture_output=True, check=True).stdout.decode()
        m = re.match(r"^(ip6?)tables(?:-nft)?-save v[\d.]+ \((legacy|nf_tables)\)", out)
        assert m, out
        assert family == {"ip": "ipv4", "ip6": "ipv6"}[m.group(1)], tool
        if "-legacy-" in tool or "-nft-" in tool:
            assert backend == {"legacy": "legacy", "nf_tables": "nft"}[m.group(2)], tool
        else:
            assert backend is None, tool


def test_saved_files_are_the_documented_boot_files():
    """initscripts' iptables/ip6tables services restore /etc/sysconfig/ip{,6}tables (el);
    Debian/Ubuntu's iptables-persistent (netfilter-persistent plugins 15-ip4tables,
    25-ip6tables) restores /etc/iptables/rules.v4 and rules.v6."""
    assert ips.SAVED_FILES == (
        ("/etc/sysconfig/iptables", "ipv4"),
        ("/etc/sysconfig/ip6tables", "ipv6"),
        ("/etc/iptables/rules.v4", "ipv4"),
        ("/etc/iptables/rules.v6", "ipv6"),
    )


def test_tokenizer_words_outside_quotes_stay_plain_and_open_quote_is_named():
    """Only a word that came from quotes is data: the words before and after a quoted
    one (the first word too) are plain; an open quote is named in the error."""
    t = ips.tokenize('-A\tX --comment "a b" -j\tY')
    assert t == ["-A", "X", "--comment", "a b", "-j", "Y"]
    assert [ips.is_quoted(w) for w in t] == [False, False, False, True, False, False]
    with pytest.raises(KcrashParseError) as ei:
        ips.parse('*filter\n-A INPUT -m comment --comment "x -j ACCEPT\nCOMMIT\n')
    assert "unterminated quote in '-A INPUT -m comment --comment \"x -j ACCEPT'" in str(ei.value)


def test_scan_keeps_only_rules_that_matter_on_either_path_and_raises_as_parse():
    """scan()'s two paths (documented on Table and scan): the text-level one leaves
    rule_chains None, the per-line one (a double blank here) keeps it; both leave out rules that
    neither queue nor jump. A quoted or apostrophed target is refused by both parsers."""
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":IDS - [0:0]",
             ":IDS_DEEP - [0:0]"]
    lines += ["-A INPUT -p tcp -m tcp --dport %d -j ACCEPT" % p for p in (22, 80, 443)]
    lines += ["-A FORWARD -j IDS", "-A FORWARD -j DROP", "-A IDS -j IDS_DEEP", "-A IDS_DEEP -j NFQUEUE --queue-num 1",
              "-A IDS_DEEP -j RETURN", "COMMIT"]
    plain = "\n".join(lines) + "\n"
    counted = "# two  blanks: not for the text-level path\n" + plain
    assert ips.parse(plain).command == ips.scan(plain).command == "iptables-save"
    for text, chains_none in ((plain, True), (counted, False)):
        full, fast = ips.parse(text), ips.scan(text)
        for tf, tp in zip(fast.table_list, full.table_list):
            assert (tf.rule_chains is None) is chains_none
            assert tf.rule_texts == [r.text for r in tp.rules]
        kept = [r.text for r in fast.rules()]
        assert kept and len(kept) < len(list(full.rules()))
        needed = [r.text for r in full.rules() if r.is_queue or r.target in ("IDS", "IDS_DEEP")]
        assert set(needed) <= set(kept)
    for target in ('"IDS"', "'IDS'"):
        text = "*filter\n:INPUT ACCEPT [0:0]\n:IDS - [0:0]\n-A INPUT -p tcp -j %s\nCOMMIT\n" % target
        for fn in (ips.parse, ips.scan):
            with pytest.raises(KcrashParseError) as ei:
                fn(text)
            assert "iptables-save" in str(ei.value) and "bad target" in str(ei.value) and ei.value.line == 4


def _save_like(tables):
    """A dump printed the way iptables-save prints it: per table the built-in chains with a
    policy, the user chains with '-', then every chain's rules together, in chain order."""
    out = ["# Generated by iptables-save v1.8.9 on Thu Nov 26 04:22:55 2026"]
    for name, chains in tables:
        out.append("*" + name)
        for c, _rules in chains:
            out.append(":%s %s [0:0]" % (c, "ACCEPT" if c in ips.BUILTIN_CHAINS[name] else "-"))
        for c, rules in chains:
            out += ["-A %s %s" % (c, r) for r in rules]
        out.append("COMMIT")
        out.append("# Completed on Thu Nov 26 04:22:55 2026")
    return "\n".join(out) + "\n"


def test_scan_text_level_path_many_chains_and_tables():
    """Over 32 chains (scan's one-pass grouping) and several tables: the text-level path
    is taken and answers as parse() does, positions of queue rules and jumps included."""
    users = ["U%02d" % i for i in range(40)]
    flt = [("INPUT", ["-p tcp -m tcp --dport 22 -j ACCEPT", "-j U00"]), ("FORWARD", ["-j U39", "-j DROP"]),
           ("OUTPUT", [])]
    flt += [(u, ["-p udp -j ACCEPT", "-j %s" % users[i + 1] if i + 1 < len(users) else "-j NFQUEUE --queue-num 9",
                 "-s 10.0.0.%d/32 -j RETURN" % i]) for i, u in enumerate(users)]
    mangle = [("PREROUTING", ["-p tcp -j MARK --set-xmark 0x1/0xffffffff", "-p tcp -j NFQUEUE --queue-num 2"]),
              ("INPUT", []), ("FORWARD", []), ("OUTPUT", []), ("POSTROUTING", [])]
    raw = [("PREROUTING", ["-j CT --notrack"]), ("OUTPUT", [])]
    text = _save_like([("raw", raw), ("filter", flt), ("mangle", mangle)])
    fast = ips._scan_text(text, "iptables-save")
    assert fast is not None
    assert _same_as_parse(text) is not None
    got = {(r["table"], r["chain"], r["position"]) for r in ips.nfqueue_rules(fast)}
    assert got == {("filter", "U39", 2), ("mangle", "PREROUTING", 2)}
    (q,) = [r for r in ips.nfqueue_rules(fast) if r["chain"] == "U39"]
    assert q["reachable_from"] == ["INPUT", "FORWARD"]
    flt_t = fast.tables["filter"]
    assert flt_t.chains_with_rules == {"INPUT", "FORWARD"} | set(users)
    tables, rules = _independent_reading(text)
    assert [(t.name, t.line, t.commit_line) for t in fast.table_list] == [(t["name"], t["line"], t["commit"]) for t in tables]
    by_line = {r["line"]: r for r in rules}
    for r in fast.rules():
        w = by_line[r.line]
        assert (r.chain, r.position, r.text, r.target) == (w["chain"], w["position"], w["text"], w["target"][0])
    assert ips.render(fast) == text and fast.items[0] == text.split("\n", maxsplit=1)[0]
    # fewer chains: the per-chain counting branch, same answers
    small = _save_like([("filter", flt[:3] + [(u, r) for u, r in flt[3:] if u in ("U00", "U39")])])
    small = small.replace("-A U00 -j U01", "-A U00 -j U39")
    assert ips._scan_text(small, "iptables-save") is not None
    assert _same_as_parse(small) is not None


@pytest.mark.parametrize("change", [
    ("-A INPUT -j U00\n", "-A INPUT -j U00\n-A OUTPUT\n"),                 # a rule with nothing after the chain
    (":U00 - [0:0]\n", ""),                                                # rules of an undeclared chain
    ("COMMIT\n", "COMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\n:LATE - [0:0]\nCOMMIT\n"),
    ("-A U00 -j ACCEPT\n", "-A U00 -j ACCEPT\n-A INPUT -j ACCEPT\n"),       # INPUT's rules not together
    ("-A U00 -j ACCEPT\n", "-A U00 -j -x\n"),                              # a target scan cannot accept unseen
    ("-A U00 -j ACCEPT\n", "-A U00 -j ACCEPT\t\n"),                        # a tab
    ("-A INPUT -j U00\n", "-A INPUT -j  U00\n"),                          # two blanks before a jump target
    ("-A U00 -j ACCEPT\n", "[1:2] -A U00 -j ACCEPT\n"),                    # counters
    ("*filter\n", "*filter\n-A INPUT -j ACCEPT\n"),                        # a rule before the chain lines
    ("COMMIT\n", "COMMIT\n-A INPUT -j ACCEPT\n"),                          # a rule after COMMIT
])
def test_scan_text_level_path_steps_aside_when_it_cannot_be_exact(change):
    base = "*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:U00 - [0:0]\n-A INPUT -j U00\n-A U00 -j ACCEPT\n" \
           "-A U00 -j NFQUEUE\nCOMMIT\n"
    assert ips._scan_text(base, "iptables-save") is not None
    text = base.replace(change[0], change[1], 1)
    assert text != base
    assert ips._scan_text(text, "iptables-save") is None
    _same_as_parse(text)


@pytest.mark.parametrize("rule", ["-A INPUT -p tcp --jump IDS", "-A INPUT -p tcp --goto IDS", "-A INPUT -p tcp -g IDS",
                                  "-A INPUT -m comment --comment it's -j IDS", "-A INPUT -j NFQUEUE",
                                  "-A INPUT -m comment --comment -j -j IDS"])
def test_scan_equals_parse_on_hand_written_jumps(rule):
    """Saved files written by hand may spell the jump long (iptables-restore takes it):
    scan() still finds the jump, with its position, as parse() does."""
    text = ("*filter\n:INPUT ACCEPT [0:0]\n:IDS - [0:0]\n-A INPUT -p udp -j ACCEPT\n%s\n-A INPUT -j DROP\n"
            "-A IDS -j NFQUEUE --queue-num 4\nCOMMIT\n" % rule)
    fast = _same_as_parse(text)
    (q,) = [r for r in ips.nfqueue_rules(fast) if r["chain"] == "IDS"] or [None]
    assert q["reachable_from"] == (["INPUT"] if rule.endswith(" IDS") else [])
    kept = [r for r in fast.rules() if r.chain == "INPUT"]
    assert [(r.position, r.text) for r in kept if r.target in ("IDS", "NFQUEUE")] == [(2, rule)]


# ----------------------------------------------------------------- properties

@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_parse_never_raises_anything_but_parse_error(text):
    try:
        rs = ips.parse(text)
    except KcrashParseError:
        return
    assert ips.render(rs) == text
    ips.nfqueue_rules(rs)


_line_alphabet = st.sampled_from(["*filter\n", "COMMIT\n", ":INPUT ACCEPT [0:0]\n", ":X - [1:2]\n",
                                  "-A INPUT -j NFQUEUE\n", "-A X -j QUEUE\n", "[3:4] -A INPUT -g X\n",
                                  "# c\n", "\n", '-A INPUT -m comment --comment "a\\"b" -j X\n',
                                  "-A INPUT -j NFQUEUE --queue-balance 1:2\n", '"', "\\", " "])


@settings(max_examples=400, deadline=None)
@given(st.lists(_line_alphabet, max_size=30))
def test_parse_never_raises_on_shuffled_real_lines(parts):
    text = "".join(parts)
    try:
        rs = ips.parse(text)
    except KcrashParseError:
        return
    assert ips.render(rs) == text
    ips.nfqueue_rules(rs)


# a free-text value is printed by iptables-save after its option, quoted when needed
# (xtables_save_string), so "-j" can appear unquoted as a comment
_word = st.one_of(
    st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_-]{0,11}\Z"),
    st.sampled_from(["-p tcp", "-m tcp --dport 22", "! -s 10.0.0.0/8", "-i eth0"]),
    st.text(alphabet=st.characters(blacklist_characters="\n\x00", blacklist_categories=("Cs",)),
            max_size=20).map(lambda v: "-m comment --comment " + ips.quote_word(v)),
)
_chain = st.from_regex(r"\A[A-Z][A-Z0-9_]{0,10}\Z")


@st.composite
def dumps(draw):
    out = []
    for table in draw(st.lists(st.sampled_from(sorted(ips.BUILTIN_CHAINS)), min_size=1, max_size=3,
                               unique=True)):
        counters = draw(st.booleans())
        if draw(st.booleans()):
            out.append("# Generated by iptables-save v1.8.9 on Thu Nov 26 04:22:55 2026")
        out.append("*" + table)
        chains = list(ips.BUILTIN_CHAINS[table])
        for c in chains:
            policy = draw(st.sampled_from(["ACCEPT", "DROP"]))
            out.append(":%s %s [%d:%d]" % (c, policy, draw(st.integers(0, 10 ** 12)), draw(st.integers(0, 10 ** 15))))
        users = draw(st.lists(_chain, max_size=3, unique=True))
        users = [u for u in users if u not in chains]
        for u in users:
            out.append(":%s - [0:0]" % u)
        for _i in range(draw(st.integers(0, 8))):
            chain = draw(st.sampled_from(chains + users))
            words = ["-A", chain] + draw(st.lists(_word, max_size=6))
            tgt = draw(st.sampled_from(["ACCEPT", "NFQUEUE", "QUEUE", "DROP"] + users))
            words += [draw(st.sampled_from(["-j", "-g"])), tgt]
            if tgt == "NFQUEUE":
                words += draw(st.sampled_from([[], ["--queue-num", "4"], ["--queue-balance", "0:3"],
                                               ["--queue-bypass", "--queue-cpu-fanout"]]))
            line = " ".join(words)
            if counters:
                line = "[%d:%d] %s" % (draw(st.integers(0, 99)), draw(st.integers(0, 9999)), line)
            out.append(line)
        out.append("COMMIT")
        out.append("# Completed on Thu Nov 26 04:22:55 2026")
    return "\n".join(out) + draw(st.sampled_from(["\n", ""]))


@settings(max_examples=300, deadline=None)
@given(dumps())
def test_parse_render_identity_on_generated_dumps(text):
    rs = ips.parse(text)
    assert ips.render(rs) == text
    for r in ips.nfqueue_rules(rs):
        assert r["rule"].startswith("-A ") and r["position"] >= 1


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="\n\x00", blacklist_categories=("Cs",)), max_size=30))
def test_quote_word_tokenizes_back(value):
    assert ips.tokenize("x " + ips.quote_word(value) + " y") == ["x", value, "y"]


# ----------------------------------------------------------------- real tools, live

@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (ip netns)")
@pytest.mark.parametrize("flavour", ["legacy", "nft"])
def test_render_output_is_accepted_by_real_iptables_restore(flavour):
    require_tool("ip", "iproute2")
    require_tool("iptables-%s-restore" % flavour, "iptables")
    """What render() writes loads into the real tool and saves back to the same rules."""
    ns = "fw-test-ips-%s-%d" % (flavour, os.getpid())
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        text = fixture("%s-save-c.txt" % flavour)
        # drop the ipset match (the set does not exist in this namespace)
        text = text.replace("-m set --match-set lee src ", "")
        rs = ips.parse(text)
        restore = subprocess.run(["ip", "netns", "exec", ns, "iptables-%s-restore" % flavour, "-c"],
                                 input=ips.render(rs).encode(), capture_output=True, check=False)
        assert restore.returncode == 0, restore.stderr
        saved = subprocess.run(["ip", "netns", "exec", ns, "iptables-%s-save" % flavour, "-c"],
                               capture_output=True, check=True).stdout.decode()
        again = ips.parse(saved)
        strip = re.compile(r"^#.*$", re.M)

        def key(r):
            return (r.table, r.chain, r.position, r.text)

        assert sorted(map(key, again.rules())) == sorted(map(key, rs.rules()))
        assert strip.sub("", saved).count("COMMIT") == len(rs.table_list)
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


# ----------------------------------------------------------------- scan() == parse()

def _same_as_parse(text):
    """scan() raises exactly when parse() does; otherwise the same text back, the same queue
    rules (positions included), reachability, built-in chains and rule lines per table."""
    try:
        full = ips.parse(text)
    except KcrashParseError:
        with pytest.raises(KcrashParseError):
            ips.scan(text)
        return None
    fast = ips.scan(text)
    assert ips.render(fast) == text
    assert ips.nfqueue_rules(fast) == ips.nfqueue_rules(full)
    assert [t.name for t in fast.table_list] == [t.name for t in full.table_list]
    for tf, tp in zip(fast.table_list, full.table_list):
        assert tf.rule_texts == [r.text for r in tp.rules]
        assert ips.reachability(tf) == ips.reachability(tp)
        assert tf.builtin_chains() == tp.builtin_chains()
        for r in tf.rules:  # every Rule scan() made is the one parse() made there
            p = tp.rules[r.index]
            assert (p.chain, p.position, p.text, p.target) == (r.chain, r.position, r.text, r.target)
        names = set(tp.chains) | set(ips.BUILTIN_CHAINS.get(tp.name, ()))
        needed = [p.index for p in tp.rules if p.is_queue or p.target in names]
        assert set(needed) <= set(r.index for r in tf.rules)
    return fast


@st.composite
def grouped_dumps(draw):
    """Dumps as iptables-save prints them (each chain's rules together, no counters, single
    blanks), with the lines scan() must still look at: quotes, free text '-j', -g, jumps."""
    text = draw(dumps())
    out = []
    block = []
    order = []
    for line in text.split("\n"):
        if line.startswith("[") and "] " in line:
            line = line.split("] ", 1)[1]
        if line.startswith("-A "):
            block.append(line)
            continue
        if block:
            block.sort(key=lambda l: order.index(l.split(" ", 2)[1]) if l.split(" ", 2)[1] in order else 99)
            out += block
            block = []
        if line.startswith(":"):
            order.append(line[1:].split(" ", 1)[0])
        if line.startswith("*"):
            order = []
        out.append(line)
    out += block
    extra = draw(st.sampled_from(["", "-m comment --comment -j ", "--log-prefix x -j "]))
    if extra:
        out = [l.replace(" -j ", " " + extra, 1) if l.startswith("-A ") and draw(st.booleans()) else l for l in out]
    return "\n".join(out)


@settings(max_examples=400, deadline=None)
@given(grouped_dumps())
def test_scan_equals_parse_on_dumps_as_saved(text):
    _same_as_parse(text)


@settings(max_examples=300, deadline=None)
@given(dumps())
def test_scan_equals_parse_on_generated_dumps(text):
    _same_as_parse(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(_line_alphabet, max_size=30))
def test_scan_equals_parse_on_shuffled_lines(parts):
    _same_as_parse("".join(parts))


@pytest.mark.parametrize("name", ["legacy-save.txt", "nft-save.txt", "legacy6-save.txt", "nft6-save.txt",
                                  "legacy-save-c.txt", "default-save-c.txt"])
def test_scan_equals_parse_on_recordings(name):
    _same_as_parse(fixture(name))


def test_scan_text_level_path_is_taken_for_a_plain_save():
    """A save without counters, quotes or odd blanks goes through the text-level path
    (the per-line path is the fallback), and still gives exact positions."""
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":IDS - [0:0]"]
    lines += ["-A INPUT -p tcp -m tcp --dport %d -j ACCEPT" % p for p in range(1, 40)]
    lines += ["-A INPUT -j IDS"]
    lines += ["-A FORWARD -s 10.0.0.%d/32 -j ACCEPT" % i for i in range(1, 200)]
    lines += ["-A FORWARD -p udp -j NFQUEUE --queue-num 3"]
    lines += ["-A FORWARD -s 10.1.0.%d/32 -j DROP" % i for i in range(1, 50)]
    lines += ["-A IDS -j NFQUEUE --queue-bypass", "-A IDS -j RETURN", "COMMIT"]
    text = "\n".join(lines) + "\n"
    fast = ips._scan_text(text, "iptables-save")
    assert fast is not None
    t = fast.table_list[0]
    assert [(r.chain, r.position) for r in t.rules] == [("INPUT", 40), ("FORWARD", 200), ("IDS", 1)]
    assert len(t.rule_texts) == 39 + 1 + 199 + 1 + 49 + 2
    assert _same_as_parse(text) is not None
    # chains not printed together: the fallback, same answer
    mixed = text.replace("-A IDS -j RETURN\n", "").replace("COMMIT", "-A INPUT -j LOG\n-A IDS -j RETURN\nCOMMIT")
    assert ips._scan_text(mixed, "iptables-save") is None
    _same_as_parse(mixed)


# ------------------------------------------- scan()'s text-level path: every attribute as parse()

def _state(rs, rule_ok=lambda r: True):
    """Everything a Ruleset holds, as plain data (rules limited to those ``rule_ok`` keeps)."""
    tables = []
    for t in rs.table_list:
        tables.append({
            "name": t.name, "line": t.line, "commit_line": t.commit_line, "start_item": t.start_item,
            "end_item": t.end_item, "rule_texts": t.rule_texts, "builtin_chains": t.builtin_chains(),
            "chains": [(c.name, c.policy, c.counters, c.line, c.builtin) for c in t.chains.values()],
            "with_rules": t.chains_with_rules if t.chains_with_rules is not None else set(t.rule_chains),
            "rules": [(r.table, r.chain, r.position, r.index, r.line, r.text, list(r.words), r.counters, r.sep,
                       r.target, r.target_index, r.goto, r.render()) for r in t.rules if rule_ok(r)],
        })
    items = [("rule", it.line) if isinstance(it, ips.Rule) else it for it in rs.items]
    return {"command": rs.command, "final_newline": rs.final_newline, "tables": tables, "items": items}


def _text_path_equals_parse(text):
    """_scan_text() takes the text and holds what parse() holds: the same tables, lines,
    item indices, chain lines, rule texts; every Rule it made is parse()'s rule of that line;
    the lines it left as text are those lines' text."""
    fast = ips._scan_text(text, "ip6tables-save")
    assert fast is not None
    full = ips.parse(text, "ip6tables-save")
    kept = set(r.line for r in fast.rules())
    want = _state(full, lambda r: r.line in kept)
    for it_no, it in enumerate(full.items):
        if isinstance(it, ips.Rule) and it.line not in kept:
            want["items"][it_no] = it.text
    got = _state(fast)
    assert got == want
    # and it kept every rule that queues or jumps to a chain of its table (scan()'s contract)
    for t in full.table_list:
        names = set(t.chains) | set(ips.BUILTIN_CHAINS.get(t.name, ()))
        assert set(r.line for r in t.rules if r.is_queue or r.target in names) <= kept
    assert all(fast.items[r.line - 1] is r for r in fast.rules())
    assert ips.render(fast) == text
    return fast


@pytest.mark.parametrize("name", ["legacy-save.txt", "nft-save.txt", "legacy6-save.txt", "nft6-save.txt"])
def test_scan_text_level_path_holds_what_parse_holds_on_recordings(name):
    _text_path_equals_parse(fixture(name))


@pytest.mark.parametrize("variant", ["as saved", "no final newline", "blank and comment lines", "leading blank line",
                                     "trailing blanks", "one table, no final newline",
                                     "one table", "empty table", "no builtin declared"])
def test_scan_text_level_path_holds_what_parse_holds(variant):
    """Saves as iptables-save prints them and as people keep them (the documented format:
    comments, blank lines, no final newline, COMMIT with a trailing blank, a table without
    rules, a saved file appending to built-in chains it does not declare)."""
    text = fixture("legacy-save.txt")
    if variant == "no final newline":
        text = text.rstrip("\n")
    elif variant == "blank and comment lines":
        text = text.replace("COMMIT\n", "COMMIT\n\n# next\n\n")
        text = text.replace(":OUTPUT ACCEPT [0:0]\n", ":OUTPUT ACCEPT [0:0]\n# rules\n", 1)
    elif variant == "leading blank line":
        text = "\n" + text
    elif variant == "trailing blanks":
        text = text.replace("COMMIT\n", "COMMIT \n")
    elif variant == "one table":
        text = text[text.index("*filter"):text.index("COMMIT", text.index("*filter")) + 7]
    elif variant == "one table, no final newline":
        text = text[text.index("*filter"):text.index("COMMIT", text.index("*filter")) + 6]
    elif variant == "empty table":
        text = "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n" + text
    elif variant == "no builtin declared":
        text = "*mangle\n:SEEN - [0:0]\n-A PREROUTING -j SEEN\n-A SEEN -j NFQUEUE --queue-num 3\n" \
               "-A FORWARD -j MARK --set-mark 1\n-A POSTROUTING -j SEEN\nCOMMIT\n" + text
    fast = _text_path_equals_parse(text)
    assert any(r.is_queue for r in fast.rules())


@pytest.mark.parametrize("text, line", [
    ("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n-A INPUT -j ACCEPT\n", 4),                # after the only COMMIT
    ("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT \n-A INPUT -p tcp -j DROP\n", 4),          # COMMIT with a trailing blank
    ("*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n"
     "COMMIT\n-A INPUT -j ACCEPT\n", 8),
    ("-A INPUT -j ACCEPT\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", 1),                # before any table
])
def test_scan_raises_where_parse_raises_on_rules_outside_a_table(text, line):
    """A rule line outside ``*table`` ... ``COMMIT`` is an error for iptables-restore and for
    parse(); scan() (its text-level path does not parse plain rule lines) raises the same."""
    for fn in (ips.parse, ips.scan):
        with pytest.raises(KcrashParseError) as ei:
            fn(text)
        assert ei.value.line == line and "rule before any '*table' line" in str(ei.value), fn.__name__


@pytest.mark.parametrize("users", [29, 30, 40])
def test_scan_text_level_path_holds_what_parse_holds_with_many_chains(users):
    """Around and over 32 chains (scan() counts per chain up to 32, groups in one pass
    above), every chain holding rules, built-in ones included: the text-level path is
    taken and holds what parse() holds."""
    names = ["U%02d" % i for i in range(users)]
    chains = [("INPUT", ["-p tcp -m tcp --dport 22 -j ACCEPT", "-j U00"]), ("FORWARD", ["-j %s" % names[-1]]),
              ("OUTPUT", ["-o lo -j ACCEPT"])]
    chains += [(u, ["-p udp -j ACCEPT", "-j %s" % names[i + 1] if i + 1 < users else "-j NFQUEUE --queue-num 9"])
               for i, u in enumerate(names)]
    fast = _text_path_equals_parse(_save_like([("filter", chains)]))
    assert fast.tables["filter"].chains_with_rules == set(c for c, _r in chains)


# (rule, kept): scan()'s docstring says which rules its per-line path makes a Rule of: a queue
# target, a jump to a chain of the table, and any line its quick check cannot settle exactly
# (quotes, tabs or other non-printable characters, -g/--goto/--jump, a -j after a free-text
# option or a blank); a plain target it has already validated is settled without one.
LIGHT_PATH_RULES = [
    ('-A INPUT -m comment --comment "seen" -j ACCEPT', True),      # quotes (and ACCEPT validated)
    ('-A INPUT -m comment --comment "seen" -j DROP', True),
    ('-A X -m comment --comment "seen" -j RETURN', True),
    ("-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT", False),
    ("-A INPUT -j ACCEPT", False),
    ("-A INPUT -s 10.0.0.1/32", False),                               # no target
    ("-A OUTPUT", False),                                             # nothing after the chain
    ("-A INPUT -p tcp -j", False),                                    # a last word -j is no target
    ("-A X -p udp -j DROP", False),                                   # a one-letter chain
    ("-A X -p udp -j RETURN -m comment --comment x", False),
    ("-A INPUT -j IDS", True),                                        # a jump
    ("-A INPUT -p tcp -j X", True),
    ("-A INPUT -p udp -j NFQUEUE --queue-num 1", True),               # queue targets
    ("-A INPUT -p udp -j QUEUE", True),
    ("-A INPUT -p tcp -g IDS", True),                                 # other target flags
    ("-A INPUT -p tcp --goto IDS", True),
    ("-A INPUT -p tcp --jump ACCEPT", True),
    ("-A INPUT -m comment --comment -j ACCEPT", True),                # -j after a free-text option
    ("-A INPUT -m comment --comment -j -j IDS", True),
    ("-A INPUT -i -j -j DROP", True),
    ('-A INPUT -m comment --comment "allow -j ACCEPT" -j IDS', True),
    ('-A INPUT -m comment --comment "a -j ACCEPT b" -j IDS', True),
    ("-A INPUT -p tcp\t-j DROP", True),                               # a tab
    ("-A INPUT -p tcp -j  DROP", True),                               # a blank before the target
    ("-A INPUT -p tcp  -j DROP", True),                               # ... or before -j
    ("-A IDS -p tcp -j NFQUEUE --queue-bypass", True),
    ("-A IDS -j DROP", False),
]


def test_scan_per_line_path_makes_a_rule_of_exactly_the_lines_that_may_matter():
    """The per-line path (taken here for the double blanks) settles every other line without
    a Rule; answers as parse() does."""
    text = "*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:IDS - [0:0]\n:X - [0:0]\n%s\nCOMMIT\n" % (
        "\n".join(r for r, _k in LIGHT_PATH_RULES))
    assert ips._scan_text(text, "iptables-save") is None
    fast = _same_as_parse(text)
    kept = [r.text for r in fast.rules()]
    assert kept == [r for r, k in LIGHT_PATH_RULES if k]
    full = ips.parse(text)
    want = [(r.position, r.line) for r in full.rules() if r.text in kept]
    assert [(r.position, r.line) for r in fast.rules()] == want


@pytest.mark.parametrize("line", ["COMMITX", "X", "XX", "XCOMMIT"])
def test_lines_iptables_restore_refuses_are_refused_at_their_line(line):
    """A word that is no table, chain, rule or COMMIT line: the real iptables-restore stops
    at it ("Bad argument", the line number), and so do parse() and scan()."""
    require_tool("iptables-legacy-restore", "iptables")
    text = "*filter\n:INPUT ACCEPT [0:0]\n%s\nCOMMIT\n" % line
    ns = _netns("bad")
    try:
        p = subprocess.run(["ip", "netns", "exec", ns, "iptables-legacy-restore", "--test"], input=text.encode(),
                           capture_output=True, check=False)
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)
    assert p.returncode != 0 and b"Error occurred at line: 3" in p.stderr, p.stderr
    for fn in (ips.parse, ips.scan):
        with pytest.raises(KcrashParseError) as ei:
            fn(text)
        assert ei.value.line == 3 and "unrecognised line %r" % line in str(ei.value), fn.__name__


HAND_WRITTEN_QUEUES = [
    "-A INPUT -j NFQUEUE --queue-bypass --queue-cpu-fanout --queue-balance 0:3",
    "-A INPUT -j NFQUEUE --queue-bypass --queue-num 3",
    "-A INPUT -j NFQUEUE --queue-balance 2:5",
    "-A INPUT -j NFQUEUE --queue-cpu-fanout --queue-bypass --queue-balance 4:7",
]
COMMENT_VALUES = ["plain_word-1", "two words", 'q"uote', "dot.ted", "back\\slash", "it's", "1"]


def test_hand_written_file_as_iptables_restore_loads_it():
    """A saved file written by hand (chain lines without counters, NFQUEUE options in any
    order, comments quoted or not) loaded by the real iptables-legacy-restore and saved back:
    parse() reads the same queue options from the file as from the tool's own save, chain
    lines without counters have none, and quote_word() quotes each comment as the save does."""
    require_tool("iptables-legacy-restore", "iptables")
    text = "*filter\n:INPUT ACCEPT\n:X -\n%s\n%s\nCOMMIT\n" % ("\n".join(HAND_WRITTEN_QUEUES), "\n".join(
        "-A X -m comment --comment %s -j ACCEPT" % ('"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')) for v in COMMENT_VALUES))
    ns = _netns("hand")
    try:
        p = _restore(ns, text)
        assert p.returncode == 0, p.stderr
        saved = _save(ns, "filter")
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)
    mine, theirs = ips.parse(text), ips.parse(saved)
    assert [c.counters for c in mine.tables["filter"].chains.values()] == [None, None]
    assert set(c.counters for c in theirs.tables["filter"].chains.values()) == {(0, 0)}
    assert [ips.queue_options(r) for r in mine.rules() if r.is_queue] == \
        [ips.queue_options(r) for r in theirs.rules() if r.is_queue]
    assert [ips.queue_options(r)["num"] for r in mine.rules() if r.is_queue] == [None, 3, None, None]
    comments = [r for r in mine.rules() if r.chain == "X"]
    assert [r.words[r.words.index("--comment") + 1] for r in comments] == COMMENT_VALUES
    for v in COMMENT_VALUES:
        assert "-A X -m comment --comment %s -j ACCEPT\n" % ips.quote_word(v) in saved, v


@pytest.mark.parametrize("text", ["", None, b"*filter\nCOMMIT\n", 7])
def test_empty_or_non_text(text):
    """"" is an empty rule set without a final newline (render gives "" back) on both paths;
    anything but text is a parse error naming what it got, from scan() too."""
    if text == "":
        for fn in (ips.parse, ips.scan):
            rs = fn(text)
            assert (rs.table_list, rs.items, rs.final_newline, ips.render(rs)) == ([], [], False, "")
        return
    for fn in (ips.parse, ips.scan):
        with pytest.raises(KcrashParseError) as ei:
            fn(text)
        assert "expected text, got %s" % type(text).__name__ in str(ei.value)


@pytest.mark.parametrize("n", [119, 120, 121])
def test_long_lines_are_quoted_whole_up_to_120_characters(n):
    line = "X" * n
    with pytest.raises(KcrashParseError) as ei:
        ips.parse("*filter\n%s\nCOMMIT\n" % line)
    shown = line if n <= 120 else line[:120] + "..."
    assert str(ei.value).endswith("unrecognised line %r" % shown)
