# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bls.py: Boot Loader Specification entries (the Type #1 key/value format that
grubby and kernel-install write to /boot/loader/entries/*.conf)."""

from ansible_collections.kcrash.nfqueue.plugins.module_utils import bls

# As kernel-install/grubby write it on el8 (keys grub's blscfg reads; values may carry
# grub variables, several words, tabs between key and value).
EL8 = (
    "title Red Hat Enterprise Linux (4.18.0-305.el8.x86_64) 8.4 (Ootpa)\n"
    "version 4.18.0-305.el8.x86_64\n"
    "linux /vmlinuz-4.18.0-305.el8.x86_64\n"
    "initrd /initramfs-4.18.0-305.el8.x86_64.img $tuned_initrd\n"
    "options $kernelopts $tuned_params\n"
    "id rhel-20210429130346-4.18.0-305.el8.x86_64\n"
    "grub_users $grub_users\n"
    "grub_arg --unrestricted\n"
    "grub_class kernel\n"
)


def test_el8_entry():
    [e] = bls.parse([("/boot/loader/entries/0123abcd-4.18.0-305.el8.x86_64.conf", EL8)])
    assert e == {"id": "0123abcd-4.18.0-305.el8.x86_64",
                 "title": "Red Hat Enterprise Linux (4.18.0-305.el8.x86_64) 8.4 (Ootpa)",
                 "version": "4.18.0-305.el8.x86_64", "kernel": "/vmlinuz-4.18.0-305.el8.x86_64",
                 "release": "4.18.0-305.el8.x86_64"}


def test_tabs_comments_and_an_entry_without_linux():
    text = "# written by hand\ntitle\tRescue\nversion\t0-rescue\nlinux\t/vmlinuz-0-rescue-abc  quiet\n"
    [e] = bls.parse([("/boot/loader/entries/abc-0-rescue.conf", text)])
    assert (e["title"], e["kernel"], e["release"]) == ("Rescue", "/vmlinuz-0-rescue-abc", "0-rescue-abc")
    [e] = bls.parse([("/boot/loader/entries/efi.conf", "title Windows\nefi /EFI/Microsoft/Boot/bootmgfw.efi\n")])
    assert (e["id"], e["kernel"], e["release"]) == ("efi", None, None)
    assert bls.parse([]) == []
