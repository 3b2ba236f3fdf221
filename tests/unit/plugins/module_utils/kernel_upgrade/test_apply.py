# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kernel_upgrade/apply.py: the apply trips' text, the checks after them, the task result."""

from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade import apply


def test_verify_running():
    assert apply.verify_running("a", "a")[0]
    ok, msg = apply.verify_running("3.10.0-957.el7.x86_64", "3.10.0-1160.el7.x86_64")
    assert not ok and msg == "host came back on 3.10.0-957.el7.x86_64, not the target 3.10.0-1160.el7.x86_64"
