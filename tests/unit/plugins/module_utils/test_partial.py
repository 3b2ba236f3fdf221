# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Partial evidence (offline input, issue 13): pasted `iptables-save | grep NFQUEUE`, a dump
cut before COMMIT or mid-line, an nft ruleset missing its last brace, an ethtool -k listing
with a human note. Expected values come from real tools: iptables-restore/iptables-save and
grep in a private network namespace, real `ethtool -k` of a veth, the public nft corpus with
its ground truth; the cut texts are cut from those real outputs at every offset."""

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.kcrash.nfqueue.plugins.filter.detection import FilterModule
from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool, iptables_save, partial, sosreport
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError

from conftest import CORPUS, require_tool

F = FilterModule().filters()

RULES = """*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -m multiport --dports 80,443 -m string --string t.test.com --algo kmp --from 0 --to 1480 -j NFQUEUE
-A PREROUTING -p udp -j ACCEPT
-A PREROUTING -p tcp -m tcp --dport 8080 -j NFQUEUE --queue-num 3 --queue-bypass
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:QCHAIN - [0:0]
-A INPUT -j QCHAIN
-A FORWARD -p tcp -j NFQUEUE --queue-num 7
-A QCHAIN -p tcp -j NFQUEUE --queue-balance 0:3
COMMIT
"""


@pytest.fixture(scope="module")
def real_dump():
    """iptables-save of RULES loaded by the real iptables-restore in a fresh network namespace."""
    if os.geteuid() != 0:
        pytest.skip("needs root (unshare -n)")
    tool = shutil.which("iptables-legacy-restore") or require_tool("iptables-restore", "iptables")
    require_tool("unshare", "util-linux")
    save = tool.replace("-restore", "-save")
    p = subprocess.run(["unshare", "-n", "sh", "-c", '"$1" && "$2"', "sh", tool, save], input=RULES,
                       capture_output=True, text=True, check=False)
    if p.returncode != 0:
        pytest.skip("iptables-restore in a netns failed here: %s" % p.stderr.strip())
    return p.stdout


def test_grep_nfqueue_paste(real_dump):
    pasted = subprocess.run(["grep", "NFQUEUE"], input=real_dump, capture_output=True, text=True, check=True).stdout
    with pytest.raises(KcrashParseError):
        iptables_save.parse(pasted)  # the strict (live) parser refuses it
    ev = F["nfqueue_evidence"](pasted)
    assert ev["partial"] is True and ev["verdict"] == "present"
    assert [r["rule"] for r in ev["rules"]] == [l for l in pasted.splitlines() if "-j NFQUEUE" in l]
    for r in ev["rules"]:
        assert r["partial"] is True and r["table"] is None and r["position"] is None
        assert set(r["unknown"]) == {"table", "position", "reachable_from"}
    assert any("table is unknown" in x for x in ev["reasons"])
    whole = iptables_save.nfqueue_rules(iptables_save.parse(real_dump))
    assert [(r["chain"], r["queue"]) for r in ev["rules"]] == [(r["chain"], r["queue"]) for r in whole]
    assert F["nfqueue_rules"](pasted) == ev["rules"]
    with pytest.raises(Exception):
        F["nfqueue_rules"](pasted, partial=False)


def test_dump_cut_at_every_offset(real_dump):
    """Cut the real dump at every character: every NFQUEUE rule whose line is complete in the
    kept text is found with the table, chain and position of the whole dump; nothing else."""
    whole = iptables_save.nfqueue_rules(iptables_save.parse(real_dump))
    line_end = {}
    off = 0
    for line in real_dump.splitlines(True):
        off += len(line)
        line_end[line.rstrip("\n")] = off
    for cut in range(len(real_dump) + 1):
        text = real_dump[:cut]
        rules, dummy, reasons = partial.iptables_nfqueue_rules(text)
        want = [(r["table"], r["chain"], r["position"], r["rule"]) for r in whole if line_end[r["rule"]] <= cut]
        got = [(r["table"], r["chain"], r["position"], r["rule"]) for r in rules]
        assert got == want, (cut, text[-60:], reasons)
        strict_ok = True
        try:
            iptables_save.parse(text)
        except KcrashParseError:
            strict_ok = False
        assert (reasons == []) == strict_ok, cut
        ev = F["nfqueue_evidence"](text)
        assert ev["verdict"] == ("present" if want else "unknown" if reasons else "absent")


def test_live_reads_stay_strict(real_dump):
    cut = real_dump[:real_dump.index("COMMIT")]
    from ansible_collections.kcrash.nfqueue.plugins.module_utils import probe
    secs, marker = sosreport.sections({"uname": "Linux h 2.6.32-358.el6.x86_64 #1 SMP x86_64 GNU/Linux\n",
                                       "sos_commands/networking/iptables-save": cut})
    with pytest.raises(KcrashParseError):
        probe.parse_sections(secs, marker, "h")
    with pytest.raises(KcrashParseError):
        sosreport.collect_facts({"uname": "Linux h 2.6.32-358.el6.x86_64 #1 SMP x86_64 GNU/Linux\n",
                                 "sos_commands/networking/iptables-save": cut}, partial=False)


def test_sosreport_with_cut_dump_gives_the_verdict_with_the_caveat(real_dump):
    base = {"uname": "Linux h 2.6.32-358.el6.x86_64 #1 SMP x86_64 GNU/Linux\n"}
    cut = real_dump[:real_dump.index("-A PREROUTING -p udp")]
    facts = sosreport.collect_facts(dict(base, **{"sos_commands/networking/iptables-save": cut}), host="h")
    assert facts["partial"] is True and facts["partial_reasons"]
    whole_rules = iptables_save.nfqueue_rules(iptables_save.parse(real_dump))
    assert [(r["table"], r["chain"], r["position"]) for r in facts["nfqueue_rules"]] == [
        (r["table"], r["chain"], r["position"]) for r in whole_rules if r["rule"] + "\n" in cut]
    assert facts["nfqueue_rules"][-1]["table"] == "mangle"
    assert facts["exposure"]["legs"]["rules"] == "live" and facts["exposure"]["partial"] is True
    assert any(r.startswith("partial evidence:") for r in facts["exposure"]["reasons"])
    # a partial dump that shows no NFQUEUE rule: the rules leg is unknown, not "none"
    head = real_dump[:real_dump.index("\n-A ") + 1]
    facts = sosreport.collect_facts(dict(base, **{"sos_commands/networking/iptables-save": head}), host="h")
    assert facts["partial"] is True and facts["exposure"]["legs"]["rules"] == "unknown"
    whole = sosreport.collect_facts(dict(base, **{"sos_commands/networking/iptables-save": real_dump}), host="h")
    assert whole["partial"] is False and "partial" not in " ".join(whole["exposure"]["reasons"])


def _corpus(name):
    with open(os.path.join(CORPUS, name), encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize("name", ["nft/n03_nftables-testsuite_nfqueue_map.nft",
                                  "nft/n02_nftables-testsuite_single_flag.nft"])
def test_nft_ruleset_missing_its_last_braces(name):
    text = _corpus(name)
    with open(os.path.join(CORPUS, "truth.json"), encoding="utf-8") as f:
        truth = json.load(f)[name]["queue_rules"]
    want = [(q["family"], q["table"], q["chain"], q["statement"]) for q in truth]
    lines = text.rstrip().splitlines()
    for n in (1, 2):
        assert all(l.strip() == "}" for l in lines[-n:])  # the corpus files end in closing braces
        cut = "\n".join(lines[:-n]) + "\n"
        ev = F["nfqueue_evidence"](cut)
        assert ev["partial"] is True and ev["verdict"] == "present", ev
        got = [(r["family"], r["table"], r["chain"], r["statement"]) for r in ev["rules"]]
        assert got == want, (n, got)
        assert all(r["position"] is not None for r in ev["rules"])


def test_nft_queue_lines_without_headers():
    ev = F["nfqueue_evidence"]("tcp dport 80 queue num 1 bypass\n\tip saddr 10.0.0.1 counter accept\n", format="nft")
    assert ev["verdict"] == "present" and ev["partial"]
    (r,) = ev["rules"]
    assert r["table"] is None and r["chain"] is None and {"table", "chain", "position"} <= set(r["unknown"])
    assert r["queue"]["num"] == 1 and r["queue"]["bypass"] is True


@pytest.fixture(scope="module")
def real_ethtool_k():
    if os.geteuid() != 0:
        pytest.skip("needs root (unshare -n)")
    require_tool("ethtool", "ethtool")
    require_tool("unshare", "util-linux")
    p = subprocess.run(["unshare", "-n", "sh", "-c",
                        "ip link add kv0 type veth peer name kv1 && ethtool -k kv0"],
                       capture_output=True, text=True, check=False)
    if p.returncode != 0:
        pytest.skip("veth/ethtool in a netns failed here: %s" % p.stderr.strip())
    return p.stdout


@pytest.mark.parametrize("note,where", [
    ("   <- LRO is the culprit, see ticket 4711", "after-lro"),
    ("(pasted from web7 at 10:02, trimmed)", "own-line"),
    ("--- cut here ---", "own-line"),
])
def test_ethtool_listing_with_a_human_note(real_ethtool_k, note, where):
    strict = ethtool.parse(real_ethtool_k)
    lines = real_ethtool_k.splitlines()
    i = next(k for k, l in enumerate(lines) if l.startswith("large-receive-offload:"))
    if where == "after-lro":
        lines[i] += note
    else:
        lines.insert(i + 1, note)
    text = "\n".join(lines) + "\n"
    with pytest.raises(KcrashParseError):
        ethtool.parse(text)
    got = F["ethtool_features"](text)
    assert got["partial"] is True and len(got["partial_reasons"]) == 1
    assert got["features"] == strict["features"]
    short = F["ethtool_features"](text, True)
    assert short["lro"] == ethtool.summary(strict)["lro"] and short["partial"] is True
    assert F["ethtool_features"](real_ethtool_k)["partial"] is False
