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


# --- issue 17: mutation score of the verdict (scripts/mutation.sh plugins/module_utils/kernel.py) ---
# Release strings below are real `uname -r` values of each vendor's kernel packages (package
# name minus its prefix); the expected families follow the naming scheme each vendor documents:
# Ubuntu `<upstream>-<abi>-<flavour>`, Debian `<upstream>-<abi>-<flavour>` (backports
# `<upstream>-0.bpo.<n>-` / `-0.deb<release>.<n>-`), Red Hat `<version>-<release>.el<N>[_<minor>].<arch>`.

UBUNTU_RELEASES = [
    "5.15.0-1051-gcp", "5.15.0-1048-gke", "5.15.0-1032-gkeop", "5.15.0-1044-kvm",
    "5.15.0-1049-oracle", "5.15.0-1043-raspi", "4.15.0-1097-raspi2", "5.4.0-1058-raspi-nolpae",
    "3.2.0-126-virtual", "2.6.32-74-server", "3.13.0-170-generic-pae", "5.15.0-91-generic-lpae",
    "6.8.0-31-generic-64k", "5.15.0-1046-ibm", "5.15.0-1040-nvidia", "5.15.0-1040-nvidia-lowlatency",
    "6.1.0-1028-oem", "5.15.0-1045-intel-iotg", "5.15.0-1032-realtime", "5.4.0-1080-fips",
    "6.8.0-31-lowlatency-64k", "5.15.0-1025-xilinx-zynqmp", "5.4.0-1069-bluefield",
    "4.4.0-1128-snapdragon", "3.2.0-1430-omap4", "3.13.0-170-powerpc-smp",
    "3.13.0-170-powerpc64-smp",
]

DEBIAN_RELEASES = [
    "6.1.0-13-armmp", "6.1.0-13-armmp-lpae", "5.10.0-26-686", "6.1.0-13-s390x",
    "6.1.0-13-powerpc64le", "6.1.0-13-mips64r2el", "5.10.0-26-mips32r2el", "6.1.0-13-loongson-3",
    "6.1.0-13-octeon", "6.1.0-13-4kc-malta", "6.1.0-13-5kc-malta", "6.1.0-13-marvell",
    "6.1.0-13-rpi", "3.16.0-6-586", "2.6.26-2-486", "2.6.32-5-k7", "6.1.0-13-alpha-generic",
    "4.19.0-25-itanium", "6.1.0-13-parisc", "4.9.0-13-sparc64", "6.1.0-13-riscv64",
    "3.2.0-4-versatile", "3.16.0-6-kirkwood", "3.16.0-6-orion5x", "2.6.32-5-iop32x",
    "6.1.0-13-rt-amd64", "6.1.0-13-cloud-arm64",
]


@pytest.mark.parametrize("release", UBUNTU_RELEASES)
def test_each_ubuntu_flavour_is_ubuntu_without_os_release(release):
    assert kernel_family(release) == "ubuntu"


@pytest.mark.parametrize("release", DEBIAN_RELEASES)
def test_each_debian_flavour_is_debian_without_os_release(release):
    assert kernel_family(release) == "debian"


def test_debian_backport_abi_is_debian_whatever_the_flavour():
    # the ABI part alone (0.bpo.N / 0.debNN.N) says Debian backport; a flavour the tables do not
    # know must not turn it into upstream
    for rel in ("5.10.0-0.deb10.16-newflavour", "4.19.0-0.bpo.9-newflavour"):
        assert kernel_family(rel) == "debian", rel
    # an ABI starting with 0. that is neither deb nor bpo says nothing
    assert kernel_family("5.10.0-0.custom1-newflavour") == "upstream"
    # Ubuntu ABIs are plain numbers: an unknown flavour stays upstream
    assert kernel_family("5.15.0-91-newflavour") == "upstream"


def test_os_release_id_like_forms():
    # os-release ID_LIKE is a space-separated list; facts gatherers may hand it over as a list
    assert kernel_family("5.15.0-91-custom", {"ID": "pop", "ID_LIKE": "ubuntu debian"}) == "ubuntu"
    assert kernel_family("5.15.0-91-custom", {"id": "pop", "id_like": ["ubuntu", "debian"]}) == "ubuntu"
    assert kernel_family("5.15.0-91-custom", {"id": "elementary", "id_like": ("ubuntu",)}) == "ubuntu"
    assert kernel_family("5.15.0-91-custom", {"id": "Ubuntu"}) == "ubuntu"
    assert kernel_family("5.15.0-91-custom", {"id": "kali", "id_like": "Debian"}) == "upstream"
    # a Red Hat release is judged from its name whatever os-release says
    assert kernel_family("3.10.0-1160.el7.x86_64", {"id": "ubuntu"}) == "el7"


@pytest.mark.parametrize("release,variant", [
    ("3.10.0-1160.rt56.1131.el7.x86_64", "rt"),
    ("5.14.0-427.13.1.el9_4.x86_64+rt", "rt"),
    ("5.14.0-427.13.1.el9_4.x86_64+rt-debug", "rt+debug"),
    ("3.10.0-1160.119.1.el7.x86_64.debug", "debug"),
    ("4.18.0-305.el8.x86_64+debug", "debug"),
    ("2.6.18-398.el5debug", "debug"),
    ("2.6.32-754.35.1.el6.centos.plus.x86_64", "centos.plus"),
    ("2.6.18-398.el5xen", "xen"),
    ("2.6.18-419.el5PAE", "PAE"),
    ("2.6.18-419.el5kdump", "kdump"),
    ("2.6.32-358.el6.x86_64", None),
    ("4.14.35-2047.518.4.3.el7uek.x86_64", "uek"),
    ("4.14.0-115.el7a.aarch64", "el7a"),
    ("5.4.268-1.el7.elrepo.x86_64", "el7-non-rhel-base"),   # ELRepo kernel-lt
    ("6.5.6-300.fc39.x86_64", "fedora"),
    ("6.6.7", None),
    ("5.15.0-91-generic", None),
])
def test_variant(release, variant):
    assert kernel_verdict(release)["variant"] == variant


@pytest.mark.parametrize("release", [
    "2.6.32-358.el6.x86_64", "2.6.32-358.el6.i686", "2.6.32-358.el6.ppc64", "2.6.32-358.el6.s390x",
    "2.6.32-358.el6", "2.6.32-358.el6.x86_64.debug",
])
def test_examined_el6_release_is_confirmed_on_every_arch(release):
    # the seed's 2.6.32-358.el6 source is the same for every architecture's build
    v = kernel_verdict(release)
    assert v["code_vulnerable"] is True and v["confidence"] == "confirmed", release
    assert "NULL check absent" in v["evidence"][0]["note"] and v["evidence"][0]["confirmed"] is True


@pytest.mark.parametrize("release", [
    "3.10.0-1160.el7.x86_64", "3.10.0-1160.el7.ppc64le", "3.10.0-1160.el7.ppc64",
    "3.10.0-1160.el7.s390x", "3.10.0-1160.el7.aarch64", "3.10.0-1160.el7.x86_64.debug",
])
def test_examined_el7_release_is_confirmed_on_every_arch(release):
    v = kernel_verdict(release)
    assert v["code_vulnerable"] is False and v["confidence"] == "confirmed", release
    assert v["evidence"][0]["note"].endswith("NULL check present")
    assert v["fixed_by"] == "3.10.0-1160.el7"


def test_el6_reason_and_evidence():
    v = kernel_verdict("2.6.32-754.35.1.el6.x86_64")
    assert v["fixed_by"] is None
    assert "2.6.32-*.el6" in v["reason"] and "nf_queue()" in v["reason"]
    # not an examined release: only the catalog's (FACTS.md) evidence
    assert not any(e["note"].startswith("this release's source was examined") for e in v["evidence"])


def test_el7_reasons_name_the_fixed_release():
    assert "3.10.0-1160.el7" in kernel_verdict("3.10.0-1160.119.1.el7.x86_64")["reason"]
    assert "IS_ERR_OR_NULL" in kernel_verdict("3.10.0-1160.119.1.el7.x86_64")["reason"]
    below = kernel_verdict("3.10.0-1127.19.1.el7.x86_64")
    assert "below 3.10.0-1160.el7" in below["reason"] and "unknown" in below["reason"]


@pytest.mark.parametrize("release,fam,base", [
    ("4.18.0-305.3.1.el8_4.x86_64", "el8", "4.18.0"), ("5.14.0-70.13.1.el9_0.x86_64", "el9", "5.14.0")])
def test_el8_el9_inferred_from_el7_and_upstream(release, fam, base):
    v = kernel_verdict(release)
    assert (v["family"], v["code_vulnerable"], v["confidence"]) == (fam, False, "inferred")
    assert v["fixed_by"] is None
    assert fam in v["reason"] and "3.10.0-1160.el7" in v["reason"] and base in v["reason"]
    assert "no %s tree was read" % fam in v["reason"]


def test_el5_unknown_with_reason():
    v = kernel_verdict("2.6.18-398.el5")
    assert (v["code_vulnerable"], v["confidence"]) == (None, "unknown")
    assert "no el5 kernel source was examined" == v["reason"]
    assert v["fixed_by"] is None and v["evidence"]


def test_upstream_boundary_is_4_10():
    # catalog: upstream fixed_in 4.10 (commit 330966e501ff, believed, unconfirmed)
    at = kernel_verdict("4.10.0")
    assert (at["code_vulnerable"], at["confidence"]) == (False, "inferred")
    assert "4.10" in at["reason"] and "330966e501ff" in at["reason"] and "unconfirmed" in at["reason"]
    assert at["fixed_by"] is None  # no upstream fix is documented with evidence
    below = kernel_verdict("4.9.337")
    assert (below["code_vulnerable"], below["confidence"]) == (None, "unknown")
    assert "4.9" in below["reason"] and "before upstream 4.10" in below["reason"]
    assert kernel_verdict("5.0.21")["code_vulnerable"] is False
    assert kernel_verdict("3.18.140")["code_vulnerable"] is None


def test_upstream_reason_names_the_lineage():
    assert kernel_verdict("6.1.0-13-amd64")["reason"].startswith("Debian kernel based on upstream 6.1")
    assert kernel_verdict("5.15.0-91-generic")["reason"].startswith("Ubuntu kernel based on upstream 5.15")
    assert kernel_verdict("6.6.7")["reason"].startswith("upstream-lineage kernel 6.6")
    assert kernel_verdict("4.4.0-210-generic")["reason"].startswith("Ubuntu kernel based on upstream 4.4,")


def test_two_part_release():
    v = kernel_verdict("4.9-rc1")
    assert v["upstream_base"] == "4.9.0" and v["family"] == "upstream" and v["code_vulnerable"] is None
    assert kernel_verdict("4.10-rc1")["code_vulnerable"] is False


def test_unparseable_release_is_unknown_not_lower():
    v = kernel_verdict("linux-custom")
    assert v["family"] is None and v["code_vulnerable"] is None and v["confidence"] == "unknown"
    assert "linux-custom" in v["reason"] and v["evidence"] == [] and v["fixed_by"] is None
    assert upstream_base(None) is None and upstream_base("6.6.7") == "6.6.7"


def test_installed_package_names_of_each_distro():
    v = kernel_verdict("2.6.32-358.el6.x86_64", installed_kernels=[
        "kernel-uek-4.14.35-2047.518.4.3.el7uek.x86_64", "kernel-core-4.18.0-305.el8.x86_64",
        "linux-image-unsigned-5.15.0-91-generic", "  kernel-2.6.32-754.el6.x86_64\n",
        {"name": "kernel-3.10.0-1160.el7.x86_64"}, {"release": "", "name": "linux-image-6.1.0-13-amd64"},
        {}, None])
    got = [(i["release"], i["family"], i["code_vulnerable"], i["confidence"]) for i in v["installed"]]
    assert got == [
        ("4.14.35-2047.518.4.3.el7uek.x86_64", "upstream", False, "inferred"),
        ("4.18.0-305.el8.x86_64", "el8", False, "inferred"),
        ("5.15.0-91-generic", "ubuntu", False, "inferred"),
        ("2.6.32-754.el6.x86_64", "el6", True, "inferred"),
        ("3.10.0-1160.el7.x86_64", "el7", False, "confirmed"),
        ("6.1.0-13-amd64", "debian", False, "inferred"),
    ]
    assert v["fixed_installed"] == ["4.14.35-2047.518.4.3.el7uek.x86_64", "4.18.0-305.el8.x86_64",
                                    "5.15.0-91-generic", "3.10.0-1160.el7.x86_64", "6.1.0-13-amd64"]


def test_running_fixed_kernel_is_not_listed_as_fixed_installed():
    v = kernel_verdict("3.10.0-1160.el7.x86_64", installed_kernels=["kernel-3.10.0-1160.el7.x86_64"])
    assert v["installed"][0]["code_vulnerable"] is False and v["fixed_installed"] == []


def test_installed_kernels_use_os_release():
    v = kernel_verdict("5.15.0-91-custom", {"id": "ubuntu"}, installed_kernels=["linux-image-5.15.0-92-custom"])
    assert v["family"] == "ubuntu" and v["installed"][0]["family"] == "ubuntu"


def test_families_are_the_documented_ones():
    # the module doc's table: every family a release can get, and nothing else
    assert set(FAMILIES) == {"el5", "el6", "el7", "el8", "el9", "debian", "ubuntu", "upstream"}
    assert {kernel_family(r) for r, _f in FAMILY_CASES} - {None} == set(FAMILIES)


def test_bad_release_error_names_the_value():
    with pytest.raises(KcrashInputError) as e:
        kernel_verdict("$(reboot)")
    assert str(e.value) == "invalid value for kernel release: '$(reboot)' does not look like a `uname -r` string"


def test_elrepo_kernel_with_el_tag_is_upstream_code():
    # ELRepo's kernel-lt / kernel-ml carry an el dist tag on an upstream base
    for rel, cv in (("5.4.268-1.el7.elrepo.x86_64", False), ("6.6.8-1.el8.elrepo.x86_64", False),
                    ("4.4.0-1.el6.elrepo.x86_64", None)):  # 4.4 < 4.10: unknown
        v = kernel_verdict(rel)
        assert v["family"] == "upstream" and v["variant"] == "el%s-non-rhel-base" % rel.split(".el")[1][0]
        assert v["code_vulnerable"] is cv, rel
        assert v["reason"].startswith("upstream-lineage kernel"), rel


def test_evidence_carries_the_catalog_notes():
    # catalog.py (from FACTS.md): the el6 row's evidence note; the unparseable release's reason
    v = kernel_verdict("2.6.32-754.35.1.el6.x86_64")
    assert any(e["note"].startswith("the NULL check is absent in every el6 tree examined") for e in v["evidence"])
    assert all(e["note"] for e in v["evidence"])
    assert kernel_verdict("linux-custom")["reason"] == "unrecognised kernel release 'linux-custom'"


def test_reasons_word_for_word():
    # the reason is what reports print to people (tests/unit/fixtures/report/*.json); each states
    # the catalog's facts: el6 all lack the check, el7 3.10.0-1160 has it, upstream 4.10 believed
    assert kernel_verdict("2.6.32-754.35.1.el6.x86_64")["reason"] == (
        "every 2.6.32-*.el6 kernel lacks the NULL check in nf_queue() "
        "(examined trees all lack it; no el6 erratum fixing it is known)")
    assert kernel_verdict("3.10.0-1160.119.1.el7.x86_64")["reason"] == (
        "at or above 3.10.0-1160.el7, the el7 release whose source has IS_ERR_OR_NULL(segs)")
    assert kernel_verdict("3.10.0-1127.19.1.el7.x86_64")["reason"] == (
        "below 3.10.0-1160.el7; the first el7 release with the NULL check is unknown")
    assert kernel_verdict("6.18.44")["reason"] == (
        "upstream-lineage kernel 6.18, after upstream 4.10 where the NULL-robust error handling (believed "
        "to be 330966e501ff, unconfirmed) is present; examined 4.9- and 4.18-based trees check "
        "IS_ERR_OR_NULL(segs)")
    assert kernel_verdict("4.9.337")["reason"] == (
        "upstream-lineage kernel 4.9, before upstream 4.10 (believed fix 330966e501ff, unconfirmed); "
        "no tree of this version was examined")


def test_result_names_the_release_and_skips_only_bad_installed_items():
    v = kernel_verdict("2.6.32-358.el6.x86_64", installed_kernels=[
        "", "junk$(x)", None, "kernel-3.10.0-1160.el7.x86_64"])
    assert v["release"] == "2.6.32-358.el6.x86_64"
    assert [i["release"] for i in v["installed"]] == ["3.10.0-1160.el7.x86_64"]
    assert v["fixed_installed"] == ["3.10.0-1160.el7.x86_64"]


# --- end of issue 17 block ---
