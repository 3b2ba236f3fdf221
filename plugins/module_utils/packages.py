# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the package managers say about kernel packages: the one parser of each format.

``rpm -q --qf '%{NAME} %{VERSION}-%{RELEASE}.%{ARCH}'`` (:func:`parse_rpm_kernels`),
``dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Abbrev}'`` (:func:`parse_dpkg_kernels`),
the detection probe's ``manager=rpm|dpkg`` listing (:func:`parse_kernel_packages`),
``yum/dnf --showduplicates list`` (:func:`parse_yum_list`), ``apt-cache policy``
(:func:`parse_apt_policy`) and ``installonly_limit`` of ``yum.conf``/``dnf.conf``
(:func:`parse_installonly`). Pure functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel import RELEASE_RE


def parse_kernel_packages(text):
    """``manager=rpm|dpkg`` then one package a line -> (manager, [{name, version, release}]).

    ``release`` is what ``uname -r`` prints when that kernel runs (rpm:
    VERSION-RELEASE.ARCH; Debian: the part of the package name after ``linux-image-``)."""
    manager = None
    pkgs = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("manager="):
            manager = line.split("=", 1)[1]
            continue
        parts = line.split()
        if manager == "rpm" and len(parts) >= 3:
            name, evr, arch = parts[0], parts[1], parts[2]
            epoch, _unused, vr = evr.partition(":")
            release = vr + ("." + arch if arch not in ("(none)", "noarch") else "")
            if name == "kernel-rt" or name == "kernel-uek":
                pass
            pkgs.append({
                "name": name,
                "version": (vr if epoch in ("(none)", "", "0") else evr),
                "release": release,
            })
        elif manager == "dpkg" and len(parts) >= 2:
            name, version = parts[0], parts[1]
            status = " ".join(parts[2:])
            if status and "installed" not in status.split():
                continue
            if not name.startswith("linux-image-"):
                continue
            rel = name[len("linux-image-"):]
            if not re.match(r"^\d", rel):
                # meta packages (linux-image-amd64) name no release
                rel = None
            pkgs.append({"name": name, "version": version, "release": rel})
    return manager, pkgs


def parse_rpm_kernels(text):
    rels = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and RELEASE_RE.match(parts[1]) and parts[1] not in rels:
            rels.append(parts[1])
    return rels


def parse_dpkg_kernels(text):
    """``linux-image-<release>`` packages installed (status ``ii``) -> [{package, release, version}]."""
    out = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        pkg, ver, status = parts[0], parts[1], parts[2].strip()
        if not status.startswith("ii") or not ver:
            continue
        m = re.match(r"^linux-image-(?:unsigned-)?(\d[A-Za-z0-9._+~-]*)$", pkg)
        if m:
            out.append({"package": pkg, "release": m.group(1), "version": ver})
    return out


_YUM_NAME = re.compile(r"^(kernel(?:-[a-z]+)?)\.([A-Za-z0-9_]+)$")


def parse_yum_list(text, command="yum list available kernel"):
    """yum/dnf ``list`` output -> [{name, arch, evr, release, repo}]. Handles wrapped lines."""
    tokens = []
    for line in text.splitlines():
        s = line.strip()
        if not s or re.match(r"^(available|installed|extra|updated|obsoleting)\s+packages\s*$", s, re.I):
            continue
        if s.lower().startswith(("last metadata", "loaded plugins", "loading mirror", "error:", "warning:")):
            continue
        tokens.extend(s.split())
    out = []
    i = 0
    while i < len(tokens):
        m = _YUM_NAME.match(tokens[i])
        if not m:
            raise KcrashParseError(command, "unexpected token %r" % tokens[i])
        if i + 2 >= len(tokens):
            raise KcrashParseError(command, "truncated entry for %r" % tokens[i])
        evr, repo = tokens[i + 1], tokens[i + 2]
        if ":" in evr:
            epoch, dummy, vr = evr.partition(":")
            if epoch not in ("0", ""):
                vr = evr  # keep the epoch visible; kernels never carry one
        else:
            vr = evr
        out.append({"name": m.group(1), "arch": m.group(2), "evr": evr, "repo": repo.lstrip("@"),
                    "release": "%s.%s" % (vr, m.group(2))})
        i += 3
    return out


def parse_apt_policy(text, package):
    """``apt-cache policy pkg`` -> {package, installed|None, candidate|None, versions[{version, sources}]}."""
    res = {"package": package, "installed": None, "candidate": None, "versions": []}
    if not text.strip():
        return res
    head = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" ") and line.rstrip().endswith(":"):
            head = line.rstrip()[:-1]
            continue
        s = line.strip()
        if s.startswith("Installed:"):
            v = s.split(":", 1)[1].strip()
            res["installed"] = None if v == "(none)" else v
        elif s.startswith("Candidate:"):
            v = s.split(":", 1)[1].strip()
            res["candidate"] = None if v == "(none)" else v
        elif s.startswith("Version table:"):
            continue
        elif re.match(r"^(\*\*\* )?\S+ -?\d+$", s):
            res["versions"].append({"version": s.replace("*** ", "").split()[0], "sources": []})
        elif re.match(r"^-?\d+ ", s) and res["versions"]:
            res["versions"][-1]["sources"].append(s.split(" ", 1)[1])
    if head is not None and head != package:
        raise KcrashParseError("apt-cache policy %s" % package, "answer is about %r" % head)
    return res


def parse_installonly(yum_text, dnf_text):
    """installonly_limit of [main] (dnf.conf wins over yum.conf), default 3 like yum and dnf."""
    for text, source in ((dnf_text, "/etc/dnf/dnf.conf"), (yum_text, "/etc/yum.conf")):
        section = None
        for line in text.splitlines():
            s = line.strip()
            if s.startswith("["):
                section = s.strip("[]").strip()
            elif section == "main":
                m = re.match(r"^installonly_limit\s*=\s*(\d+)\s*$", s)
                if m:
                    return {"limit": int(m.group(1)), "source": source}
    return {"limit": 3, "source": "default"}
