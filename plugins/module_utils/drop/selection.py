# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which queue rules the task takes (:func:`selected`), whether the replacement target
is valid where a rule sits (:func:`target_allowed`) and the replacement text of a rule
(iptables ``-A`` line, nft rule).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save as ips
from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft as nftm
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError


NFT_FAMILY_ALIASES = {"ipv4": ("ipv4", "ip"), "ipv6": ("ipv6", "ip6")}


# tables in which each replacement target is valid
_TARGET_TABLES = {
    "DROP": ("filter", "mangle", "raw", "security"),
    "ACCEPT": ("filter", "mangle", "raw", "security", "nat"),
    "REJECT": ("filter",),
}
_REJECT_CHAINS = ("INPUT", "FORWARD", "OUTPUT")


def comment_of_words(words):
    out = []
    for i, w in enumerate(words[:-1]):
        if w == "--comment" and not ips.is_quoted(w):
            out.append(str(words[i + 1]))
    return " ".join(out)


def selected(rule, options, comment=None):
    """Does the task's selection (families, tables, chains, queue numbers, comment regex)
    take ``rule`` (shared shape)?"""
    o = options
    if o.families is not None:
        fams = set()
        for f in o.families:
            fams.update(NFT_FAMILY_ALIASES.get(f, (f,)))
        if rule["family"] not in fams:
            return False
    if o.tables is not None and rule["table"] not in o.tables:
        return False
    if o.chains is not None and rule["chain"] not in o.chains:
        return False
    if o.queue_nums is not None:
        q = rule.get("queue") or {}
        nums = set()
        if q.get("num") is not None:
            nums.add(q["num"])
        if q.get("balance"):
            nums.update(range(q["balance"][0], q["balance"][1] + 1))
        if not nums & set(o.queue_nums):
            return False
    if o.comment_re is not None:
        if comment is None or not o.comment_re.search(comment):
            return False
    return True


def target_allowed(target, table, chain, reachable_from):
    """None if ``target`` is valid where the rule sits, else the reason."""
    if table not in _TARGET_TABLES.get(target, ()):
        return "-j %s is not valid in the %s table" % (target, table)
    if target == "REJECT":
        bad = [c for c in (reachable_from or [chain]) if c not in _REJECT_CHAINS]
        if bad:
            return "-j REJECT is only valid in INPUT, FORWARD and OUTPUT (reached from %s)" % ", ".join(bad)
    return None


def ipt_replacement(rule, target):
    """New ``-A ...`` text of ``rule`` (:class:`iptables_save.Rule`) with its target
    replaced by ``-j target``: every byte before the ``-j``/``-g`` is kept."""
    cut = _target_offset(rule.text, rule.words, rule.target_index)
    return rule.text[:cut].rstrip(" \t") + " -j " + target


def _target_offset(text, words, index):
    """Character offset of word ``index`` in ``text`` (re-scanning with the tokenizer's
    rules, so quoted words containing '-j' do not confuse it)."""
    if '"' not in text:
        head = " ".join(words[:index]) + " "
        if text.startswith(head):
            return len(head)  # single blanks, no quotes: the words are the text
    count = -1
    i = 0
    n = len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            break
        count += 1
        start = i
        in_q = False
        esc = False
        while i < n:
            ch = text[i]
            if in_q:
                if esc:
                    esc = False
                elif ch == "\\":
                    esc = True
                elif ch == '"':
                    in_q = False
                    i += 1
                    break
            elif ch == '"':
                in_q = True
            elif ch in " \t":
                break
            i += 1
        if count == index:
            return start
    raise KcrashParseError("iptables-save", "cannot locate the target of %r" % text)


def nft_replacement(rule_text, verdict):
    """``rule_text`` with its queue statement replaced by ``verdict`` (lower case)."""
    span = nftm.queue_span(rule_text)
    if span is None:
        raise KcrashParseError("nft", "no queue statement in %r" % rule_text)
    return rule_text[:span[0]] + verdict + rule_text[span[1]:]
