# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ifupdown: stanza editing, sourced files, hook detection."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import PersistError, ifupdown


def test_sourced_order_and_manages():
    files = {
        "/etc/network/interfaces": "source /etc/network/interfaces.d/*\nauto lo\niface lo inet loopback\n",
        "/etc/network/interfaces.d/eth0": "auto eth0\niface eth0 inet dhcp\n",
        "/etc/network/interfaces.d/zz": "iface eth0 inet6 auto\n",
    }
    assert ifupdown.sourced_order(files) == [
        "/etc/network/interfaces", "/etc/network/interfaces.d/eth0", "/etc/network/interfaces.d/zz"]
    assert ifupdown.manages(files, "eth0") == "/etc/network/interfaces.d/eth0"
    assert ifupdown.manages(files, "eth1") is None


def test_source_directory_skips_names_run_parts_would_skip():
    files = {
        "/etc/network/interfaces": "source-directory interfaces.d\n",
        "/etc/network/interfaces.d/eth0.cfg": "iface eth0 inet dhcp\n",
        "/etc/network/interfaces.d/eth0": "iface eth0 inet static\n    address 10.0.0.1/24\n",
    }
    assert ifupdown.manages(files, "eth0") == "/etc/network/interfaces.d/eth0"


def test_hook_detection():
    assert ifupdown.hook_present('SETTINGS="$(gather_settings OFFLOAD_)"')
    assert not ifupdown.hook_present("#!/bin/sh\nexit 0\n")


def test_existing_offload_option_is_fixed_not_duplicated():
    text = "iface eth0 inet dhcp\n    offload-lro on\n    offload-gro off\n"
    out = ifupdown.render(text, "eth0", ["lro", "gro"], {"ethtool_hook": True})
    assert out == "iface eth0 inet dhcp\n    offload-lro off\n    offload-gro off\n"


def test_postup_line_is_merged():
    text = "iface eth0 inet dhcp\n  post-up /sbin/ethtool -K eth0 gro off || true\n"
    out = ifupdown.render(text, "eth0", ["lro"], {"ethtool_hook": False})
    assert out == "iface eth0 inet dhcp\n  post-up /sbin/ethtool -K eth0 lro off gro off || true\n"


def test_refusals():
    with pytest.raises(PersistError):
        ifupdown.render("auto eth0\n", "eth0", ["lro"], {})
    with pytest.raises(PersistError):
        ifupdown.render("iface eth0 inet dhcp\n  pre-up foo \\\n    bar\n", "eth0", ["lro"], {})
    with pytest.raises(PersistError):
        ifupdown.render("iface eth0 inet dhcp\n", "eth0", ["lro"], {"ethtool_path": "/sbin/eth tool"})
