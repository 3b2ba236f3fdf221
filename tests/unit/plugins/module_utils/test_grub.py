# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""grub.py: GRUB's files, parsed and (GRUB_DEFAULT=saved) written."""

from ansible_collections.kcrash.nfqueue.plugins.module_utils import grub


def test_set_grub_default_saved():
    assert grub.set_grub_default_saved("A=1\nGRUB_DEFAULT=0\nB=2\n") == "A=1\nGRUB_DEFAULT=saved\nB=2\n"
    assert grub.set_grub_default_saved("A=1") == "A=1\nGRUB_DEFAULT=saved\n"
