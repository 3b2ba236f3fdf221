# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oops.py: crash signatures (catalog rows + faulting RIP) and `last -x` crash records."""

import os
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import catalog, oops

from conftest import REPO, SHARED, read_fixture, require_tool

SEED = os.path.join(SHARED, "seed", "000_7fb5fd307323d5e7.txt")
LAB_VMCORE = os.path.join(
    REPO, "lab", "images", "incident", "overlay", "usr", "local", "share", "kcrash-lab", "vmcore-dmesg.txt")
LAB_WTMP = os.path.join(REPO, "lab", "images", "incident", "overlay", "usr", "local", "share", "kcrash-lab",
                        "wtmp.utmpdump")


def _read(path):
    if not os.path.exists(path):
        pytest.fail("%s not present (the seed is in ../shared next to the checkout; the lab files are in the repo)"
                    % path)
    with open(path, encoding="utf-8") as f:
        return f.read()


def _sigs(hits):
    return set(h["signature"] for h in hits)


def test_seed_crash_bt_decimal_offset():
    hits = oops.scan(_read(SEED))
    assert "rip-nf_queue+152" in _sigs(hits)
    strong = [h for h in hits if h["signature"] == "rip-nf_queue+152"][0]
    assert strong["bug_id"] == catalog.PRIMARY
    assert strong["strength"] == "strong"
    assert strong["rip"] == "nf_queue+152"
    assert "null-deref" in _sigs(hits)
    assert oops.crashed_this_way(hits)


def test_lab_vmcore_dmesg_hex_offset():
    hits = oops.scan(_read(LAB_VMCORE))
    assert {"rip-nf_queue+0x98", "null-deref", "panic-in-interrupt"} <= _sigs(hits)
    assert all(h["rip"] == "nf_queue+0x98/0x1e0" for h in hits)
    assert oops.crashed_this_way(hits)
    # no rip-<func> duplicate when the catalog's strong offset already matched
    assert not [h for h in hits if h["strength"] == "rip"]


def test_only_the_grepped_lines_still_match():
    """The probe sends only lines containing oops.GREP_WORDS; the verdict must survive that."""
    text = _read(LAB_VMCORE)
    kept = "\n".join(l for l in text.splitlines() if any(w in l for w in oops.GREP_WORDS))
    assert len(kept) < len(text) / 2
    assert _sigs(oops.scan(kept)) == _sigs(oops.scan(text))


def test_other_build_offset_in_nfqnl_enqueue_packet():
    hits = oops.scan(read_fixture("oops", "el7_nfqnl_enqueue_reconstructed.txt"))
    rip = [h for h in hits if h["strength"] == "rip"]
    assert [h["signature"] for h in rip] == ["rip-nfqnl_enqueue_packet"]
    assert rip[0]["rip"] == "nfqnl_enqueue_packet+0x1a4/0x2f0"
    assert "frame-nfqnl_enqueue_packet" in _sigs(hits)
    assert oops.crashed_this_way(hits)


def test_bad_offload_warning_is_related_row_not_this_panic():
    hits = oops.scan(read_fixture("oops", "skb_warn_bad_offload_reconstructed.txt"))
    bugs = set(h["bug_id"] for h in hits)
    assert "skb-warn-bad-offload" in bugs
    assert catalog.PRIMARY not in bugs  # __skb_gso_segment is not the skb_gso_segment frame
    assert not oops.crashed_this_way(hits)


def test_unrelated_null_deref_not_tied():
    hits = oops.scan(read_fixture("oops", "unrelated_oops_reconstructed.txt"))
    assert _sigs(hits) == {"null-deref"}
    assert not oops.crashed_this_way(hits)


def test_real_dmesg_of_this_machine_has_no_false_positive():
    p = subprocess.run(["dmesg"], capture_output=True, check=False)
    if p.returncode != 0:
        pytest.skip("dmesg not readable here")
    assert not oops.crashed_this_way(oops.scan(p.stdout.decode("utf-8", "replace")))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=500), st.binary(max_size=200), st.none(), st.integers()))
def test_scan_never_raises(text):
    hits = oops.scan(text)
    assert isinstance(hits, list)
    assert isinstance(oops.parse_last(text), list)
    if not isinstance(text, (str, bytes)):
        assert hits == []
        return
    s = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    for h in hits:
        # every hit quotes a line of the text and names a known bug
        assert h["line"] and h["line"].strip()[:40] in s
        assert h["bug_id"] in catalog.bug_ids()
        assert h["strength"] in ("strong", "supporting", "rip")
    # the incident's oops appended to the text ties it to the panic (a bare RIP line is not
    # enough: after an open "WARNING:" it is the warning's, hypothesis found text="WARNING:")
    seeded = oops.scan(s + "\nBUG: unable to handle kernel NULL pointer dereference at (null)\n"
                       "RIP: 0010:[<ffffffff8147e6d8>]  [<ffffffff8147e6d8>] nf_queue+0x98/0x1e0\n")
    assert oops.crashed_this_way(seeded)


# ------------------------------------------------------------------ last -x

def test_real_last_x_on_lab_wtmp(tmp_path):
    require_tool("utmpdump", "util-linux")
    require_tool("last", "util-linux")
    wtmp = tmp_path / "wtmp"
    with open(LAB_WTMP, "rb") as src, open(wtmp, "wb") as dst:
        p = subprocess.run(["utmpdump", "-r"], stdin=src, stdout=dst, stderr=subprocess.DEVNULL, check=False)
    assert p.returncode == 0 and os.path.getsize(wtmp), "utmpdump -r could not rebuild the lab wtmp"
    out = subprocess.run(["last", "-x", "-f", str(wtmp)], capture_output=True, check=True).stdout.decode()
    recs = oops.parse_last(out)
    crashes = [r for r in recs if r["crash"]]
    assert len(crashes) == 1
    assert crashes[0]["user"] == "root" and crashes[0]["tty"] == "pts/0"
    assert "Oct 30 09:12" in crashes[0]["start"]
    assert any(r["user"] == "reboot" for r in recs)
    assert not any(r["crash"] for r in recs if r["user"] == "reboot")


def test_last_variants():
    text = (
        "root     pts/0        10.20.30.5       Mon Oct 30 09:12 - crash  (18:42)\n"
        "shutdown system down  3.10.0-1160.el7. Tue Jan  2 10:00 - 10:05  (00:05)\n"
        "alice    tty1                          Tue Jan  2 09:00 - down   (01:00)\n"
        "\nwtmp begins Tue Nov 22 23:37:58 2016\n"
    )
    recs = oops.parse_last(text)
    assert [r["crash"] for r in recs] == [True, False, False]
    assert recs[2]["end"] == "down"


# ------------------------------------------------- issue 13: matches and near misses
# Texts written in the kernel's own printk formats (reconstructed, not recordings): x86
# show_regs/dump_trace of el5 (2.6.18), el6 (2.6.32), el7 (3.10), 4.x+ (no addresses, "?" for
# unreliable frames), syzbot-style decoded traces, crash's bt, i386/arm/arm64 fault lines.

EL5_OOPS = """\
Unable to handle kernel NULL pointer dereference at 0000000000000000 RIP:\x20
 [<ffffffff8005c5f2>] nf_queue+0x98/0x1e0
PGD 0\x20
Oops: 0000 [1] SMP\x20
RIP: 0010:[<ffffffff8005c5f2>]  [<ffffffff8005c5f2>] nf_queue+0x98/0x1e0
Call Trace:
 <IRQ>  [<ffffffff80231a7c>] nf_hook_slow+0x58/0xbc
 [<ffffffff80236fe2>] ip_rcv+0x24c/0x5a0
Kernel panic - not syncing: Fatal exception
"""

EL7_STRONG = """\
[ 4242.101010] BUG: unable to handle kernel NULL pointer dereference at           (null)
[ 4242.101020] IP: [<ffffffff8155c0a8>] nf_queue+0x98
[ 4242.101030] Oops: 0000 [#1] SMP
[ 4242.101040] RIP: 0010:[<ffffffff8155c0a8>]  [<ffffffff8155c0a8>] nf_queue+0x98/0x2d0
[ 4242.101050] Call Trace:
[ 4242.101060]  <IRQ>
[ 4242.101070]  [<ffffffff81561c40>] nf_hook_slow+0xb0/0x110
[ 4242.101080] Kernel panic - not syncing: Fatal exception in interrupt
"""

MODERN_STRONG = """\
Oct 30 09:12:01 web7 kernel: BUG: kernel NULL pointer dereference, address: 0000000000000000
Oct 30 09:12:01 web7 kernel: Oops: 0000 [#1] SMP PTI
Oct 30 09:12:01 web7 kernel: RIP: 0010:nf_queue+0x98/0x2d0
Oct 30 09:12:01 web7 kernel: Call Trace:
Oct 30 09:12:01 web7 kernel:  <IRQ>
Oct 30 09:12:01 web7 kernel:  nf_hook_slow+0x40/0xb0
"""

MAIL_WRAPPED = """\
> [ 4242.101010] BUG: unable to handle kernel NULL pointer dereference at (null)
> [ 4242.101040] RIP:
> 0010:[<ffffffff81475718>]  [<ffffffff81475718>] nf_queue+0x98/0x1e0
> [ 4242.101050] Call Trace:
"""

MAIL_WRAPPED_MID = """\
> BUG: unable to handle kernel NULL pointer dereference at (null)
> RIP: 0010:[<ffffffff81475718>]  [<ffffffff81475718>]
>  nf_queue+0x98/0x1e0
"""

I386_EL5 = """\
BUG: unable to handle kernel NULL pointer dereference at virtual address 00000000
Oops: 0000 [#1]
EIP:    0060:[<c05ab123>]    Not tainted VLI
EIP is at nf_queue+0x98/0x1e0
 [<c05aa0b1>] nf_hook_slow+0x5d/0xb0
"""

ARM_OOPS = """\
Unable to handle kernel NULL pointer dereference at virtual address 00000000
Internal error: Oops: 17 [#1] SMP ARM
PC is at nf_queue+0x98/0x1e0
LR is at nf_hook_slow+0x58/0xbc
[<c02f8c2c>] (nf_queue+0x98/0x1e0) from [<c02f7a2c>] (nf_hook_slow+0x58/0xbc)
"""

ARM64_OOPS = """\
Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000
Internal error: Oops: 96000006 [#1] SMP
pc : nf_queue+0x98/0x2d0
lr : nf_hook_slow+0x58/0xbc
Call trace:
 nf_queue+0x98/0x2d0
 nf_hook_slow+0x58/0xbc
"""

# the near misses
WARNING_XMIT = """\
[ 8812.204511] ------------[ cut here ]------------
[ 8812.204530] WARNING: CPU: 3 PID: 0 at net/core/dev.c:3212 skb_warn_bad_offload+0xc4/0x110
[ 8812.204533] Modules linked in: nfnetlink_queue xt_NFQUEUE ixgbe
[ 8812.204534] CPU: 3 PID: 0 Comm: swapper/3 Not tainted 4.15.0-20-generic #21-Ubuntu
[ 8812.204535] RIP: 0010:skb_warn_bad_offload+0xc4/0x110
[ 8812.204560] Call Trace:
[ 8812.204561]  <IRQ>
[ 8812.204570]  ? skb_gso_segment+0x13/0x20
[ 8812.204571]  __skb_gso_segment+0xd0/0x140
[ 8812.204580]  validate_xmit_skb+0x1b3/0x2d0
[ 8812.204590]  ? dev_hard_start_xmit+0x9b/0x480
[ 8812.204591]  ? nf_hook_slow+0x44/0xc0
[ 8812.204600] ---[ end trace 5c7a9b3e8f1d2a4b ]---
"""

DECODED_WARNING = """\
------------[ cut here ]------------
WARNING: CPU: 1 PID: 5123 at net/core/dev.c:3300 skb_warn_bad_offload+0x1f0/0x2a0 net/core/dev.c:3300
RIP: 0010:skb_warn_bad_offload+0x1f0/0x2a0 net/core/dev.c:3300
Call Trace:
 <TASK>
 __skb_gso_segment+0x2e5/0x4d0 net/core/gso.c:127
 skb_gso_segment include/net/gso.h:83 [inline]
 validate_xmit_skb+0x2a4/0xe80 net/core/dev.c:3627
 nf_hook_slow+0x44/0xc0 net/netfilter/core.c:626
 </TASK>
"""

DECODED_OTHER_OOPS = """\
general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN
RIP: 0010:tcp_gso_segment+0x2f0/0x1660 net/ipv4/tcp_offload.c:95
Call Trace:
 <TASK>
 inet_gso_segment+0x55b/0x12f0 net/ipv4/af_inet.c:1413
 skb_mac_gso_segment+0x27c/0x5a0 net/core/gso.c:53
 skb_gso_segment include/net/gso.h:83 [inline]
 validate_xmit_skb+0x65d/0x1050 net/core/dev.c:3627
 </TASK>
"""

STALE_QUEUE_FRAMES = """\
[ 9001.000001] BUG: unable to handle kernel NULL pointer dereference at 0000000000000008
[ 9001.000002] IP: [<ffffffff8120c3a5>] ext4_da_write_begin+0x65/0x2e0
[ 9001.000003] Oops: 0000 [#1] SMP
[ 9001.000004] RIP: 0010:[<ffffffff8120c3a5>]  [<ffffffff8120c3a5>] ext4_da_write_begin+0x65/0x2e0
[ 9001.000005] Call Trace:
[ 9001.000006]  [<ffffffffc04a1234>] ? nfqnl_enqueue_packet+0x1a4/0x2f0 [nfnetlink_queue]
[ 9001.000007]  [<ffffffff81562a1b>] ? nf_queue+0x98/0x1f0
[ 9001.000008]  [<ffffffff81562a1b>] ? __nf_queue+0x12b/0x1f0
[ 9001.000009]  [<ffffffff81561c40>] ? nf_hook_slow+0xb0/0x110
[ 9001.000010]  [<ffffffff8115ad7e>] generic_perform_write+0xce/0x1d0
"""

RIP_ELSEWHERE_FRAME_098 = """\
BUG: unable to handle kernel NULL pointer dereference at 0000000000000010
Oops: 0000 [#1] SMP
RIP: 0010:nf_queue_entry_get_refs+0x14/0xe0
Call Trace:
 <IRQ>
 nf_queue+0x98/0x2d0
 nf_hook_slow+0x40/0xb0
"""

WEAK_NO_HEADER = """\
RIP: 0010:[<ffffffff8155c0f1>]  [<ffffffff8155c0f1>] nf_queue+0xe1/0x2d0
 [<ffffffff81561c40>] nf_hook_slow+0xb0/0x110
"""

WEAK_ONLY_UNRELIABLE = """\
BUG: unable to handle kernel NULL pointer dereference at (null)
RIP: 0010:[<ffffffff8155c0f1>]  [<ffffffff8155c0f1>] nf_queue+0xe1/0x2d0
 [<ffffffff81561c40>] ? nf_hook_slow+0xb0/0x110
"""

WEAK_TIED = """\
BUG: unable to handle kernel NULL pointer dereference at (null)
RIP: 0010:[<ffffffff8155c0f1>]  [<ffffffff8155c0f1>] nf_queue+0xe1/0x2d0
 [<ffffffff81561c40>] nf_hook_slow+0xb0/0x110
"""

STRONG_TEXTS = {
    "el5": EL5_OOPS, "el7": EL7_STRONG, "modern-syslog": MODERN_STRONG, "mail-wrapped": MAIL_WRAPPED,
    "mail-wrapped-mid": MAIL_WRAPPED_MID, "i386": I386_EL5, "arm": ARM_OOPS, "arm64": ARM64_OOPS,
}
NEAR_MISSES = {
    "warning-xmit": WARNING_XMIT, "decoded-warning": DECODED_WARNING, "decoded-other-oops": DECODED_OTHER_OOPS,
    "stale-queue-frames": STALE_QUEUE_FRAMES, "rip-elsewhere-frame-0x98": RIP_ELSEWHERE_FRAME_098,
    "weak-no-header": WEAK_NO_HEADER, "weak-only-unreliable": WEAK_ONLY_UNRELIABLE,
}


@pytest.mark.parametrize("name", sorted(STRONG_TEXTS))
def test_strong_on_the_faulting_line_in_every_format(name):
    hits = oops.scan(STRONG_TEXTS[name])
    strong = [h for h in hits if h["strength"] == "strong"]
    assert [h["signature"] for h in strong] == ["rip-nf_queue+0x98"], hits
    assert strong[0]["rip"].startswith("nf_queue+0x98")
    assert oops.crashed_this_way(hits)


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_near_misses_are_not_this_crash(name):
    hits = oops.scan(NEAR_MISSES[name])
    assert not oops.crashed_this_way(hits), hits
    assert not [h for h in hits if h["bug_id"] == catalog.PRIMARY and h["strength"] in ("strong", "rip")]


def test_warning_frames_are_not_reported_as_this_bug():
    """The WARNING's skb_gso_segment / nf_hook_slow frames are no signature of the primary
    row; the warning itself stays a hint of the related row."""
    hits = oops.scan(WARNING_XMIT)
    assert not [h for h in hits if h["bug_id"] == catalog.PRIMARY]
    assert "skb-warn-bad-offload" in set(h["bug_id"] for h in hits)


def test_rip_elsewhere_keeps_its_own_rip():
    hits = oops.scan(RIP_ELSEWHERE_FRAME_098)
    assert "rip-nf_queue+0x98" not in _sigs(hits)


def test_weak_match_needs_header_fault_and_reliable_frame():
    hits = oops.scan(WEAK_TIED)
    assert [h["signature"] for h in hits if h["strength"] == "rip"] == ["rip-nf_queue"]
    assert oops.crashed_this_way(hits)


def test_crash_decimal_offset_with_and_without_size():
    for rip in ("nf_queue+152", "nf_queue+152/480"):
        hits = oops.scan('      PANIC: "BUG: unable to handle kernel NULL pointer dereference at (null)"\n'
                         "    [exception RIP: %s]\n" % rip)
        assert "rip-nf_queue+152" in _sigs(hits), rip
        assert oops.crashed_this_way(hits)
    assert not oops.crashed_this_way(oops.scan("    [exception RIP: nf_queue+98]\n"))
    assert not oops.crashed_this_way(oops.scan("RIP: 0010:nf_queue+0x980/0x1b0\n"))


@pytest.mark.parametrize("name", sorted(STRONG_TEXTS) + ["weak-tied"])
def test_matches_survive_the_probe_grep(name):
    text = STRONG_TEXTS.get(name, WEAK_TIED)
    kept = "\n".join(l for l in text.splitlines() if any(w in l for w in oops.GREP_WORDS))
    assert oops.crashed_this_way(oops.scan(kept))


def test_seed_and_lab_still_strong_after_grep():
    for text in (_read(SEED), _read(LAB_VMCORE)):
        kept = "\n".join(l for l in text.splitlines() if any(w in l for w in oops.GREP_WORDS))
        assert [h for h in oops.scan(kept) if h["strength"] == "strong"]


# properties: adding "?" frames or warnings never turns a negative into a match

_FRAME_FUNCS = st.sampled_from(["nf_queue", "__nf_queue", "nfqnl_enqueue_packet", "nf_hook_slow",
                                "skb_gso_segment", "nf_reinject", "ip_rcv"])
_OFFS = st.sampled_from(["0x98", "0x12b", "152", "0x98/0x1e0", "0xb0/0x110"])


@st.composite
def _unreliable_frame(draw):
    addr = draw(st.sampled_from(["", "[<ffffffff81562a1b>] "]))
    return " %s? %s+%s" % (addr, draw(_FRAME_FUNCS), draw(_OFFS))


@st.composite
def _warning_block(draw):
    lines = ["------------[ cut here ]------------",
             draw(st.sampled_from([
                 "WARNING: at net/core/dev.c:1915 skb_warn_bad_offload+0x99/0xb0() (Not tainted)",
                 "WARNING: CPU: 3 PID: 0 at net/core/dev.c:3212 skb_warn_bad_offload+0xc4/0x110",
                 "WARNING: CPU: 0 PID: 1 at net/netfilter/nf_queue.c:120 nf_queue+0x98/0x2d0"]))]
    lines.append("RIP: 0010:%s+%s" % (draw(_FRAME_FUNCS), draw(_OFFS)))
    lines.append("Call Trace:")
    for dummy in range(draw(st.integers(0, 4))):
        lines.append(" %s%s+%s" % (draw(st.sampled_from(["", "? "])), draw(_FRAME_FUNCS), draw(_OFFS)))
    lines.append("---[ end trace 5c7a9b3e8f1d2a4b ]---")
    return lines


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(NEAR_MISSES) + ["unrelated", "empty"]),
       st.lists(st.tuples(st.integers(0, 40), st.one_of(_unreliable_frame().map(lambda l: [l]), _warning_block())),
                max_size=5))
def test_question_frames_and_warnings_never_make_a_match(base, inserts):
    if base == "unrelated":
        text = read_fixture("oops", "unrelated_oops_reconstructed.txt")
    elif base == "empty":
        text = ""
    else:
        text = NEAR_MISSES[base]
    lines = text.splitlines()
    assert not oops.crashed_this_way(oops.scan(text))
    for pos, new in inserts:
        pos = min(pos, len(lines))
        lines[pos:pos] = new
    assert not oops.crashed_this_way(oops.scan("\n".join(lines))), lines


def test_interleaved_warnings_leave_no_orphan_rip():
    """Found by the property above: a warning printed inside another (two CPUs) leaves the
    outer warning's RIP line after the inner '---[ end trace' line; it is still no oops."""
    w = ["------------[ cut here ]------------",
         "WARNING: at net/core/dev.c:1915 skb_warn_bad_offload+0x99/0xb0() (Not tainted)"]
    inner = w + ["RIP: 0010:nf_queue+0x98", "Call Trace:", "---[ end trace 5c7a9b3e8f1d2a4b ]---"]
    text = "\n".join(w + inner + ["RIP: 0010:nf_queue+0x98", "Call Trace:", "---[ end trace 5c7a9b3e8f1d2a4c ]---"])
    assert not oops.crashed_this_way(oops.scan(text))


# ------------------------------------------------- issue 17: mutation survivors of oops.py
# Real printk formats again: each case below is a report shape the kernel (or crash, or last)
# prints that no case above had.

# el6 2.6.32 nf_reinject path: a verdict re-queues the packet (NF_QUEUE verdict of another
# queue), nf_reinject() -> __nf_queue() faults; the only hook-path frame is nf_reinject.
EL6_REINJECT = """\
BUG: unable to handle kernel NULL pointer dereference at (null)
IP: [<ffffffff8147e5f1>] __nf_queue+0x61/0x230
PGD 0
Oops: 0000 [#1] SMP
RIP: 0010:[<ffffffff8147e5f1>]  [<ffffffff8147e5f1>] __nf_queue+0x61/0x230
Call Trace:
 [<ffffffff8147ec0b>] nf_reinject+0xbb/0x1c0
 [<ffffffffa03a1b4e>] nfqnl_recv_verdict+0x2ae/0x360 [nfnetlink_queue]
 [<ffffffff814750d0>] nfnetlink_rcv_msg+0x1e0/0x220
"""


def _weak_oops(fault, frame):
    """An el6-style oops faulting in ``fault`` (another build's offset) whose only hook-path
    frame is the reliable ``frame`` (the rest of the trace: the IP receive path)."""
    return ("BUG: unable to handle kernel NULL pointer dereference at (null)\n"
            "IP: [<ffffffff8147e5f1>] %s+0x61/0x230\n"
            "Oops: 0000 [#1] SMP\n"
            "RIP: 0010:[<ffffffff8147e5f1>]  [<ffffffff8147e5f1>] %s+0x61/0x230\n"
            "Call Trace:\n"
            " <IRQ>\n"
            " [<ffffffff8147ca40>] %s+0x70/0x120\n"
            " [<ffffffff81482c3a>] ip_rcv+0x27a/0x380\n"
            " [<ffffffff8144e1eb>] __netif_receive_skb+0x4ab/0x750\n" % (fault, fault, frame))


# (faulting function, the one reliable hook-path frame): nf_queue -> __nf_queue (2.6.32),
# __nf_queue -> nfqnl_enqueue_packet via the queue handler (3.10), nf_hook_thresh when gcc
# emits the inline out of line, and the reinject path
WEAK_PAIRS = [("__nf_queue", "nf_queue"), ("nfqnl_enqueue_packet", "__nf_queue"),
              ("nf_queue", "nf_hook_thresh"), ("__nf_queue", "nf_reinject"), ("nf_queue", "nf_hook_slow"),
              ("nfqnl_enqueue_packet", "nf_hook_slow")]


@pytest.mark.parametrize("fault, frame", WEAK_PAIRS)
def test_each_queue_function_and_hook_frame_ties_a_fault(fault, frame):
    hits = oops.scan(_weak_oops(fault, frame))
    rip = [h for h in hits if h["strength"] == "rip"]
    assert [(h["signature"], h["rip"]) for h in rip] == [("rip-%s" % fault, "%s+0x61/0x230" % fault)]
    assert oops.crashed_this_way(hits)
    # the same trace with the frame marked "?" (found on the stack) ties nothing
    unreliable = _weak_oops(fault, frame).replace("] %s+" % frame, "] ? %s+" % frame)
    assert not oops.crashed_this_way(oops.scan(unreliable))


def test_reinject_path_of_el6():
    hits = oops.scan(EL6_REINJECT)
    assert [h["signature"] for h in hits if h["strength"] != "supporting"] == ["rip-__nf_queue"]
    sup = [h for h in hits if h["strength"] == "supporting"]
    assert set(h["signature"] for h in sup) == {"null-deref", "frame-__nf_queue"}
    # a supporting hit carries the tied fault's RIP
    assert all(h["rip"] == "__nf_queue+0x61/0x230" for h in hits)
    assert oops.crashed_this_way(hits)


def test_arm64_fault_in_nfqnl_enqueue_packet_with_its_own_frame_only():
    """arm64's "Call trace:" starts with the faulting function itself; a log cut after it
    still has a reliable nfqnl_enqueue_packet frame."""
    text = ("Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000\n"
            "Internal error: Oops: 96000006 [#1] SMP\n"
            "pc : nfqnl_enqueue_packet+0x1a4/0x2f0 [nfnetlink_queue]\n"
            "lr : nfqnl_enqueue_packet+0x180/0x2f0 [nfnetlink_queue]\n"
            "Call trace:\n"
            " nfqnl_enqueue_packet+0x1a4/0x2f0 [nfnetlink_queue]\n")
    hits = oops.scan(text)
    assert [h["signature"] for h in hits if h["strength"] == "rip"] == ["rip-nfqnl_enqueue_packet"]
    assert oops.crashed_this_way(hits)


def test_crash_bt_fault_elsewhere_tied_by_its_frame():
    """crash's bt: ``#N [stack] function at address`` frames, decimal exception RIP."""
    text = """\
PID: 0      TASK: ffffffff81a8d020  CPU: 0   COMMAND: "swapper"
 #7 [ffff880028203b40] page_fault at ffffffff8150f345
    [exception RIP: nf_queue+225]
    RIP: ffffffff81475761  RSP: ffff880028203bf0  RFLAGS: 00010246
    RAX: 0000000000000000  RBX: ffff88061c1e4a80  RCX: 0000000000000000
 #8 [ffff880028203c60] nf_hook_slow at ffffffff81474800
 #9 [ffff880028203cb0] ip_rcv at ffffffff8147ec3a
"""
    hits = oops.scan(text)
    assert [(h["signature"], h["rip"]) for h in hits] == [("rip-nf_queue", "nf_queue+225")]
    assert oops.crashed_this_way(hits)
    assert not oops.crashed_this_way(oops.scan(text.replace(" #8 [ffff880028203c60] nf_hook_slow at ffffffff81474800\n",
                                                            "")))


# printk prefixes: the console level, journalctl's ISO timestamps, the caller id of 5.x+
PREFIXED = {
    "printk-level": "<1>BUG: unable to handle kernel NULL pointer dereference at (null)\n"
                    "<1>IP: [<ffffffff81475718>] nf_queue+0x98/0x1e0\n<4>Oops: 0000 [#1] SMP\n",
    "journal-iso": "2026-10-30T09:12:01.123456+0000 web7 kernel: BUG: kernel NULL pointer dereference, address: 0\n"
                   "2026-10-30T09:12:01.123460+0000 web7 kernel: RIP: 0010:nf_queue+0x98/0x2d0\n",
    "caller-id": "[ 4242.101010][    C2] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
                 "[ 4242.101040][    C2] RIP: 0010:nf_queue+0x98/0x2d0\n",
    "caller-id-task": "[ 4242.101010][ T1234] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
                      "[ 4242.101040][ T1234] RIP: 0010:nf_queue+0x98/0x2d0\n",
}


@pytest.mark.parametrize("name", sorted(PREFIXED))
def test_prefixes_are_not_kernel_text(name):
    hits = oops.scan(PREFIXED[name])
    strong = [h for h in hits if h["strength"] == "strong"]
    assert [h["signature"] for h in strong] == ["rip-nf_queue+0x98"]
    # the quoted line is the kernel's text, without the prefix
    assert strong[0]["line"].startswith("RIP: ") or strong[0]["line"].startswith("IP: ")


def test_report_header_line_is_quoted_without_prefix():
    reps = oops.reports(PREFIXED["caller-id"])
    assert [(r["kind"], r["header"]) for r in reps] == [
        ("oops", "BUG: kernel NULL pointer dereference, address: 0000000000000000")]


# other reports that print a RIP in nf_queue+0x98 without a crash there
SOFT_LOCKUP = """\
BUG: soft lockup - CPU#2 stuck for 67s! [swapper:0]
Modules linked in: xt_NFQUEUE nfnetlink_queue ixgbe
CPU 2
Pid: 0, comm: swapper Not tainted 2.6.32-358.el6.x86_64 #1 Dell Inc. PowerEdge R720
RIP: 0010:[<ffffffff81475718>]  [<ffffffff81475718>] nf_queue+0x98/0x1e0
Call Trace:
 <IRQ>
 [<ffffffff81474800>] nf_hook_slow+0x70/0x120
"""

RCU_STALL = """\
INFO: rcu_sched self-detected stall on CPU { 2}  (t=60000 jiffies g=123 c=122 q=0)
Pid: 0, comm: swapper/2 Not tainted 3.10.0-1160.el7.x86_64 #1
RIP: 0010:[<ffffffff8155c0a8>]  [<ffffffff8155c0a8>] nf_queue+0x98/0x2d0
Call Trace:
 <IRQ>
 [<ffffffff81561c40>] nf_hook_slow+0xb0/0x110
"""


@pytest.mark.parametrize("text", [SOFT_LOCKUP, RCU_STALL], ids=["soft-lockup", "rcu-stall"])
def test_lockups_and_stalls_are_no_oops(text):
    assert [r["kind"] for r in oops.reports(text)] == ["other"]
    hits = oops.scan(text)
    assert not [h for h in hits if h["bug_id"] == catalog.PRIMARY]
    assert not oops.crashed_this_way(hits)


def test_oops_after_a_closed_warning_counts():
    """A warning closed by its end-trace line, then a real oops: the oops is read."""
    text = WARNING_XMIT + EL7_STRONG
    assert [r["kind"] for r in oops.reports(text)][-1] == "oops"
    assert oops.crashed_this_way(oops.scan(text))


def test_rip_line_wrapped_before_the_offset():
    """A mail client cut the RIP line between the function and its ``+offset``."""
    text = ("> BUG: unable to handle kernel NULL pointer dereference at (null)\n"
            "> RIP: 0010:[<ffffffff81475718>]  [<ffffffff81475718>] nf_queue\n"
            "> +0x98/0x1e0\n")
    hits = oops.scan(text)
    assert [h["rip"] for h in hits if h["strength"] == "strong"] == ["nf_queue+0x98/0x1e0"]


# the related rows and every report line kind must survive the probe's grep -F
CVE_NFQNL_MANGLE = """\
BUG: KASAN: slab-out-of-bounds in nfqnl_mangle+0x2c0/0x360 [nfnetlink_queue]
Write of size 65535 at addr ffff888108fbae40 by task poc/1235
Call Trace:
 <TASK>
 nfqnl_mangle+0x2c0/0x360 [nfnetlink_queue]
 nfqnl_recv_verdict+0x3b1/0x5e0 [nfnetlink_queue]
 </TASK>
"""

SKB_SEGMENT_BUG = """\
------------[ cut here ]------------
kernel BUG at net/core/skbuff.c:3668!
invalid opcode: 0000 [#1] SMP PTI
RIP: 0010:skb_segment+0xeb3/0xf30
Call Trace:
 <IRQ>
 tcp_gso_segment+0xfe/0x4b0
 skb_mac_gso_segment+0xc3/0x170
 __skb_gso_segment+0xb5/0x1a0
 nfqnl_enqueue_packet+0x1c1/0x2f0 [nfnetlink_queue]
 nf_queue+0x1a6/0x2d0
 nf_hook_slow+0x40/0xb0
Kernel panic - not syncing: Fatal exception in interrupt
"""


def _hits_key(hits):
    return sorted((h["signature"], h["bug_id"], h["strength"], h["rip"], h["line"]) for h in hits)


@pytest.mark.parametrize("name", sorted(STRONG_TEXTS) + sorted(NEAR_MISSES) + sorted(PREFIXED) + [
    "weak-tied", "el6-reinject", "soft-lockup", "rcu-stall", "cve-nfqnl-mangle", "skb-segment-bug",
    "fixture-el7", "fixture-warning", "fixture-unrelated", "crash-panic"])
def test_every_report_survives_the_probe_grep(name):
    extra = {"weak-tied": WEAK_TIED, "el6-reinject": EL6_REINJECT, "soft-lockup": SOFT_LOCKUP,
             "rcu-stall": RCU_STALL, "cve-nfqnl-mangle": CVE_NFQNL_MANGLE, "skb-segment-bug": SKB_SEGMENT_BUG,
             "crash-panic": '      PANIC: "Oops: 0000 [#1] SMP " (check log for details)\n'
                            "    [exception RIP: nf_queue+152]\n",
             "fixture-el7": read_fixture("oops", "el7_nfqnl_enqueue_reconstructed.txt"),
             "fixture-warning": read_fixture("oops", "skb_warn_bad_offload_reconstructed.txt"),
             "fixture-unrelated": read_fixture("oops", "unrelated_oops_reconstructed.txt")}
    text = dict(STRONG_TEXTS, **dict(NEAR_MISSES, **dict(PREFIXED, **extra)))[name]
    kept = "\n".join(l for l in text.splitlines() if any(w in l for w in oops.GREP_WORDS))
    assert _hits_key(oops.scan(kept)) == _hits_key(oops.scan(text))
    assert ([(r["kind"], r["header"]) for r in oops.reports(kept)]
            == [(r["kind"], r["header"]) for r in oops.reports(text) if r["kind"] != "none" or r["faults"]])


def test_related_rows_are_reported():
    assert {"signature": "frame-nfqnl_mangle", "rip": None, "bug_id": "CVE-2022-36946", "strength": "supporting",
            "line": "BUG: KASAN: slab-out-of-bounds in nfqnl_mangle+0x2c0/0x360 [nfnetlink_queue]"} in oops.scan(
                CVE_NFQNL_MANGLE)
    hits = oops.scan(SKB_SEGMENT_BUG)
    related = [(h["signature"], h["rip"], h["line"]) for h in hits if h["bug_id"] == "skb_segment-gro-frag_list-bug"]
    assert related == [("bug-skbuff", "skb_segment+0xeb3/0xf30", "kernel BUG at net/core/skbuff.c:3668!"),
                       ("frame-skb_segment", "skb_segment+0xeb3/0xf30", "RIP: 0010:skb_segment+0xeb3/0xf30")]
    assert not oops.crashed_this_way(hits)


def test_rip_printed_after_another_cpus_oops_ended_is_not_that_oops():
    """CPU 1 opened a warning, CPU 0's oops (elsewhere) ran to its end-trace line, then CPU 1's
    RIP line came out: it belongs to no oops."""
    text = ("------------[ cut here ]------------\n"
            "WARNING: CPU: 1 PID: 0 at net/netfilter/nf_queue.c:120 nf_queue+0x98/0x2d0\n"
            + STALE_QUEUE_FRAMES
            + "[ 9001.000011] ---[ end trace 5c7a9b3e8f1d2a4b ]---\n"
            "[ 9001.000012] RIP: 0010:nf_queue+0x98/0x2d0\n"
            "[ 9001.000013]  nf_hook_slow+0x40/0xb0\n")
    assert [r["kind"] for r in oops.reports(text)] == ["other", "other", "oops", "other"]
    assert not oops.crashed_this_way(oops.scan(text))


def test_real_last_x_records_of_every_kind(tmp_path):
    """util-linux ``last -x`` over a wtmp made by ``utmpdump -r``: boots, run levels, a
    shutdown, a logout, a session ended by a shutdown, one ended by a crash, open sessions."""
    require_tool("utmpdump", "util-linux")
    require_tool("last", "util-linux")
    rec = "[%s] [%05d] [%-4s] [%-8s] [%-12s] [%-20s] [%-15s] [2017-10-%sT%s:00,000000+00:00]"
    k = "2.6.32-358.el6.x86_64"
    dump = "\n".join([
        rec % (2, 0, "~~", "reboot", "~", k, "0.0.0.0", "29", "08:00"),
        rec % (1, 20019, "~~", "runlevel", "~", k, "0.0.0.0", "29", "08:00"),
        rec % (7, 4711, "ts/0", "root", "pts/0", "10.20.30.5", "10.20.30.5", "29", "09:12"),
        rec % (8, 4711, "ts/0", "", "pts/0", "", "0.0.0.0", "29", "09:30"),
        rec % (7, 4712, "ts/1", "alice", "pts/1", "10.20.30.6", "10.20.30.6", "29", "10:00"),
        rec % (1, 0, "~~", "shutdown", "~~", k, "0.0.0.0", "29", "11:00"),
        rec % (2, 0, "~~", "reboot", "~", k, "0.0.0.0", "29", "11:02"),
        rec % (7, 4713, "ts/0", "bob", "pts/0", "10.20.30.7", "10.20.30.7", "30", "09:12"),
        rec % (2, 0, "~~", "reboot", "~", k, "0.0.0.0", "31", "03:55"),
        rec % (7, 99999, "ts/3", "dave", "pts/3", "10.20.30.9", "10.20.30.9", "31", "04:01"),
    ]) + "\n"
    wtmp = tmp_path / "wtmp"
    with open(wtmp, "wb") as dst:
        subprocess.run(["utmpdump", "-r"], input=dump.encode(), stdout=dst, stderr=subprocess.DEVNULL, check=True)
    out = subprocess.run(["last", "-x", "-f", str(wtmp)], capture_output=True, check=True).stdout.decode()
    got = [(r["user"], r["tty"], r["end"], r["crash"]) for r in oops.parse_last(out)]
    assert got == [
        ("dave", "pts/3", "gone - no logout", False),
        ("reboot", "system boot", "still running", False),
        ("bob", "pts/0", "crash", True),
        ("reboot", "system boot", "still running", False),
        ("shutdown", "system down", "11:02", False),
        ("alice", "pts/1", "down", False),
        ("root", "pts/0", "09:30", False),
        ("runlevel", "(to lvl 3)", "11:00", False),
        ("reboot", "system boot", "11:00", False),
    ], out
    recs = oops.parse_last(out)
    assert recs[0]["start"] == "10.20.30.9       Tue Oct 31 04:01"
    assert recs[2]["start"] == "10.20.30.7       Mon Oct 30 09:12"
    assert recs[2]["line"] == out.splitlines()[2].rstrip()


def test_last_crash_line_of_another_layout_is_kept():
    """``last -x -a`` (util-linux, the host in the last column): the column patterns miss the
    ``- crash`` record, it is still a crash record; ``btmp begins`` (lastb) is no record."""
    text = ("bob      pts/0        Mon Oct 30 09:12 - crash  (18:42)     10.20.30.7\n"
            "reboot   system boot  Sun Oct 29 11:02   still running      2.6.32-358.el6.x86_64\n"
            "\nbtmp begins Sun Oct 29 08:00:00 2017\n")
    recs = oops.parse_last(text)
    assert [(r["user"], r["tty"], r["end"], r["crash"]) for r in recs] == [("bob", None, "crash", True)]
    assert recs[0]["line"] == text.splitlines()[0]
    assert recs[0]["start"] is None
    assert oops.parse_last(text.encode())[0]["crash"]


def test_crash_bt_is_one_report_under_its_panic_line():
    """crash's ``sys`` PANIC line, then bt's exception frame: one oops, headed by the PANIC line."""
    text = ('      PANIC: "BUG: unable to handle kernel NULL pointer dereference at (null)"\n'
            " #7 [ffff880028203b40] page_fault at ffffffff8150f345\n"
            "    [exception RIP: nf_queue+152]\n"
            " #8 [ffff880028203c60] nf_hook_slow at ffffffff81474800\n")
    reps = oops.reports(text)
    assert [(r["kind"], r["header"]) for r in reps] == [
        ("oops", 'PANIC: "BUG: unable to handle kernel NULL pointer dereference at (null)"')]
    assert [f[:3] for f in reps[0]["faults"]] == [("nf_queue", "152", None)]
    assert [f[:2] for f in reps[0]["frames"]] == [("page_fault", True), ("nf_hook_slow", True)]


def test_oops_lines_stay_in_the_report_their_header_opened():
    """``Oops:`` after ``BUG: unable to handle ...`` continues that oops; text before any
    header is its own report of kind "none"."""
    assert [(r["kind"], r["header"]) for r in oops.reports(EL7_STRONG)] == [
        ("oops", "BUG: unable to handle kernel NULL pointer dereference at           (null)")]
    assert [(r["kind"], r["header"]) for r in oops.reports(WEAK_NO_HEADER)] == [("none", None)]


def test_panic_after_the_end_trace_carries_the_crash_rip():
    """el6/el7 print ``---[ end trace ]---`` and then the panic line: the panic line is its
    own report without a fault line, its supporting hit names the oops's faulting RIP."""
    text = EL7_STRONG.replace("[ 4242.101080] Kernel panic", "[ 4242.101075] ---[ end trace 5c7a9b3e8f1d2a4b ]---\n"
                              "[ 4242.101080] Kernel panic")
    hits = oops.scan(text)
    assert [(h["signature"], h["strength"], h["rip"]) for h in hits] == [
        ("rip-nf_queue+0x98", "strong", "nf_queue+0x98"),
        ("null-deref", "supporting", "nf_queue+0x98"),
        ("panic-in-interrupt", "supporting", "nf_queue+0x98"),
    ]
    assert hits[2]["line"] == "Kernel panic - not syncing: Fatal exception in interrupt"


def test_supporting_hit_of_another_oops_names_its_own_rip():
    hits = oops.scan(STALE_QUEUE_FRAMES)
    assert [(h["signature"], h["rip"]) for h in hits] == [("null-deref", "ext4_da_write_begin+0x65/0x2e0")]


def test_rip_cut_on_the_last_line_and_bytes_input():
    """A log that ends right after el5's ``... RIP: `` marker; bytes with a non-UTF-8 byte
    (a latin-1 host name in the syslog prefix)."""
    text = "Unable to handle kernel NULL pointer dereference at 0000000000000000 RIP: \n"
    assert [r["kind"] for r in oops.reports(text)] == ["oops"]
    assert oops.scan(text) == []
    raw = ("Oct 30 09:12:01 w\xe9b7 kernel: BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
           "Oct 30 09:12:01 w\xe9b7 kernel: RIP: 0010:nf_queue+0x98/0x2d0\n").encode("latin-1")
    hits = oops.scan(raw)
    assert [(h["signature"], h["line"]) for h in hits] == [("rip-nf_queue+0x98", "RIP: 0010:nf_queue+0x98/0x2d0")]


def test_wrapped_rip_line_then_the_hook_frame():
    """The wrapped faulting line is read once and the frame after it still counts."""
    text = ("> [ 4242.101010] BUG: unable to handle kernel NULL pointer dereference at (null)\n"
            "> [ 4242.101030] Oops: 0000 [#1] SMP\n"
            "> [ 4242.101035] PGD 0\n"
            "> [ 4242.101040] RIP: 0010:[<ffffffff8155c0f1>]  [<ffffffff8155c0f1>]\n"
            ">  nf_queue+0xe1/0x2d0\n"
            "> [ 4242.101070]  [<ffffffff81561c40>] nf_hook_slow+0xb0/0x110\n")
    reps = oops.reports(text)
    assert [len(r["lines"]) for r in reps] == [5]
    hits = oops.scan(text)
    assert [(h["signature"], h["rip"]) for h in hits if h["strength"] == "rip"] == [
        ("rip-nf_queue", "nf_queue+0xe1/0x2d0")]


def test_the_tied_fault_names_every_supporting_hit():
    """An earlier oops elsewhere (the host ran on after it), then the tied one: the tied
    fault's RIP names the crash on every supporting hit, the earlier oops's panic included."""
    earlier = STALE_QUEUE_FRAMES + "[ 9001.000011] ---[ end trace 5c7a9b3e8f1d2a4b ]---\n"
    tied = (WEAK_TIED + "---[ end trace 5c7a9b3e8f1d2a4c ]---\n"
            "Kernel panic - not syncing: Fatal exception in interrupt\n")
    hits = oops.scan(earlier + tied)
    assert [(h["signature"], h["strength"], h["rip"]) for h in hits] == [
        ("null-deref", "supporting", "nf_queue+0xe1/0x2d0"),
        ("rip-nf_queue", "rip", "nf_queue+0xe1/0x2d0"),
        ("panic-in-interrupt", "supporting", "nf_queue+0xe1/0x2d0"),
    ]
