# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""systemd .link: which file udev applies, and how we take precedence safely."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import networkd
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import PersistError

import persist_golden as golden

DEV = {"name": "eth0", "mac": "a0:36:9f:12:34:56", "driver": "ixgbe", "type": "ether"}
VENDOR = "/usr/lib/systemd/network/99-default.link"


def test_first_match_by_name_and_etc_hides_vendor():
    default = golden.read("networkd", "99-default.link.systemd")
    files = {VENDOR: default}
    assert networkd.manages(files, DEV) == VENDOR
    files["/etc/systemd/network/10-lan.link"] = "[Match]\nMACAddress=A0:36:9F:12:34:56\n[Link]\nName=lan0\n"
    assert networkd.manages(files, DEV) == "/etc/systemd/network/10-lan.link"
    files["/etc/systemd/network/99-default.link"] = "[Match]\nDriver=e1000*\n"
    files["/etc/systemd/network/10-lan.link"] = "[Match]\nMACAddress=00:00:00:00:00:01\n"
    # /etc/99-default.link hides the vendor one and does not match: nothing applies
    assert networkd.manages(files, DEV) is None


def test_no_match_section_matches_everything():
    assert networkd.match(golden.read("networkd", "99-default.link.rhel8"), DEV) is True


def test_negation_and_globs():
    assert networkd.match("[Match]\nDriver=!ixgbe\n", DEV) is False
    assert networkd.match("[Match]\nOriginalName=en* eth*\n", DEV) is True
    assert networkd.match("[Match]\nType=wlan\n", DEV) is False


def test_unknown_condition_is_refused():
    files = {"/etc/systemd/network/05-x.link": "[Match]\nPath=pci-0000:02:00.0\n[Link]\nName=x\n"}
    with pytest.raises(PersistError) as e:
        networkd.manages(files, DEV)
    assert "backend=udev" in str(e.value)


def test_own_file_needs_a_mac():
    with pytest.raises(PersistError):
        networkd.render("", "eth0", ["lro"], {"mac": None})
