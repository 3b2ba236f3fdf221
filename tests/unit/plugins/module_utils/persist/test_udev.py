"""udev fallback rule file."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import PersistError, udev


def test_parse_and_manages():
    text = udev.render("", "eth0", ["lro", "gro"], {})
    # the rule line as written by hand (what udevadm runs is checked in test_oracles.py)
    assert text.splitlines()[-1] == 'ACTION=="add", SUBSYSTEM=="net", KERNEL=="eth0", RUN+="/sbin/ethtool -K eth0 lro off gro off"'
    assert udev.parse_rules(text) == {"eth0": ["lro", "gro"]}
    assert udev.manages(text, "eth0") and not udev.manages(text, "eth1")


def test_bad_ethtool_path():
    with pytest.raises(PersistError):
        udev.render("", "eth0", ["lro"], {"ethtool_path": "/sbin/ethtool; reboot"})
