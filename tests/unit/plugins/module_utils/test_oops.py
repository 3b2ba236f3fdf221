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
    # the incident's faulting RIP added anywhere in the text ties it to the panic
    seeded = oops.scan(s + "\nRIP: 0010:[<ffffffff8147e6d8>]  [<ffffffff8147e6d8>] nf_queue+0x98/0x1e0\n")
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
