# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Partial evidence: what can still be read from pasted or cut text (offline input only).

People paste ``iptables-save | grep NFQUEUE``, a dump cut before ``COMMIT``, an nft ruleset
missing its last ``}``, an ``ethtool -k`` listing with a human note on a line. The strict
parsers (iptables_save, nft, ethtool) refuse such text, which is right for a live read (a
truncated answer from a host is an error). Offline, each function here first tries the strict
parser; when it refuses, it salvages what the text shows and says why the answer is partial:

* every function returns ``(answer, reasons)``; ``reasons`` is ``[]`` when the text was whole
  (the answer is then exactly the strict parser's);
* a salvaged NFQUEUE rule whose table, position or reachability cannot be known from the
  text has ``None`` there and names those fields in ``unknown``; every salvaged rule has
  ``partial: true``.

Pure functions; they raise only for what is not text at all.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool, iptables_save, nft
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError

MAX_REPAIRS = 200
_ETHTOOL_PREFIX_RE = re.compile(
    r"^(?P<keep>\s*[A-Za-z0-9][A-Za-z0-9 _-]*:\s*(?:on|off)(?:\s*\[(?:fixed|requested on|requested off|not requested)\])?)"
    r"(?=\s|$)")


def _cut_last_line(text):
    """(text without a last line cut mid-way, that line or None): output without a final
    newline ends in a line that may be cut."""
    if not text or text.endswith("\n"):
        return text, None
    head, _sep, last = text.rpartition("\n")
    return (head + "\n" if _sep else ""), last


def _short(s, n=100):
    s = s.strip()
    return s if len(s) <= n else s[:n] + "..."


# ------------------------------------------------------------------------ ethtool -k

def ethtool_k(text, command="ethtool -k"):
    """``(parsed, reasons)``: ethtool.parse() of ``text``, lines it refuses trimmed to their
    ``name: on|off [flag]`` part (a note after the value) or dropped."""
    lines = ethtool._text(text, command).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    reasons = []
    for dummy in range(MAX_REPAIRS):
        try:
            parsed = ethtool.parse("\n".join(lines), command=command)
            break
        except KcrashParseError as e:
            if not e.line or e.line > len(lines):
                raise
            bad = lines[e.line - 1]
            m = _ETHTOOL_PREFIX_RE.match(bad)
            if m and m.group("keep") != bad.rstrip():
                lines[e.line - 1] = m.group("keep")
                reasons.append("line %d: text after the value ignored: %r" % (e.line, _short(bad)))
            else:
                lines[e.line - 1] = ""
                reasons.append("line %d: not ethtool output, skipped: %r" % (e.line, _short(bad)))
    else:
        raise KcrashParseError(command, "too many lines that are not ethtool output")
    return parsed, reasons


# --------------------------------------------------------------------- iptables-save

def _salvaged(d, unknown):
    d["partial"] = True
    d["unknown"] = sorted(unknown)
    for k in unknown:
        d[k] = None
    return d


def iptables_nfqueue_rules(text, family="ipv4", backend="legacy", command="iptables-save"):
    """``(rules, tables, reasons)`` of NFQUEUE/QUEUE rules in ``text``.

    Whole text: the strict result. A dump cut mid-line or before ``COMMIT``: the cut line is
    dropped, the table closed, and the rules keep their table, position and reachability
    (every rule before the cut is there). Anything else (``grep NFQUEUE`` pastes, notes,
    lines that are not iptables-save): each ``-A`` line is read on its own; the table is known
    only after a ``*table`` line, the position only when nothing was skipped since it."""
    try:
        rs = iptables_save.parse(text, command=command)
        return iptables_save.nfqueue_rules(rs, family, backend), [t.name for t in rs.table_list], []
    except KcrashParseError as e:
        reasons = [str(e)]
    body, cut = _cut_last_line(text)
    if cut is not None:
        reasons.append("last line cut: %r dropped" % _short(cut))
    try:
        rs = iptables_save.parse(body + "COMMIT\n" if "has no COMMIT" in reasons[0] or cut is not None else body,
                                 command=command)
        rules = [_salvaged(r, ()) for r in iptables_save.nfqueue_rules(rs, family, backend)]
        return rules, [t.name for t in rs.table_list], reasons + ["the text ends before COMMIT: rules after the cut are not known"]
    except KcrashParseError:
        pass
    return _ipt_lines(body, family, backend, command, reasons)


def _ipt_lines(body, family, backend, command, reasons):
    rules, tables = [], []
    table, positions, whole = None, {}, False
    for lineno, raw in enumerate(body.split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            table, positions, whole = line[1:].strip(), {}, True
            tables.append(table)
            continue
        if line == "COMMIT":
            table, whole = None, False
            continue
        if line.startswith(":"):
            continue
        counters, text = None, line
        m = iptables_save._COUNTERS_RE.match(line)
        if m:
            counters, text = (int(m.group(1)), int(m.group(2))), m.group(4)
        words = None
        if text.startswith("-A ") or text.startswith("-I "):
            try:
                words = iptables_save.tokenize(text)
            except iptables_save.TokenizeError:
                words = None
        if not words or len(words) < 2:
            reasons.append("line %d: not an iptables-save rule, skipped: %r" % (lineno, _short(raw)))
            whole = False
            continue
        rule = iptables_save.Rule(table, words[1], text, words, counters, " ", lineno)
        if whole and words[0] == "-A":
            positions[words[1]] = positions.get(words[1], 0) + 1
            rule.position = positions[words[1]]
        if rule.is_queue:
            unknown = ["reachable_from"]
            if table is None:
                unknown.append("table")
            if rule.position is None:
                unknown.append("position")
            rules.append(_salvaged(iptables_save.rule_dict(rule, {}, family, backend), unknown))
    if any(r["table"] is None for r in rules):
        reasons.append("no '*table' line before the rules: their table is unknown")
    if any(r["position"] is None for r in rules):
        reasons.append("lines are missing between the rules: positions are unknown")
    return rules, tables, reasons


# ------------------------------------------------------------------------------- nft

def nft_queue_rules(text, command="nft list ruleset", iptables_nft_tables=None):
    """``(rules, tables, reasons)`` of nft queue statements in ``text``.

    Whole text: the strict result. A ruleset that ends inside a block (missing closing
    braces, a cut last line): the blocks are closed and the statements keep table, chain and
    position. Otherwise each line holding a queue statement is read on its own, with the
    last ``table``/``chain`` header seen (position and reachability unknown)."""
    try:
        rs = nft.parse_text(text, command=command)
        return nft.queue_rules(rs, iptables_nft_tables), ["%s %s" % (t.family, t.name) for t in rs.tables], []
    except KcrashParseError as e:
        reasons = [str(e)]
    body, cut = _cut_last_line(text)
    if cut is not None:
        reasons.append("last line cut: %r dropped" % _short(cut))
    depth = sum(nft._braces(nft._split_comment(l)[0] or "") for l in body.split("\n"))
    if depth > 0:
        try:
            rs = nft.parse_text(body + "}\n" * depth, command=command)
            reasons.append("the ruleset ends inside %d block(s): closed, statements after the cut are not known"
                           % depth)
            rules = [_salvaged(r, ()) for r in nft.queue_rules(rs, iptables_nft_tables)]
            return rules, ["%s %s" % (t.family, t.name) for t in rs.tables], reasons
        except KcrashParseError:
            pass
    return _nft_lines(body, reasons)


_NFT_TABLE_RE = re.compile(r"^\s*table\s+(\S+)\s+(\S+)\s*\{")
_NFT_CHAIN_RE = re.compile(r"^\s*chain\s+(\S+)\s*\{")


def _nft_lines(body, reasons):
    rules, tables = [], []
    family = table = chain = None
    for lineno, raw in enumerate(body.split("\n"), 1):
        m = _NFT_TABLE_RE.match(raw)
        if m:
            family, table, chain = m.group(1), m.group(2), None
            tables.append("%s %s" % (family, table))
            continue
        m = _NFT_CHAIN_RE.match(raw)
        if m:
            chain = m.group(1)
            continue
        code = (nft._split_comment(raw)[0] or "").strip()
        toks = nft.words(code) if "queue" in code else []
        qi = nft._find_queue(toks)
        if qi is None:
            continue
        statement, queue = nft.parse_queue_words(toks[qi + 1:])
        unknown = ["position", "reachable_from", "handle"] + (["table", "family"] if table is None else []) + \
            (["chain"] if chain is None else [])
        rules.append(_salvaged({
            "family": family, "backend": "nftables", "table": table, "chain": chain, "position": None,
            "handle": None, "rule": code, "statement": statement, "counters": None, "queue": dict(queue),
            "reachable_from": None, "iptables_nft": "xt " in code,
        }, unknown))
    reasons.append("read line by line: positions and reachability are unknown")
    return rules, tables, reasons
