# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sosreport.py + the sosreport_facts action + playbooks/sosreport.yml on a sosreport tree
assembled from real outputs.

Real: iptables-save (iptables-legacy in a netns with the seed rule), ip -d address of that
netns, last -x on the lab wtmp, the lab incident's files (redhat-release, saved iptables,
ifcfg-eth0, vmcore-dmesg.txt) and its RHEL 6.4 ethtool -k recording, read in place.
Reconstructed (labelled): the `uname` line (the seed's crash header values) and
`ethtool_-i_eth0` (ixgbe, a PCI bus-info), which no machine here can produce.
"""

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import sosreport

from conftest import COLLECTIONS, REPO, require_tool
from report_fleet import validate

LAB = os.path.join(REPO, "lab", "images", "incident", "overlay")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
IS_ROOT = os.geteuid() == 0

UNAME = "Linux web_yp_49_202 2.6.32-358.el6.x86_64 #1 SMP Tue Jan 29 11:47:41 EST 2013 x86_64 x86_64 x86_64 GNU/Linux\n"
ETHTOOL_I = ("driver: ixgbe\nversion: 3.9.15-k\nfirmware-version: 0x61bd0001\nbus-info: 0000:04:00.0\n"
             "supports-statistics: yes\n")


def _write(root, rel, text):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)


def _copy(root, rel, src):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    shutil.copyfile(src, p)


@pytest.fixture(scope="module")
def sos_tree(tmp_path_factory):
    if not IS_ROOT:
        pytest.skip("needs root (ip netns)")
    require_tool("ipset", "ipset")
    assert os.path.isdir(LAB), "the lab incident tree is part of the checkout: %s" % LAB
    root = str(tmp_path_factory.mktemp("sos") / "sosreport-web49-2017-10-31")
    ns = "kcsos-%s" % uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        x = ["ip", "netns", "exec", ns]
        subprocess.run(x + ["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"], check=True)
        subprocess.run(x + ["ipset", "create", "lee", "hash:ip", "timeout", "300"], check=True)
        subprocess.run(x + ["iptables-legacy", "-t", "mangle", "-I", "PREROUTING", "-p", "tcp", "-m", "multiport",
                            "--dports", "80,443", "-m", "set", "--match-set", "lee", "src", "-m", "string",
                            "--string", "t.test.com", "--algo", "kmp", "--from", "0", "--to", "1480", "-j", "NFQUEUE"],
                       check=True)
        save = subprocess.run(x + ["iptables-legacy-save"], check=True, capture_output=True).stdout.decode()
        ipd = subprocess.run(x + ["ip", "-d", "address"], check=True, capture_output=True).stdout.decode()
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)
    _write(root, "uname", UNAME)
    _write(root, "hostname", "web_yp_49_202\n")
    rpms = ("kernel-2.6.32-358.el6.x86_64                             Tue 29 Jan 2013\n"
            "iptables-1.4.7-9.el6.x86_64                              Tue 29 Jan 2013\n")
    _write(root, "installed-rpms", rpms)
    _copy(root, "etc/redhat-release", os.path.join(LAB, "etc", "redhat-release"))
    _copy(root, "etc/sysconfig/iptables", os.path.join(LAB, "etc", "sysconfig", "iptables"))
    _copy(root, "etc/sysconfig/network-scripts/ifcfg-eth0",
          os.path.join(LAB, "etc", "sysconfig", "network-scripts", "ifcfg-eth0"))
    _copy(root, "etc/kdump.conf", os.path.join(LAB, "etc", "kdump.conf"))
    _copy(root, "var/crash/2017-10-31-11:53/vmcore-dmesg.txt",
          os.path.join(LAB, "usr", "local", "share", "kcrash-lab", "vmcore-dmesg.txt"))
    _copy(root, "sos_commands/networking/ethtool_-k_eth0",
          os.path.join(LAB, "usr", "local", "share", "kcrash-lab", "ethtool", "rhel64_ixgbe_ethtool-3.5_k.txt"))
    _write(root, "sos_commands/networking/ethtool_-i_eth0", ETHTOOL_I)
    _write(root, "sos_commands/networking/iptables-save", save)
    _write(root, "sos_commands/networking/ip_-d_address", ipd)
    _write(root, "sos_commands/kernel/sysctl_-a", "net.ipv4.ip_forward = 0\nnet.ipv6.conf.all.forwarding = 0\n")
    _write(root, "sos_commands/networking/unrelated_big_file", "x" * 1000)
    wtmp = os.path.join(str(tmp_path_factory.mktemp("w")), "wtmp")
    with open(os.path.join(LAB, "usr", "local", "share", "kcrash-lab", "wtmp.utmpdump"), "rb") as src, \
            open(wtmp, "wb") as dst:
        subprocess.run(["utmpdump", "-r"], stdin=src, stdout=dst, stderr=subprocess.DEVNULL, check=True)
    last = subprocess.run(["last", "-x", "-f", wtmp], check=True, capture_output=True).stdout.decode()
    _write(root, "sos_commands/login/last", last)
    return root


def _files(root):
    from ansible_collections.kcrash.nfqueue.plugins.action.sosreport_facts import read_sosreport
    return read_sosreport(root)


def test_reader_takes_only_wanted_files(sos_tree):
    files = _files(sos_tree)
    assert "sos_commands/networking/unrelated_big_file" not in files
    assert "sos_commands/networking/ethtool_-k_eth0" in files


def test_sosreport_incident_is_exposed_and_flagged(sos_tree):
    facts = sosreport.collect_facts(_files(sos_tree), host="web49")
    assert facts["kernel"]["release"] == "2.6.32-358.el6.x86_64" and facts["kernel"]["code_vulnerable"] is True
    assert facts["os"]["id"] == "rhel" and facts["os"]["version_id"] == "6.4"
    assert [p["release"] for p in facts["kernel"]["packages"]] == ["2.6.32-358.el6.x86_64"]
    eth0 = facts["interfaces"]["eth0"]
    assert eth0["kind"] == "physical" and eth0["driver"] == "ixgbe"
    assert eth0["features"]["lro"]["active"] is True
    assert [h["text"] for h in eth0["persistence"]] == ['ETHTOOL_OPTS="-G eth0 rx 4096"']
    assert [(r["table"], r["chain"]) for r in facts["nfqueue_rules"]] == [("mangle", "PREROUTING")]
    assert [(r["file"], r["chain"]) for r in facts["saved_nfqueue_rules"]] == [("/etc/sysconfig/iptables", "PREROUTING")]
    assert facts["forwarding"] == {"ipv4": False, "ipv6": False}
    assert len(facts["crash_evidence"]["wtmp_crashes"]) == 1
    assert facts["crash_evidence"]["kdump"]["kdump_conf"] is True
    e = facts["exposure"]
    assert e["level"] == "exposed" and e["flagged"] is True
    assert e["interfaces"] == ["eth0"]
    assert any("eth0 (physical, ixgbe) has large-receive-offload on" in r for r in e["reasons"])
    assert facts["probe"]["source"] == "sosreport"


def test_empty_sosreport_is_unknown_not_a_crash():
    facts = sosreport.collect_facts({"uname": UNAME})
    e = facts["exposure"]
    # a vulnerable el6 kernel with no rule or NIC data is unknown, never a lower verdict
    assert e["level"] == "unknown" and e["flagged"] is False
    assert e["legs"] == {"kernel": "live", "rules": "unknown", "lro": "unknown"}
    assert e["interfaces"] == [] and e["rules"] == []
    assert "ethtool" in facts["probe"]["missing_tools"]


def test_sosreport_playbook_writes_the_report(sos_tree, tmp_path):
    if not os.path.exists(ANSIBLE_PLAYBOOK):
        pytest.skip("ansible-playbook missing")
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="false")
    extra = json.dumps({"kcrash_sosreport_dirs": [sos_tree], "kcrash_detect_report_dir": str(tmp_path / "rep")})
    p = subprocess.run([ANSIBLE_PLAYBOOK, "kcrash.nfqueue.sosreport", "-e", extra], capture_output=True, env=env,
                       timeout=300, cwd=str(tmp_path), check=False)
    out = p.stdout.decode()
    assert p.returncode == 0, out[-3000:] + p.stderr.decode()[-2000:]
    rep = validate(json.loads((tmp_path / "rep" / "kcrash-exposure.json").read_text()))
    assert rep["counts"]["verdict"] == {"exposed": 1}
    assert rep["hosts"][0]["host"] == "sosreport-web49-2017-10-31" and rep["hosts"][0]["crashed_before"] is True
    assert (tmp_path / "rep" / "kcrash-exposure.html").read_text().count("<tr class=") == 1
    assert "1 hosts: exposed 1" in out
