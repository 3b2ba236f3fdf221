# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verification after the apply: compare the post-apply listings (``apply.split_verify``)
with the plan (:func:`verify`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save as ips
from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft as nftm
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError


VERIFIED = object()  # marker: the host compared the post-apply digest itself and it matched


def verify(result, listings):
    """Compare the post-apply listings (:func:`.apply.split_verify`) with the plan.

    For every planned replacement the new rule must be in its chain and no selected old
    rule may be left. Returns ``{"ok": bool, "problems": [...], "moved": [...]}``; a
    replacement found in its chain but not at its planned position (another process
    inserted or removed rules meanwhile) is listed in ``moved``, not a problem.
    """
    problems = []
    moved = []
    for i, tx in enumerate(result["iptables"]):
        text = listings.get(("ipt", i))
        if text is None:
            problems.append("no verification listing for %s table %s" % (tx["save_tool"], tx["table"]))
            continue
        if text is VERIFIED:
            # the host found the affected chains exactly as planned (digest of the rule lines)
            continue
        try:
            rs = ips.parse(text, command="%s -t %s (verify)" % (tx["save_tool"], tx["table"]))
        except KcrashParseError as e:
            problems.append(str(e))
            continue
        t = rs.tables.get(tx["table"])
        rules = t.rules if t is not None else []
        texts = {}
        for r in rules:
            texts.setdefault(r.chain, []).append(r.text.rstrip(" "))
        counts = {}
        for chain, lst in texts.items():
            c = counts[chain] = {}
            for x in lst:
                c[x] = c.get(x, 0) + 1
        for ch in result["changes"]:
            if ch.get("tool") != tx["save_tool"] or ch["table"] != tx["table"]:
                continue
            chain = texts.get(ch["chain"], [])
            cnt = counts.get(ch["chain"], {})
            if cnt.get(ch["rule"].rstrip(" ")):
                problems.append("%s %s %s: the NFQUEUE rule is still there: %s"
                                % (tx["save_tool"], tx["table"], ch["chain"], ch["rule"]))
            if not cnt.get(ch["new_rule"]):
                problems.append("%s %s %s: the replacement is missing: %s"
                                % (tx["save_tool"], tx["table"], ch["chain"], ch["new_rule"]))
            elif len(chain) < ch["position"] or chain[ch["position"] - 1] != ch["new_rule"]:
                moved.append("%s %s %s #%d" % (tx["save_tool"], tx["table"], ch["chain"], ch["position"]))
    nft_tx = result.get("nft")
    if nft_tx:
        for i, (fam, name) in enumerate(nft_tx["tables"]):
            text = listings.get(("nft", i))
            if text is None:
                problems.append("no verification listing for nft table %s %s" % (fam, name))
                continue
            try:
                rs = nftm.parse_text(text, command="nft -a list table %s %s (verify)" % (fam, name))
            except KcrashParseError as e:
                problems.append(str(e))
                continue
            got = {}
            for r in rs.rules():
                got.setdefault(r.chain, []).append(r.text)
            for ch in result["changes"]:
                if ch["backend"] != "nftables" or (ch["family"], ch["table"]) != (fam, name):
                    continue
                if ch["new_rule"] not in got.get(ch["chain"], []):
                    problems.append("nft %s %s %s: the replacement is missing: %s"
                                    % (fam, name, ch["chain"], ch["new_rule"]))
                if ch["rule"] in got.get(ch["chain"], []):
                    problems.append("nft %s %s %s: the queue rule is still there: %s"
                                    % (fam, name, ch["chain"], ch["rule"]))
    return {"ok": not problems, "problems": problems, "moved": moved}
