# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""grub.py: GRUB's files, parsed and (GRUB_DEFAULT=saved) written."""

from ansible_collections.kcrash.nfqueue.plugins.module_utils import grub


def test_set_grub_default_saved():
    assert grub.set_grub_default_saved("A=1\nGRUB_DEFAULT=0\nB=2\n") == "A=1\nGRUB_DEFAULT=saved\nB=2\n"
    assert grub.set_grub_default_saved("A=1") == "A=1\nGRUB_DEFAULT=saved\n"


# The shape grub-mkconfig (10_linux) writes on Debian: top entry, then a submenu of
# per-kernel entries with recovery variants; `if` blocks inside and between entries,
# single-quoted titles and $menuentry_id_option ids.
DEBIAN_CFG = """
### BEGIN /etc/grub.d/10_linux ###
function gfxmode {
\tset gfxpayload="${1}"
}
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class os $menuentry_id_option 'gnulinux-simple-ab12' {
\tload_video
\tif [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi
\tinsmod part_gpt
\techo\t'Loading Linux 6.1.0-99-amd64 ...'
\tlinux\t/boot/vmlinuz-6.1.0-99-amd64 root=UUID=ab12 ro  quiet
\tinitrd\t/boot/initrd.img-6.1.0-99-amd64
}
submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-ab12' {
\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-99-amd64' --class debian $menuentry_id_option 'gnulinux-6.1.0-99-amd64-advanced-ab12' {
\t\tif [ "x$grub_platform" = xefi ]; then
\t\t\tsearch --no-floppy --fs-uuid --set=root ab12
\t\tfi
\t\tlinux\t/boot/vmlinuz-6.1.0-99-amd64 root=UUID=ab12 ro  quiet
\t}
\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-99-amd64 (recovery mode)' --class debian $menuentry_id_option 'gnulinux-6.1.0-99-amd64-recovery-ab12' {
\t\tlinux\t/boot/vmlinuz-6.1.0-99-amd64 root=UUID=ab12 ro single
\t}
\tmenuentry "Debian GNU/Linux, with Linux 6.1.0-13-amd64" --class debian {
\t\tlinux\t/vmlinuz-6.1.0-13-amd64 root=UUID=ab12 ro
\t}
}
### END /etc/grub.d/10_linux ###
menuentry 'UEFI Firmware Settings' $menuentry_id_option 'uefi-firmware' {
\tfwsetup
}
"""


def test_grub_mkconfig_menu_paths_indexes_and_kernels():
    got = [(e["path"], e["index"], e["id"], e["release"]) for e in grub.parse_grub_cfg(DEBIAN_CFG)]
    adv = "Advanced options for Debian GNU/Linux>"
    assert got == [
        ("Debian GNU/Linux", "0", "gnulinux-simple-ab12", "6.1.0-99-amd64"),
        (adv + "Debian GNU/Linux, with Linux 6.1.0-99-amd64", "1>0", "gnulinux-6.1.0-99-amd64-advanced-ab12",
         "6.1.0-99-amd64"),
        (adv + "Debian GNU/Linux, with Linux 6.1.0-99-amd64 (recovery mode)", "1>1",
         "gnulinux-6.1.0-99-amd64-recovery-ab12", "6.1.0-99-amd64"),
        (adv + "Debian GNU/Linux, with Linux 6.1.0-13-amd64", "1>2", None, "6.1.0-13-amd64"),
        ("UEFI Firmware Settings", "2", "uefi-firmware", None),
    ]
    assert grub.parse_grub_cfg(DEBIAN_CFG)[1]["id_path"] == \
        "gnulinux-advanced-ab12>gnulinux-6.1.0-99-amd64-advanced-ab12"


def test_grubenv_and_default_grub():
    env = "# GRUB Environment Block\nsaved_entry=gnulinux-advanced-ab12>gnulinux-6.1.0-99-amd64-advanced-ab12\n" \
          "next_entry=\n" + "#" * 700
    assert grub.parse_grubenv(env) == {"saved_entry": "gnulinux-advanced-ab12>gnulinux-6.1.0-99-amd64-advanced-ab12",
                                       "next_entry": ""}
    assert grub.parse_default_grub('GRUB_DEFAULT=saved\n#GRUB_X=1\nGRUB_CMDLINE_LINUX="a b"\n  GRUB_TIMEOUT=\'5\'\n') == \
        {"GRUB_DEFAULT": "saved", "GRUB_CMDLINE_LINUX": "a b", "GRUB_TIMEOUT": "5"}
    assert grub.release_of("/vmlinuz-5.14.0-70.el9.x86_64") == "5.14.0-70.el9.x86_64"
    assert grub.release_of("/boot/initrd.img-6.1.0-99-amd64") is None and grub.release_of(None) is None
