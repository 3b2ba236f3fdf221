# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netplan: the edited YAML means what we want (read back with a YAML parser) and
everything else in the file is untouched."""

import os
import subprocess

import pytest
import yaml

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import netplan
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import PersistError

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
    # the value on the next line: rewriting the key line alone left "false true" (not a boolean)
    ("network:\n  ethernets:\n    eth0:\n      large-receive-offload:\n        true\n", "without a value on the same line"),
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


# ------------------------------------------------------------------ compliant files, by netplan itself
# Property: a netplan file is left byte-identical exactly when `netplan generate` already
# writes every requested offload key as false into the device's .link file; otherwise the
# edit makes it do so. Spellings netplan 0.106 takes as false: false/no/off/n in any case,
# plain or quoted, with a trailing comment; a key given twice: the last one wins.

import tempfile  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402

FEATS = ("lro", "gro", "gso", "tso")
LINK_KEYS = {"lro": "LargeReceiveOffload", "gro": "GenericReceiveOffload",
             "gso": "GenericSegmentationOffload", "tso": "TCPSegmentationOffload"}
_OFF = ("false", "False", "FALSE", "no", "No", "off", "OFF", "n", "N")
_ON = ("true", "True", "yes", "on", "y")


def netplan_reads_off(text, iface="eth0"):
    """Features `netplan generate` writes as ...Offload=false for ``iface``."""
    with tempfile.TemporaryDirectory() as root:
        d = os.path.join(root, "etc", "netplan")
        os.makedirs(d)
        f = os.path.join(d, "01-test.yaml")
        with open(f, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(f, 0o600)
        p = subprocess.run([require_tool("netplan", "netplan.io"), "generate", "--root-dir", root],
                           capture_output=True, text=True, check=False)
        assert p.returncode == 0, (p.stderr, text)
        link = os.path.join(root, "run", "systemd", "network", "10-netplan-%s.link" % iface)
        lines = open(link, encoding="utf-8").read().splitlines() if os.path.exists(link) else []
    return set(f for f in FEATS if "%s=false" % LINK_KEYS[f] in lines)


@st.composite
def _netplan_file(draw):
    ind = draw(st.sampled_from([2, 4]))

    def block(level, pairs):
        out = []
        for k, v in pairs:
            if draw(st.integers(0, 4)) == 0:
                out.append(" " * draw(st.integers(0, 8)) + "# " + draw(st.sampled_from(["note", "large-receive-offload: true"])))
            if draw(st.integers(0, 6)) == 0:
                out.append("")
            out.append("%s%s:%s" % (" " * ind * level, k, (" " + v) if v is not None else ""))
        return out

    def offload_value():
        v = draw(st.sampled_from(_OFF + _OFF + _ON))
        q = draw(st.sampled_from(["", "", "'", '"']))
        return q + v + q + draw(st.sampled_from(["", "", "  # vendor advice"]))

    nic = [("dhcp4", draw(st.sampled_from(["true", "no"]))), ("mtu", "9000")]
    for f in FEATS:
        for dummy in range(draw(st.integers(0, 2))):      # absent, once, or twice (the last wins)
            nic.append((netplan.KEYS[f], offload_value()))
    nic = draw(st.permutations(nic))
    lines = ["network:"]
    top = draw(st.permutations([("version", "2"), ("renderer", "networkd"), ("ethernets", None)]))
    for k, v in top:
        lines += block(1, [(k, v)])
        if k == "ethernets":
            others = [("eth1", [("dhcp4", "true"), ("large-receive-offload", "true")])]
            for name, pairs in draw(st.permutations([("eth0", nic)] + others)):
                lines += block(2, [(name, None)]) + block(3, pairs)
    return draw(st.sampled_from(["", "# netplan\n"])) + "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None)
@given(_netplan_file(), st.lists(st.sampled_from(FEATS), min_size=1, max_size=4, unique=True))
def test_property_identical_iff_netplan_generates_the_features_off(text, features):
    before = netplan_reads_off(text)
    out = netplan.render(text, "eth0", features)
    assert (out is text) == (set(features) <= before), (text, before)
    assert set(features) <= netplan_reads_off(out), out
    assert netplan.render(out, "eth0", features) is out


@pytest.mark.parametrize("lines,compliant", [
    (["large-receive-offload: \"false\""], True),
    (["large-receive-offload: 'Off'  # quoted"], True),
    (["large-receive-offload: true", "large-receive-offload: no"], True),
    (["large-receive-offload: no", "large-receive-offload: yes"], False),
])
def test_quoted_and_repeated_keys_read_as_netplan_does(lines, compliant):
    text = "network:\n  ethernets:\n    eth0:\n" + "".join("      %s\n" % l for l in lines)
    assert ("lro" in netplan_reads_off(text)) == compliant
    out = netplan.render(text, "eth0", ["lro"])
    assert (out is text) == compliant
    assert "lro" in netplan_reads_off(out)
