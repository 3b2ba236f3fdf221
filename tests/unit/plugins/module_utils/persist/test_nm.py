# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""NetworkManager: keyfile edit, profile choice, nmcli text parsing."""

import subprocess

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import PersistError, nm

import persist_golden as golden
from conftest import require_tool

D = "/etc/NetworkManager/system-connections/"


def test_manages_picks_autoconnect_priority():
    files = {
        D + "a.nmconnection": "[connection]\nid=a\ninterface-name=eth0\nautoconnect-priority=1\n",
        D + "b.nmconnection": "[connection]\nid=b\ninterface-name=eth0\nautoconnect-priority=5\n",
        D + "c.nmconnection": "[connection]\nid=c\ninterface-name=eth0\nautoconnect=false\nautoconnect-priority=9\n",
        D + "d.nmconnection": "[connection]\nid=d\ninterface-name=eth1\n",
    }
    assert nm.manages(files, "eth0") == D + "b.nmconnection"
    assert nm.manages(files, "eth2") is None


def test_not_a_keyfile():
    with pytest.raises(PersistError):
        nm.render("DEVICE=eth0\n", "eth0", ["lro"])


def test_version():
    assert nm.parse_version("nmcli tool, version 1.42.4") == (1, 42, 4)
    assert nm.version_ok((1, 14, 0)) and not nm.version_ok((1, 12, 4)) and not nm.version_ok(None)


def test_nmcli_values_and_args():
    assert nm.parse_nmcli_values("off\n\non\n", ["lro", "gro", "gso"]) == {"lro": "off", "gro": "ignore", "gso": "on"}
    with pytest.raises(KcrashParseError):
        nm.parse_nmcli_values("maybe\n", ["lro"])
    with pytest.raises(KcrashParseError):
        nm.parse_nmcli_values("", ["lro"])
    assert nm.nmcli_modify_args("u-1", ["gro", "lro"]) == [
        "connection", "modify", "uuid", "u-1", "ethtool.feature-lro", "off", "ethtool.feature-gro", "off"]


def test_device_status():
    text = "eth0:connected:0b6a1ffb-5ee8\nlo:unmanaged:\nveth\\:x:disconnected:\n"
    assert nm.parse_device_status(text) == {
        "eth0": {"state": "connected", "uuid": "0b6a1ffb-5ee8"},
        "lo": {"state": "unmanaged", "uuid": None},
        "veth:x": {"state": "disconnected", "uuid": None},
    }
    with pytest.raises(KcrashParseError):
        nm.parse_device_status("garbage\n")


def _nm_offline(text, *args):
    nmcli = require_tool("nmcli", "network-manager")  # nmcli --offline needs NM >= 1.42
    p = subprocess.run([nmcli, "--offline", "connection", "modify"] + list(args), input=text,
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.mark.parametrize("key,text,case,info", golden.cases("nm"), ids=[c[0] for c in golden.cases("nm")])
def test_real_nmcli_agrees(key, text, case, info):
    """NetworkManager's own keyfile code (nmcli --offline) reads our output, and setting the
    same properties with nmcli yields the same [ethtool] values as our edit."""
    ours = nm.render(text, case["iface"], case["features"], info)
    args = []
    for f in case["features"]:
        args += [nm.nmcli_property(f), "off"]
    theirs = _nm_offline(text, *args)
    reread = _nm_offline(ours, "connection.id", nm.keyfile_values(ours)["connection"]["id"])
    assert nm.keyfile_values(reread)["ethtool"] == nm.keyfile_values(theirs)["ethtool"]
    for f in case["features"]:
        assert nm.keyfile_values(reread)["ethtool"]["feature-%s" % f] == "false"
