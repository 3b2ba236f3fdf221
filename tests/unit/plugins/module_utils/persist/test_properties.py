# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hypothesis properties of every persistence back end:

* idempotence: render(render(x)) == render(x);
* unrelated content is kept byte for byte: with comment lines, blank lines and foreign
  settings sprinkled anywhere in a real sample file, the output minus the lines the back
  end owns equals the input minus those lines, in order.
"""

import re

from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool

import persist_golden as golden

COMMENT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, blacklist_categories=("Cc", "Cs")),
                  max_size=40).map(lambda s: "# " + s)
BLANK = st.just("")

# name -> (sample input file, iface, host_info, owned-line regex, foreign lines strategy)
SPEC = {
    "ifcfg": ("ifcfg/incident-ring.in", "eth0", {}, r"^ETHTOOL_OPTS=",
              st.from_regex(r"\A(MTU|IPADDR1|ZONE|USERCTL)=\"[a-z0-9.]{0,8}\"\Z")),
    "nm": ("nm/ethtool-section.in", "eth0", {}, r"^(feature-(lro|gro|gso|tso)=|\[ethtool\]$)",
           st.from_regex(r"\A(ring-tx|coalesce-rx-usecs)=[0-9]{1,4}\Z")),
    "networkd": ("networkd/10-enx520p1.link.in", "enx520p1", {},
                 r"^((LargeReceive|GenericReceive|GenericSegmentation|TCPSegmentation)Offload=|\[Link\]$)",
                 st.from_regex(r"\A(MTUBytes|WakeOnLan|Description)=[a-z0-9]{1,6}\Z")),
    "netplan": ("netplan/netplan-static.in", "enp3s0", {},
                r"^\s*(large-receive|generic-receive|generic-segmentation|tcp-segmentation)-offload:", st.nothing()),
    "ifupdown": ("ifupdown/razuuu-router.in", "eth1", {"ethtool_hook": True}, r"^\s*offload-(lro|gro|gso|tso) ",
                 st.from_regex(r"\A\t(mtu 9000|hwaddress ether 00:11:22:33:44:55|up true)\Z")),
    "udev": ("udev/existing.in", "eth0", {}, r'^ACTION=="add", SUBSYSTEM=="net", KERNEL=="eth0"',
             st.from_regex(r'\AACTION=="add", SUBSYSTEM=="net", KERNEL=="wlan[0-9]", RUN\+="/bin/true"\Z')),
}


def _mix(draw, base, foreign, name):
    lines = base.splitlines()
    inserts = draw(st.lists(st.tuples(st.integers(0, len(lines)), st.one_of(COMMENT, BLANK, foreign)), max_size=6))
    for pos, line in sorted(inserts, key=lambda x: -x[0]):
        if name == "netplan" and line.startswith("#"):
            line = " " * draw(st.integers(0, 8)) + line
        if name in ("nm", "networkd") and pos == 0 and not line.startswith("#"):
            line = "# " + line  # nothing but comments before the first section
        if name == "ifupdown" and line.startswith("\t") and pos == 0:
            continue
        lines.insert(pos, line)
    return "\n".join(lines) + "\n"


def _strip_owned(text, owned, drop_blank):
    rx = re.compile(owned)
    return [l for l in text.splitlines() if not rx.search(l) and not (drop_blank and not l.strip())]


def _check(name, data):
    path, iface, info, owned, foreign = SPEC[name]
    mod = golden.backend(name)
    text = golden.read(*path.split("/"))
    mixed = _mix(data.draw, text, foreign, name)
    feats = data.draw(st.lists(st.sampled_from(["lro", "gro", "gso", "tso"]), min_size=1, max_size=4, unique=True))
    out = mod.render(mixed, iface, feats, info)
    assert mod.render(out, iface, feats, info) == out
    drop_blank = name in ("nm", "networkd")
    assert _strip_owned(out, owned, drop_blank) == _strip_owned(mixed, owned, drop_blank)
    # and the result really turns every requested feature off
    assert set(feats) <= _features_off(name, out, iface)


def _features_off(name, text, iface):
    import yaml
    if name == "ifcfg":
        mod = golden.backend("ifcfg")
        on = set()
        for c in mod.commands(text):
            if c[:2] == ["-K", iface]:
                on |= set(f for f in ethtool.OFFLOAD_ALIASES for k, v in zip(c[2::2], c[3::2])
                          if k in ethtool.OFFLOAD_ALIASES[f] and v == "off")
        return on
    if name == "nm":
        eth = golden.backend("nm").keyfile_values(text).get("ethtool", {})
        return set(f for f in ("lro", "gro", "gso", "tso") if eth.get("feature-" + f) == "false")
    if name == "networkd":
        # read here, not with networkd.values(): last assignment in a [Link] section wins
        # (systemd.syntax(7)); systemd itself reads these files in test_oracles.py
        link, section = {}, None
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Link]" and "=" in line and not line.startswith(("#", ";")):
                k, v = line.split("=", 1)
                link[k.strip()] = v.strip()
        keys = {"lro": "LargeReceiveOffload", "gro": "GenericReceiveOffload",
                "gso": "GenericSegmentationOffload", "tso": "TCPSegmentationOffload"}
        return set(f for f, k in keys.items() if link.get(k) == "false")
    if name == "netplan":
        mod = golden.backend("netplan")
        nic = yaml.safe_load(text)["network"]["ethernets"][iface]
        return set(f for f, k in mod.KEYS.items() if nic.get(k) is False)
    if name == "ifupdown":
        return set(m.group(1) for m in re.finditer(r"^\s*offload-(\w+) off$", text, re.M))
    if name == "udev":
        # read here, not with udev.parse_rules(); udevadm reads these rules in test_oracles.py
        off = set()
        for m in re.finditer(r'^ACTION=="add", SUBSYSTEM=="net", KERNEL=="%s", RUN\+="\S+ -K %s ([^"]*)"$'
                             % (re.escape(iface), re.escape(iface)), text, re.M):
            words = m.group(1).split()
            off |= set(k for k, v in zip(words[::2], words[1::2]) if v == "off")
        return off
    raise AssertionError(name)


def _make(name):
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def test(data):
        _check(name, data)
    test.__name__ = "test_properties_%s" % name
    return test


for _n in SPEC:
    globals()["test_properties_%s" % _n] = _make(_n)
