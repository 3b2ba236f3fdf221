# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""offload/plan.py: decisions from recorded ethtool output and real sample files."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import plan as P
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import udev
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import posix_cksum

from .reads import EL64, IFCFG, IFCFG_PATH, IXGBE, VETH, fixed_on, make_read


def test_incident_ifcfg_plan():
    read = make_read({"eth0": ("physical", IXGBE), "lo": ("loopback", VETH)}, {IFCFG_PATH: IFCFG}, EL64)
    p = P.plan(read, ["lro"])
    assert not p["errors"] and p["changed"]
    assert p["runtime"] == [{"interface": "eth0", "features": ["lro"], "labels": ["large-receive-offload"]}]
    [ch] = p["changes"]
    assert ch.path == IFCFG_PATH and ch.expect == posix_cksum(IFCFG)
    assert 'ETHTOOL_OPTS="-G eth0 rx 4096 tx 4096; -K eth0 lro off"' in ch.content
    e = p["interfaces"]["eth0"]
    assert e["persist"]["backend"] == "ifcfg" and "inferred" in e["persist"]["reason"]
    assert e["before"]["lro"]["active"] and not e["after"]["lro"]["active"]
    assert "lo" not in p["interfaces"]
    headers = [d["before_header"] for d in p["diff"]]
    assert IFCFG_PATH in headers and "eth0 features (before)" in headers


def test_second_run_is_a_no_op():
    read = make_read({"eth0": ("physical", IXGBE)}, {IFCFG_PATH: IFCFG}, EL64)
    first = P.plan(read, ["lro"])
    after = make_read({"eth0": ("physical", IXGBE.replace("large-receive-offload: on", "large-receive-offload: off"))},
                      {IFCFG_PATH: first["changes"][0].content}, EL64)
    again = P.plan(after, ["lro"])
    assert not again["changed"] and not again["changes"] and not again["runtime"]
    assert again["files"] == [{"path": IFCFG_PATH, "backend": "ifcfg", "action": "none"}]


def test_fixed_on_is_not_remediable_and_nothing_planned():
    read = make_read({"eth0": ("physical", fixed_on(IXGBE))}, {IFCFG_PATH: IFCFG}, EL64)
    p = P.plan(read, ["lro"])
    assert not p["changed"] and not p["changes"]
    assert p["interfaces"]["eth0"]["status"] == "not_remediable"
    assert "nfqueue_drop" in p["errors"][0] and "[fixed]" in p["errors"][0]


def test_fixed_off_is_compliant():
    p = P.plan(make_read({"eth0": ("virtual", VETH)}), ["lro"])
    assert not p["changed"] and not p["errors"]
    assert p["interfaces"]["eth0"]["fixed_off"] == ["lro"]
    assert p["interfaces"]["eth0"]["persist"]["backend"] is None


def test_requested_on_is_reported_and_switched_off():
    text = IXGBE.replace("large-receive-offload: on", "large-receive-offload: off [requested on]")
    p = P.plan(make_read({"eth0": ("physical", text)}, {IFCFG_PATH: IFCFG}, EL64), ["lro"])
    assert p["interfaces"]["eth0"]["requested_on"] == ["lro"]
    assert p["runtime"][0]["features"] == ["lro"]
    assert any("requested on" in w for w in p["warnings"])


def test_unknown_interface_and_bad_names():
    p = P.plan(make_read({"eth0": ("physical", IXGBE)}), ["lro"], interfaces=["eth9"])
    assert p["errors"] and "eth9 does not exist" in p["errors"][0] and not p["changed"]
    with pytest.raises(KcrashInputError):
        P.plan(make_read({"eth0": ("physical", IXGBE)}), ["lro"], interfaces=["eth0;reboot"])
    with pytest.raises(KcrashInputError):
        P.plan(make_read({"eth0": ("physical", IXGBE)}), ["lro"], backend="systemd")


def test_ethtool_missing():
    p = P.plan(make_read({"eth0": ("physical", None)}, no_ethtool=True), ["lro"])
    assert "ethtool is not installed" in p["errors"][0]


def test_unreadable_ifcfg_writes_nothing():
    # the read probe reports the file (UNREADABLE) but has no text for it
    read = make_read({"eth0": ("physical", IXGBE)}, {}, dict(EL64, udev_rules_d="1"),
                     unreadable={IFCFG_PATH: "permission denied"})
    p = P.plan(read, ["lro"], host="web49")
    assert not p["changes"] and not p["changed"]
    assert "cannot read it (permission denied)" in p["errors"][0] and IFCFG_PATH in p["errors"][0]


def test_old_initscripts_fall_back_to_udev():
    read = make_read({"eth0": ("physical", IXGBE)}, {IFCFG_PATH: IFCFG},
                     {"redhat_release": "Red Hat Enterprise Linux Server release 6.1 (Santiago)", "udev_rules_d": "1"})
    p = P.plan(read, ["lro"])
    [ch] = p["changes"]
    assert ch.path == udev.PATH and ch.expect == ""
    assert 'KERNEL=="eth0", RUN+="/sbin/ethtool -K eth0 lro off"' in ch.content
    with_rpm = make_read({"eth0": ("physical", IXGBE)}, {IFCFG_PATH: IFCFG}, {"rpm_initscripts": "9.03.23"})
    p = P.plan(with_rpm, ["lro"], backend="ifcfg")
    assert "only runs 'ethtool -s'" in p["errors"][0]


def test_networkmanager_running_uses_nmcli():
    nm_state = {"status": {"eth0": {"state": "connected", "uuid": "u-1"}},
                "connections": {"eth0": {"uuid": "u-1", "features": {"lro": "ignore", "gro": "off", "gso": "on", "tso": "on"}}}}
    read = make_read({"eth0": ("physical", IXGBE)}, {IFCFG_PATH: IFCFG},
                     {"nm_running": "running", "nm_version": "nmcli tool, version 1.42.2"}, nm_state=nm_state)
    p = P.plan(read, ["lro"])
    assert p["nm_commands"][0]["args"] == ["connection", "modify", "uuid", "u-1", "ethtool.feature-lro", "off"]
    assert p["nm_commands"][0]["previous"] == {"lro": "ignore"}
    assert not p["changes"]
    nm_state["connections"]["eth0"]["features"]["lro"] = "off"
    p = P.plan(read, ["lro"])
    assert not p["nm_commands"]
    old = make_read({"eth0": ("physical", IXGBE)}, {}, {"nm_running": "running", "nm_version": "nmcli tool, version 1.12.4"},
                    nm_state=nm_state)
    assert "needs >= 1.14" in P.plan(old, ["lro"])["errors"][0]


def test_persist_false_and_forced_backend():
    read = make_read({"eth0": ("physical", IXGBE)}, {IFCFG_PATH: IFCFG}, EL64)
    p = P.plan(read, ["lro"], persist=False)
    assert p["changed"] and not p["changes"]
    p = P.plan(read, ["lro"], backend="ifupdown")
    assert "backend ifupdown does not manage" in p["errors"][0]


def test_facts_choose_the_interfaces():
    read = make_read({"eth0": ("physical", IXGBE), "eth1": ("physical", IXGBE)}, {}, {"udev_rules_d": "1"})
    facts = {"interfaces": {"eth1": {"kind": "bond_slave", "lower": []}, "bond0": {"kind": "bond", "lower": ["eth1"]}}}
    p = P.plan(read, ["lro"], facts=facts)
    assert list(p["interfaces"]) == ["eth1"] and p["interfaces_source"].startswith("ansible_facts")


def test_malformed_ethtool_output_names_host_and_command():
    p = P.plan(make_read({"eth0": ("physical", "garbage\n")}), ["lro"], host="web49")
    assert "host web49" in p["errors"][0] and "ethtool -k eth0" in p["errors"][0]


def test_nm_keyfile_secrets_stay_out_of_diffs():
    path = "/etc/NetworkManager/system-connections/wired.nmconnection"
    key = ("[connection]\nid=wired\ntype=ethernet\ninterface-name=eth0\n\n[802-1x]\neap=peap;\n"
           "password=hunter2\n\n[ipv4]\nmethod=auto\n")
    p = P.plan(make_read({"eth0": ("physical", IXGBE)}, {path: key}), ["lro"])
    [ch] = p["changes"]
    assert "password=hunter2" in ch.content and "feature-lro=false" in ch.content
    shown = [d for d in p["diff"] if d["after_header"] == path][0]
    assert "hunter2" not in shown["before"] + shown["after"] + p["files"][0]["unified_diff"]
    assert "password=<redacted>" in shown["after"]


def test_ifupdown_line_it_cannot_read_is_said_in_the_plan():
    """issue 13: a stanza line that may set the offloads in a form the reader does not follow
    is reported (warning, persist reason) instead of getting a duplicate; runtime still fixed."""
    interfaces = ("auto eth0\niface eth0 inet manual\n"
                  "    post-up if [ -x /sbin/ethtool ]; then /sbin/ethtool -K $IFACE lro off; fi\n")
    read = make_read({"eth0": ("physical", IXGBE)}, {"/etc/network/interfaces": interfaces})
    p = P.plan(read, ["lro"], backend="ifupdown")
    assert not p["errors"] and not p["changes"]
    assert p["runtime"][0]["interface"] == "eth0"
    assert any("not persisted" in w and "line 3" in w for w in p["warnings"]), p["warnings"]
    assert "line 3" in p["interfaces"]["eth0"]["persist"]["reason"]
    compliant = "auto eth0\niface eth0 inet manual\n    post-up /usr/sbin/ethtool -K eth0 lro off\n"
    p = P.plan(make_read({"eth0": ("physical", IXGBE)}, {"/etc/network/interfaces": compliant}), ["lro"],
               backend="ifupdown")
    assert not p["errors"] and not p["changes"] and not p["warnings"]
    assert p["files"] == [{"path": "/etc/network/interfaces", "backend": "ifupdown", "action": "none"}]
