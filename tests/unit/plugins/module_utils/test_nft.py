# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nft.py against the public corpus (text and JSON golden dumps), own recordings of the real
nft 1.0.6 and hypothesis properties. Native nft ``queue`` statements cannot be loaded in
this kernel (CONFIG_NFT_QUEUE unset): queue tests stop at text/JSON (see fixtures README)."""

import json
import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError

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
