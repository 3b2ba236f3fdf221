# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import pytest
from hypothesis import given, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel import (
    kernel_family, kernel_verdict, upstream_base, FAMILIES)
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError

FAMILY_CASES = [
    ("2.6.18-398.el5", "el5"), ("2.6.18-398.el5xen", "el5"), ("2.6.18-419.el5PAE", "el5"),
    ("2.6.32-358.el6.x86_64", "el6"), ("2.6.32-754.35.1.el6.x86_64", "el6"),
    ("2.6.32-220.el6.i686", "el6"), ("2.6.32-754.35.1.el6.centos.plus.x86_64", "el6"),
    ("3.10.0-1160.el7.x86_64", "el7"), ("3.10.0-123.el7.x86_64", "el7"),
    ("3.10.0-1160.rt56.1131.el7.x86_64", "el7"), ("3.10.0-1160.119.1.el7.x86_64.debug", "el7"),
    ("4.18.0-305.3.1.el8_4.x86_64", "el8"), ("4.18.0-513.5.1.el8_9.aarch64", "el8"),
    ("4.18.0-305.el8.x86_64+debug", "el8"),
    ("5.14.0-70.13.1.el9_0.x86_64", "el9"), ("5.14.0-362.8.1.el9_3.x86_64+debug", "el9"),
    ("5.10.0-23-amd64", "debian"), ("6.1.0-13-amd64", "debian"), ("6.1.0-13-cloud-amd64", "debian"),
    ("4.19.0-25-686-pae", "debian"), ("3.2.0-4-amd64", "debian"), ("5.10.0-0.deb10.16-amd64", "debian"),
    ("4.19.0-0.bpo.9-amd64", "debian"), ("6.1.0-18-arm64", "debian"),
    ("5.15.0-91-generic", "ubuntu"), ("4.15.0-213-generic", "ubuntu"), ("5.4.0-1103-aws", "ubuntu"),
    ("6.8.0-31-lowlatency", "ubuntu"), ("5.15.0-1050-azure", "ubuntu"),
    ("6.6.7", "upstream"), ("6.5.6-300.fc39.x86_64", "upstream"), ("5.14.21-150500.55.39-default", "upstream"),
    ("4.14.35-2047.518.4.3.el7uek.x86_64", "upstream"), ("2.6.39-400.el6uek.x86_64", "upstream"),
    ("5.4.17-2136.el8uek.x86_64", "upstream"), ("4.14.0-115.el7a.aarch64", "upstream"),
    ("6.5.11-7-pve", "upstream"), ("6.8.0-rc1", "upstream"), ("5.15.0", "upstream"),
    ("", None), ("el6", None), ("x86_64", None), ("2.6.32-358.el6.x86_64; rm -rf /", None),
]


@pytest.mark.parametrize("release,family", FAMILY_CASES)
def test_kernel_family(release, family):
    assert kernel_family(release) == family


def test_os_info_decides_ambiguous_debian_ubuntu():
    assert kernel_family("5.15.0-91-custom", {"id": "ubuntu"}) == "ubuntu"
    assert kernel_family("5.15.0-91-custom", {"ID": "debian"}) == "debian"
    assert kernel_family("5.15.0-91-custom", {"id": "linuxmint", "id_like": "ubuntu debian"}) == "ubuntu"
    assert kernel_family("5.15.0-91-custom") == "upstream"


def test_el6_is_code_vulnerable_and_has_no_fix():
    v = kernel_verdict("2.6.32-358.el6.x86_64")
    assert v["family"] == "el6" and v["code_vulnerable"] is True and v["fixed_by"] is None
    assert v["confidence"] == "confirmed"  # the seed printed this tree's source
    assert v["bug"] == "el6-nf_queue-gso-null"
    assert all({"source", "confirmed", "note"} <= set(e) for e in v["evidence"])
    later = kernel_verdict("2.6.32-754.35.1.el6.x86_64")
    assert later["code_vulnerable"] is True and later["confidence"] == "inferred"


def test_el7_fixed_by_and_unknown_below():
    assert kernel_verdict("3.10.0-1160.el7.x86_64")["code_vulnerable"] is False
    assert kernel_verdict("3.10.0-1160.el7.x86_64")["confidence"] == "confirmed"
    v = kernel_verdict("3.10.0-1160.119.1.el7.x86_64")
    assert v["code_vulnerable"] is False and v["confidence"] == "inferred"
    below = kernel_verdict("3.10.0-1127.19.1.el7.x86_64")
    assert below["code_vulnerable"] is None and below["confidence"] == "unknown"
    assert below["fixed_by"] == "3.10.0-1160.el7"


def test_upstream_lineage():
    for rel in ("6.1.0-13-amd64", "5.15.0-91-generic", "6.6.7", "4.18.0-305.el8.x86_64"):
        v = kernel_verdict(rel)
        assert v["code_vulnerable"] is False and v["confidence"] == "inferred", rel
        assert not any(e["confirmed"] and "330966e501ff" in e["note"] for e in v["evidence"])
    for rel in ("3.16.0-6-amd64", "4.4.0-210-generic", "3.10.108"):
        v = kernel_verdict(rel)
        assert v["code_vulnerable"] is None and v["confidence"] == "unknown", rel
    assert kernel_verdict("2.6.18-398.el5")["code_vulnerable"] is None


def test_installed_kernels_and_pending_fix():
    v = kernel_verdict("3.10.0-957.el7.x86_64", installed_kernels=[
        "kernel-3.10.0-957.el7.x86_64", "kernel-3.10.0-1160.119.1.el7.x86_64", "junk$(x)", ""])
    assert [i["release"] for i in v["installed"]] == ["3.10.0-957.el7.x86_64", "3.10.0-1160.119.1.el7.x86_64"]
    assert v["fixed_installed"] == ["3.10.0-1160.119.1.el7.x86_64"]
    d = kernel_verdict("5.10.0-23-amd64", installed_kernels=[{"release": "linux-image-6.1.0-13-amd64"}])
    assert d["installed"][0]["release"] == "6.1.0-13-amd64"


def test_bad_release_raises_input_error():
    for bad in ("", None, "a b", "$(reboot)", "x" * 200):
        with pytest.raises(KcrashInputError):
            kernel_verdict(bad)


def test_upstream_base():
    assert upstream_base("2.6.32-358.el6.x86_64") == "2.6.32"
    assert upstream_base("6.8-rc1") == "6.8.0"
    assert upstream_base("abc") is None


@given(st.text(max_size=60))
def test_family_never_raises(text):
    assert kernel_family(text) in FAMILIES + (None,)
    try:
        v = kernel_verdict(text)
    except KcrashInputError:
        return
    assert v["code_vulnerable"] in (True, False, None)
