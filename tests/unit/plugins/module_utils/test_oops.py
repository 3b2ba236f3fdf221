"""oops.py: crash signatures (catalog rows + faulting RIP) and `last -x` crash records."""

import os
import shutil
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import catalog, oops

from conftest import REPO, SHARED, read_fixture

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
    if not shutil.which("utmpdump") or not shutil.which("last"):
        pytest.skip("utmpdump/last not installed")
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
