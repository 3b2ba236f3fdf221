# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan the "drop" strategy: replace NFQUEUE/QUEUE targets (and native nft ``queue``
statements) by DROP (or REJECT/ACCEPT), touching nothing else.

Pure: text in (what the read round trip brought back), data out (what to change, the
restore transactions, the rewritten saved files, the refusals, the diff). Nothing here
runs a process; :mod:`.apply` turns a plan into shell text.

Live transaction (iptables, legacy and nft back ends, IPv4 and IPv6)
--------------------------------------------------------------------
One ``<tool>-restore --noflush`` per table::

    *mangle
    -N KCRASH-GUARD-0
    -A PREROUTING -j KCRASH-GUARD-0
    -D PREROUTING 2
    -X KCRASH-GUARD-0
    -R PREROUTING 1 -p tcp -m multiport --dports 80,443 ... -j DROP
    COMMIT

The four guard lines per affected chain (:func:`_length_guard`) make the whole transaction
fail unless the chain still has the length it was planned from when the restore commits: a
rule another process inserted or deleted after the apply trip's digest check (below) can
never be overwritten by ``-R N``. They cost four cheap commands per chain, not per rule.

``-R CHAIN N`` keeps every selected rule at its place (a replacement never changes the
length of a chain, so several replacements in one chain keep their positions) and never
touches another rule or its counters. Positions are only right if the chain did not change
since it was read, so the apply script first saves the table (that save is also the
backup) and compares a POSIX ``cksum`` of the affected chains' rule lines with the digest
the controller computed from the probe (:func:`.digest.chain_digest`); any difference (another
process added, removed or moved a rule) stops the apply before anything changed, and the
action reads again and re-plans. Why not ``-D <exact spec>`` + ``-I CHAIN N``: it is also
exact about *which* rule goes, but on iptables-nft every ``-D`` by spec converts the whole
chain again (measured: 1,000 deletions in a 100,000-rule chain took 52 s against 5 s for
``-R``), and the insert position has the same staleness problem, so the digest check is
needed either way.

Native nftables
---------------
``replace rule <family> <table> <chain> handle <N> <rule with the queue statement replaced
by the verdict>`` for every selected statement, all in one ``nft -f`` file (one kernel
transaction); handles are unique and stable, so concurrent changes elsewhere do not matter
and a rule deleted meanwhile makes the whole file fail (nothing changes). Rules of tables
owned by iptables-nft are changed through ``iptables-nft-restore`` instead, never here.

The stages around it: :mod:`.read` (what is read), :mod:`.lockout` (the guard),
:mod:`.selection`, :mod:`.digest`, :mod:`.nft_config` (saved nft files), :mod:`.apply`,
:mod:`.verify`; docs/drop.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save as ips
from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft as nftm
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.digest import digest_ranges, digest_text
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.lockout import lockout_risk
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.nft_config import rewrite_nft_config
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.read import (
    FIREWALLD_DIRECT,
    SAVED_IPTABLES_FILES,
    SAVED_NFT_FILES,
)
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.selection import (
    comment_of_words,
    ipt_replacement,
    nft_replacement,
    selected,
    target_allowed,
)
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import posix_cksum


def _norm_words(words):
    """Tokens of a rule for matching a live rule with its saved twin: drops the implicit
    ``-m tcp``/``-m udp`` iptables adds for --dport/--sport, ``--queue-num 0`` and string's
    ``--from 0``, and the target options."""
    out = []
    i = 0
    ws = [str(w) for w in words]
    tgt = ips.find_target(words)
    end = tgt + 2 if tgt is not None else len(ws)
    proto = None
    while i < end:
        w = ws[i]
        if w in ("-p", "--protocol") and i + 1 < end:
            proto = ws[i + 1]
        if w == "-m" and i + 1 < end and ws[i + 1] == proto:
            i += 2
            continue
        if w == "--from" and i + 1 < end and ws[i + 1] == "0":
            i += 2
            continue
        out.append(w)
        i += 1
    if tgt is not None:
        q = ips.queue_options_words(ws[end:]) if ws[tgt + 1] == "NFQUEUE" else None
        if q:
            out.append(repr(sorted(q.items())))
    return tuple(out)


class SavedIptables(object):
    def __init__(self, path, family, text):
        self.path = path
        self.family = family
        self.text = text
        self.ruleset = None
        self.error = None
        if text is not None:
            try:
                self.ruleset = ips.parse(text, command=path)
            except KcrashParseError as e:
                self.error = str(e)


def _iptables_nft_tables(dumps):
    out = set()
    for d in dumps:
        if d.backend == "nft":
            fam = "ip" if d.family == "ipv4" else "ip6"
            for t in d.ruleset.table_list:
                out.add((fam, t.name))
    return out


def plan(dumps, options, mgmt, nft_text=None, saved=None, nft_saved=None, restore_wait=False):
    """Build the plan.

    ``dumps``: list of :class:`Dump`; ``nft_text``: ``nft -a list ruleset`` or None;
    ``saved``: ``{path: text or None}`` for :data:`SAVED_IPTABLES_FILES` (None = absent);
    ``nft_saved``: ``{path: text or None}`` for nftables.conf and its includes;
    ``restore_wait``: the restore tools accept ``-w``.
    """
    saved = saved or {}
    nft_saved = nft_saved or {}
    result = {
        "management": mgmt.as_dict(),
        "target": options.target,
        "changes": [],
        "refused": [],
        "iptables": [],   # one transaction per (tool, table)
        "nft": None,      # one nft -f transaction
        "files": [],      # rewritten saved files
        "saved_unparsed": [],
        "diff": [],
        "warnings": [],
    }
    verdict = options.target.lower()

    # ---------------- saved iptables files: parse, find twins
    saved_files = []
    for path, fam in SAVED_IPTABLES_FILES:
        if path in saved:
            sf = SavedIptables(path, fam, saved[path])
            saved_files.append(sf)
            if sf.error:
                result["saved_unparsed"].append({"path": path, "error": sf.error})
    twins = {}  # (family, table, chain, normwords) -> list of (SavedIptables, Rule)
    for sf in saved_files:
        if sf.ruleset is None:
            continue
        for r in ips.queue_rule_objects(sf.ruleset):
            key = (sf.family, r.table, r.chain, _norm_words(r.words))
            twins.setdefault(key, []).append((sf, r))

    # ---------------- live iptables
    file_edits = {}  # path -> {id(rule): new text}
    for d in dumps:
        per_table = {}
        for t in d.ruleset.table_list:
            reach = None
            for r in t.rules:
                if not r.is_queue:
                    continue
                if reach is None:
                    reach = ips.reachability(t)
                info = ips.rule_dict(r, reach, d.family, d.backend)
                info["tool"] = d.tool
                comment = comment_of_words(r.words)
                if not selected(info, options, comment):
                    continue
                new = ipt_replacement(r, options.target)
                info["new_rule"] = new
                why = target_allowed(options.target, t.name, r.chain, info["reachable_from"])
                if why:
                    info["reason"] = why
                    result["refused"].append(info)
                    continue
                if options.target != "ACCEPT":
                    risky, reason = lockout_risk(info, mgmt)
                    info["lockout"] = reason
                    if risky and not options.force:
                        info["reason"] = "lockout guard: " + reason + " (set force to override)"
                        result["refused"].append(info)
                        continue
                key = (d.family, r.table, r.chain, _norm_words(r.words))
                found = twins.get(key) or []
                info["persisted_in"] = sorted(set(pair[0].path for pair in found))
                per_table.setdefault(t.name, (t, []))[1].append((r, info))
                result["changes"].append(info)
        for tname, (t, items) in per_table.items():
            lines = ["*%s" % tname]
            guards = {}
            for k, chain in enumerate(sorted(set(pair[0].chain for pair in items))):
                guards.update(_length_guard(lines, chain, _chain_length(t, chain), k))
            for r, info in items:
                spec = info["new_rule"][len("-A "):]
                chain, rest = spec.split(" ", 1) if " " in spec else (spec, "")
                lines.append("-R %s %d %s" % (chain, r.position, rest))
            lines.append("COMMIT")
            chains = sorted(set(pair[0].chain for pair in items))
            # el6's iptables-save ends every rule with a blank: expect the new rule the same way
            after = list(t.rule_texts)
            for r, info in items:
                after[r.index] = info["new_rule"] + (" " if r.text.endswith(" ") else "")
            # the replaced lines keep their chain and hold no needle the old ones did not
            ranges = digest_ranges(t.rule_texts, chains)
            result["iptables"].append({
                "family": d.family,
                "backend": d.backend,
                "save_tool": d.tool,
                "restore_tool": d.restore_tool,
                "wait": bool(restore_wait) and d.backend == "legacy",
                "table": tname,
                "chains": chains,
                "digest": posix_cksum(digest_text(t.rule_texts, chains, ranges)),
                "post_digest": posix_cksum(digest_text(after, chains, ranges)),
                "text": "\n".join(lines) + "\n",
                "guards": guards,
                "count": len(items),
            })
            before = "".join(pair[1]["rule"] + "\n" for pair in items)
            after = "".join(pair[1]["new_rule"] + "\n" for pair in items)
            result["diff"].append({
                "before_header": "%s table %s (live)" % (d.label, tname),
                "after_header": "%s table %s (live, after)" % (d.label, tname),
                "before": before, "after": after,
            })

    # ---------------- saved iptables files: rewrite every selected queue rule
    for sf in saved_files:
        if sf.ruleset is None:
            continue
        edits = []
        reach_cache = {}
        for r in ips.queue_rule_objects(sf.ruleset):
            t = sf.ruleset.tables[r.table]
            if id(t) not in reach_cache:
                reach_cache[id(t)] = ips.reachability(t)
            info = ips.rule_dict(r, reach_cache[id(t)], sf.family, "file")
            if not selected(info, options, comment_of_words(r.words)):
                continue
            if target_allowed(options.target, r.table, r.chain, info["reachable_from"]):
                continue
            if options.target != "ACCEPT":
                risky = lockout_risk(info, mgmt)[0]
                if risky and not options.force:
                    continue
            edits.append(r)
        if not edits or not options.persist:
            continue
        before_text = sf.text
        for r in edits:
            new_text = ipt_replacement(r, options.target)
            r.text = new_text
        after_text = ips.render(sf.ruleset)
        result["files"].append({
            "path": sf.path, "kind": "iptables", "family": sf.family,
            "before": before_text, "after": after_text, "expect": posix_cksum(before_text),
            "count": len(edits),
        })
        result["diff"].append({"before_header": sf.path, "after_header": sf.path + " (after)",
                               "before": before_text, "after": after_text})

    # ---------------- native nft
    if nft_text and options.include_nft:
        rs = nftm.parse_text(nft_text, command="nft -a list ruleset")
        owned = _iptables_nft_tables(dumps)
        stmts = []
        for t in rs.tables:
            hooks = dict((c.name, c.hook) for c in t.chains.values())
            reach = None
            for c in t.chains.values():
                for r in c.rules:
                    if r.queue_statement is None:
                        continue
                    if (t.family, t.name) in owned or r.xt:
                        continue  # iptables-nft rule: handled through iptables-nft-restore
                    if reach is None:
                        reach = nftm.reachability(t)
                    info = {
                        "family": t.family, "backend": "nftables", "table": t.name, "chain": c.name,
                        "position": r.position, "handle": r.handle, "rule": r.text,
                        "statement": r.queue_statement, "queue": dict(r.queue), "counters": None,
                        "reachable_from": list(reach.get(c.name, [])),
                    }
                    if not selected(info, options, r.comment):
                        continue
                    info["new_rule"] = nft_replacement(r.text, verdict if verdict != "reject" else "reject")
                    if r.handle is None:
                        info["reason"] = "no rule handle in the nft listing (need nft -a)"
                        result["refused"].append(info)
                        continue
                    if options.target != "ACCEPT":
                        risky, reason = lockout_risk(info, mgmt, hooks)
                        info["lockout"] = reason
                        if risky and not options.force:
                            info["reason"] = "lockout guard: " + reason + " (set force to override)"
                            result["refused"].append(info)
                            continue
                    info["persisted_in"] = []
                    stmts.append(info)
                    result["changes"].append(info)
        if stmts:
            lines = []
            for s in stmts:
                lines.append("replace rule %s %s %s handle %d %s" % (
                    s["family"], _nft_name(s["table"]), _nft_name(s["chain"]), s["handle"], s["new_rule"]))
            result["nft"] = {"text": "\n".join(lines) + "\n",
                             "tables": sorted(set((s["family"], s["table"]) for s in stmts)),
                             "count": len(stmts)}
            result["diff"].append({
                "before_header": "nft list ruleset (live)", "after_header": "nft list ruleset (live, after)",
                "before": "".join("%s %s %s: %s\n" % (s["family"], s["table"], s["chain"], s["rule"]) for s in stmts),
                "after": "".join("%s %s %s: %s\n" % (s["family"], s["table"], s["chain"], s["new_rule"]) for s in stmts),
            })

    # ---------------- saved nft files (chains with a refused live rule are left alone)
    nft_refused = set((r["family"], r["table"], r["chain"]) for r in result["refused"]
                      if r.get("backend") == "nftables")
    if options.persist:
        for path in sorted(nft_saved):
            text = nft_saved[path]
            if text is None:
                continue
            new_text, edits = rewrite_nft_config(text, options, mgmt, verdict, nft_refused)
            for e in edits:
                for ch in result["changes"]:
                    if (ch["backend"] == "nftables" and ch["family"] == e["family"] and ch["table"] == e["table"]
                            and ch["chain"] == e["chain"] and path not in ch["persisted_in"]):
                        ch["persisted_in"].append(path)
            if edits:
                result["files"].append({"path": path, "kind": "nft", "family": None, "before": text,
                                        "after": new_text, "expect": posix_cksum(text), "count": len(edits)})
                result["diff"].append({"before_header": path, "after_header": path + " (after)",
                                       "before": text, "after": new_text})

    # ---------------- persisted verdicts
    present = [pf[0] for pf in SAVED_IPTABLES_FILES if saved.get(pf[0]) is not None] + \
        [p for p in sorted(nft_saved) if nft_saved.get(p) is not None]
    for ch in result["changes"]:
        if ch.get("persisted_in"):
            ch["persisted"] = True
            ch["persist_reason"] = "rewritten in %s" % ", ".join(ch["persisted_in"])
        else:
            ch["persisted"] = False
            if not options.persist:
                ch["persist_reason"] = "persist is false: saved files left alone"
            elif not present:
                ch["persist_reason"] = ("no saved ruleset file found (%s): the rule comes from elsewhere "
                                        "(a script, an IDS package, firewalld, ...) and will come back at boot"
                                        % ", ".join([pf[0] for pf in SAVED_IPTABLES_FILES] + list(SAVED_NFT_FILES)))
            else:
                ch["persist_reason"] = ("no saved file contains this rule (looked in %s): it comes from elsewhere "
                                        "and will come back at boot" % ", ".join(present))
    if saved.get(FIREWALLD_DIRECT) and "NFQUEUE" in saved[FIREWALLD_DIRECT]:
        result["warnings"].append("%s holds NFQUEUE direct rules: firewalld re-creates them; edit it with "
                                  "firewall-cmd --direct (not changed by this action)" % FIREWALLD_DIRECT)
    result["changed"] = bool(result["iptables"] or result["nft"] or result["files"])
    return result


GUARD_CHAIN = "KCRASH-GUARD-%d"


def _chain_length(table, chain):
    """Rules of ``chain`` in ``table`` as read (every rule line, whichever parser kept it)."""
    head, bare = "-A %s " % chain, "-A %s" % chain
    return sum(1 for x in table.rule_texts if x.startswith(head) or x.rstrip() == bare)


def _length_guard(lines, chain, length, k):
    """Append to ``lines`` the transaction lines that fail the whole ``--noflush`` restore
    unless ``chain`` still has ``length`` rules when the restore commits: a new chain, a rule
    jumping to it appended (position length + 1 only if nothing was inserted), rule
    ``length + 1`` deleted (fails if the chain got shorter), the new chain deleted (fails
    while the jump still references it, i.e. if the chain got longer). On success the
    chain is as before; ``-R N`` positions are then right unless another process replaced a
    rule in place (same length) after the apply trip's digest check. Returns
    ``{line number: chain}`` of the lines that fail, for the message."""
    g = GUARD_CHAIN % k
    first = len(lines) + 1
    lines += ["-N %s" % g, "-A %s -j %s" % (chain, g), "-D %s %d" % (chain, length + 1), "-X %s" % g]
    return dict((first + i, chain) for i in range(4))


def guard_failures(tx, stderr):
    """Chains of ``tx`` whose length guard failed, from the restore's ``line N`` messages."""
    out = []
    for m in re.finditer(r"line (\d+)", stderr or ""):
        chain = tx.get("guards", {}).get(int(m.group(1)))
        if chain and chain not in out:
            out.append(chain)
    return out


def _nft_name(name):
    return name if re.match(r"^[A-Za-z_][A-Za-z0-9_.-]*\Z", name) else '"%s"' % name
