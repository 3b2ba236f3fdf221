# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""udev fallback rule file."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import PersistError, udev


def test_parse_and_manages():
    text = udev.render("", "eth0", ["lro", "gro"], {})
    assert udev.parse_rules(text) == {"eth0": ["lro", "gro"]}
    assert udev.manages(text, "eth0") and not udev.manages(text, "eth1")


def test_bad_ethtool_path():
    with pytest.raises(PersistError):
        udev.render("", "eth0", ["lro"], {"ethtool_path": "/sbin/ethtool; reboot"})
