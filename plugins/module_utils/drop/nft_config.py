# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rewrite the queue statements of the saved nftables scripts (``/etc/nftables.conf``
and its includes) that the selection takes, every other byte kept.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft as nftm
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.selection import selected


_NFT_CMD_RE = re.compile(r"^\s*(?:add|insert|create)\s+rule\s+(?:(ip|ip6|inet|arp|bridge|netdev)\s+)?(\S+)\s+(\S+)\s")


def rewrite_nft_config(text, options, mgmt, verdict, skip=None):
    """Rewrite the queue statements of an nftables script (``/etc/nftables.conf`` and its
    includes) that the selection takes. Returns ``(new_text, edits)``; every other byte
    stays as it was. Tolerant of script commands (``flush ruleset``, ``include``,
    ``define``, ``add rule ...``), of one-line blocks and of several statements on one
    line separated by ``;``. Declarations (``map m { typeof ... : queue }``) are skipped.
    """
    lines = text.split("\n")
    out = []
    edits = []
    stack = []  # ("table", fam, name) / ("chain", name) / ("block",) / ("anon",)
    for lineno, raw in enumerate(lines, 1):
        code, _comment = nftm._split_comment(raw)
        if code is None:
            out.append(raw)
            continue
        m = _NFT_CMD_RE.match(code)
        toks = nftm.lex(code)
        repl = []
        k = 0
        prev = None
        while k < len(toks):
            tok, ts, te = toks[k]
            if tok == "{":
                head = [tk[0] for tk in toks[:k]]
                j = len(head)
                while j > 0 and head[j - 1] not in (";", "{", "}"):
                    j -= 1
                head = head[j:]
                inner = next((x for x in reversed(stack) if x[0] != "anon"), None)
                if inner is not None and inner[0] == "chain":
                    stack.append(("anon",))
                elif len(head) >= 2 and head[0] == "table":
                    if len(head) >= 3 and head[1] in nftm.FAMILIES:
                        stack.append(("table", head[1], head[2]))
                    else:
                        stack.append(("table", "ip", head[1]))
                elif len(head) >= 2 and head[0] == "chain" and inner is not None and inner[0] == "table":
                    stack.append(("chain", head[1]))
                else:
                    stack.append(("block",))
            elif tok == "}":
                if stack:
                    stack.pop()
            elif tok == "queue" and prev not in ("jump", "goto", ":", "typeof", "type"):
                inner = next((x for x in reversed(stack) if x[0] != "anon"), None)
                tbl = next((x for x in reversed(stack) if x[0] == "table"), None)
                chn = inner if inner is not None and inner[0] == "chain" else None
                if m and chn is None:
                    tbl = ("table", m.group(1) or "ip", m.group(2))
                    chn = ("chain", m.group(3))
                if tbl is not None and chn is not None:
                    span = nftm.queue_span(code, start=ts)
                    key = (tbl[1], _unq(tbl[2]), _unq(chn[1]))
                    seg_start = max(code.rfind(";", 0, ts), code.rfind("{", 0, ts)) + 1
                    _stmt, q = nftm.parse_queue_words(nftm.words(code[span[0]:span[1]])[1:])
                    info = {"family": key[0], "backend": "nftables", "table": key[1], "chain": key[2],
                            "queue": q, "rule": code[seg_start:span[1]].strip(), "reachable_from": []}
                    mm = re.match(r'\s*comment\s+"([^"]*)"', code[span[1]:])
                    comment = mm.group(1) if mm else None
                    if not (skip and key in skip) and selected(info, options, comment):
                        repl.append(span)
                        edits.append({"family": key[0], "table": key[1], "chain": key[2], "line": lineno})
                    while k + 1 < len(toks) and toks[k + 1][1] < span[1]:
                        k += 1
                    prev = toks[k][0]
                    k += 1
                    continue
            prev = tok
            k += 1
        new_code = code
        for a, b in reversed(repl):
            new_code = new_code[:a] + verdict + new_code[b:]
        out.append(new_code + raw[len(code):])
    return "\n".join(out), edits


def _unq(s):
    return s[1:-1] if len(s) >= 2 and s[0] == '"' and s[-1] == '"' else s
