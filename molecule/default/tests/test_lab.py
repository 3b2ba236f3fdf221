# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Smoke checks of the lab hosts themselves, with the tools inside the containers: real ones,
except the incident host's LAB STAND-INS `ethtool` (eth0 plays a recorded RHEL 6.4 ixgbe) and
`uname` (reports 2.6.32-358.el6; lab/README.md).

Commands run as `podman exec <container> /bin/sh -c ...` (see molecule/shared/kcrash_testinfra.py).
"""

import pytest

SEED_RULE = (
    "-A PREROUTING -p tcp -m multiport --dports 80,443 -m set --match-set lee src "
    '-m string --string "t.test.com" --algo kmp --to 1480 -j NFQUEUE'
)


def kind(host):
    """Lab host kind: the container hostname (incident, modern, bare, clean)."""
    return host.check_output("uname -n")


def only(host, *kinds):
    if kind(host) not in kinds:
        pytest.skip("not a %s host" % "/".join(kinds))


def test_lab_init_finished(host):
    assert host.file("/run/kcrash-lab/ready").exists
    assert not host.file("/run/kcrash-lab/failed").exists


def test_incident_stand_in_uname(host):
    only(host, "incident")
    assert host.check_output("uname -r") == "2.6.32-358.el6.x86_64"
    # the stand-in is first in PATH; the real kernel is still visible in /proc
    assert host.check_output("command -v uname") == "/usr/local/sbin/uname"
    assert host.check_output("cat /proc/sys/kernel/osrelease") != "2.6.32-358.el6.x86_64"


def test_incident_live_seed_rule(host):
    only(host, "incident")
    saved = host.check_output("iptables-save -t mangle")
    assert SEED_RULE in saved
    assert "lee" in host.check_output("ipset list -n")


def test_incident_files(host):
    only(host, "incident")
    assert host.file("/etc/redhat-release").content_string.startswith(
        "Red Hat Enterprise Linux Server release 6.4 (Santiago)")
    assert not host.file("/etc/os-release").exists
    dmesg = host.file("/var/crash/2017-10-31-11:53/vmcore-dmesg.txt").content_string
    assert "IP: [<ffffffff81475718>] nf_queue+0x98/0x1e0" in dmesg
    assert "Kernel panic - not syncing: Fatal exception in interrupt" in dmesg
    assert "- crash" in host.check_output("last -x -f /var/log/wtmp")
    assert 'ETHTOOL_OPTS="-G eth0 rx 4096"' in host.file(
        "/etc/sysconfig/network-scripts/ifcfg-eth0").content_string


def test_incident_ethtool_stand_in_keeps_state(host):
    only(host, "incident")
    assert "large-receive-offload: on" in host.check_output("ethtool -k eth0")
    fixed = host.run("ethtool -K eth0 ufo on")
    assert fixed.rc == 1
    assert "Cannot change udp-fragmentation-offload" in fixed.stderr
    assert "Could not change any device features" in fixed.stderr
    host.run_expect([0], "ethtool -K eth0 lro off")
    assert "large-receive-offload: off" in host.check_output("ethtool -k eth0")
    host.run_expect([0], "ethtool -K eth0 lro on")


def test_modern_inline_ips(host):
    only(host, "modern")
    rule = "-A FORWARD -j NFQUEUE --queue-balance 0:1 --queue-bypass"
    assert rule in host.check_output("iptables-save")
    assert rule in host.check_output("ip6tables-save")
    assert "(nf_tables)" in host.check_output("iptables -V")
    lab0 = host.check_output("ethtool -k lab0")
    assert "generic-receive-offload: on" in lab0
    assert "large-receive-offload: off [fixed]" in lab0
    assert host.check_output("cat /proc/sys/net/ipv4/ip_forward") == "1"


def test_bare_has_no_python(host):
    only(host, "bare")
    assert host.run("command -v python3 python").rc != 0
    assert host.check_output("readlink /bin/sh") == "/usr/bin/busybox"
    assert "NFQUEUE" in host.check_output("iptables-save")


def test_clean_has_nothing_to_remediate(host):
    only(host, "clean")
    assert "NFQUEUE" not in host.check_output("iptables-save")
    assert "large-receive-offload: off [fixed]" in host.check_output("ethtool -k eth0")
