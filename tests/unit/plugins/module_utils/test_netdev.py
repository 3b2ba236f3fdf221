# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netdev.py on el6-shaped sysfs data.

This kernel has no bonding and no 8021q module (shared/LAB.md), so bonds and VLANs cannot
be created here: these inputs are written in the shape the probe reads from a 2.6.32
sysfs (``master`` link, ``bonding/slaves``, ``/proc/net/vlan/config``; no lower_* links).
Real bridge/veth/macvlan/vxlan/tap kinds are walked in a network namespace below
(tests/unit/netns.py, shared with test_probe.py, which runs the whole probe there).
"""

import json
import os
import tempfile

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import netdev

from netns import NetNS, add_virtual_devices

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root (ip netns)")
MARK = "KCWALK-7f3a:"

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


# --- issue 17: mutation score (scripts/mutation.sh plugins/module_utils/netdev.py) ---
# The walk script run by a real shell in a real network namespace; the expected values come
# from `ip -json -details link show` (iproute2) and `ethtool -k` run separately, not from
# netdev's own parsing.
class _NS(NetNS):
    """A namespace that runs the interface walk alone."""

    def __init__(self):
        NetNS.__init__(self, "kcnd")

    def walk(self, shell, path=None, marker=MARK):
        env = dict(os.environ)
        if path:
            env["PATH"] = path
        with tempfile.TemporaryDirectory() as t:
            env["KC_T"] = t
            p = self.x(*(list(shell) + ["-c", netdev.walk_script(marker)]), env=env)
        assert p.returncode == 0, p.stderr
        return p.stdout


def _lab(ns):
    add_virtual_devices(ns)
    ns.x("ip", "link", "add", "ifb0", "type", "ifb")
    ns.x("ip", "link", "set", "lo", "up")
    ns.x("ip", "link", "set", "vethA", "mtu", "9000")
    ns.x("ip", "link", "set", "vethA", "up")
    ns.x("ip", "link", "set", "vethB", "up")
    return dict((d["ifname"], d) for d in json.loads(ns.x("ip", "-json", "-details", "link", "show").stdout))


# iproute2's link kind -> the kind / virtual type netdev's doc promises
_KIND = {"veth": ("virtual", "veth"), "macvlan": ("virtual", "macvlan"), "vxlan": ("virtual", "vxlan"),
         "tun": ("virtual", "tun"), "ifb": ("virtual", "ifb"), "bridge": ("bridge", None)}


@needs_root
@pytest.mark.parametrize("shell", [("dash",), ("busybox", "sh")])
def test_walk_of_a_real_namespace(shell):
    with _NS() as ns:
        ip = _lab(ns)
        out = ns.walk(shell)
        ethtool_k = dict((n, ns.x("ethtool", "-k", n).stdout) for n in ip)
    raw, vlan, flags = netdev.parse_walk(out, MARK)
    assert flags == {"no_ethtool": False, "truncated": False}
    assert [r["name"] for r in raw] == sorted(ip)     # /sys/class/net/* order
    assert vlan is None                                # no 8021q in a fresh namespace's /proc/net
    i = netdev.build_interfaces(raw, netdev.parse_vlan_config(vlan))
    for name, d in ip.items():
        r = [x for x in raw if x["name"] == name][0]
        a = r["attrs"]
        assert a["ifindex"] == str(d["ifindex"]) and a["mtu"] == str(d["mtu"]), name
        assert a["operstate"].upper() == d["operstate"] or d["operstate"] == "UNKNOWN", name
        assert i[name]["mtu"] == d["mtu"] and i[name]["operstate"] == a["operstate"], name
        assert i[name]["master"] == d.get("master"), name
        assert r["ethtool_k"].strip("\n") == ethtool_k[name].strip("\n") and r["ethtool_rc"] == 0, name
        assert r["ethtool_err"] == "", name
        info = d.get("linkinfo") or {}
        if name == "lo":
            assert a["type"] == "772" and i[name]["kind"] == "loopback"
            continue
        kind, vtype = _KIND[info["info_kind"]]
        if info.get("info_slave_kind") == "bridge":
            kind = "bridge_port"
        assert (i[name]["kind"], i[name]["virtual_type"]) == (kind, vtype), name
        assert i[name]["physical"] is False and i[name]["driver"], name
        if info["info_kind"] == "macvlan":
            assert i[name]["lower"] == [d["link"]] and name in i[d["link"]]["upper"]
        # sysfs' bridge/, brport/ and tun_flags entries, as iproute2 names the device
        assert (a.get("bridge") == "1") is (info["info_kind"] == "bridge"), name
        assert (a.get("brport") == "1") is (info.get("info_slave_kind") == "bridge"), name
        assert (a.get("tun") == "1") is (info["info_kind"] == "tun"), name
    assert i["vethA"]["mtu"] == 9000 and i["vethA"]["operstate"] in ("up", "lowerlayerdown", "unknown")
    assert i["br0"]["lower"] == ["vethB"] and i["vx0"]["lower"] == ["vethA"]
    assert sorted(i["vethA"]["upper"]) == ["mv0", "vx0"]
    # leaves: veth ends, the tap and the ifb; never the bridge, the macvlan or the vxlan on vethA
    assert netdev.candidate_nics(i) == ["ifb0", "tap0", "vethA", "vethB"]
    assert netdev.leaves_below(i, "mv0") == ["vethA"] and netdev.leaves_below(i, "br0") == ["vethB"]
    assert netdev.describe("vethB", i["vethB"]) == "vethB (bridge_port, veth, veth, in br0)"
    assert netdev.describe("tap0", i["tap0"]) == "tap0 (virtual, tun, tun)"
    assert netdev.describe("br0", i["br0"]) == "br0 (bridge, bridge)"


@needs_root
def test_walk_without_ethtool_says_so():
    with _NS() as ns:
        ns.x("ip", "link", "add", "vethA", "type", "veth", "peer", "name", "vethB")
        out = ns.walk(("dash",), path="/usr/bin:/bin")   # ethtool lives in /usr/sbin
    raw, vlan, flags = netdev.parse_walk(out, MARK)
    assert flags == {"no_ethtool": True, "truncated": False}
    assert [r["name"] for r in raw] == ["lo", "vethA", "vethB"]
    assert all(r["ethtool_k"] is None and r["ethtool_rc"] is None and r["ethtool_err"] == "" for r in raw)
    assert netdev.build_interfaces(raw)["vethA"]["driver"] is None
    assert netdev.build_interfaces(raw)["vethA"]["kind"] == "virtual"
    assert netdev.build_interfaces(raw)["vethA"]["virtual_type"] is None   # unknown, not guessed


def test_parse_walk_keeps_ethtool_stderr_and_vlan_config():
    # the walk's framing, as walk_script prints it (its printf formats), for a device whose
    # `ethtool -k` failed, followed by the el6 /proc/net/vlan/config section
    m = MARK
    text = "".join([
        "stray=1\n",      # anything before the first device (a shell warning) is not an attribute
        m + "IF eth0\n", "type=1\n", "mtu=1500\n", "device=1\n", "master=bond0\n", "junk line\n",
        m + "ETHTOOL_K\n", "\n" + m + "ETHTOOL_RC 75\n",
        "Cannot get device feature names: Operation not supported\n", "\n" + m + "END\n",
        m + "IF bond0\n", "bonding=1\n", "bond_slaves=eth0\n", "lower=eth0\n", "upper=bond0.100\n",
        m + "ETHTOOL_K\n", "Features for bond0:\nlarge-receive-offload: off\n", "\n" + m + "ETHTOOL_RC x\n",
        "\n" + m + "END\n",
        m + "TRUNCATED\n",
        m + "VLAN\n", VLAN_CONFIG,
    ])
    raw, vlan, flags = netdev.parse_walk(text, m)
    assert flags == {"no_ethtool": False, "truncated": True}
    eth0, bond0 = raw
    assert eth0["attrs"] == {"type": "1", "mtu": "1500", "device": "1", "master": "bond0"}
    assert eth0["ethtool_k"] == "" and eth0["ethtool_rc"] == 75
    assert eth0["ethtool_err"] == "Cannot get device feature names: Operation not supported"
    assert bond0["lower"] == ["eth0"] and bond0["upper"] == ["bond0.100"]
    assert bond0["ethtool_k"] == "Features for bond0:\nlarge-receive-offload: off\n"
    assert bond0["ethtool_rc"] is None and bond0["ethtool_err"] == ""
    assert vlan == VLAN_CONFIG
    assert netdev.parse_vlan_config(vlan) == {"bond0.100": "bond0"}


def test_every_kind_is_a_documented_kind():
    i = el6_bond()
    i.update(netdev.build_interfaces([_raw("team0", driver="team"), _raw("em1", device=1, master="team0"),
                                      _raw("veth0", driver="veth")]))
    assert set(x["kind"] for x in i.values()) == set(netdev.KINDS) == {
        "loopback", "physical", "bond", "bond_slave", "team", "team_slave", "bridge", "bridge_port",
        "vlan", "virtual"}


def test_facts_lro_drivers_are_listed():
    # shared/FACTS.md: drivers with LRO that can be on (netxen/bnxt/mlx5 as `ethtool -i` names them)
    for drv in ("ixgbe", "bnx2x", "vmxnet3", "qlcnic", "netxen_nic", "myri10ge", "s2io", "bnxt_en",
                "mlx5_core"):
        assert drv in netdev.LRO_DRIVERS, drv


def test_el6_sysfs_shapes_without_master_of_known_kind():
    # el6: a slave's bonding_slave/brport directory says its role even when the master's own
    # entry was not read (e.g. the walk was truncated)
    i = netdev.build_interfaces([
        _raw("eth0", device=1, master="bond9", bonding_slave=1),
        _raw("eth1", device=1, master="br9", brport=1),
        _raw("eth2", device=1, brport=1),
        _raw("eth3", device=1, bonding_slave=1),
        _raw("eth4", device=1, master="mystery9"),
        _raw("tap1", tun=1),
        _raw("vx1", devtype="vxlan"),
        _raw("lo0", type=772),
        _raw("eth5", device=1, type="x", mtu=""),
    ])
    assert [i[n]["kind"] for n in ("eth0", "eth1", "eth2", "eth3", "eth4")] == [
        "bond_slave", "bridge_port", "bridge_port", "bond_slave", "physical"]
    assert (i["tap1"]["kind"], i["tap1"]["virtual_type"]) == ("virtual", "tun")
    assert (i["vx1"]["kind"], i["vx1"]["virtual_type"]) == ("virtual", "vxlan")
    assert i["lo0"]["kind"] == "loopback" and i["eth5"]["mtu"] is None
    assert i["eth4"]["master"] == "mystery9"
    assert netdev.candidate_nics(i) == ["eth0", "eth1", "eth2", "eth3", "eth4", "eth5", "tap1", "vx1"]


def test_kind_from_devtype_or_driver_alone():
    i = netdev.build_interfaces([
        _raw("b1", devtype="bond"), _raw("t1", devtype="team"), _raw("br1", devtype="bridge"),
        _raw("br2", driver="bridge"), _raw("v1", devtype="vlan"), _raw("v2", driver="802.1Q VLAN Support"),
        _raw("b2", driver="bonding"),
    ])
    assert dict((n, x["kind"]) for n, x in i.items()) == {
        "b1": "bond", "t1": "team", "br1": "bridge", "br2": "bridge", "v1": "vlan", "v2": "vlan", "b2": "bond"}
    assert netdev.candidate_nics(i) == []


def test_leaves_below_deep_stacks_and_loops():
    i = el6_bond()
    # VLAN on a bond on two slaves, bridge on a port: depth first, no duplicates
    assert netdev.leaves_below(i, "bond0") == ["eth0", "eth1"]
    assert netdev.leaves_below(i, "eth2") == ["eth2"]
    assert netdev.leaves_below(i, "nope") == []
    loop = {"a": {"kind": "bond", "lower": ["b"]}, "b": {"kind": "vlan", "lower": ["a", "c"]},
            "c": {"kind": "physical", "lower": []}}
    assert netdev.leaves_below(loop, "a") == ["c"]
    twice = {"v": {"kind": "vlan", "lower": ["b1", "b2"]}, "b1": {"kind": "bond", "lower": ["e"]},
             "b2": {"kind": "bond", "lower": ["e"]}, "e": {"kind": "physical"}}
    assert netdev.leaves_below(twice, "v") == ["e"]


def test_describe_and_candidate_details():
    assert netdev.describe("x", {}) == "x (?)"
    assert netdev.describe("mv0", {"kind": "virtual", "virtual_type": "macvlan", "driver": "macvlan"}) == \
        "mv0 (virtual, macvlan, macvlan)"
    assert netdev.is_candidate({"kind": "virtual", "lower": []}) is True
    assert netdev.is_candidate({"kind": "virtual", "lower": ["eth0"]}) is False
    assert netdev.is_candidate({"kind": "mystery"}) is False
    assert netdev.candidate_nics({"eth0": {"kind": "physical"}, "bad": "x"}) == ["eth0"]
    assert netdev.candidate_nics({"interfaces": {"eth0": {"kind": "physical"}}}) == ["eth0"]


def test_vlan_config_lines():
    text = (VLAN_CONFIG + "eth0.7 | 7 | eth0\n" + "bad | x | eth0\n" + " | 8 | eth0\n" + "eth0.9 | 9 | \n"
            + "a | 1 | b | c\n")
    assert netdev.parse_vlan_config(text) == {"bond0.100": "bond0", "eth0.7": "eth0"}


def test_el6_without_ethtool_kinds_from_sysfs_alone():
    # no ethtool -i (no driver names): the bonding/ directory, the type file, the master link
    i = netdev.build_interfaces([
        _raw("bond0", type=1, bonding=1, bond_slaves="eth0"), _raw("eth0", type=1, device=1, master="bond0"),
        _raw("lo")])
    assert i["bond0"]["kind"] == "bond" and i["bond0"]["lower"] == ["eth0"]
    assert i["eth0"]["kind"] == "bond_slave" and i["lo"]["kind"] == "loopback"
    assert netdev.candidate_nics(i) == ["eth0"]


def test_truncated_walk_keeps_links_to_devices_not_read():
    # el6 bonding/slaves and newer upper_* links name devices the (truncated) walk never reached
    raw = [{"name": "bond0", "attrs": {"bonding": "1", "bond_slaves": "eth1 eth0"}, "lower": [], "upper": []},
           {"name": "eth0", "attrs": {"device": "1", "master": "bond0"}, "lower": [], "upper": ["bond0", "br9"]}]
    i = netdev.build_interfaces(raw)
    assert i["bond0"]["lower"] == ["eth1", "eth0"]      # the bonding/slaves order, eth1 not walked
    assert i["eth0"]["upper"] == ["bond0", "br9"]
    assert netdev.leaves_below(i, "bond0") == ["eth0"]


@needs_root
def test_walk_marker_goes_through_shell_quote():
    # design rule: every value that reaches shell text is quoted; the marker was not (M=%s raw)
    marker = "KC walk 'q' $(echo x):"
    with _NS() as ns:
        out = ns.walk(("dash",), marker=marker)
    raw, vlan, flags = netdev.parse_walk(out, marker)
    assert [r["name"] for r in raw] == ["lo"] and raw[0]["ethtool_rc"] == 0


def test_bond_without_slaves_has_nothing_below():
    # el6: bonding/slaves of a bond with no slave is empty (the walk prints `bond_slaves=`)
    i = netdev.build_interfaces([_raw("bond1", type=1, bonding=1, bond_slaves="")])
    assert i["bond1"]["lower"] == [] and netdev.leaves_below(i, "bond1") == []


# --- end of issue 17 block ---
