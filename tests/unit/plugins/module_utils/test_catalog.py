# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Catalog integrity: evidence everywhere, signatures compile and match real oops text,
no fix claimed where FACTS.md says it is unknown."""

import re

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import catalog

import os

from conftest import SHARED  # noqa: E402

SEED_PATH = os.path.join(SHARED, "seed", "000_7fb5fd307323d5e7.txt")


def _all_evidence(bug):
    yield "row", bug["evidence"]
    for t in bug["trigger"]:
        yield "trigger " + t["leg"], t["evidence"]
    for fam, row in bug["families"].items():
        yield "family " + fam, row["evidence"]


@pytest.mark.parametrize("bug", catalog.BUGS, ids=catalog.bug_ids())
def test_every_row_has_evidence_with_source_and_confirmed(bug):
    for key in ("id", "title", "kind", "component", "trigger", "signatures", "mitigations",
                "families", "evidence"):
        assert key in bug, key
    assert bug["evidence"], "row %s has no evidence" % bug["id"]
    for where, evs in _all_evidence(bug):
        assert evs, "%s of %s has no evidence" % (where, bug["id"])
        for ev in evs:
            assert set(ev) >= {"source", "confirmed", "note"}, (bug["id"], where, ev)
            assert isinstance(ev["source"], str) and ev["source"].strip()
            assert isinstance(ev["confirmed"], bool)


@pytest.mark.parametrize("bug", catalog.BUGS, ids=catalog.bug_ids())
def test_signatures_compile_and_have_strength(bug):
    names = set()
    for sig in bug["signatures"]:
        re.compile(sig["regex"])
        assert sig["strength"] in ("strong", "supporting")
        assert sig["name"] not in names
        names.add(sig["name"])


def test_ids_unique():
    assert len(set(catalog.bug_ids())) == len(catalog.BUGS)


def test_no_fix_claimed_where_facts_say_unknown():
    fam = catalog.get()["families"]
    assert fam["el6"]["fixed_by"] is None and fam["el6"]["first_fixed"] is None
    assert fam["el6"]["code_vulnerable"] is True
    assert fam["el7"]["fixed_by"] == "3.10.0-1160.el7"
    assert fam["el7"]["first_fixed"] is None
    assert fam["el7"]["below_fixed_by"] == "unknown"
    assert fam["el5"]["code_vulnerable"] is None and fam["el5"]["fixed_by"] is None
    up = fam["upstream"]
    assert up["fix_commit"] == "330966e501ff" and up["fix_confirmed"] is False
    assert up["fixed_by"] is None  # believed, not documented
    assert up["moved"]["commit"] == "a5fedd43d5f6"
    frag = catalog.get("skb_segment-gro-frag_list-bug")["families"]["upstream"]
    assert frag["fix_commit"] is None and frag["fixed_by"] is None
    cve = catalog.get("CVE-2022-36946")["families"]["upstream"]
    assert cve["fix_commit"] == "99a63d36cb3e" and cve["fixed_in"] == "5.19"


def test_documented_fixed_release():
    assert catalog.documented_fixed_release("el6") is None
    assert catalog.documented_fixed_release("el7") == "3.10.0-1160.el7"
    assert catalog.documented_fixed_release("debian") is None
    assert catalog.documented_fixed_release("nosuch") is None


def test_examined_el6_trees_all_lack_the_check():
    ex = catalog.get()["families"]["el6"]["examined"]
    examined = {"2.6.32-358.el6", "2.6.32-431.17.1.el6", "2.6.32-504.16.2.el6",
                "2.6.32-573.7.1.el6", "2.6.32-642.6.2.el6"}
    assert {e["release"] for e in ex} >= examined
    assert not any(e["null_check"] for e in ex)


def test_get_returns_a_copy():
    a = catalog.get()
    a["families"]["el6"]["fixed_by"] = "2.6.32-999.el6"
    assert catalog.documented_fixed_release("el6") is None
    with pytest.raises(KeyError):
        catalog.get("nope")


DMESG_OOPS = """\
BUG: unable to handle kernel NULL pointer dereference at (null)
IP: [<ffffffff81475718>] nf_queue+0x98/0x1b0
PGD 0
Oops: 0000 [#1] SMP
RIP: 0010:[<ffffffff81475718>]  [<ffffffff81475718>] nf_queue+0x98/0x1b0
 [<ffffffff81474800>] nf_hook_slow+0x70/0x130
Kernel panic - not syncing: Fatal exception in interrupt
"""


def test_signatures_match_the_seed_crash_session_and_dmesg_form():
    with open(SEED_PATH, encoding="utf-8") as f:
        seed = f.read()
    names = {m["name"] for m in catalog.match_signatures(seed, catalog.PRIMARY)}
    assert "rip-nf_queue+152" in names and "null-deref" in names
    names = {m["name"] for m in catalog.match_signatures(DMESG_OOPS, catalog.PRIMARY)}
    assert {"rip-nf_queue+0x98", "null-deref", "panic-in-interrupt"} <= names
    assert "rip-nf_queue+152" not in names
    # nf_queue+0x980 or nf_queue+1520 must not match
    assert not catalog.match_signatures("nf_queue+0x980/0x1b0 nf_queue+1520", catalog.PRIMARY)


def test_related_signatures():
    line = "ixgbe: caps=(0x0000000000004002, 0x0000000000000000) len=2962 data_len=0 ip_summed=1"
    assert [m["bug"] for m in catalog.match_signatures(line)] == ["skb-warn-bad-offload"]
    line2 = ("e1000e: caps=(0x0, 0x0) len=2962 data_len=2896 gso_size=1448 gso_type=1 ip_summed=0")
    assert catalog.match_signatures(line2)[0]["name"] == "skb_warn_bad_offload"
    assert catalog.match_signatures("kernel BUG at net/core/skbuff.c:4219!\n skb_segment+0x5c/0x8a0")[0]["bug"] \
        == "skb_segment-gro-frag_list-bug"
    assert catalog.match_signatures(" nfqnl_mangle+0x40/0x120 [nfnetlink_queue]")[0]["bug"] == "CVE-2022-36946"
