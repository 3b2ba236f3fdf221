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
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import FileChange

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


def netplan_generate(files):
    """`netplan generate` over ``files`` ({path: text}, e.g. /etc/netplan/01.yaml) in a scratch
    root -> {iface: lines of the 10-netplan-<iface>.link it writes}."""
    with tempfile.TemporaryDirectory() as root:
        for path, body in files.items():
            f = root + path
            os.makedirs(os.path.dirname(f), exist_ok=True)
            with open(f, "w", encoding="utf-8", newline="") as fh:
                fh.write(body)
            os.chmod(f, 0o600)
        p = subprocess.run([require_tool("netplan", "netplan.io"), "generate", "--root-dir", root],
                           capture_output=True, text=True, check=False)
        assert p.returncode == 0, (p.stderr, files)
        d = os.path.join(root, "run", "systemd", "network")
        names = [n for n in os.listdir(d) if n.startswith("10-netplan-") and n.endswith(".link")] if os.path.isdir(d) else []
        return dict((n[len("10-netplan-"):-len(".link")], open(os.path.join(d, n), encoding="utf-8").read().splitlines())
                    for n in names)


def netplan_reads_off(text, iface="eth0"):
    """Features `netplan generate` writes as ...Offload=false for ``iface``."""
    lines = netplan_generate({"/etc/netplan/01-test.yaml": text}).get(iface, [])
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


# ------------------------------------------------------------------ many layouts, one netplan run
# One file with an interface per layout: each is edited in turn, then ONE `netplan generate`
# says which offload keys it writes as false for each; PyYAML (an independent YAML reader)
# says nothing else in the data changed.

def netplan_links(text, ifaces):
    """{iface: features `netplan generate` writes as ...Offload=false} for a file ``text``
    (or for files {name: text} in /etc/netplan, all read by the one run)."""
    files = text if isinstance(text, dict) else {"01-test.yaml": text}
    links = netplan_generate(dict(("/etc/netplan/" + n, t) for n, t in files.items()))
    return dict((i, set(f for f in FEATS if "%s=false" % LINK_KEYS[f] in links.get(i, []))) for i in ifaces)


LAYOUTS = (
    "# written by hand\n"
    "network:\n"
    "    version: 2\n"
    "    ethernets:\n"
    "        eth0:\n"
    "            dhcp4: true\n"
    "        \"eth1\":\n"
    "            # LRO on for a vendor test\n"
    "            large-receive-offload: yes   # vendor\n"
    "            mtu: 9000\n"
    "        eth2:\n"
    "            addresses:\n"
    "                - 192.0.2.5/24\n"
    "            nameservers:\n"
    "                addresses: [192.0.2.1]\n"
    "\n"
    "        # eth3 keeps its order\n"
    "        eth3:\n"
    "            large-receive-offload: true\n"
    "            generic-receive-offload: 'on'\n"
    "            large-receive-offload: off\n"
    "        eth4:\n"
    "            generic-receive-offload: 'false'\n"
    "            large-receive-offload: \"true\"\n"
    "            tcp-segmentation-offload:    True\n"
    "        'eth5':\n"
    "          dhcp4: no\n"
    "          generic-segmentation-offload: n\n"
    "        eth6:\n"
    "            routes:\n"
    "              - to: default\n"
    "                via: 192.0.2.1\n"
    "            # a comment as the last line of the block\n"
    "    bridges:\n"
    "        br0:\n"
    "            interfaces: []\n"
    "        eth7:\n"
    "            dhcp4: true\n"
    "    ethernets-extra: {}\n"
)
ALL = ["lro", "gro", "gso", "tso"]


def test_every_layout_edited_reads_off_to_netplan():
    ifaces = ["eth0", "eth1", "eth2", "eth3", "eth4", "eth5", "eth6"]
    text = LAYOUTS.replace("    ethernets-extra: {}\n", "")
    out = text
    for iface in ifaces:
        out = netplan.render(out, iface, ALL, {"path": "/etc/netplan/01-test.yaml"})
    # the data netplan does not take from these keys is the same to an independent YAML reader
    old, new = yaml.safe_load(text), yaml.safe_load(out)
    for i in ifaces:
        for f in ALL:
            old["network"]["ethernets"][i][netplan.KEYS[f]] = new["network"]["ethernets"][i][netplan.KEYS[f]]
    assert old == new
    # the edit, line by line: values replaced in place (quotes, spacing, comments kept),
    # missing keys appended at the block's own indentation after its last line
    assert out.splitlines()[:12] == [
        "# written by hand", "network:", "    version: 2", "    ethernets:", "        eth0:",
        "            dhcp4: true",
        "            large-receive-offload: false", "            generic-receive-offload: false",
        "            generic-segmentation-offload: false", "            tcp-segmentation-offload: false",
        "        \"eth1\":", "            # LRO on for a vendor test"]
    assert "            large-receive-offload: false   # vendor\n            mtu: 9000\n" in out
    assert ("                addresses: [192.0.2.1]\n"
            "            large-receive-offload: false\n") in out
    assert ("            large-receive-offload: true\n            generic-receive-offload: false\n"
            "            large-receive-offload: off\n") in out
    assert ("            generic-receive-offload: 'false'\n            large-receive-offload: false\n"
            "            tcp-segmentation-offload:    false\n            generic-segmentation-offload: false\n") in out
    assert "          dhcp4: no\n          generic-segmentation-offload: n\n          large-receive-offload: false\n" in out
    # (after the block's last key line: a comment after it stays the block's last line)
    assert ("                via: 192.0.2.1\n            large-receive-offload: false\n") in out
    assert "tcp-segmentation-offload: false\n            # a comment as the last line of the block\n    bridges:\n" in out
    # a second edit changes nothing
    for iface in ifaces:
        assert netplan.render(out, iface, ALL) is out
    # a bridge of the same name is no ethernet
    with pytest.raises(PersistError) as e:
        netplan.render(out, "eth7", ALL, {"path": "/etc/netplan/01-test.yaml"})
    assert (e.value.path, e.value.message) == ("/etc/netplan/01-test.yaml", "no 'network: ethernets: eth7:' mapping to edit")
    # what netplan generate reads, before and after
    before = netplan_links(text, ifaces + ["br0"])
    assert before == {"eth0": set(), "eth1": set(), "eth2": set(), "eth3": {"lro"}, "eth4": {"gro"},
                      "eth5": {"gso"}, "eth6": set(), "br0": set()}
    assert netplan_links(out, ifaces + ["br0"]) == dict([(i, set(ALL)) for i in ifaces] + [("br0", set())])


# (file, the edit that turns lro and gro off), the edits written by hand: keys replaced in
# place, missing keys appended after the interface's last line at its children's indentation
_LG = "      large-receive-offload: false\n      generic-receive-offload: false\n"
_E0 = "network:\n  ethernets:\n    eth0:\n      dhcp4: true\n"
SMALL_LAYOUTS = [
    ("network:\n  ethernets:\n    eth0:\n      dhcp4: true", _E0 + _LG),        # no final newline
    (_E0 + "\n\n", _E0 + _LG + "\n\n"),
    (_E0 + "  version: 2\n", _E0 + _LG + "  version: 2\n"),
    (_E0 + "    eth1:\n      dhcp4: true\n", _E0 + _LG + "    eth1:\n      dhcp4: true\n"),
    ("---\n" + _E0, "---\n" + _E0 + _LG),
    ("# hello\n\n---\n" + _E0, "# hello\n\n---\n" + _E0 + _LG),
    ("network:\n  renderer: networkd\n  ethernets:\n    eth0:\n      renderer: networkd\n      dhcp4: true\n",
     "network:\n  renderer: networkd\n  ethernets:\n    eth0:\n      renderer: networkd\n      dhcp4: true\n" + _LG),
    ("network:\n  renderer: 'networkd'\n  ethernets:\n    eth0:\n      renderer: \"networkd\"\n      dhcp4: true\n",
     "network:\n  renderer: 'networkd'\n  ethernets:\n    eth0:\n      renderer: \"networkd\"\n      dhcp4: true\n" + _LG),
    (_E0 + "      wakeonlan: true  # a&b *c\n", _E0 + "      wakeonlan: true  # a&b *c\n" + _LG),
    ("network:\n  version: 2\n" + _E0, "network:\n  version: 2\n" + _E0 + _LG),
    ("network:\n  ethernets:\n    eth1:\n      dhcp4: true\n  ethernets:\n    eth0:\n      dhcp4: true\n",
     "network:\n  ethernets:\n    eth1:\n      dhcp4: true\n  ethernets:\n    eth0:\n      dhcp4: true\n" + _LG),
    (_E0 + "    eth0:\n      mtu: 1500\n", _E0 + _LG + "    eth0:\n      mtu: 1500\n"),
    ("network:\n ethernets:\n  eth0:\n   dhcp4: true\n",
     "network:\n ethernets:\n  eth0:\n   dhcp4: true\n   large-receive-offload: false\n   generic-receive-offload: false\n"),
    ("network:\r\n  ethernets:\r\n    eth0:\r\n      dhcp4: true\r\n",
     "network:\r\n  ethernets:\r\n    eth0:\r\n      dhcp4: true\r\n" + _LG),
    ("network:\r\n  ethernets:\r\n    eth0:\r\n      large-receive-offload: on\r\n      dhcp4: true\r\n",
     "network:\r\n  ethernets:\r\n    eth0:\r\n      large-receive-offload: false\r\n      dhcp4: true\r\n"
     "      generic-receive-offload: false\n"),
    ("network:\n  ethernets:\n    eth0:\n      large-receive-offload:   yes  # vendor\n      dhcp4: true\n"
     "      generic-receive-offload: 'Y'\n",
     "network:\n  ethernets:\n    eth0:\n      large-receive-offload:   false  # vendor\n      dhcp4: true\n"
     "      generic-receive-offload: false\n"),
    ("network:\n  ethernets:\n    'eth0':\n        \"large-receive-offload\": on\n    eth1: {}\n",
     "network:\n  ethernets:\n    'eth0':\n        \"large-receive-offload\": false\n"
     "        generic-receive-offload: false\n    eth1: {}\n"),
]


def test_small_layouts_edited_read_off_to_netplan():
    """Each layout in its own file, eth0 renamed eth<N>: one `netplan generate` reads them all."""
    def named(t, n):
        return t.replace("eth1", "en%d" % n).replace("eth0", "eth%d" % n)
    files = dict(("%02d.yaml" % n, named(t, n)) for n, (t, dummy) in enumerate(SMALL_LAYOUTS))
    ifaces = ["eth%d" % n for n in range(len(SMALL_LAYOUTS))]
    out = {}
    for n, name in enumerate(sorted(files)):
        out[name] = netplan.render(files[name], "eth%d" % n, ["lro", "gro"])
        assert out[name] == named(SMALL_LAYOUTS[n][1], n)
        assert netplan.render(out[name], "eth%d" % n, ["lro", "gro"]) is out[name]
    assert netplan_links(files, ifaces) == dict((i, set()) for i in ifaces)
    assert netplan_links(out, ifaces) == dict((i, {"lro", "gro"}) for i in ifaces), out


def test_an_interface_without_settings_gets_them_at_two_more_blanks():
    """`eth0:` with nothing under it is not a mapping to netplan (it refuses the file); the
    edit gives it one, indented two blanks deeper (YAML only needs more), which netplan reads."""
    text = "network:\n  ethernets:\n      eth0:\n      eth1:\n          dhcp4: true\n"
    out = netplan.render(text, "eth0", ["lro"])
    assert out == ("network:\n  ethernets:\n      eth0:\n        large-receive-offload: false\n"
                   "      eth1:\n          dhcp4: true\n")
    assert netplan_links(out, ["eth0"]) == {"eth0": {"lro"}}


# ------------------------------------------------------------------ which file takes effect, by netplan
# netplan(5): all /{lib,etc,run}/netplan/*.yaml are read, lexicographically later files
# override earlier ones whatever their directory; a file in /run/netplan shadows the same
# name in /etc/netplan, and either shadows the same name in /lib/netplan. The file whose
# eth0 definition netplan uses is found here by a distinct MTU per file.

def netplan_effective(files, iface="eth0"):
    """The path whose ``mtu`` `netplan generate` writes for ``iface`` (files: {path: text})."""
    mtu = [l for l in netplan_generate(files).get(iface, []) if l.startswith("MTUBytes=")]
    return dict(("MTUBytes=%d" % (1400 + n), path) for n, path in enumerate(sorted(files)))[mtu[0]]


@pytest.mark.parametrize("paths", [
    ["/etc/netplan/50-a.yaml", "/run/netplan/50-a.yaml"],
    ["/lib/netplan/50-a.yaml", "/etc/netplan/50-a.yaml"],
    ["/lib/netplan/50-a.yaml", "/etc/netplan/50-a.yaml", "/run/netplan/50-a.yaml"],
    ["/lib/netplan/90-z.yaml", "/etc/netplan/10-a.yaml", "/run/netplan/50-a.yaml"],
])
def test_manages_the_file_netplan_takes(paths):
    files = dict((p, "network:\n  ethernets:\n    eth0:\n      mtu: %d\n" % (1400 + n)) for n, p in enumerate(sorted(paths)))
    assert netplan.manages(files, "eth0") == netplan_effective(files)
    # a later file that does not define eth0 changes nothing
    files["/run/netplan/99-other.yaml"] = "network:\n  ethernets:\n    eth1:\n      mtu: 1300\n"
    assert netplan.manages(files, "eth0") == netplan_effective(dict((p, t) for p, t in files.items() if "99" not in p))
    # and a shadowing file that does not define it hides the one it shadows
    shadow = dict(files)
    top = netplan.manages(files, "eth0")
    shadow["/run/netplan/" + os.path.basename(top)] = "network:\n  version: 2\n"
    if top.startswith("/run/"):
        return
    assert netplan.manages(shadow, "eth0") != top


def test_files_the_backend_reads_and_owns():
    """netplan(5): /{lib,etc,run}/netplan/*.yaml (no other suffix); the detection looks in
    /etc/netplan only (the administrator's files)."""
    assert netplan.DIRS == ("/run/netplan", "/etc/netplan", "/lib/netplan")     # the shadowing order
    assert set(netplan.GLOBS) == {"/etc/netplan/*.yaml", "/run/netplan/*.yaml", "/lib/netplan/*.yaml"}
    assert netplan.DETECT_GLOBS == ("/etc/netplan/*.yaml",)
    assert netplan.NAME == "netplan" and netplan.SECRETS is False
    # the back end only edits existing files (which keep their mode); the mode passed along
    # must still be one the write transaction takes
    assert FileChange("/etc/netplan/01.yaml", "", mode=netplan.FILE_MODE).mode in ("0600", "0644")
    assert netplan.read_script is None and netplan.parse_read is None
    for d in ("/etc/netplan/", "/run/netplan/", "/lib/netplan/"):
        assert netplan.owns(d + "01.yaml")
    assert not netplan.owns("/etc/netplan.d/01.yaml") and not netplan.owns("/usr/lib/netplan/01.yaml")
    assert not netplan.owns("/etc/netplan") and not netplan.owns("/etc/systemd/network/10-x.link")
    files = {"/etc/netplan/01.yml": "network:\n  ethernets:\n    eth0:\n      mtu: 1500\n",
             "/etc/netplan/sub/01.yaml": "network:\n  ethernets:\n    eth0:\n      mtu: 1500\n",
             "/usr/lib/netplan/01.yaml": "network:\n  ethernets:\n    eth0:\n      mtu: 1500\n"}
    assert netplan.manages(files, "eth0") is None


def test_versions():
    """`dpkg-query -W -f='${Version}' netplan.io`: [epoch:]upstream-revision; the offload keys
    came with netplan 0.104."""
    assert netplan.package_version("0.106-2+deb12u1") == (0, 106)
    assert netplan.package_version("0.104-0ubuntu2~20.04.1") == (0, 104)
    assert netplan.package_version("1:1.0-2") == (1, 0)
    assert netplan.package_version("12:0.99") == (0, 99)
    assert netplan.package_version("") is None and netplan.package_version(None) is None
    assert netplan.package_version("x0.106") is None and netplan.package_version("0") is None
    assert netplan.parse_version("netplan 0.106") == (0, 106) and netplan.parse_version("") is None
    assert netplan.parse_version(None) is None and netplan.parse_version("v1") is None
    assert netplan.MIN_VERSION == (0, 104)


def _probe(tmp_path, tools):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for t in tools:
        os.symlink(require_tool(t, {"netplan": "netplan.io"}.get(t, t)), str(bin_dir / t))
    script = "kc_kv() { printf '%s=%s\\n' \"$1\" \"$2\"; }\n" + "\n".join(netplan.PROBE) + "\n"
    p = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, env={"PATH": str(bin_dir)}, check=False)
    assert not p.stderr, p.stderr
    return p.stdout


def test_probe_lines_with_the_real_tools(tmp_path):
    version = subprocess.run([require_tool("dpkg-query", "dpkg"), "-W", "-f=${Version}", "netplan.io"],
                             capture_output=True, text=True, check=True).stdout
    assert version and _probe(tmp_path, ["dpkg-query", "netplan"]) == "netplan_version=%s\nnetplan=1\n" % version


def test_probe_lines_without_the_tools(tmp_path):
    assert _probe(tmp_path, []) == "netplan_version=\n"


def _read(files, netplan_installed=True, version="0.106-2+deb12u1"):
    return {"managers": {"netplan": "1" if netplan_installed else "", "netplan_version": version}, "files": files}


def test_choose():
    a = "network:\n  ethernets:\n    eth0:\n      dhcp4: true\n"
    files = {"/etc/netplan/01.yaml": a, "/etc/netplan/02.yaml.bak": a, "/etc/systemd/network/02.yaml": a}
    for version in ("0.106-2+deb12u1", "0.104", "", None, "1:1.0-2"):
        ch = netplan.choose(_read(files, version=version), "eth0", False)
        assert (ch.backend, ch.path, ch.kind) == ("netplan", "/etc/netplan/01.yaml", "file")
        assert ch.reason == "netplan file /etc/netplan/01.yaml defines eth0"
    assert netplan.choose(_read(files), "eth1", False) is None
    assert netplan.choose(_read(files, netplan_installed=False), "eth0", False) is None
    assert netplan.choose(_read(files, netplan_installed=False), "eth0", True).path == "/etc/netplan/01.yaml"
    assert netplan.choose(_read({"/etc/netplan/01.yaml.bak": a}), "eth0", True) is None
    for version in ("0.103-0ubuntu5~20.04.6", "0.99"):
        with pytest.raises(PersistError) as e:
            netplan.choose(_read(files, version=version), "eth0", False)
        assert (e.value.path, e.value.message) == (
            "/etc/netplan/01.yaml", "netplan %s is older than 0.104 (no offload keys); use backend=networkd or udev" % version)


# ------------------------------------------------------------------ refusals, with their lines

@pytest.mark.parametrize("text,msg", [
    ("network:\n  ethernets:\n\teth0:\n", "line 3: tab indentation is not supported"),
    ("# x\n\n network:\n \tethernets:\n", "line 4: tab indentation is not supported"),
    ("network:\n  ethernets:\n    eth0:\n      mtu: &m 1500\n", "line 4: YAML anchors/aliases are not supported; edit the file by hand"),
    ("network:\n  ethernets:\n    eth0:\n      mtu: *m\n", "line 4: YAML anchors/aliases are not supported; edit the file by hand"),
    ("network:\n  ethernets:\n    eth0:\n      <<: *base\n", "line 4: YAML anchors/aliases are not supported; edit the file by hand"),
    ("network:\n  ethernets:\n    eth0:\n      nameservers:\n        addresses:\n        - &dns 192.0.2.1\n",
     "line 6: YAML anchors/aliases are not supported; edit the file by hand"),
    ("network:\n  ethernets:\n    eth0:\n      dhcp4: true\n---\n", "several YAML documents are not supported"),
    ("---\nnetwork:\n  version: 2\n---\n", "several YAML documents are not supported"),
    ("network:\n  version: 2\n--- # x\nnetwork:\n  version: 2\n", "several YAML documents are not supported"),
    ("network:\n  ethernets: {eth0: {}}\n", "'ethernets:' in flow style is not supported"),
    ("network:\n  ethernets:\n    eth0: {dhcp4: true}\n", "'eth0:' in flow style is not supported"),
    ("network: {}\n", "'network:' in flow style is not supported"),
    ("network:\n  ethernets:\n    eth0:\n      renderer: NetworkManager\n", "eth0 uses renderer NetworkManager; use backend=nm"),
    ("network:\n  renderer: NetworkManager  # desktop\n  ethernets:\n    eth0:\n      dhcp4: true\n",
     "renderer NetworkManager: netplan only passes offload keys to networkd here; use backend=nm"),
    ("network:\n  ethernets:\n    eth0:\n      set-name: lan0\n", "eth0 uses match:/set-name:; edit it by hand"),
    ("network:\n  ethernets:\n    eth0:\n      dhcp4: true\n      match:\n        macaddress: 52:54:00:12:34:56\n",
     "eth0 uses match:/set-name:; edit it by hand"),
    ("network:\n  ethernets:\n    eth0:\n      dhcp4: true\n      large-receive-offload:   # below\n        true\n",
     "line 5: large-receive-offload: without a value on the same line is not supported; edit it by hand"),
    ("network:\n  ethernets:\n    eth0:\n      tcp-segmentation-offload:\n",
     "line 4: tcp-segmentation-offload: without a value on the same line is not supported; edit it by hand"),
    ("network:\n  version: 2\n", "no 'network: ethernets: eth0:' mapping to edit"),
    ("", "no 'network: ethernets: eth0:' mapping to edit"),
    ("network:\n  ethernets:\n    eth0:\n      renderer: 'NetworkManager'\n", "eth0 uses renderer 'NetworkManager'; use backend=nm"),
    ("network:\n  renderer: \"\"\n  ethernets:\n    eth0:\n      renderer:\n", None),
    ("  network:\n    ethernets:\n      eth0:\n        dhcp4: true\n", "no 'network: ethernets: eth0:' mapping to edit"),
    ("network:\n  bonds:\n    eth0:\n      dhcp4: true\n", "no 'network: ethernets: eth0:' mapping to edit"),
    ("network:\n  ethernets:\n    eth0x:\n      dhcp4: true\n    xeth0:\n      dhcp4: true\n",
     "no 'network: ethernets: eth0:' mapping to edit"),
])
def test_refusals_say_where(text, msg):
    if msg is None:     # an empty renderer is netplan's default (networkd): no refusal
        assert netplan.render(text, "eth0", ["lro"]).endswith("      large-receive-offload: false\n")
        return
    with pytest.raises(PersistError) as e:
        netplan.render(text, "eth0", ["lro", "tso"], {"path": "/etc/netplan/01.yaml"})
    assert (e.value.backend, e.value.path, e.value.message) == ("netplan", "/etc/netplan/01.yaml", msg)
    if "mapping" in msg:
        assert netplan.defines(text, "eth0") is False


def test_what_is_not_refused():
    """A `&`/`*` inside a word or a comment, a tab after the indentation, a `---` after comments
    only: netplan reads these files, and so does the edit."""
    files = {
        "01.yaml": "# &x *y\n---\nnetwork:\n  ethernets:\n    eth1:\n      dhcp4:\ttrue  # \ta&b\n",
        "02.yaml": "network:\n  ethernets:\n    eth2:\n      nameservers:\n        search: [a&b.example, c*d.example]\n",
        "03.yaml": "network:\n  ethernets:\n    eth3:\n      dhcp4: true\n    # --- not a document\n",
    }
    out = {}
    for n, name in enumerate(sorted(files), 1):
        out[name] = netplan.render(files[name], "eth%d" % n, ["lro"])
    assert netplan_links(out, ["eth1", "eth2", "eth3"]) == {"eth1": {"lro"}, "eth2": {"lro"}, "eth3": {"lro"}}
