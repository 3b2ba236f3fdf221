# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts -> exposure verdict with reasons and recommendations.

The panic needs three legs at once:

* ``kernel``: the running kernel's code dereferences a NULL ``skb_gso_segment()`` result in
  the queue path (``kernel.code_vulnerable``);
* ``rules``: an NFQUEUE (or QUEUE / nft ``queue``) rule that received packets traverse;
* ``lro``: LRO active on a NIC that feeds the stack (:func:`netdev.candidate_nics`).

Each leg is ``live`` (present now), ``potential`` (absent now but could appear: NFQUEUE only
in a saved rule file or an unreachable chain; LRO off but settable and switched on by saved
configuration or by the driver's default), ``none`` (absent and cannot appear by itself), or
``unknown`` (the data is missing).

Verdict (``level``):

* ``not_exposed``  a leg is ``none`` (whatever the others are);
* ``unknown``      otherwise, a leg is ``unknown``;
* ``exposed``      all three legs are ``live``;
* ``at_risk``      every leg is live or potential, at least one potential.

A host whose crash evidence carries this bug's signature is ``flagged`` (and its reasons say
so) whatever the level. Every reason names its leg and the interface or rule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import netdev
from ansible_collections.kcrash.nfqueue.plugins.module_utils import oops

LIVE = "live"
POTENTIAL = "potential"
NONE = "none"
UNKNOWN = "unknown"

EXPOSED = "exposed"
AT_RISK = "at_risk"
NOT_EXPOSED = "not_exposed"
LEVEL_UNKNOWN = "unknown"
LEVELS = (EXPOSED, AT_RISK, NOT_EXPOSED, LEVEL_UNKNOWN)

# Chains whose packets were received from a NIC (LRO-aggregated packets pass there).
# Packets seen only in OUTPUT were generated locally and never LRO-aggregated.
LOCAL_ONLY_CHAINS = ("OUTPUT", "output")


def rule_label(r):
    fam = r.get("family") or "?"
    be = r.get("backend") or "?"
    where = "%s %s" % (r.get("table") or "?", r.get("chain") or "?")
    pos = r.get("position")
    at = "#%s" % pos if pos else ""
    if r.get("file"):
        at = "%s:%s" % (r["file"], r.get("line") or "?")
    text = (r.get("rule") or "").strip()
    if len(text) > 160:
        text = text[:157] + "..."
    return "%s/%s %s %s: %s" % (fam, be, where, at, text)


def _feeds_received_packets(r):
    reach = r.get("reachable_from")
    if reach is None:
        return True
    if not reach:
        return False
    return any(c not in LOCAL_ONLY_CHAINS for c in reach)


def _kernel_leg(kernel):
    k = kernel or {}
    cv = k.get("code_vulnerable")
    rel = k.get("release") or "?"
    fam = k.get("family") or "unknown family"
    why = k.get("reason")
    conf = k.get("confidence")
    tail = ""
    if why:
        tail = ": %s" % why
    if conf and conf != "unknown":
        tail += " [%s]" % conf
    if cv is True:
        return LIVE, "kernel: %s (%s) carries the unchecked skb_gso_segment() result in the queue path%s" % (rel, fam, tail)
    if cv is False:
        return NONE, "kernel: %s (%s) has the NULL check%s" % (rel, fam, tail)
    return UNKNOWN, "kernel: %s (%s) is not known to carry or lack the NULL check%s" % (rel, fam, tail)


def _rules_leg(facts):
    live = [r for r in facts.get("nfqueue_rules") or [] if _feeds_received_packets(r)]
    parked = [r for r in facts.get("nfqueue_rules") or [] if not _feeds_received_packets(r)]
    saved = facts.get("saved_nfqueue_rules") or []
    reasons = []
    if live:
        for r in live:
            reasons.append("rules: live NFQUEUE rule %s" % rule_label(r))
        return LIVE, reasons, live
    fw = facts.get("firewall") or {}
    readable = fw.get("rules_readable", True)
    if saved or parked:
        for r in saved:
            reasons.append("rules: NFQUEUE only in saved rules, loaded at next restore/boot: %s" % rule_label(r))
        for r in parked:
            if r.get("reachable_from"):
                reasons.append("rules: NFQUEUE rule sees only locally generated packets: %s" % rule_label(r))
            else:
                reasons.append("rules: NFQUEUE rule in a chain no built-in chain reaches (yet): %s" % rule_label(r))
        if not readable:
            # a live rule may be there and unseen (a denied iptables-save): never lower
            reasons.insert(0, "rules: the live ruleset could not be read (see probe.errors); "
                              "live NFQUEUE rules unknown")
            return UNKNOWN, reasons, saved + parked
        if not saved and all(r.get("reachable_from") for r in parked):
            return NONE, reasons, []
        return POTENTIAL, reasons, saved + parked
    if not readable:
        return UNKNOWN, ["rules: the live ruleset could not be read (see probe.errors)"], []
    return NONE, ["rules: no NFQUEUE/QUEUE rule in any live ruleset or saved rule file"], []


def _persist_lro(info):
    for h in info.get("persistence") or []:
        if h.get("lro") is True:
            return h
    return None


def _lro_leg(facts):
    interfaces = facts.get("interfaces") or {}
    names = netdev.candidate_nics({"interfaces": interfaces})
    if not names:
        return UNKNOWN if not interfaces else NONE, [
            "lro: no interface data" if not interfaces else
            "lro: no NIC that receives packets itself (only stacked/loopback devices)"
        ], []
    live, potential, unknown, none = [], [], [], []
    reasons = []
    for n in names:
        info = interfaces[n]
        label = netdev.describe(n, info)
        lro = (info.get("features") or {}).get("lro")
        if not info.get("features"):
            unknown.append(n)
            reasons.append("lro: %s: offload state unknown (%s)" % (label, info.get("ethtool_error") or "ethtool -k not available"))
            continue
        if lro is None:
            if info.get("feature_format") in ("offload-space",):
                # el5-era ethtool without an LRO line: LRO cannot be reported
                unknown.append(n)
                reasons.append("lro: %s: this ethtool does not report LRO" % label)
            else:
                none.append(n)
            continue
        if lro.get("active"):
            live.append(n)
            reasons.append("lro: %s has large-receive-offload on" % label)
            continue
        hint = _persist_lro(info)
        if not lro.get("fixed") and hint:
            potential.append(n)
            reasons.append("lro: %s has LRO off now but %s:%s turns it on (%s)" % (
                label, hint["file"], hint["line"], hint["text"]))
        elif not lro.get("fixed") and lro.get("requested") is True:
            potential.append(n)
            reasons.append("lro: %s has LRO off but requested on" % label)
        elif not lro.get("fixed") and (info.get("driver") or "") in netdev.LRO_DRIVERS:
            potential.append(n)
            reasons.append("lro: %s has LRO off now; driver %s can turn it back on (reload, reboot, forwarding off)" % (
                label, info.get("driver")))
        else:
            none.append(n)
    if live:
        return LIVE, reasons, live
    if potential:
        return POTENTIAL, reasons, potential
    if unknown:
        return UNKNOWN, reasons, unknown
    return NONE, ["lro: LRO is off on every NIC that receives packets (%s)" % ", ".join(names)], []


def crash_history(facts):
    """(flagged, reasons) from crash evidence: vmcore signatures, dmesg, ``last -x``."""
    ce = facts.get("crash_evidence") or {}
    reasons = []
    vm = ce.get("vmcore") or []
    flagged = oops.crashed_this_way(vm)
    by_path = {}
    for h in vm:
        by_path.setdefault(h.get("path") or "vmcore-dmesg", []).append(h)
    for path, hits in by_path.items():
        mine = [h for h in hits if h.get("bug_id") == oops.BUG_NFQUEUE_GSO]
        if oops.crashed_this_way(mine):
            rip = next((h.get("rip") for h in mine if h.get("rip")), None)
            reasons.append("crash: %s shows this panic (%s%s)" % (
                path, ", ".join(sorted(set(h["signature"] for h in mine))), "; RIP %s" % rip if rip else ""))
        others = sorted(set("%s:%s" % (h.get("bug_id"), h.get("signature")) for h in hits
                            if h.get("bug_id") != oops.BUG_NFQUEUE_GSO))
        if others:
            reasons.append("crash: %s also matches related catalog signatures: %s" % (path, ", ".join(others)))
    for h in ce.get("dmesg") or []:
        if h.get("bug_id") != oops.BUG_NFQUEUE_GSO or h.get("signature") not in oops.GENERIC_SIGNATURES:
            reasons.append("crash: current dmesg matches %s:%s: %s" % (h.get("bug_id"), h.get("signature"), h.get("line")))
    if oops.crashed_this_way(ce.get("dmesg") or []):
        flagged = True
    dirs = [d for d in ce.get("crash_dirs") or [] if d.get("vmcore") and not d.get("dmesg_files")]
    for d in dirs:
        reasons.append("crash: %s holds a vmcore without vmcore-dmesg.txt (analyse it with crash)" % d.get("path"))
    crashes = ce.get("wtmp_crashes") or []
    if crashes:
        reasons.append("crash: last -x shows %d crash record(s): %s" % (len(crashes), crashes[0].get("line")))
    for u in ce.get("unread") or []:
        reasons.append("crash: %s evidence unknown, not read: %s" % (u.get("source"), u.get("reason")))
    return flagged, reasons


def assess(facts):
    """Return ``{"level", "legs": {kernel, rules, lro}, "reasons", "recommended", "flagged",
    "interfaces": [...], "rules": [...]}`` for the facts of one host."""
    k_state, k_reason = _kernel_leg(facts.get("kernel"))
    r_state, r_reasons, r_items = _rules_leg(facts)
    l_state, l_reasons, l_items = _lro_leg(facts)
    legs = {"kernel": k_state, "rules": r_state, "lro": l_state}
    states = list(legs.values())
    if NONE in states:
        level = NOT_EXPOSED
    elif UNKNOWN in states:
        level = LEVEL_UNKNOWN
    elif all(s == LIVE for s in states):
        level = EXPOSED
    else:
        level = AT_RISK
    reasons = [k_reason] + r_reasons + l_reasons
    flagged, c_reasons = crash_history(facts)
    reasons.extend(c_reasons)
    rec = []
    if level in (EXPOSED, AT_RISK, LEVEL_UNKNOWN) and k_state != NONE:
        if l_items and l_state in (LIVE, POTENTIAL):
            rec.append("turn LRO off now and persistently on %s (kcrash.nfqueue.offload; ethtool -K <nic> lro off)"
                       % ", ".join(l_items))
        if r_items and r_state in (LIVE, POTENTIAL):
            rec.append("replace the NFQUEUE target with DROP where queued packets are dropped anyway "
                       "(kcrash.nfqueue.nfqueue_target)")
        fixed_by = (facts.get("kernel") or {}).get("fixed_by")
        fixed_installed = (facts.get("kernel") or {}).get("fixed_installed") or []
        if fixed_installed:
            rec.append("reboot into an installed kernel with the NULL check: %s" % ", ".join(fixed_installed))
        if fixed_by:
            rec.append("move to a kernel with the NULL check: %s (kcrash.nfqueue.kernel_upgrade)" % fixed_by)
        elif k_state == LIVE:
            rec.append("no kernel of this family is documented to fix it: rely on LRO off or DROP")
    if level == LEVEL_UNKNOWN:
        rec.append("re-run detection with become (root) and ethtool/iptables available to settle the unknown leg")
    if flagged:
        rec.append("this host already crashed this way: check the vmcore and mitigate first")
    if level == NOT_EXPOSED and r_state == LIVE and k_state == NONE:
        rec.append("nothing to do for this panic; NFQUEUE rules kept (the running kernel has the NULL check)")
    return {
        "level": level,
        "legs": legs,
        "reasons": reasons,
        "recommended": rec,
        "flagged": flagged,
        "interfaces": l_items,
        "rules": [rule_label(r) for r in r_items],
    }
