# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""NetworkManager: keyfile edit, profile choice, nmcli text parsing."""

import subprocess

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import nm
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import PersistError

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


# ------------------------------------------------------------------ compliant files, by NM itself
# Property: a keyfile is left byte-identical exactly when NetworkManager (nmcli --offline, i.e.
# NM's own keyfile reader) already reads every requested feature as off; otherwise the edit
# makes NM read it so. The spellings come from NM 1.42: GKeyFile booleans are "true"/"false"/
# "1"/"0", case-sensitive, whitespace around "=" and the value ignored; "no", "off", "False"
# are not booleans to it (the property is ignored, i.e. the feature is not turned off);
# a group given twice is merged and the last value of a key wins; ";" is not a comment.

from hypothesis import given, settings, strategies as st  # noqa: E402

FEATS = ("lro", "gro", "gso", "tso")
_VALUES = ("false", "0", "false", "0", "true", "1", "off", "no", "False", "FALSE", "ignore")


def nm_reads_off(text):
    """Features NM reads as off in keyfile ``text`` (read from nmcli's normalized output)."""
    out = _nm_offline(text, "connection.id", "x")
    section, off = None, set()
    for line in out.splitlines():
        if line.startswith("["):
            section = line.strip()
        elif section == "[ethtool]" and line.startswith("feature-") and line.endswith("=false"):
            off.add(line[len("feature-"):-len("=false")])
    return off


@st.composite
def _keyfile(draw):
    def kv(k, v):
        return "%s%s%s%s%s" % (draw(st.sampled_from(["", " ", "  "])), k,
                               draw(st.sampled_from(["=", " = ", "\t=", "= "])), v,
                               draw(st.sampled_from(["", " "])) if k.startswith("feature-") else "")

    def lines(pairs):
        out = []
        for p in pairs:
            if draw(st.integers(0, 4)) == 0:
                out.append(draw(st.sampled_from(["# a comment", "  #feature-lro=true", "", "#[ethtool]"])))
            out.append(kv(*p))
        return out
    conn = [("id", "x"), ("type", "ethernet"), ("interface-name", "eth0")]
    conn += draw(st.lists(st.sampled_from([("autoconnect", "true"), ("uuid", "5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03")]),
                          max_size=2, unique=True))
    eth = draw(st.lists(st.tuples(st.sampled_from(["feature-%s" % f for f in FEATS] + ["ring-rx", "coalesce-rx-usecs"]),
                                  st.sampled_from(_VALUES)), max_size=7))
    eth = [(k, "512" if not k.startswith("feature-") else v) for k, v in eth]
    split = draw(st.integers(0, len(eth)))        # the [ethtool] group in one or two pieces
    groups = [("connection", draw(st.permutations(conn))), ("ipv4", [("method", "auto")]), ("ethtool", eth[:split])]
    groups = draw(st.permutations(groups))
    if split < len(eth) or draw(st.booleans()):
        groups.append(("ethtool", eth[split:]))
    body = []
    for name, pairs in groups:
        body.append(draw(st.sampled_from(["[%s]", "[%s]", " [%s] "])) % name)
        body += lines(pairs)
        if draw(st.booleans()):
            body.append("")
    eol = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return draw(st.sampled_from(["", "# profile\n"])) + eol.join(body) + draw(st.sampled_from([eol, ""]))


@settings(max_examples=100, deadline=None)
@given(_keyfile(), st.lists(st.sampled_from(FEATS), min_size=1, max_size=4, unique=True))
def test_property_identical_iff_networkmanager_reads_the_features_off(text, features):
    compliant = set(features) <= nm_reads_off(text)
    out = nm.render(text, "eth0", features)
    assert (out is text) == compliant, (text, nm_reads_off(text))
    assert set(features) <= nm_reads_off(out), out
    assert nm.render(out, "eth0", features) is out


@pytest.mark.parametrize("value,compliant", [
    ("false", True), ("0", True), (" false ", True),
    ("off", False), ("no", False), ("False", False), ("true", False)])
def test_only_keyfile_booleans_count_as_off(value, compliant):
    """NM ignores feature-lro=off/no/False (not GKeyFile booleans): such a file is edited."""
    text = "[connection]\nid=x\ntype=ethernet\ninterface-name=eth0\n\n[ethtool]\nfeature-lro=%s\n" % value
    assert ("lro" in nm_reads_off(text)) == compliant
    assert (nm.render(text, "eth0", ["lro"]) is text) == compliant


def test_off_in_an_earlier_ethtool_group_is_compliant():
    """GKeyFile merges a group given twice: lro off in the first [ethtool] is what NM reads."""
    text = ("[connection]\nid=x\ntype=ethernet\ninterface-name=eth0\n[ethtool]\nfeature-lro=false\n"
            "[ipv4]\nmethod=auto\n[ethtool]\nring-rx=512\n")
    assert "lro" in nm_reads_off(text)
    assert nm.render(text, "eth0", ["lro"]) is text
