# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netplan: the edited YAML means what we want (read back with a YAML parser) and
everything else in the file is untouched."""

import subprocess

import pytest
import yaml

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import PersistError, netplan

import persist_golden as golden
from conftest import require_tool

OK = [c for c in golden.cases("netplan") if "refused" not in c[2]]


@pytest.mark.parametrize("key,text,case,info", OK, ids=[c[0] for c in OK])
def test_yaml_meaning(key, text, case, info):
    out = netplan.render(text, case["iface"], case["features"], info)
    before, after = yaml.safe_load(text), yaml.safe_load(out)
    nic = after["network"]["ethernets"][case["iface"]]
    for f in case["features"]:
        assert nic[netplan.KEYS[f]] is False
    # nothing else changed in the data either
    for f in case["features"]:
        before["network"]["ethernets"][case["iface"]][netplan.KEYS[f]] = False
    assert before == after


@pytest.mark.parametrize("text,msg", [
    ("network:\n\tethernets:\n", "tab"),
    ("network:\n  ethernets:\n    eth0: &x\n      dhcp4: true\n", "anchors"),
    ("network:\n  version: 2\n---\nnetwork:\n  version: 2\n", "several YAML documents"),
    ("network: {ethernets: {eth0: {}}}\n", "flow style"),
    ("network:\n  renderer: NetworkManager\n  ethernets:\n    eth0:\n      dhcp4: true\n", "use backend=nm"),
    ("network:\n  ethernets:\n    eth1:\n      dhcp4: true\n", "no 'network: ethernets: eth0:'"),
])
def test_refusals(text, msg):
    with pytest.raises(PersistError) as e:
        netplan.render(text, "eth0", ["lro"], {"path": "/etc/netplan/01.yaml"})
    assert msg in str(e.value)


def test_keeps_trailing_comment_and_quoting():
    text = "network:\n  ethernets:\n    \"eth0\":\n      large-receive-offload: true   # vendor advice\n"
    out = netplan.render(text, "eth0", ["lro"])
    assert out == "network:\n  ethernets:\n    \"eth0\":\n      large-receive-offload: false   # vendor advice\n"


def test_manages_last_file_wins_and_etc_hides_lib():
    a = "network:\n  ethernets:\n    eth0:\n      dhcp4: true\n"
    files = {"/lib/netplan/50-x.yaml": a, "/etc/netplan/10-a.yaml": a, "/etc/netplan/50-x.yaml": "network:\n  version: 2\n"}
    assert netplan.manages(files, "eth0") == "/etc/netplan/10-a.yaml"
    files["/run/netplan/90-z.yaml"] = a
    assert netplan.manages(files, "eth0") == "/run/netplan/90-z.yaml"
    assert netplan.manages(files, "eth7") is None


@pytest.mark.parametrize("key,text,case,info", OK, ids=[c[0] for c in OK])
def test_real_netplan_generate_emits_the_link_keys(tmp_path, key, text, case, info):
    """The real `netplan generate` turns our edited file into a systemd .link carrying the keys."""
    d = tmp_path / "etc" / "netplan"
    d.mkdir(parents=True)
    f = d / "01-test.yaml"
    f.write_text(netplan.render(text, case["iface"], case["features"], info))
    f.chmod(0o600)
    p = subprocess.run([require_tool("netplan", "netplan.io"), "generate", "--root-dir", str(tmp_path)], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    link = (tmp_path / "run" / "systemd" / "network" / ("10-netplan-%s.link" % case["iface"])).read_text()
    keys = {"lro": "LargeReceiveOffload", "gro": "GenericReceiveOffload",
            "gso": "GenericSegmentationOffload", "tso": "TCPSegmentationOffload"}
    for feat in case["features"]:
        assert "%s=false" % keys[feat] in link.splitlines(), link
