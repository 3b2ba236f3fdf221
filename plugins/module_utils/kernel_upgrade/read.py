# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kernel_upgrade, read stage: the read trip's sections (package manager, repositories,
/boot, installonly_limit, kdump, boot loader, installed kernels, scheduled reboots) and the
facts assembled from their answers (:func:`parse_probe`). Each answer's format is parsed by
its own module (``packages.py``, ``df.py``, ``kdump.py``, ``os_release.py``, ``boot.py``,
``reboot_schedule.py``). Pure, no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import df, kdump, os_release, packages
from ansible_collections.kcrash.nfqueue.plugins.module_utils import reboot_schedule
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError, KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel import RELEASE_RE, kernel_family, kernel_verdict
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade.boot import boot_sections, parse_boot
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import quote

RPM_FAMILIES = ("el5", "el6", "el7", "el8", "el9")
TOOLS = ("dnf", "yum", "apt-get", "apt-cache", "rpm", "dpkg-query", "grubby", "grub2-set-default",
         "grub2-mkconfig", "grub2-editenv", "grub-set-default", "grub-editenv", "grub-mkconfig",
         "update-grub", "kdumpctl", "df")


def probe_sections(apt_packages=(), refresh_apt=False):
    """``[(name, shell)]`` of the read trip. ``apt_packages``: names to ``apt-cache policy``."""
    secs = [
        ("uname", "uname -r"),
        ("boot_id", "cat /proc/sys/kernel/random/boot_id"),
        ("os_release", "cat /etc/os-release"),
        ("redhat_release", "cat /etc/redhat-release"),
        ("tools", "for t in %s; do p=$(command -v \"$t\" 2>/dev/null) && printf '%%s %%s\\n' \"$t\" \"$p\"; "
                  "done; :" % " ".join(TOOLS)),
        ("rpm_kernels", "command -v rpm >/dev/null 2>&1 || exit 0; "
                        "rpm -q kernel kernel-core kernel-uek --qf '%{NAME} %{VERSION}-%{RELEASE}.%{ARCH}\\n' "
                        "2>/dev/null | grep -v ' is not installed'; :"),
        ("dpkg_kernels", "command -v dpkg-query >/dev/null 2>&1 || exit 0; "
                         "dpkg-query -W -f '${Package}\\t${Version}\\t${db:Status-Abbrev}\\n' 'linux-image-*' "
                         "2>/dev/null; :"),
        ("available_rpm", "if command -v dnf >/dev/null 2>&1; then "
                          "dnf -q --showduplicates list --available kernel; "
                          "elif command -v yum >/dev/null 2>&1; then "
                          "yum -q --showduplicates list available kernel; else exit 0; fi"),
        ("boot_df", "df -Pk /boot"),
        ("yum_conf", "cat /etc/yum.conf"),
        ("dnf_conf", "cat /etc/dnf/dnf.conf"),
        ("kdump", kdump.script()),
    ]
    secs += boot_sections("")
    if refresh_apt:
        secs.append(("apt_update", "command -v apt-get >/dev/null 2>&1 || exit 0; "
                                   "apt-get -q update >/dev/null 2>&1 || echo 'apt-get update failed'; :"))
    for i, pkg in enumerate(apt_packages):
        if not re.match(r"^[a-z0-9][a-z0-9+.-]{1,100}\Z", pkg):
            raise KcrashInputError("package", "%r is not a Debian package name" % (pkg,))
        secs.append(("apt_policy_%d" % i, "apt-cache policy %s" % quote(pkg)))
    secs += reboot_schedule.probe_sections()
    return secs


def parse_tools(text):
    tools = {}
    for line in text.splitlines():
        parts = line.strip().split(" ", 1)
        if len(parts) == 2 and parts[0] in TOOLS:
            tools[parts[0]] = parts[1]
    return tools


def choose_package_manager(family, tools):
    """The host's own package manager for its kernel: yum on el5-el7 (dnf where yum is
    absent), dnf on el8+ (yum where dnf is absent), apt-get on Debian/Ubuntu and other
    dpkg systems. An el kernel is never installed with apt-get, whatever else is there."""
    if family in RPM_FAMILIES:
        order = ("yum", "dnf") if family in ("el5", "el6", "el7") else ("dnf", "yum")
        for pm in order:
            if pm in tools:
                return pm
        return None
    if "apt-get" in tools:
        return "apt"
    for pm in ("dnf", "yum"):
        if pm in tools:
            return pm
    return None


def parse_probe(sections, apt_packages=()):
    """Read-trip sections -> facts dict (raises KcrashParseError on malformed output)."""
    def sec(name):
        return sections.get(name)

    def text(name):
        s = sec(name)
        return s.stdout if s is not None else ""
    uname = text("uname").strip()
    if not uname or not RELEASE_RE.match(uname):
        raise KcrashParseError("uname -r", "no kernel release in %r" % uname[:80])
    os_info = os_release.os_facts({"os-release": text("os_release"), "redhat-release": text("redhat_release")})
    tools = parse_tools(text("tools"))
    pm = choose_package_manager(kernel_family(uname, os_info), tools)
    avail_sec = sec("available_rpm")
    available = []
    avail_error = None
    if pm in ("dnf", "yum") and avail_sec is not None:
        if avail_sec.rc == 0:
            available = packages.parse_yum_list(avail_sec.stdout, "%s list available kernel" % pm)
        else:
            avail_error = (avail_sec.stderr.strip() or avail_sec.stdout.strip() or "rc %d" % avail_sec.rc)[-400:]
    policies = {}
    for i, pkg in enumerate(apt_packages):
        s = sec("apt_policy_%d" % i)
        if s is not None:
            policies[pkg] = packages.parse_apt_policy(s.stdout, pkg)
    df_sec = sec("boot_df")
    boot_space = df.parse(df_sec.stdout) if df_sec is not None and df_sec.rc == 0 else None
    facts = {
        "running": uname,
        "boot_id": text("boot_id").strip(),
        "os": os_info,
        "family": kernel_family(uname, os_info),
        "tools": tools,
        "package_manager": pm,
        "installed_rpm": packages.parse_rpm_kernels(text("rpm_kernels")),
        "installed_deb": packages.parse_dpkg_kernels(text("dpkg_kernels")),
        "available_rpm": available,
        "available_error": avail_error,
        "apt_policy": policies,
        "apt_update_failed": "apt-get update failed" in text("apt_update"),
        "boot_space": boot_space,
        "installonly": packages.parse_installonly(text("yum_conf"), text("dnf_conf")),
        "kdump": kdump.parse(text("kdump")),
        "boot": parse_boot(sections),
        "reboot": reboot_schedule.parse_probe(sections),
    }
    facts["installed"] = (facts["installed_rpm"] if pm in ("dnf", "yum")
                          else [d["release"] for d in facts["installed_deb"]])
    facts["verdict"] = kernel_verdict(uname, os_info, facts["installed"])
    return facts
