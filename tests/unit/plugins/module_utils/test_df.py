# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""df.py: ``df -Pk`` (POSIX format) from the real tool, checked against statvfs(2)."""

import os
import subprocess

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import df
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError

from conftest import require_tool


def test_real_df_matches_statvfs():
    out = subprocess.run([require_tool("df", "coreutils"), "-Pk", "/"], capture_output=True, text=True, check=True).stdout
    got = df.parse(out)
    st = os.statvfs("/")
    # df rounds 1024-byte blocks up; the filesystem may change a little between the two reads
    assert got["mount"] == "/"
    assert abs(got["size_kb"] - st.f_blocks * st.f_frsize // 1024) <= 1
    assert abs(got["available_kb"] - st.f_bavail * st.f_frsize // 1024) <= 4096


def test_long_device_name():
    # POSIX output keeps one line per filesystem even when the device name is long
    out = ("Filesystem                                 1024-blocks  Used Available Capacity Mounted on\n"
           "/dev/mapper/vg_root-lv_boot_with_a_long_name      508588 470000     38588      93% /boot\n")
    assert df.parse(out) == {"mount": "/boot", "size_kb": 508588, "available_kb": 38588}


@pytest.mark.parametrize("text", ["", "df: /boot: No such file or directory\n",
                                  "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 x y z 1% /boot\n"])
def test_unreadable_answers_are_parse_errors(text):
    with pytest.raises(KcrashParseError):
        df.parse(text)
