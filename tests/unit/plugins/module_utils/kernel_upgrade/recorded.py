# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe answers recorded from the lab hosts (kernel-dnf, kernel-apt, incident), read back
into kernel_upgrade facts: shared by the kernel_upgrade stage tests.
(kernel-dnf: real dnf, rpm and a createrepo_c repository; kernel-apt: real apt and dpkg;
incident: el6 identity.)
The hosts carry LAB STAND-INS: `uname` (every one: a container runs the machine's kernel),
`grubby` (kernel-dnf), `update-grub` (kernel-apt), `shutdown`/`reboot`; so the boot-loader
and running-kernel answers in these recordings come from stand-ins, the package answers from
the real tools. Recorded with tests/unit/fixtures/kernel/record_probe.py."""

import json
import os

from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade import read
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Section

from conftest import FIXTURES

APT_PKG = "linux-image-6.1.0-99-amd64"


def load(name):
    with open(os.path.join(FIXTURES, "kernel", name)) as f:
        data = json.load(f)
    rec = data.pop("_recorded")
    return {n: Section(n, v["stdout"], v["stderr"], v["rc"]) for n, v in data.items()}, rec["apt_packages"]


def facts_of(name, edit=None):
    secs, pkgs = load(name)
    if edit:
        edit(secs)
    return read.parse_probe(secs, pkgs)
