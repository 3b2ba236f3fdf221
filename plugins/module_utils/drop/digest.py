# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The digest of the affected chains: the controller's sum of what the apply script's
``grep -F | cut | cksum`` prints from a ``<tool>-save -c -t TABLE`` (:func:`chain_digest`,
:func:`digest_command`). A difference means another process changed the chains after the
read: the apply stops before anything changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import posix_cksum, quote


def digest_needles(chains):
    """The fixed strings the apply script greps for in ``<tool>-save -c -t TABLE``: a rule
    line there reads ``[p:b] -A CHAIN ...``, so ``] -A CHAIN`` finds the rules of CHAIN
    (and of chains whose name starts with it, or a quoted text holding it: more lines than
    needed, never fewer, and the controller counts the same ones)."""
    return ["] -A %s" % c for c in sorted(set(chains))]


def digest_lines(texts, chains):
    """The lines (counters cut) the apply script's ``grep -F -e <needle>... | cut -d ' '
    -f 2-`` prints from a ``-save -c`` whose rule texts are ``texts``, in order."""
    needles = tuple(digest_needles(chains))
    prefixes = tuple(n[2:] for n in needles)
    if len(needles) == 1:
        n = needles[0]
        return [t for t in texts if t.startswith(prefixes) or n in t]
    return [t for t in texts if t.startswith(prefixes) or any(n in t for n in needles)]


def digest_ranges(texts, chains):
    """``[(start, end)]`` slices of ``texts`` that :func:`digest_lines` selects, when that
    is simply the rules of ``chains``, each printed together (what iptables-save does):
    no other chain's name starts with one of them and no rule text holds a needle. None
    otherwise (then :func:`digest_lines` goes line by line)."""
    blk = "\n" + "\n".join(texts) + "\n"
    out = []
    for c in sorted(set(chains)):
        if ("] -A " + c) in blk or ("\n-A %s\n" % c) in blk:
            return None
        pat = "\n-A %s " % c
        n = blk.count(pat)
        if n != blk.count("\n-A " + c):
            return None  # a chain whose name starts with c
        if n == 0:
            continue
        f = blk.find(pat)
        fo = blk.count("\n", 0, f)
        if blk.count("\n", f, blk.rfind(pat)) + 1 != n:
            return None
        out.append((fo, fo + n))
    out.sort()
    return out


def digest_text(texts, chains, ranges):
    if ranges is None:
        lines = digest_lines(texts, chains)
    else:
        lines = [x for a, b in ranges for x in texts[a:b]] if len(ranges) != 1 else texts[ranges[0][0]:ranges[0][1]]
    return "\n".join(lines) + "\n" if lines else ""


def chain_lines(table, chains):
    """The text :func:`chain_digest` sums (see :func:`digest_lines`)."""
    return digest_text(table.rule_texts, chains, digest_ranges(table.rule_texts, chains))


def chain_digest(table, chains):
    return posix_cksum(chain_lines(table, chains))


def digest_command(chains, path=None):
    """Shell text printing the ``cksum`` of the affected chains' lines of ``path`` (a
    ``<tool>-save -c -t TABLE``; standard input when None), counters cut: the host side of
    :func:`chain_digest`."""
    return "grep -F %s%s | cut -d ' ' -f 2- | cksum" % (
        " ".join("-e %s" % quote(n) for n in digest_needles(chains)), "" if path is None else " " + quote(path))
