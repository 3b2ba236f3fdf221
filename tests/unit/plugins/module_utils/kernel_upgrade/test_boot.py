# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kernel_upgrade/boot.py: what the boot loader will start, how the target becomes the default, the read-back check."""

from ansible_collections.kcrash.nfqueue.plugins.module_utils import grub
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade import boot, plan

from .recorded import facts_of


def test_apt_after_install_resolves_entry_and_is_idempotent():
    f = facts_of("apt-after.json")
    d = boot.boot_default(f["boot"])
    assert d["spec"] == "Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-99-amd64"
    assert d["release"] == "6.1.0-99-amd64"
    p = plan.plan(f, target="6.1.0-99-amd64")
    assert p["install"] is None and p["set_default"]["needed"] is False and p["changed"] is False
    before = facts_of("apt-before.json")
    step = plan.plan(before, target="6.1.0-99-amd64")["set_default"]
    step = boot.resolve_after_install(step, f["boot"], "6.1.0-99-amd64")
    assert step["commands"][-1] == ("grub-set-default 'Advanced options for Debian GNU/Linux>"
                                    "Debian GNU/Linux, with Linux 6.1.0-99-amd64'")
    ok, _d, msg = boot.verify_default(f["boot"], "6.1.0-99-amd64")
    assert ok, msg
    ok, _d, msg = boot.verify_default(f["boot"], "3.16.0-6-amd64")
    assert not ok and "not the target 3.16.0-6-amd64" in msg


def test_grub_legacy_and_bls():
    legacy = ("default=1\ntimeout=5\ntitle Red Hat (2.6.32-754.el6.x86_64)\n\troot (hd0,0)\n"
              "\tkernel /vmlinuz-2.6.32-754.el6.x86_64 ro root=/dev/sda2\n"
              "title Red Hat (2.6.32-358.el6.x86_64)\n\tkernel /vmlinuz-2.6.32-358.el6.x86_64 ro\n")
    boot_facts = {"grubby_default": None, "grub_entries": [], "grubenv": {}, "default_grub": {},
                  "grub_legacy": grub.parse_grub_legacy(legacy), "bls": []}
    d = boot.boot_default(boot_facts)
    assert d["method"] == "grub-legacy" and d["release"] == "2.6.32-358.el6.x86_64"
    step = boot.default_entry_step(boot_facts, "2.6.32-754.el6.x86_64", {})
    assert "grub legacy without grubby" in step["error"]
