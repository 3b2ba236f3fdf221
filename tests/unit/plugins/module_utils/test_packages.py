# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""packages.py: the package managers' answers about kernel packages."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import packages
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError


def test_yum_list_wrapped_lines_and_garbage():
    text = ("Available Packages\n"
            "kernel.x86_64   3.10.0-1160.el7   base\n"
            "kernel.x86_64\n            3.10.0-1160.119.1.el7\n                        updates\n")
    rows = packages.parse_yum_list(text)
    assert [r["release"] for r in rows] == ["3.10.0-1160.el7.x86_64", "3.10.0-1160.119.1.el7.x86_64"]
    assert rows[1]["repo"] == "updates"
    with pytest.raises(KcrashParseError):
        packages.parse_yum_list("Available Packages\nsomething odd here\n")
    with pytest.raises(KcrashParseError):
        packages.parse_yum_list("kernel.x86_64 3.10.0-1160.el7\n")


def test_apt_policy_unknown_and_wrong_package():
    assert packages.parse_apt_policy("", "linux-image-x")["candidate"] is None
    with pytest.raises(KcrashParseError):
        packages.parse_apt_policy("other:\n  Installed: (none)\n  Candidate: 1\n", "linux-image-x")


def test_kernel_packages_rpm_and_dpkg():
    m, pkgs = packages.parse_kernel_packages(
        "manager=rpm\nkernel (none):2.6.32-358.el6 x86_64\nkernel (none):2.6.32-754.35.1.el6 x86_64\n")
    assert m == "rpm" and [p["release"] for p in pkgs] == ["2.6.32-358.el6.x86_64", "2.6.32-754.35.1.el6.x86_64"]
    m, pkgs = packages.parse_kernel_packages(
        "manager=dpkg\nlinux-image-6.1.0-13-amd64 6.1.55-1 install ok installed\n"
        "linux-image-amd64 6.1.55-1 install ok installed\nlinux-image-5.10.0-9-amd64 5.10.70-1 deinstall ok config-files\n")
    assert [(p["name"], p["release"]) for p in pkgs] == [
        ("linux-image-6.1.0-13-amd64", "6.1.0-13-amd64"), ("linux-image-amd64", None)]
