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

# Functions whose presence as the *faulting* instruction of an oops ties it to this bug when a
# reliable frame of the netfilter queue path confirms it (the offset differs between builds:
# only 2.6.32-358.el6's nf_queue+0x98 is in the catalog). nf_queue() in 2.6.32; the
# segmentation moved to nfqnl_enqueue_packet() (via __nf_queue()) in 3.10.
FUNCTIONS = (
    ("nf_queue", BUG_NFQUEUE_GSO),
    ("__nf_queue", BUG_NFQUEUE_GSO),
    ("nfqnl_enqueue_packet", BUG_NFQUEUE_GSO),
)
# Reliable call-trace frames that put a faulting queue function on the netfilter hook path.
QUEUE_PATH_FRAMES = ("nf_hook_slow", "nf_hook_thresh", "nf_reinject", "nf_queue", "__nf_queue",
                     "nfqnl_enqueue_packet")
# The strong signature: the faulting instruction of 2.6.32-358.el6 (0x98 == 152).
STRONG_FUNCTION, STRONG_OFFSET = "nf_queue", 0x98

# Fixed words the probe greps for on the host (grep -F), so only relevant lines travel: the
# signatures, every header that opens or closes an oops or warning report (the matcher needs
# them to tell an oops from a warning), the faulting-instruction lines and the hook frames.
GREP_WORDS = (
    "nf_queue", "nfqnl", "skb_gso_segment", "skb_warn_bad_offload", "caps=(",
    "BUG: unable to handle", "Kernel panic", "kernel BUG at", "skb_segment",
    "RIP", "IP: [", "PANIC:",
    "BUG:", "Oops", "Unable to handle kernel", "general protection fault", "WARNING:", "INFO:",
    "cut here", "end trace", "IP is at", "PC is at", "NIP", "pc : ", "nf_hook_slow", "nf_reinject",
)

_FUNC = r"[A-Za-z_][A-Za-z0-9_.]*"
_OFF = r"0x[0-9a-fA-F]+|\d+"
_FUNC_OFF = r"(?P<func>" + _FUNC + r")\+(?P<off>" + _OFF + r")(?:/(?P<size>" + _OFF + r"))?"
_ADDRS = r"(?:[0-9a-fA-F]{4}:)?(?:\[<?[0-9a-fA-F]+>?\]\s*)*"
# Lines that name the faulting instruction, after _normalise():
_RIP_RES = (
    # crash bt:  [exception RIP: nf_queue+152]
    re.compile(r"\[exception RIP:\s*" + _FUNC_OFF + r"\]"),
    # x86: RIP: 0010:[<ffffffff81475718>]  [<ffffffff81475718>] nf_queue+0x98/0x1c0 ;
    # RIP  [<ffffffff81475718>] nf_queue+0x98/0x1e0 (el6 closing line); RIP: 0010:nf_queue+0x98/0x1c0 ;
    # IP: [<ffffffff81475718>] nf_queue+0x98/0x1c0 (el6 first line); EIP: [<c0...>] nf_queue+0x98/0x1e0
    re.compile(r"(?:^|[\s:])[RE]?IP:?\s+" + _ADDRS + _FUNC_OFF),
    # i386 el5: EIP is at nf_queue+0x98/0x1e0 ; arm: PC is at nf_queue+0x98/0x1e0
    re.compile(r"\b(?:E?IP|PC) is at\s+" + _FUNC_OFF),
    # PowerPC: NIP [c000000000123456] nf_queue+0x98/0x1c0 ; arm64: pc : nf_queue+0x98/0x1c0
    re.compile(r"\b(?:NIP\s*:?\s*(?:\[[0-9a-fA-F]+\]\s*)?|pc\s*:\s*)" + _FUNC_OFF),
)
# A faulting-instruction marker with the location on the next line (el5 prints
# "... dereference at 0000000000000000 RIP: " then " [<...>] nf_queue+0x98/0x1e0"; mail
# clients wrap long RIP lines the same way).
_RIP_CUT_RE = re.compile(r"(?:(?:^|[\s:])[RE]?IP:?|\b(?:E?IP|PC) is at|\bNIP|\bpc\s*:)\s*" + _ADDRS + r"("
                         + _FUNC + r")?$")

# Report headers. An oops (the CPU faulted, or BUG()/panic) versus any other report: a
# WARNING, a soft lockup, a hung task. Faulting lines and frames count only inside an oops.
_OOPS_START_RE = re.compile(
    r"\bBUG: (?:unable to handle|kernel NULL pointer dereference)|\bUnable to handle kernel\b"
    r"|\bkernel BUG at\b|\bgeneral protection fault\b|^Internal error: Oops")
_OOPS_MORE_RE = re.compile(r"^Oops(?::| -)|\bKernel panic - not syncing\b|^\s*PANIC:\s")
_OTHER_START_RE = re.compile(r"^\s*WARNING:|^\s*BUG: |^\s*INFO: |^-+\[ cut here \]-+")
_END_RE = re.compile(r"^-+\[ end trace\b")

# Call-trace frames: "[<ffffffff81474800>] nf_hook_slow+0x70/0x120", " ? nf_hook_slow+0x44/0xc0",
# crash "#9 [ffff8800618a3bd8] nf_hook_slow at ffffffff81474800", arm "[<c0..>] (nf_hook_slow+0x58/0xbc) from",
# decoded "skb_gso_segment include/net/gso.h:83 [inline]".
_FRAME_RES = (
    re.compile(r"^\s*(?:<\w+>\s*)*(?:\[<[0-9a-fA-F]+>\]\s*)?(?P<unreliable>\?\s+)?\(?"
               r"(?P<func>" + _FUNC + r")(?:\+(?:" + _OFF + r")(?:/(?:" + _OFF + r"))?\)?"
               r"|(?=\s+[\w./-]+\.[chS]:\d+))"),
    re.compile(r"^\s*#\d+\s+\[[0-9a-fA-F]+\]\s+(?P<func>" + _FUNC + r") at [0-9a-fA-F]+"),
)

# Prefixes that are not part of the kernel's text: mail quoting, syslog/journal, printk level,
# timestamps and caller ids.
_PREFIX_RES = (
    re.compile(r"^\s*(?:>\s?)+"),
    re.compile(r"^(?:[A-Z][a-z]{2}\s+\d+\s+\d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ][\d:.,+-]+)\s+\S+\s+kernel:\s?"),
    re.compile(r"^(?:<\w>)+"),
    re.compile(r"^\[\s*\d+\.\d+\]\s?"),
    re.compile(r"^\[\s*[TC]\d+\]\s?"),
)
MAX_LINES = 20000


def _normalise(line):
    line = line.rstrip("\r\n").rstrip()
    for rx in _PREFIX_RES:
        line = rx.sub("", line, count=1)
    return line


def _to_text(text):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return text if isinstance(text, str) else None


def _fault(line):
    for rx in _RIP_RES:
        m = rx.search(line)
        if m:
            return m
    return None


def _offset(text):
    return int(text, 16) if text.lower().startswith("0x") else int(text)


def _lines(text):
    """Normalised lines, a faulting-instruction marker cut at its end joined with the next line."""
    raw = [_normalise(l) for l in text.splitlines()[:MAX_LINES]]
    out = []
    i = 0
    while i < len(raw):
        line = raw[i]
        if i + 1 < len(raw) and not _fault(line) and _RIP_CUT_RE.search(line):
            nxt = raw[i + 1].strip()
            joined = line + ("" if nxt.startswith("+") else " ") + nxt
            if _fault(joined):
                out.append(joined)
                i += 2
                continue
        out.append(line)
        i += 1
    return out


def _frame(line):
    """``(function, reliable)`` of a call-trace frame line, or None."""
    for rx in _FRAME_RES:
        m = rx.match(line)
        if m:
            return m.group("func"), not m.groupdict().get("unreliable")
    return None


def reports(text):
    """Split kernel text into reports: ``[{kind, header, faults, frames, lines}]``.

    ``kind`` is "oops" (a fault, BUG() or panic: ``BUG: unable to handle ...``, ``Oops:``,
    ``kernel BUG at``, ``general protection fault``, ``Unable to handle kernel ...``,
    ``Kernel panic - not syncing``, crash's ``PANIC:`` / ``[exception RIP: ...]``) or "other"
    (``WARNING:``, other ``BUG:``/``INFO:`` reports, and text after an ``---[ end trace`` line
    until the next header: their RIP and frames never tie a crash); text before any header is
    kind "none". ``faults`` lists ``(func, offset, size, line)`` of
    the faulting-instruction lines, ``frames`` ``(func, reliable, line)`` of call-trace lines.
    """
    text = _to_text(text)
    if not text:
        return []
    out = []
    cur = None

    def start(kind, header):
        rep = {"kind": kind, "header": header, "faults": [], "frames": [], "lines": []}
        out.append(rep)
        return rep

    for line in _lines(text):
        stripped = line.strip()
        if _END_RE.match(stripped):
            # what follows a closed report and opens none is no oops's (interleaved console
            # output): only text before any header is read without one
            cur = start("other", stripped)
            continue
        if _OOPS_START_RE.search(stripped) or stripped.startswith("[exception RIP:"):
            if not (cur and cur["kind"] == "oops" and stripped.startswith("[exception RIP:")):
                cur = start("oops", stripped)
        elif _OOPS_MORE_RE.search(stripped):
            if not cur or cur["kind"] != "oops":
                cur = start("oops", stripped)
        elif _OTHER_START_RE.search(stripped):
            cur = start("other", stripped)
        if cur is None:
            cur = start("none", None)
        cur["lines"].append(stripped)
        m = _fault(line)
        if m:
            cur["faults"].append((m.group("func"), m.group("off"), m.group("size"), stripped[:300]))
            continue
        f = _frame(line)
        if f:
            cur["frames"].append((f[0], f[1], stripped[:300]))
    return out


def _rip_text(func, off, size):
    return "%s+%s%s" % (func, off, "/%s" % size if size else "")


def _strong(func, off):
    try:
        return func == STRONG_FUNCTION and _offset(off) == STRONG_OFFSET
    except ValueError:
        return False


def _primary_hits(reps):
    """This bug's hits: the strong RIP, a tied faulting queue function, and the supporting
    signatures found on oops lines that count (header lines, faulting lines, reliable frames)."""
    sigs = dict((s["name"], (s, rx)) for _b, s, rx in catalog.compiled_signatures(BUG_NFQUEUE_GSO))
    funcs = dict(FUNCTIONS)
    out = []
    seen = set()

    def add(name, strength, rip, line):
        if name not in seen:
            seen.add(name)
            out.append({"signature": name, "rip": rip, "bug_id": BUG_NFQUEUE_GSO, "line": line[:300],
                        "strength": strength})

    for rep in reps:
        if rep["kind"] == "other":
            continue
        oops = rep["kind"] == "oops"
        reliable = [f for f in rep["frames"] if f[1]]
        path_frame = any(f[0] in QUEUE_PATH_FRAMES for f in reliable)
        for func, off, size, line in rep["faults"]:
            rip = _rip_text(func, off, size)
            if _strong(func, off):
                add("rip-nf_queue+0x98" if off.lower().startswith("0x") else "rip-nf_queue+152",
                    "strong", rip, line)
            elif oops and func in funcs and path_frame:
                add("rip-%s" % func, "rip", rip, line)
        if not oops:
            continue
        rip = _rip_text(*rep["faults"][0][:3]) if rep["faults"] else None
        counted = [rep["header"]] + [l for l in rep["lines"] if _OOPS_MORE_RE.search(l)]
        counted += [f[3] for f in rep["faults"]] + [f[2] for f in reliable]
        for name, (sig, rx) in sigs.items():
            if sig["strength"] != "supporting":
                continue
            line = next((l for l in counted if rx.search(l)), None)
            if line is not None:
                add(name, "supporting", rip, line)
    # the first strong/tied hit's RIP names the crash
    rip = next((h["rip"] for h in out if h["strength"] in ("strong", "rip")), None)
    for h in out:
        if rip and h["strength"] == "supporting":
            h["rip"] = rip
    return out


def scan(text):
    """Find crash signatures in oops / dmesg / crash ``bt`` text.

    Returns ``[{"signature", "rip", "bug_id", "line", "strength"}]``. For this bug (the
    catalog's primary row) only an oops counts, never a WARNING or another non-fatal report:

    * strength "strong": ``nf_queue+0x98`` (hex, as dmesg prints it) or ``nf_queue+152``
      (decimal, as crash prints it) on the faulting-instruction line (``RIP:``, ``IP:``,
      ``[exception RIP: ...]``, ``EIP is at``, ``PC is at``, ``NIP``, ``pc :``), with or
      without the ``/size`` part and the ``[<address>]`` prefixes;
    * strength "rip" (``signature`` ``rip-<function>``): the faulting instruction elsewhere in
      nf_queue / __nf_queue / nfqnl_enqueue_packet (another build) inside an oops that has a
      header and a reliable (not ``?``-marked) netfilter hook frame;
    * strength "supporting": the catalog's supporting signatures (the NULL-dereference header,
      the panic line, reliable frames of skb_gso_segment / __nf_queue / nfqnl_enqueue_packet)
      on the lines of an oops: alone they never tie a crash to this bug.

    Related catalog rows (the skb_warn_bad_offload warning, CVE-2022-36946, the skb_segment
    BUG) are matched on any line, as hints. ``rip`` is the faulting ``function+offset[/size]``
    as printed. Nothing raises on odd text (non-text gives ``[]``).
    """
    text = _to_text(text)
    if not text or not text.strip():
        return []
    out = _primary_hits(reports(text))
    rip = next((h["rip"] for h in out if h["rip"]), None)
    for m in catalog.match_signatures(text):
        if m["bug"] == BUG_NFQUEUE_GSO:
            continue
        out.append({"signature": m["name"], "rip": rip, "bug_id": m["bug"], "line": m["line"][:300],
                    "strength": m["strength"]})
    return out


def crashed_this_way(hits):
    """True when the hits tie a crash to the NFQUEUE/GSO panic: the nf_queue+0x98 / +152
    faulting instruction, or a fault elsewhere in the queue path of an oops with a reliable
    hook frame (supporting signatures alone, warnings and ``?`` frames never do)."""
    for h in hits or ():
        if (h.get("bug_id") == BUG_NFQUEUE_GSO and h.get("strength") in ("strong", "rip")
                and h.get("signature") not in GENERIC_SIGNATURES):
            return True
    return False


# ------------------------------------------------------------------------ last -x

_LAST_OPEN_RE = re.compile(
    r"^(?P<user>\S+)\s+(?P<tty>system boot|system down|\(to lvl \S+\)|\S+)\s+(?P<rest>.*?)\s+"
    r"(?P<end>still running|still logged in|gone - no logout)\s*$"
)
_LAST_RE = re.compile(
    r"^(?P<user>\S+)\s+(?P<tty>\(to lvl \S+\)|\S+(?:\s+boot|\s+down)?)\s+(?P<rest>.*?)"
    r"\s+-\s+(?P<end>crash|down|\S+)"
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
