# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kernel_upgrade/read.py: the read trip's sections and the facts assembled from the answers recorded on the lab hosts."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade import boot
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Section

from .recorded import facts_of


def test_dnf_host_facts():
    f = facts_of("dnf-el7-before.json")
    assert f["package_manager"] == "dnf" and f["family"] == "el7"
    assert f["installed"] == ["3.10.0-957.el7.x86_64"]
    assert [a["release"] for a in f["available_rpm"]] == ["3.10.0-1160.el7.x86_64", "3.10.0-1160.119.1.el7.x86_64"]
    assert f["installonly"] == {"limit": 3, "source": "/etc/dnf/dnf.conf"}
    assert f["boot"]["grubby_default"] == "/boot/vmlinuz-3.10.0-957.el7.x86_64"
    assert boot.boot_default(f["boot"])["release"] == "3.10.0-957.el7.x86_64"
    assert f["kdump"]["state"] == "not_configured"
    assert f["reboot"]["atd"] is True and "at" in f["reboot"]["tools"]


def test_truncated_uname_is_a_parse_error():
    def broken(secs):
        secs["uname"] = Section("uname", "", "sh: uname: not found", 127)
    with pytest.raises(KcrashParseError):
        facts_of("dnf-el7-before.json", broken)
