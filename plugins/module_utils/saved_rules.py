# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Saved firewall rule files as the detection probe reads them: ``grep -n`` lines
(``<line number>:<text>``) of an iptables-restore file (``/etc/sysconfig/iptables``,
``/etc/iptables/rules.v4``) or of an nftables file (``/etc/nftables.conf``, ``/etc/sysconfig/nftables.conf``)
-> the NFQUEUE rules / ``queue`` statements they hold, with their file line. The rule text
itself is parsed by ``iptables_save.py`` and ``nft.py``. Pure functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save
from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError


def parse_saved_iptables(text, path, family):
    """Filtered (``grep -n``) saved iptables file -> saved NFQUEUE rules with file lines."""
    lines = []
    numbers = []
    for raw in text.splitlines():
        m = re.match(r"^(\d+):(.*)\Z", raw)
        if not m:
            continue
        numbers.append(int(m.group(1)))
        lines.append(m.group(2))
    if not lines:
        return []
    mini = "\n".join(lines) + "\n"
    command = "grep %s" % path
    try:
        rs = iptables_save.parse(mini, command=command)
    except KcrashParseError:
        # A saved file cut by the size bound or hand-edited: fall back to line matching,
        # still only on real targets.
        return _saved_ipt_fallback(lines, numbers, path, family)
    out = []
    for r in iptables_save.queue_rule_objects(rs):
        d = iptables_save.rule_dict(r, {}, family, "file")
        idx = (r.line or 0) - 1
        d["position"] = None
        d["reachable_from"] = None
        d["file"] = path
        d["line"] = numbers[idx] if 0 <= idx < len(numbers) else None
        out.append(d)
    return out


def _saved_ipt_fallback(lines, numbers, path, family):
    out = []
    table = None
    for text, num in zip(lines, numbers):
        if text.startswith("*"):
            table = text[1:].strip()
            continue
        if not text.startswith("-A "):
            continue
        try:
            words = iptables_save.tokenize(text)
        except Exception:  # tokenizer errors: skip the line, keep the rest
            continue
        idx = iptables_save.find_target(words)
        if idx is None or idx + 1 >= len(words) or words[idx + 1] not in iptables_save.QUEUE_TARGETS:
            continue
        out.append({
            "family": family, "backend": "file", "table": table, "chain": words[1] if len(words) > 1 else None,
            "position": None, "rule": text, "handle": None, "queue": None, "reachable_from": None,
            "file": path, "line": num,
        })
    return out


def parse_saved_nft(text, path):
    """Filtered (``grep -n``) nftables file -> queue statements with table/chain context."""
    out = []
    table = chain = family = None
    for raw in text.splitlines():
        m = re.match(r"^(\d+):(.*)\Z", raw)
        if not m:
            continue
        num, line = int(m.group(1)), m.group(2)
        code = line.split("#", 1)[0].strip()
        if not code:
            continue
        tm = re.match(r"^table\s+(?:(ip|ip6|inet|arp|bridge|netdev)\s+)?(\S+)\s*\{?", code)
        if tm:
            family = tm.group(1) or "ip"
            table = tm.group(2)
            chain = None
            continue
        cm = re.match(r"^chain\s+(\S+)\s*\{?", code)
        if cm:
            chain = cm.group(1)
            continue
        if code.startswith("include"):
            continue
        if not re.search(r"(^|[\s;{])queue(\s|;|$)", code):
            continue
        if re.search(r":\s*queue\b", code) and ("typeof" in code or "type " in code):
            continue  # a map declaration whose values are queue numbers
        try:
            q = nft.parse_queue_words(nft.lex(code[code.index("queue"):]))
        except Exception:  # best effort on a filtered line
            q = None
        out.append({
            "family": family, "backend": "file", "table": table, "chain": chain, "position": None,
            "rule": code, "handle": None, "queue": q if isinstance(q, dict) else None,
            "reachable_from": None, "file": path, "line": num,
        })
    return out
