# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Catalog of known bugs around the NFQUEUE / GSO panic. Data plus small accessors.

Honesty rules (tests enforce them):

* every row and every family range carries ``evidence``: a list of
  ``{"source": URL or tree + file, "confirmed": bool, "note": str}``;
* a fixed release is only named where a source was read that shows the fix
  (``fixed_by``); where the first fixed release is not known it is ``None`` and the
  range says so (``first_fixed: None``, ``below_fixed_by: "unknown"``);
* a belief (e.g. the upstream commit believed to add the NULL check) is recorded with
  ``confirmed: False`` and never turns into ``code_vulnerable: False`` with
  ``confidence: "confirmed"``.

Family keys: ``el5`` ``el6`` ``el7`` ``el8`` ``el9`` (Red Hat kernels, compared with rpm
EVR rules on ``version-release`` without the arch), ``upstream`` (kernel.org lineage,
compared on the numeric base version ``X.Y[.Z]``; Debian, Ubuntu, UEK, Fedora and other
distribution kernels are judged through the upstream version they are based on).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

SEED = "shared/seed/000_7fb5fd307323d5e7.txt (incident write-up: crash session on 2.6.32-358.el6)"

# ------------------------------------------------------------------------ the panic

NFQUEUE_GSO_NULL = {
    "id": "el6-nf_queue-gso-null",
    "title": "NULL pointer dereference in nf_queue() when skb_gso_segment() returns NULL "
             "for an LRO-aggregated packet sent to an NFQUEUE target",
    "kind": "panic",
    "component": "net/netfilter/nf_queue.c nf_queue() (2.6.32 el6); "
                 "net/netfilter/nfnetlink_queue*.c nfqnl_enqueue_packet() (3.10+)",
    "mechanism": (
        "nf_queue() segments a GSO skb with skb_gso_segment(skb, 0) and only checks "
        "IS_ERR(segs). For a packet with gso_size set and no gso_type (LRO aggregation: "
        "inet_lro lro_flush(), some ixgbe RSC paths) and ip_summed != CHECKSUM_PARTIAL, "
        "skb_gso_segment() returns NULL and the loop dereferences segs->next."
    ),
    "trigger": [
        {
            "leg": "lro",
            "description": "large-receive-offload active on a NIC whose packets reach the "
                           "NFQUEUE rule (LRO-aggregated skb: gso_size set, no gso_type)",
            "evidence": [
                {"source": "FACTS.md 'Root cause' (el6 skb_gso_segment / inet_lro.c lro_flush)",
                 "confirmed": True,
                 "note": "read in el6 source"},
                {"source": "FACTS.md 'Root cause' (GRO sets CHECKSUM_PARTIAL and a gso_type)",
                 "confirmed": False,
                 "note": "inference: GRO packets do not take the NULL path"},
            ],
        },
        {
            "leg": "nfqueue",
            "description": "an iptables/ip6tables -j NFQUEUE rule (or nft queue statement) "
                           "that multi-segment TCP traffic reaches",
            "evidence": [
                {"source": SEED, "confirmed": True,
                 "note": "mangle PREROUTING ... -j NFQUEUE rule; large HTTP requests "
                         "rebooted the box, small ones did not"},
            ],
        },
    ],
    "signatures": [
        {"name": "rip-nf_queue+0x98", "regex": r"\bnf_queue\+0x98/0x[0-9a-f]+",
         "where": ["dmesg", "vmcore-dmesg"], "strength": "strong",
         "note": "IP:/RIP: line in the oops (hex offset, as dmesg prints it)"},
        {"name": "rip-nf_queue+152", "regex": r"\bnf_queue\+152\b",
         "where": ["crash"], "strength": "strong",
         "note": "the same RIP as printed by crash (decimal offset)"},
        {"name": "null-deref", "regex": r"BUG:\s+unable\s+to\s+handle\s+kernel\s+NULL\s+pointer\s+dereference",
         "where": ["dmesg", "vmcore-dmesg", "crash"], "strength": "supporting",
         "note": "generic; counts only together with a frame below"},
        {"name": "frame-skb_gso_segment", "regex": r"\bskb_gso_segment\b",
         "where": ["dmesg", "vmcore-dmesg", "crash"], "strength": "supporting",
         "note": "frame on the crashing stack"},
        {"name": "frame-__nf_queue", "regex": r"\b__nf_queue\b",
         "where": ["dmesg", "vmcore-dmesg", "crash"], "strength": "supporting",
         "note": "frame on the crashing stack (el6)"},
        {"name": "frame-nfqnl_enqueue_packet", "regex": r"\bnfqnl_enqueue_packet\b",
         "where": ["dmesg", "vmcore-dmesg", "crash"], "strength": "supporting",
         "note": "frame on the crashing stack (3.10+ layout)"},
        {"name": "panic-in-interrupt", "regex": r"Kernel\s+panic\s+-\s+not\s+syncing:\s+Fatal\s+exception\s+in\s+interrupt",
         "where": ["dmesg", "vmcore-dmesg"], "strength": "supporting",
         "note": "generic panic line"},
    ],
    "mitigations": [
        {"id": "lro-off", "strategy": "offload",
         "description": "ethtool -K <nic> lro off on every physical/slave NIC that can feed the rule, "
                        "made persistent (the seed's 'lro on' is a typo)",
         "removes_leg": "lro", "reboot": False},
        {"id": "nfqueue-to-drop", "strategy": "drop",
         "description": "replace the NFQUEUE target with DROP where the queued packets were "
                        "to be blocked anyway (the seed author's choice)",
         "removes_leg": "nfqueue", "reboot": False},
        {"id": "kernel-upgrade", "strategy": "kernel",
         "description": "boot a kernel whose source checks IS_ERR_OR_NULL(segs); only documented "
                        "for el7 3.10.0-1160 (no el6 kernel is known to be fixed)",
         "removes_leg": "code", "reboot": True},
    ],
    "families": {
        "el5": {
            "scheme": "rpm",
            "match": r"^2\.6\.18-",
            "code_vulnerable": None,
            "fixed_by": None,
            "first_fixed": None,
            "examined": [],
            "evidence": [
                {"source": "FACTS.md", "confirmed": False,
                 "note": "no el5 tree was examined; unknown"},
            ],
        },
        "el6": {
            "scheme": "rpm",
            "match": r"^2\.6\.32-",
            "code_vulnerable": True,
            "fixed_by": None,
            "first_fixed": None,
            "examined": [
                {"release": "2.6.32-358.el6", "null_check": False,
                 "source": SEED + "; nf_queue.c:215-221 printed from the debuginfo source"},
                {"release": "2.6.32-431.17.1.el6", "null_check": False,
                 "source": "el6 kernel source tree 2.6.32-431.17.1, net/netfilter/nf_queue.c (FACTS.md)"},
                {"release": "2.6.32-504.16.2.el6", "null_check": False,
                 "source": "el6 kernel source tree 2.6.32-504.16.2, net/netfilter/nf_queue.c (FACTS.md)"},
                {"release": "2.6.32-573.7.1.el6", "null_check": False,
                 "source": "el6 kernel source tree 2.6.32-573.7.1, net/netfilter/nf_queue.c (FACTS.md)"},
                {"release": "2.6.32-642.6.2.el6", "null_check": False,
                 "source": "el6 kernel source tree 2.6.32-642.6.2, net/netfilter/nf_queue.c (FACTS.md)"},
            ],
            "evidence": [
                {"source": "FACTS.md 'Which kernels carry the unchecked code'", "confirmed": True,
                 "note": "the NULL check is absent in every el6 tree examined; no el6 erratum "
                         "fixing it was found: every 2.6.32-*.el6 is treated as code-vulnerable"},
            ],
        },
        "el7": {
            "scheme": "rpm",
            "match": r"^3\.10\.0-",
            "code_vulnerable": None,  # below fixed_by: unknown
            "fixed_by": "3.10.0-1160.el7",
            "first_fixed": None,
            "below_fixed_by": "unknown",
            "examined": [
                {"release": "3.10.0-1160.el7", "null_check": True,
                 "source": "el7 kernel source tree 3.10.0-1160, "
                           "net/netfilter/nfnetlink_queue_core.c (FACTS.md)"},
            ],
            "evidence": [
                {"source": "FACTS.md 'Which kernels carry the unchecked code'", "confirmed": True,
                 "note": "el7 3.10.0-1160 has if (IS_ERR_OR_NULL(segs)) in nfnetlink_queue_core.c"},
                {"source": "FACTS.md", "confirmed": False,
                 "note": "the first el7 release with the check is unknown; releases below "
                         "3.10.0-1160 are reported as unknown, not as vulnerable or fixed"},
            ],
        },
        "el8": {
            "scheme": "rpm",
            "match": r"^4\.18\.0-",
            "code_vulnerable": False,
            "confidence": "inferred",
            "fixed_by": None,
            "first_fixed": None,
            "examined": [],
            "evidence": [
                {"source": "https://github.com/Seneca-CDOT/dynaccel-kernel-4.18.0 @b46dec7a "
                           "net/netfilter/nfnetlink_queue.c",
                 "confirmed": True,
                 "note": "a 4.18.0 tree (provenance not verified as RHEL 8) checks "
                         "IS_ERR_OR_NULL(segs) in nfqnl_enqueue_packet()"},
                {"source": "FACTS.md (el7 3.10.0-1160 already carries the check)", "confirmed": False,
                 "note": "inference: el8 kernels are newer than el7's last release and based on "
                         "upstream 4.18; no el8 tree was read"},
            ],
        },
        "el9": {
            "scheme": "rpm",
            "match": r"^5\.14\.0-",
            "code_vulnerable": False,
            "confidence": "inferred",
            "fixed_by": None,
            "first_fixed": None,
            "examined": [],
            "evidence": [
                {"source": "https://github.com/OpenVZ/vzkernel @3b29a884 net/netfilter/nfnetlink_queue.c",
                 "confirmed": True,
                 "note": "a recent vzkernel tree (RHEL-derived, base version not verified) checks "
                         "IS_ERR_OR_NULL(segs)"},
                {"source": "FACTS.md", "confirmed": False,
                 "note": "inference: el9 is based on upstream 5.14, after the believed upstream "
                         "fix; no el9 tree was read"},
            ],
        },
        "upstream": {
            "scheme": "kernel",
            # believed fix; the version is the upstream base version X.Y
            "fixed_in": "4.10",
            "fix_commit": "330966e501ff",
            "fix_confirmed": False,
            "moved": {"version": "3.10", "commit": "a5fedd43d5f6",
                      "note": "segmentation moved from nf_queue() to nfqnl_enqueue_packet()"},
            "code_vulnerable_below": None,  # unknown: not examined
            "fixed_by": None,  # no upstream fix is documented with evidence
            "first_fixed": None,
            "examined": [
                {"release": "4.9 (Android tree based on 4.9)", "null_check": True,
                 "source": "https://github.com/SonicBSV/android_kernel_xiaomi_markw-4.9 @e141d52a "
                           "net/netfilter/nfnetlink_queue.c"},
                {"release": "4.18.0", "null_check": True,
                 "source": "https://github.com/Seneca-CDOT/dynaccel-kernel-4.18.0 @b46dec7a "
                           "net/netfilter/nfnetlink_queue.c"},
            ],
            "evidence": [
                {"source": "FACTS.md 'Which kernels carry the unchecked code'", "confirmed": False,
                 "note": "the upstream NULL-robustness change is believed to be 330966e501ff "
                         "'net: make skb_gso_segment error handling more robust' (around v4.10); "
                         "not confirmed"},
                {"source": "FACTS.md (upstream commit a5fedd43d5f6, v3.10)", "confirmed": True,
                 "note": "upstream 3.10 moved the segmentation into nfqnl_enqueue_packet(); "
                         "'3.10 is fixed' in the seed matches el7's 3.10, not upstream 3.10"},
                {"source": "https://github.com/SonicBSV/android_kernel_xiaomi_markw-4.9 @e141d52a "
                           "net/netfilter/nfnetlink_queue.c",
                 "confirmed": True,
                 "note": "a 4.9-based tree checks IS_ERR_OR_NULL(segs) (vendor tree; backports possible)"},
            ],
        },
    },
    "evidence": [
        {"source": SEED, "confirmed": True,
         "note": "RHEL 6.4 2.6.32-358.el6, RIP nf_queue+152, nf_queue.c:221 segs->next with segs NULL"},
        {"source": "FACTS.md 'Root cause (research)'", "confirmed": True,
         "note": "el6 skb_gso_segment() returns ERR_PTR(0) == NULL for LRO packets with features 0"},
    ],
}

# ------------------------------------------------------------------- related rows

SKB_WARN_BAD_OFFLOAD = {
    "id": "skb-warn-bad-offload",
    "title": "skb_warn_bad_offload() warning: a GSO packet reached segmentation with "
             "unexpected offload state",
    "kind": "warning",
    "component": "net/core/dev.c skb_warn_bad_offload()",
    "mechanism": "WARN printed when skb_gso_segment() meets a packet whose checksum/offload "
                 "state does not fit; may precede the nf_queue oops.",
    "trigger": [],
    "signatures": [
        {"name": "skb_warn_bad_offload",
         "regex": r":\s+caps=\(0x[0-9a-f]+,\s+0x[0-9a-f]+\)\s+len=\d+\s+data_len=\d+"
                  r"(?:\s+gso_size=\d+\s+gso_type=\d+)?\s+ip_summed=\d+",
         "where": ["dmesg", "vmcore-dmesg"], "strength": "supporting",
         "note": "format \"%s: caps=(0x%lx, 0x%lx) len=%d data_len=%d ip_summed=%d\""},
        {"name": "frame-skb_warn_bad_offload", "regex": r"\bskb_warn_bad_offload\b",
         "where": ["dmesg", "vmcore-dmesg"], "strength": "supporting", "note": ""},
    ],
    "mitigations": [],
    "families": {},
    "evidence": [
        {"source": "FACTS.md 'Related signatures worth a catalog row'", "confirmed": False,
         "note": "[I] may precede the oops; a hint, not proof of this panic"},
    ],
}

CVE_2022_36946 = {
    "id": "CVE-2022-36946",
    "title": "nfqnl_mangle() panic on a verdict carrying a too-short payload (remote DoS)",
    "kind": "panic",
    "component": "net/netfilter/nfnetlink_queue.c nfqnl_mangle()",
    "mechanism": "a one-byte NFQA_PAYLOAD in a verdict lets pskb_trim() go below the "
                 "transport header, skb_pull() then meets a negative skb->len",
    "trigger": [
        {"leg": "nfqueue", "description": "a userspace NFQUEUE consumer that returns mangled payloads",
         "evidence": [{"source": "FACTS.md", "confirmed": True, "note": "CVE text"}]},
    ],
    "signatures": [
        {"name": "frame-nfqnl_mangle", "regex": r"\bnfqnl_mangle\b",
         "where": ["dmesg", "vmcore-dmesg", "crash"], "strength": "supporting", "note": ""},
    ],
    "mitigations": [
        {"id": "kernel-upgrade", "strategy": "kernel",
         "description": "a kernel with commit 99a63d36cb3e (upstream 5.19) or its stable backport",
         "removes_leg": "code", "reboot": True},
    ],
    "families": {
        "upstream": {
            "scheme": "kernel",
            "fixed_in": "5.19",
            "fix_commit": "99a63d36cb3e",
            "fix_confirmed": True,
            "code_vulnerable_below": True,
            "fixed_by": "5.19",
            "first_fixed": "5.19",
            "examined": [],
            "evidence": [
                {"source": "FACTS.md; https://nvd.nist.gov/vuln/detail/CVE-2022-36946",
                 "confirmed": True,
                 "note": "affects upstream < 5.19, fixed by 99a63d36cb3e; stable backports exist "
                         "but their versions are not recorded here (a < 5.19 stable kernel may "
                         "carry the fix)"},
            ],
        },
    },
    "evidence": [
        {"source": "FACTS.md 'Related signatures worth a catalog row'", "confirmed": True,
         "note": "CVE-2022-36946 (nfqnl_mangle, < 5.19, fix 99a63d36cb3e)"},
    ],
}

SKB_SEGMENT_FRAG_LIST = {
    "id": "skb_segment-gro-frag_list-bug",
    "title": "BUG in skb_segment() for GRO frag_list packets (5.x)",
    "kind": "panic",
    "component": "net/core/skbuff.c skb_segment()",
    "mechanism": "segmenting a GRO frag_list skb whose geometry was changed hits a BUG_ON",
    "trigger": [
        {"leg": "gro-frag_list", "description": "GRO frag_list packets (e.g. rx-gro-list) that get "
                                                "re-segmented on forward",
         "evidence": [{"source": "FACTS.md", "confirmed": True, "note": "[F], fix hash unknown"}]},
    ],
    "signatures": [
        {"name": "bug-skbuff", "regex": r"kernel\s+BUG\s+at\s+net/core/skbuff\.c:\d+",
         "where": ["dmesg", "vmcore-dmesg"], "strength": "supporting", "note": ""},
        {"name": "frame-skb_segment", "regex": r"\bskb_segment\b",
         "where": ["dmesg", "vmcore-dmesg", "crash"], "strength": "supporting", "note": ""},
    ],
    "mitigations": [
        {"id": "gro-off", "strategy": "offload",
         "description": "ethtool -K <nic> gro off (or rx-gro-list off)",
         "removes_leg": "gro-frag_list", "reboot": False},
    ],
    "families": {
        "upstream": {
            "scheme": "kernel",
            "fixed_in": None,
            "fix_commit": None,
            "fix_confirmed": False,
            "code_vulnerable_below": None,
            "fixed_by": None,
            "first_fixed": None,
            "examined": [],
            "evidence": [
                {"source": "FACTS.md", "confirmed": False,
                 "note": "5.x kernels; the fixing commit and release are unknown"},
            ],
        },
    },
    "evidence": [
        {"source": "FACTS.md 'Related signatures worth a catalog row'", "confirmed": True,
         "note": "skb_segment BUG with GRO frag_list (5.x) [F, hash U]"},
    ],
}

BUGS = (NFQUEUE_GSO_NULL, SKB_WARN_BAD_OFFLOAD, CVE_2022_36946, SKB_SEGMENT_FRAG_LIST)
PRIMARY = NFQUEUE_GSO_NULL["id"]

_BY_ID = dict((b["id"], b) for b in BUGS)
_COMPILED = {}


def bug_ids():
    return [b["id"] for b in BUGS]


def get(bug_id=PRIMARY):
    """A deep copy of the row ``bug_id`` (callers may not mutate the catalog)."""
    try:
        return copy.deepcopy(_BY_ID[bug_id])
    except KeyError:
        raise KeyError("unknown bug id %r (known: %s)" % (bug_id, ", ".join(bug_ids())))


def family_row(family, bug_id=PRIMARY):
    """The per-family range of ``bug_id`` (deep copy) or None when the catalog has none."""
    fam = _BY_ID[bug_id]["families"].get(family)
    return copy.deepcopy(fam) if fam is not None else None


def documented_fixed_release(family, bug_id=PRIMARY):
    """The catalog's documented fixed release for ``family`` (e.g. ``3.10.0-1160.el7``) or None."""
    fam = _BY_ID[bug_id]["families"].get(family)
    return fam.get("fixed_by") if fam else None


# Regexes use \s+ between words: oops text pasted from web pages or consoles carries
# non-breaking spaces (the seed does), and Python's \s matches them.


def compiled_signatures(bug_id=None):
    """``[(bug_id, signature dict, compiled regex)]`` for one bug or all."""
    key = bug_id or "*"
    if key not in _COMPILED:
        rows = [_BY_ID[bug_id]] if bug_id else list(BUGS)
        out = []
        for b in rows:
            for sig in b["signatures"]:
                out.append((b["id"], sig, re.compile(sig["regex"])))
        _COMPILED[key] = out
    return _COMPILED[key]


def match_signatures(text, bug_id=None):
    """Every signature found in ``text``: ``[{bug, name, strength, line}]`` (first line per name)."""
    found = []
    seen = set()
    lines = text.splitlines()
    for bid, sig, rx in compiled_signatures(bug_id):
        for line in lines:
            if rx.search(line):
                if (bid, sig["name"]) not in seen:
                    seen.add((bid, sig["name"]))
                    found.append({"bug": bid, "name": sig["name"], "strength": sig["strength"],
                                  "line": line.strip()})
                break
    return found
