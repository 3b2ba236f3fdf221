# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kernel release -> family and verdict for the nf_queue GSO NULL panic. Pure, no I/O.

``kernel_family(release)`` reads a ``uname -r`` string:

============================================  ==========
``2.6.18-398.el5``, ``2.6.18-398.el5xen``     ``el5``
``2.6.32-358.el6.x86_64``                     ``el6``
``3.10.0-1160.el7.x86_64``                    ``el7``
``4.18.0-305.3.1.el8_4.x86_64``               ``el8``
``5.14.0-70.13.1.el9_0.x86_64``               ``el9``
``5.10.0-23-amd64``, ``6.1.0-13-cloud-amd64`` ``debian``
``5.15.0-91-generic``, ``5.4.0-1103-aws``     ``ubuntu``
``6.6.7``, ``6.5.6-300.fc39.x86_64``,         ``upstream``
``4.14.35-2047.518.4.3.el7uek.x86_64`` (UEK)
anything else                                 ``None``
============================================  ==========

A Red Hat dist tag only makes an ``elN`` family when the base version is that family's
kernel (2.6.18 / 2.6.32 / 3.10.0 / 4.18.0 / 5.14.0); UEK (``elNuek``) and the el7 "alt"
kernels (``el7a``, 4.x) are upstream-based code and are judged as ``upstream``.

``kernel_verdict()`` decides from the catalog (catalog.py) only; see docs/kernel.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import catalog
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.versions import rpm_evr_compare

FAMILIES = ("el5", "el6", "el7", "el8", "el9", "debian", "ubuntu", "upstream")

RELEASE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+~:-]{0,127}\Z")
_BASE_RE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")
_EL_RE = re.compile(r"\.el(\d+)(?:_(\d+))?(uek|a)?(?=$|[._+])")
_EL5_FLAVOR_RE = re.compile(r"\.el5(xen|PAE|debug|kdump)$")
_ARCH_RE = re.compile(
    r"\.(x86_64|i[3-6]86|athlon|ia64|ppc64le|ppc64|ppc64p7|ppc|s390x|s390|aarch64|armv7hl|noarch)"
    r"(?:\.debug|\+debug|\+rt|\+64k|\+64k-debug|\+rt-debug)?$"
)
_EL_BASES = {"5": "2.6.18", "6": "2.6.32", "7": "3.10.0", "8": "4.18.0", "9": "5.14.0"}
_DEBIAN_ARCH = (
    "amd64", "arm64", "armmp", "armmp-lpae", "686", "686-pae", "i386", "s390x", "ppc64el",
    "ppc64", "powerpc64le", "mips64r2el", "mips32r2el", "loongson-3", "octeon", "4kc-malta",
    "5kc-malta", "marvell", "rpi", "armel", "armhf", "486", "586", "k7", "alpha-generic",
    "itanium", "parisc", "sparc64", "riscv64", "versatile", "kirkwood", "orion5x", "iop32x",
)
_UBUNTU_FLAVORS = (
    "generic", "lowlatency", "aws", "azure", "gcp", "gke", "gkeop", "kvm", "oracle", "raspi",
    "raspi2", "raspi-nolpae", "virtual", "server", "generic-pae", "generic-lpae", "generic-64k",
    "ibm", "nvidia", "nvidia-lowlatency", "oem", "intel-iotg", "realtime", "fips", "lowlatency-64k",
    "xilinx-zynqmp", "bluefield", "snapdragon", "omap4", "powerpc-smp", "powerpc64-smp", "emb",
)
_DEB_UBU_RE = re.compile(r"^(\d+\.\d+\.\d+)-(\d+|0\.[A-Za-z0-9.]+)-([a-z0-9][a-z0-9-]*)$")


def validate_release(release):
    if not isinstance(release, str) or not RELEASE_RE.match(release):
        raise KcrashInputError("kernel release", "%r does not look like a `uname -r` string" % (release,))
    return release


def _os_id(os_info):
    if not os_info:
        return None, ""
    ident = (os_info.get("id") or os_info.get("ID") or "").lower()
    like = (os_info.get("id_like") or os_info.get("ID_LIKE") or "")
    if isinstance(like, (list, tuple)):
        like = " ".join(like)
    return ident, like.lower()


def _parse(release, os_info=None):
    """Dict: family, variant, base (tuple), evr (rpm families) or None family."""
    out = {"family": None, "variant": None, "base": None, "evr": None}
    m = _BASE_RE.match(release)
    if not m:
        return out
    out["base"] = tuple(int(x) for x in m.groups() if x is not None)
    if len(out["base"]) == 2:
        out["base"] = out["base"] + (0,)
    base_text = "%d.%d.%d" % out["base"]

    em = _EL_RE.search(release)
    if em is None and _EL5_FLAVOR_RE.search(release):
        em = re.search(r"\.el(5)()()", release)
    if em:
        major, suffix = em.group(1), em.group(3)
        if suffix == "uek":
            out["family"] = "upstream"
            out["variant"] = "uek"
            return out
        if suffix == "a":
            out["family"] = "upstream"
            out["variant"] = "el%sa" % major
            return out
        if _EL_BASES.get(major) == base_text:
            out["family"] = "el" + major
            evr = _ARCH_RE.sub("", release)
            evr = _EL5_FLAVOR_RE.sub(".el5", evr)
            out["evr"] = evr
            variants = []
            if ".rt" in release or "+rt" in release:
                variants.append("rt")
            if release.endswith(".debug") or "+debug" in release or release.endswith("debug"):
                variants.append("debug")
            if ".centos.plus" in release:
                variants.append("centos.plus")
            fl = _EL5_FLAVOR_RE.search(release)
            if fl and fl.group(1) != "debug":
                variants.append(fl.group(1))
            out["variant"] = "+".join(variants) or None
            return out
        out["family"] = "upstream"
        out["variant"] = "el%s-non-rhel-base" % major
        return out

    dm = _DEB_UBU_RE.match(release)
    if dm:
        flavor = dm.group(3)
        ident, like = _os_id(os_info)
        if ident == "ubuntu" or "ubuntu" in like:
            out["family"] = "ubuntu"
        elif ident == "debian":
            out["family"] = "debian"
        elif dm.group(2).startswith("0.") and ("deb" in dm.group(2) or "bpo" in dm.group(2)):
            out["family"] = "debian"
        elif flavor in _DEBIAN_ARCH or flavor.split("-")[-1] in _DEBIAN_ARCH:
            out["family"] = "debian"
        elif flavor in _UBUNTU_FLAVORS:
            out["family"] = "ubuntu"
        else:
            out["family"] = "upstream"
        return out

    out["family"] = "upstream"
    if ".fc" in release:
        out["variant"] = "fedora"
    return out


def kernel_family(release, os_info=None):
    """The kernel's code lineage from ``uname -r`` (see the module doc), or None."""
    if not isinstance(release, str) or not RELEASE_RE.match(release):
        return None
    return _parse(release, os_info)["family"]


def upstream_base(release):
    """``"X.Y.Z"`` the release starts with, or None."""
    if not isinstance(release, str):
        return None
    m = _BASE_RE.match(release)
    if not m:
        return None
    parts = [int(x) for x in m.groups() if x is not None]
    while len(parts) < 3:
        parts.append(0)
    return "%d.%d.%d" % tuple(parts)


def _vtuple(text):
    return tuple(int(x) for x in text.split("."))


def _strip_pkg(name):
    """``kernel-2.6.32-754.el6.x86_64`` / ``linux-image-5.10.0-23-amd64`` -> release."""
    if isinstance(name, dict):
        name = name.get("release") or name.get("name") or ""
    name = (name or "").strip()
    for prefix in ("kernel-uek-", "kernel-core-", "kernel-", "linux-image-unsigned-", "linux-image-"):
        if name.startswith(prefix) and name[len(prefix):len(prefix) + 1].isdigit():
            return name[len(prefix):]
    return name


def _evidence(rows):
    return [dict(source=r["source"], confirmed=bool(r["confirmed"]), note=r.get("note", "")) for r in rows]


def _decide(parsed, release):
    """(code_vulnerable, confidence, reason, evidence list, fixed_by)."""
    bug = catalog.get(catalog.PRIMARY)
    fam = parsed["family"]
    if fam is None:
        return None, "unknown", "unrecognised kernel release %r" % release, [], None
    if fam in ("el5", "el6", "el7", "el8", "el9"):
        row = bug["families"][fam]
        ev = _evidence(row["evidence"])
        exact = None
        for ex in row.get("examined", []):
            if rpm_evr_compare(ex["release"], parsed["evr"]) == 0:
                exact = ex
        if exact is not None:
            ev.insert(0, {"source": exact["source"], "confirmed": True,
                          "note": "this release's source was examined: NULL check %s"
                                  % ("present" if exact["null_check"] else "absent")})
        fixed_by = row.get("fixed_by")
        if fam == "el6":
            return (True, "confirmed" if exact else "inferred",
                    "every 2.6.32-*.el6 kernel lacks the NULL check in nf_queue() "
                    "(examined trees all lack it; no el6 erratum fixing it is known)",
                    ev, None)
        if fam == "el7":
            if rpm_evr_compare(parsed["evr"], fixed_by) >= 0:
                return (False, "confirmed" if exact else "inferred",
                        "at or above %s, the el7 release whose source has IS_ERR_OR_NULL(segs)"
                        % fixed_by, ev, fixed_by)
            return (None, "unknown",
                    "below %s; the first el7 release with the NULL check is unknown" % fixed_by,
                    ev, fixed_by)
        if fam in ("el8", "el9"):
            return (False, "inferred",
                    "%s kernels are newer than el7 %s and based on upstream %s; no %s tree "
                    "was read" % (fam, catalog.documented_fixed_release("el7"),
                                  _EL_BASES[fam[2:]], fam),
                    ev, None)
        return None, "unknown", "no %s kernel source was examined" % fam, ev, None

    # upstream lineage (also Debian, Ubuntu, UEK, Fedora, ...)
    row = bug["families"]["upstream"]
    ev = _evidence(row["evidence"])
    base = parsed["base"]
    fixed_in = _vtuple(row["fixed_in"])
    lineage = {"debian": "Debian kernel based on upstream",
               "ubuntu": "Ubuntu kernel based on upstream"}.get(fam, "upstream-lineage kernel")
    base_text = "%d.%d" % base[:2]
    if base[:2] >= fixed_in:
        return (False, "inferred",
                "%s %s, after upstream %s where the NULL-robust error handling (believed to be "
                "%s, unconfirmed) is present; examined 4.9- and 4.18-based trees check "
                "IS_ERR_OR_NULL(segs)" % (lineage, base_text, row["fixed_in"], row["fix_commit"]),
                ev, None)
    return (None, "unknown",
            "%s %s, before upstream %s (believed fix %s, unconfirmed); no tree of this version "
            "was examined" % (lineage, base_text, row["fixed_in"], row["fix_commit"]),
            ev, None)


def kernel_verdict(release, os_info=None, installed_kernels=None):
    """Verdict for the nf_queue GSO NULL panic on a kernel release.

    Returns ``{release, family, variant, upstream_base, code_vulnerable (True/False/None),
    confidence ("confirmed"|"inferred"|"unknown"), reason, evidence[{source, confirmed,
    note}], fixed_by (documented fixed release of the family or None), bug, installed
    [{release, family, code_vulnerable, confidence}], fixed_installed [releases]}``.
    """
    validate_release(release)
    parsed = _parse(release, os_info)
    cv, confidence, reason, evidence, fixed_by = _decide(parsed, release)
    result = {
        "release": release,
        "family": parsed["family"],
        "variant": parsed["variant"],
        "upstream_base": upstream_base(release),
        "code_vulnerable": cv,
        "confidence": confidence,
        "reason": reason,
        "evidence": evidence,
        "fixed_by": fixed_by if fixed_by is not None else catalog.documented_fixed_release(parsed["family"] or ""),
        "bug": catalog.PRIMARY,
        "installed": [],
        "fixed_installed": [],
    }
    for item in installed_kernels or []:
        rel = _strip_pkg(item)
        if not rel or not RELEASE_RE.match(rel):
            continue
        p = _parse(rel, os_info)
        icv, iconf, _r, _e, _f = _decide(p, rel)
        result["installed"].append({"release": rel, "family": p["family"], "code_vulnerable": icv,
                                    "confidence": iconf})
        if icv is False and rel != release:
            result["fixed_installed"].append(rel)
    return result
