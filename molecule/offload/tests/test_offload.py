# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verify the offload scenario with the tools inside the lab containers: real ones, except on
incident, where `ethtool` (eth0's LRO state) and `uname` are LAB STAND-INS, and so is the boot
replay of ETHTOOL_OPTS (lab/images/incident/.../ifup-ethtool.sh, initscripts 9.03.24 behaviour).

Commands run as `podman exec <container> /bin/sh -c ...` (molecule/shared/kcrash_testinfra.py),
so they work on the Python-less `bare` host too. Persistence is proven with the host's own
boot/ifup path: on incident a container restart (the lab init replays ETHTOOL_OPTS the way
el6 ifup-eth does, on a NIC reset to its recorded LRO-on state), on modern the real
ifdown/ifup of ifupdown with the ethtool package's hook.
"""

import os

import pytest
from kcrash_testinfra import restart_container

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def kind(host):
    return host.check_output("uname -n")


def only(host, *kinds):
    if kind(host) not in kinds:
        pytest.skip("not a %s host" % "/".join(kinds))


def features(host, iface):
    out = host.check_output("ethtool -k %s" % iface)
    return dict(line.split(": ", 1) for line in out.splitlines()[1:] if ": " in line)


def test_incident_runtime_and_ifcfg(host):
    only(host, "incident")
    assert features(host, "eth0")["large-receive-offload"] == "off"
    cfg = host.file("/etc/sysconfig/network-scripts/ifcfg-eth0").content_string
    assert 'ETHTOOL_OPTS="-G eth0 rx 4096; -K eth0 lro off"\n' in cfg
    with open(os.path.join(REPO, "lab/images/incident/overlay/etc/sysconfig/network-scripts/ifcfg-eth0")) as f:
        original = f.read()
    # every other line is byte for byte what the image shipped
    assert cfg == original.replace('ETHTOOL_OPTS="-G eth0 rx 4096"', 'ETHTOOL_OPTS="-G eth0 rx 4096; -K eth0 lro off"')
    backups = host.check_output("ls /var/backups/kcrash-nfqueue/*/etc_sysconfig_network-scripts_ifcfg-eth0").split()
    assert len(backups) == 1
    assert host.file(backups[0]).content_string == original


def test_incident_lro_stays_off_after_reboot(host):
    only(host, "incident")
    name = "offload-incident"
    restart_container(host, name)
    log = host.check_output("cat /var/log/kcrash-lab-init.log")
    # the boot replica ran our command (veth refuses -G: that failure is the image's own)
    assert "-K eth0 lro off failed" not in log
    # the stand-in NIC was reset to its recorded LRO-on state at "boot"; ETHTOOL_OPTS turned it off
    assert features(host, "eth0")["large-receive-offload"] == "off"


def test_modern_interfaces_file(host):
    only(host, "modern")
    text = host.file("/etc/network/interfaces").content_string
    with open(os.path.join(REPO, "lab/images/modern/overlay/etc/network/interfaces")) as f:
        original = f.read()
    assert text == original.replace("offload-gro on", "offload-gro off").replace("offload-gso on", "offload-gso off")


def test_modern_real_gro_gso_off(host):
    only(host, "modern")
    for iface in ("eth0", "lab0"):
        f = features(host, iface)
        assert f["generic-receive-offload"] == "off", iface
        assert f["generic-segmentation-offload"] == "off", iface
        assert f["large-receive-offload"] == "off [fixed]"


def test_modern_persists_across_ifdown_ifup(host):
    only(host, "modern")
    host.check_output("ifdown lab0")
    host.check_output("ethtool -K lab0 gro on gso on")     # what a fresh device would have
    assert features(host, "lab0")["generic-receive-offload"] == "on"
    host.check_output("ifup lab0")
    f = features(host, "lab0")
    assert f["generic-receive-offload"] == "off" and f["generic-segmentation-offload"] == "off"


def test_bare_has_no_python_and_gso_is_off(host):
    only(host, "bare")
    assert host.run("command -v python3 || command -v python").rc != 0
    assert features(host, "eth0")["generic-segmentation-offload"] == "off"
