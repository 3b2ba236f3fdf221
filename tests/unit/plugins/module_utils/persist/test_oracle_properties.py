# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Already-compliant files are left byte-identical, as judged by the programs that read them
(the `persist-oracle` lab image, see test_oracles.py), for the systemd ``.link`` and the udev
back ends: a file is left as it was exactly when the real reader already turns every
requested feature off, and after the edit it does.

* ``.link`` (systemd 252, ``udevadm test-builtin net_setup_link``): the device's offloads
  read back with ``ethtool -k`` after systemd applied the file. GRO, GSO and TSO are the
  features observed: a veth cannot have LRO on, so systemd's LRO setting is invisible on
  it (``LargeReceiveOffload=`` is parsed by the same tristate parser as the other three).
* udev rules (``udevadm test --action=add``): the ``run:`` programs, evaluated as ethtool
  evaluates ``-K`` arguments (persist_golden.applied_state).
"""

import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import lab_hosts

import persist_golden as golden
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import networkd, udev
from test_oracles import Oracle

OBSERVED = ("gro", "gso", "tso")
# ethtool -k lines; systemd 252's TCPSegmentationOffload= sets the kernel feature
# tx-tcp-segmentation (IPv4 TSO), not the whole tcp-segmentation-offload group
ETHTOOL_K = {"gro": "generic-receive-offload", "gso": "generic-segmentation-offload",
             "tso": "\ttx-tcp-segmentation"}
DEV = "eth0"      # the container's own veth
LINK = "/etc/systemd/network/10-admin.link"


@pytest.fixture(scope="module")
def oracle():
    with lab_hosts("kprp-props-oracle", ("persist-oracle",)) as names:
        o = Oracle(names["persist-oracle"])
        p = o.sh("ip link add eth1 type veth peer name eth1p")    # eth0 is the container's own
        assert p.returncode == 0, p.stderr
        yield o


def link_reads_off(oracle, text):
    """Features (of OBSERVED) that are off on DEV after systemd applied ``text`` as the only
    .link file, starting from all on; and systemd's complaints about the file."""
    script = ("rm -rf /etc/systemd/network && mkdir -p /etc/systemd/network && cat > %s && "
              "ethtool -K %s gro on gso on tso on tx-tcp-segmentation on >/dev/null 2>&1; SYSTEMD_LOG_LEVEL=debug "
              "udevadm test-builtin net_setup_link /sys/class/net/%s 2>&1; echo @@@; ethtool -k %s"
              % (LINK, DEV, DEV, DEV))
    p = oracle.sh_input(script, text)
    log, state = p.stdout.split("@@@", 1)
    assert "ID_NET_LINK_FILE=%s" % LINK in log, (text, log)
    complaints = [l for l in log.splitlines() if l.startswith(LINK + ":")]
    off = set(f for f in OBSERVED if re.search(r"^%s: off" % ETHTOOL_K[f], state, re.M))
    return off, complaints


_LINK_OFF = ("false", "no", "0", "off", "n", "f", "False", "NO", "Off", "F", "N")
_LINK_ON = ("true", "yes", "1", "on", "y", "t")


@st.composite
def _link_file(draw):
    def kv(k, v):
        return draw(st.sampled_from(["", " "])) + k + draw(st.sampled_from(["=", " = ", "= "])) + v + \
            draw(st.sampled_from(["", " "]))
    link = [("NamePolicy", "keep kernel"), ("MTUBytes", "1500")]
    for f in networkd.KEYS:
        for dummy in range(draw(st.integers(0, 2))):       # absent, once or twice (the last wins)
            link.append((networkd.KEYS[f], draw(st.sampled_from(_LINK_OFF + _LINK_OFF + _LINK_ON))))
    link = draw(st.permutations(link))
    split = draw(st.integers(0, len(link)))            # [Link] in one or two pieces
    sections = [("Match", [("OriginalName", DEV)]), ("Link", link[:split])]
    sections = draw(st.permutations(sections))
    if split < len(link) or draw(st.booleans()):
        sections.append(("Link", link[split:]))
    out = [draw(st.sampled_from(["", "# admin file", "; admin file"]))]
    for name, pairs in sections:
        out.append("[%s]" % name)
        for k, v in pairs:
            if draw(st.integers(0, 4)) == 0:
                out.append(draw(st.sampled_from(["# LargeReceiveOffload=true", "; comment", ""])))
            out.append(kv(k, v))
        out.append(draw(st.sampled_from(["", "", "# end"])))
    return "\n".join(out) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(_link_file(), st.lists(st.sampled_from(OBSERVED), min_size=1, max_size=3, unique=True))
def test_link_file_identical_iff_systemd_applies_the_features_off(oracle, text, features):
    before, complaints = link_reads_off(oracle, text)
    assert complaints == [], complaints
    out = networkd.render(text, DEV, features, {"path": LINK})
    assert (out is text) == (set(features) <= before), (text, before)
    after, complaints = link_reads_off(oracle, out)
    assert complaints == [] and set(features) <= after, (out, after, complaints)
    assert networkd.render(out, DEV, features, {"path": LINK}) is out


@pytest.mark.parametrize("text", [
    "[Match]\nOriginalName=eth0\n[Link]\nGenericReceiveOffload=n\n",
    "[Match]\nOriginalName=eth0\n[Link]\nGenericReceiveOffload=F\n",
    "[Match]\nOriginalName=eth0\n[Link]\nGenericReceiveOffload=true\nGenericReceiveOffload=no\n",
    "[Match]\nOriginalName=eth0\n[Link]\nGenericReceiveOffload=off\n[Link]\nMTUBytes=1500\n",
])
def test_link_file_compliant_spellings_left_identical(oracle, text):
    assert "gro" in link_reads_off(oracle, text)[0]
    assert networkd.render(text, DEV, ["gro"], {"path": LINK}) is text


# ------------------------------------------------------------------ udev rules

UDEV_DEVS = ("eth0", "eth1")
_NAMES = sorted(set().union(*golden.ETHTOOL_NAMES.values()) | {"sg", "rx"})


def udev_reads_off(oracle, text, devs=UDEV_DEVS):
    """{dev: features the ethtool runs udev starts on `add` of dev leave off}."""
    got = oracle.udev_runs(text, devs)
    out = {}
    for dev in devs:
        runs, complaints = got[dev]
        assert complaints == [], complaints
        state = golden.applied_state([r.split()[1:] for r in runs], dev)
        out[dev] = set(f for f, v in state.items() if v == "off")
    return out


@st.composite
def _rules_file(draw):
    lines = [draw(st.sampled_from(["", udev.HEADER.rstrip("\n")]))]
    for dev in draw(st.permutations(UDEV_DEVS)):
        pairs = draw(st.lists(st.tuples(st.sampled_from(_NAMES), st.sampled_from(["off", "off", "on"])),
                              min_size=1, max_size=5))
        if draw(st.integers(0, 3)) == 0:
            lines.append(draw(st.sampled_from(["# admin note", ""])))
        lines.append('ACTION=="add", SUBSYSTEM=="net", KERNEL=="%s", RUN+="%s -K %s %s"' % (
            dev, draw(st.sampled_from(["/sbin/ethtool", "/usr/sbin/ethtool"])), dev,
            " ".join("%s %s" % p for p in pairs)))
    return "\n".join(l for l in lines if l is not None) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(_rules_file(), st.lists(st.sampled_from(("lro", "gro", "gso", "tso")), min_size=1, max_size=4, unique=True))
def test_rules_file_identical_iff_udev_runs_the_features_off(oracle, text, features):
    before = udev_reads_off(oracle, text)
    out = udev.render(text, "eth0", features)
    assert (out is text) == (set(features) <= before["eth0"]), (text, before)
    after = udev_reads_off(oracle, out)
    assert set(features) <= after["eth0"], (out, after)
    assert after["eth1"] == before["eth1"]
    assert udev.render(out, "eth0", features) is out


@pytest.mark.parametrize("pairs,compliant", [
    ("large-receive-offload off", True),
    ("rx-lro off gro on", True),
    ("lro on lro off", True),
    ("lro off lro on", False),
    ("lro off large-receive-offload on", False),
])
def test_rule_read_as_ethtool_reads_its_arguments(oracle, pairs, compliant):
    text = udev.HEADER + 'ACTION=="add", SUBSYSTEM=="net", KERNEL=="eth0", RUN+="/sbin/ethtool -K eth0 %s"\n' % pairs
    assert ("lro" in udev_reads_off(oracle, text)["eth0"]) == compliant
    out = udev.render(text, "eth0", ["lro"])
    assert (out is text) == compliant
    assert "lro" in udev_reads_off(oracle, out)["eth0"]
