# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""udev fallback rule file."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import udev
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import PersistError


def test_parse_and_manages():
    text = udev.render("", "eth0", ["lro", "gro"], {})
    # the rule line as written by hand (what udevadm runs is checked in test_oracles.py)
    assert text.splitlines()[-1] == 'ACTION=="add", SUBSYSTEM=="net", KERNEL=="eth0", RUN+="/sbin/ethtool -K eth0 lro off gro off"'
    assert udev.parse_rules(text) == {"eth0": ["lro", "gro"]}
    assert udev.manages(text, "eth0") and not udev.manages(text, "eth1")


def test_bad_ethtool_path():
    with pytest.raises(PersistError):
        udev.render("", "eth0", ["lro"], {"ethtool_path": "/sbin/ethtool; reboot"})


def test_bad_ethtool_path_message_names_the_back_end_and_file():
    with pytest.raises(PersistError) as e:
        udev.render("", "eth0", ["lro"], {"ethtool_path": "ethtool"})
    assert str(e.value) == ("udev back end /etc/udev/rules.d/70-kcrash-nfqueue-offload.rules: "
                            "ethtool path 'ethtool' is not a plain absolute path")


def test_default_ethtool_path():
    assert udev.rule("eth0", ["lro"]) == ('ACTION=="add", SUBSYSTEM=="net", KERNEL=="eth0", '
                                          'RUN+="/sbin/ethtool -K eth0 lro off"\n')
    assert udev.render("", "eth0", ["lro"]).endswith('RUN+="/sbin/ethtool -K eth0 lro off"\n')


LINE = 'ACTION=="add", SUBSYSTEM=="net", KERNEL=="eth0", RUN+="/usr/sbin/ethtool -K eth0 lro on gro off"\n'


def test_a_feature_left_on_in_our_line_is_not_taken_for_off():
    assert udev.parse_rules(LINE) == {"eth0": ["gro"]}
    out = udev.render(LINE, "eth0", ["lro"])
    assert out == 'ACTION=="add", SUBSYSTEM=="net", KERNEL=="eth0", RUN+="/usr/sbin/ethtool -K eth0 lro off gro off"\n'


def test_junk_after_a_rule_line_makes_it_not_ours():
    assert udev.parse_rules(LINE.rstrip("\n") + "X\n") == {}
    assert udev.parse_rules(None) == {} and udev.parse_rules("") == {}


def test_a_line_with_junk_after_the_rule_is_left_alone():
    junk = LINE.rstrip("\n") + "X\n"
    out = udev.render(junk, "eth0", ["lro"])
    assert out == junk + 'ACTION=="add", SUBSYSTEM=="net", KERNEL=="eth0", RUN+="/sbin/ethtool -K eth0 lro off"\n'
