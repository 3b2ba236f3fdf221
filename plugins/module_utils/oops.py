# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Crash signatures in kernel oops text, and crash records in ``last -x``.

Reads three kinds of text the same way:

* ``vmcore-dmesg.txt`` written by kdump (``IP: [<ffffffff81475718>] nf_queue+0x98/0x1c0``,
  ``RIP: 0010:[<...>]  [<...>] nf_queue+0x98/0x1c0``, call trace lines);
* live ``dmesg`` (the ``skb_warn_bad_offload`` warning that may precede the oops);
* the ``crash`` utility's ``bt`` (``[exception RIP: nf_queue+152]``: decimal offsets) and
  its ``PANIC:`` line.

Signatures are the catalog's (catalog.py rows: this panic and the related ones), plus the
faulting instruction of the oops. :func:`scan` returns ``[{signature, rip, bug_id, line,
strength}]``. Pure functions; nothing raises on odd text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import catalog

BUG_NFQUEUE_GSO = catalog.PRIMARY
# Signature names of the primary row that alone do not tie a crash to this bug.
GENERIC_SIGNATURES = ("null-deref", "panic-in-interrupt")

# Functions whose presence as the *faulting* instruction ties an oops to a catalog row
# (the offset differs between builds: only 2.6.32-358.el6's +0x98 is in the catalog).
FUNCTIONS = (
    ("nf_queue", BUG_NFQUEUE_GSO),
    ("__nf_queue", BUG_NFQUEUE_GSO),
    ("nfqnl_enqueue_packet", BUG_NFQUEUE_GSO),
    ("skb_gso_segment", BUG_NFQUEUE_GSO),
    ("__skb_gso_segment", BUG_NFQUEUE_GSO),
)

# Fixed words the probe greps for on the host (grep -F), so only relevant lines travel.
GREP_WORDS = (
    "nf_queue", "nfqnl", "skb_gso_segment", "skb_warn_bad_offload", "caps=(",
    "BUG: unable to handle", "Kernel panic", "kernel BUG at", "skb_segment",
    "RIP", "IP: [", "PANIC:",
)

_FUNC_OFF = r"(?P<func>[A-Za-z_][A-Za-z0-9_.]*)\+(?P<off>0x[0-9a-fA-F]+|\d+)(?:/(?P<size>0x[0-9a-fA-F]+|\d+))?"
_RIP_RES = (
    # crash bt:  [exception RIP: nf_queue+152]
    re.compile(r"\[exception RIP:\s*" + _FUNC_OFF + r"\]"),
    # x86_64 dmesg:  RIP: 0010:[<ffffffff81475718>]  [<ffffffff81475718>] nf_queue+0x98/0x1c0
    # newer kernels: RIP: 0010:nf_queue+0x98/0x1c0
    re.compile(r"\bRIP:\s*(?:[0-9a-fA-F]{4}:)?(?:\[<[0-9a-fA-F]+>\]\s*)*" + _FUNC_OFF),
    # el6 first oops line:  IP: [<ffffffff81475718>] nf_queue+0x98/0x1c0
    re.compile(r"(?:^|\s)IP:\s+(?:\[<[0-9a-fA-F]+>\]\s+)?" + _FUNC_OFF),
    # PowerPC / arm64:  NIP [c000000000123456] nf_queue+0x98/0x1c0 ; pc : nf_queue+0x98/0x1c0
    re.compile(r"\b(?:NIP\s+\[[0-9a-fA-F]+\]|pc\s*:)\s*" + _FUNC_OFF),
)


def faulting_rips(text):
    """``[(function, offset_text, size_text|None, line)]`` of every IP/RIP line."""
    out = []
    for line in text.splitlines()[:20000]:
        for rx in _RIP_RES:
            m = rx.search(line)
            if m:
                out.append((m.group("func"), m.group("off"), m.group("size"), line.strip()[:300]))
                break
    return out


def _rip_text(func, off, size):
    return "%s+%s%s" % (func, off, "/%s" % size if size else "")


def scan(text):
    """Find crash signatures in oops / dmesg / crash ``bt`` text.

    Returns ``[{"signature", "rip", "bug_id", "line", "strength"}]``:

    * every catalog signature found (``strength`` "strong" or "supporting", ``signature`` the
      catalog's signature name, ``bug_id`` the catalog row id);
    * a faulting instruction in one of :data:`FUNCTIONS` that no strong catalog signature
      covers (another build's offset): ``signature`` ``rip-<function>``, strength "rip".

    ``rip`` is the faulting ``function+offset[/size]`` as printed, when the text has one.
    Nothing raises on odd text (non-text gives ``[]``).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str) or not text.strip():
        return []
    rips = faulting_rips(text)
    first_rip = _rip_text(*rips[0][:3]) if rips else None
    out = []
    for m in catalog.match_signatures(text):
        out.append({
            "signature": m["name"],
            "rip": first_rip,
            "bug_id": m["bug"],
            "line": m["line"][:300],
            "strength": m["strength"],
        })
    strong_bugs = set(e["bug_id"] for e in out if e["strength"] == "strong")
    funcs = dict(FUNCTIONS)
    seen = set()
    for func, off, size, line in rips:
        bug = funcs.get(func)
        if bug is None or bug in strong_bugs or func in seen:
            continue
        seen.add(func)
        out.append({"signature": "rip-%s" % func, "rip": _rip_text(func, off, size), "bug_id": bug,
                    "line": line, "strength": "rip"})
    return out


def crashed_this_way(hits):
    """True when the hits tie a crash to the NFQUEUE/GSO panic: the nf_queue+0x98 / +152
    RIP, a faulting instruction in the queue/GSO path, or skb_gso_segment / __nf_queue /
    nfqnl_enqueue_packet on the trace (the bare NULL-dereference line alone is not enough)."""
    for h in hits or ():
        if h.get("bug_id") == BUG_NFQUEUE_GSO and h.get("signature") not in GENERIC_SIGNATURES:
            return True
    return False


# ------------------------------------------------------------------------ last -x

_LAST_OPEN_RE = re.compile(
    r"^(?P<user>\S+)\s+(?P<tty>system boot|system down|\(to lvl \S+\)|\S+)\s+(?P<rest>.*?)\s+"
    r"(?P<end>still running|still logged in|gone - no logout)\s*$"
)
_LAST_RE = re.compile(
    r"^(?P<user>\S+)\s+(?P<tty>\S+(?:\s+boot|\s+down)?)\s+(?P<rest>.*?)\s+-\s+(?P<end>crash|down|\S+)"
    r"(?:\s+\((?P<dur>[^)]*)\))?\s*$"
)


def parse_last(text):
    """``last -x`` output -> ``[{user, tty, start, end, crash, line}]``.

    ``crash`` is True for a session whose end is ``crash`` (the system went down with no
    logout and no shutdown record: how ``last`` shows a panic reboot). Lines that are not
    records (``wtmp begins ...``, blank) are skipped.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        return []
    out = []
    for line in text.splitlines()[:5000]:
        s = line.rstrip()
        if not s.strip() or s.startswith("wtmp begins") or s.startswith("btmp begins"):
            continue
        crash = bool(re.search(r"\s-\s+crash\b", s))
        m = _LAST_OPEN_RE.match(s) or _LAST_RE.match(s)
        if m:
            start = m.group("rest").strip()
            out.append({
                "user": m.group("user"),
                "tty": re.sub(r"\s+", " ", m.group("tty")),
                "start": start[-40:],
                "end": m.group("end"),
                "crash": crash,
                "line": s[:200],
            })
        elif crash:
            out.append({"user": s.split()[0], "tty": None, "start": None, "end": "crash",
                        "crash": True, "line": s[:200]})
    return out
