# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netdev.py on el6-shaped sysfs data.

This kernel has no bonding and no 8021q module (shared/LAB.md), so bonds and VLANs cannot
be created here: these inputs are written in the shape the probe reads from a 2.6.32
sysfs (``master`` link, ``bonding/slaves``, ``/proc/net/vlan/config``; no lower_* links).
Real bridge/veth/macvlan/vxlan/tap kinds are tested in test_probe.py in a network namespace.
"""

from ansible_collections.kcrash.nfqueue.plugins.module_utils import netdev

VLAN_CONFIG = (
    "VLAN Dev name\t | VLAN ID\n"
    "Name-Type: VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD\n"
    "bond0.100      | 100  | bond0\n"
)


def _raw(name, **attrs):
    return {"name": name, "attrs": dict((k, str(v)) for k, v in attrs.items()), "lower": [], "upper": []}


def el6_bond():
    raw = [
        _raw("lo", type=772),
        _raw("eth0", type=1, device=1, device_driver="ixgbe", master="bond0", driver="ixgbe"),
        _raw("eth1", type=1, device=1, device_driver="ixgbe", master="bond0", driver="ixgbe"),
        _raw("eth2", type=1, device=1, device_driver="e1000e", driver="e1000e"),
        _raw("bond0", type=1, bonding=1, bond_slaves="eth0 eth1", driver="bonding"),
        _raw("bond0.100", type=1),
        _raw("br0", type=1, bridge=1),
        _raw("eth3", type=1, device=1, device_driver="bnx2x", master="br0", brport=1),
    ]
    return netdev.build_interfaces(raw, netdev.parse_vlan_config(VLAN_CONFIG))


def test_vlan_config():
    assert netdev.parse_vlan_config(VLAN_CONFIG) == {"bond0.100": "bond0"}


def test_el6_kinds():
    i = el6_bond()
    assert i["eth0"]["kind"] == "bond_slave" and i["eth0"]["physical"] is True
    assert i["bond0"]["kind"] == "bond" and i["bond0"]["lower"] == ["eth0", "eth1"]
    assert i["bond0.100"]["kind"] == "vlan" and i["bond0.100"]["lower"] == ["bond0"]
    assert i["eth2"]["kind"] == "physical"
    assert i["br0"]["kind"] == "bridge" and i["br0"]["lower"] == ["eth3"]
    assert i["eth3"]["kind"] == "bridge_port" and i["eth3"]["driver"] == "bnx2x"
    assert i["lo"]["kind"] == "loopback"
    assert "bond0.100" in i["bond0"]["upper"]


def test_candidates_are_slaves_never_the_bond_or_vlan():
    i = el6_bond()
    assert netdev.candidate_nics({"interfaces": i}) == ["eth0", "eth1", "eth2", "eth3"]
    assert netdev.leaves_below(i, "bond0.100") == ["eth0", "eth1"]
    assert netdev.describe("eth0", i["eth0"]) == "eth0 (bond_slave, ixgbe, in bond0)"


def test_team_slaves_from_master_links():
    raw = [_raw("team0", driver="team"), _raw("em1", device=1, driver="tg3", master="team0")]
    i = netdev.build_interfaces(raw)
    assert i["team0"]["kind"] == "team" and i["team0"]["lower"] == ["em1"]
    assert i["em1"]["kind"] == "team_slave"
    assert netdev.candidate_nics(i) == ["em1"]


def test_garbage_is_harmless():
    assert netdev.candidate_nics(None) == []
    assert netdev.candidate_nics({"interfaces": "x"}) == []
    assert netdev.parse_vlan_config(None) == {}
