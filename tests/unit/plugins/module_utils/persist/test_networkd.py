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


@pytest.mark.parametrize("value", ["yes", "true", "1", "on", "Y", "T", "On"])
def test_admin_file_that_enables_lro_is_turned_off(value):
    """systemd's parse_boolean() reads 1/yes/y/true/t/on (any case) as true: such a value in
    the administrator's .link file is replaced, nothing else changes (systemd.link(5))."""
    text = "[Match]\nOriginalName=eth0\n\n[Link]\nNamePolicy=kernel\nLargeReceiveOffload=%s\n" % value
    assert networkd.render(text, "eth0", ["lro"]) == (
        "[Match]\nOriginalName=eth0\n\n[Link]\nNamePolicy=kernel\nLargeReceiveOffload=false\n")


@pytest.mark.parametrize("value", ["false", "no", "0", "off", "n", "f", "False", "OFF"])
def test_admin_file_that_already_disables_lro_is_left_alone(value):
    """...and 0/no/n/false/f/off (any case) as false: the file is returned as it is."""
    text = "[Match]\nOriginalName=eth0\n\n[Link]\nLargeReceiveOffload=%s\n" % value
    assert networkd.render(text, "eth0", ["lro"]) is text
