# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""systemd .link: which file udev applies, and how we take precedence safely."""

import os
import shutil
import subprocess

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import networkd
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import PersistError

import persist_golden as golden
from conftest import require_tool

DEV = {"name": "eth0", "mac": "a0:36:9f:12:34:56", "driver": "ixgbe", "type": "ether"}
VENDOR = "/usr/lib/systemd/network/99-default.link"


def test_first_match_by_name_and_etc_hides_vendor():
    default = golden.read("networkd", "99-default.link.systemd")
    files = {VENDOR: default}
    assert networkd.manages(files, DEV) == VENDOR
    files["/etc/systemd/network/10-lan.link"] = "[Match]\nMACAddress=A0:36:9F:12:34:56\n[Link]\nName=lan0\n"
    assert networkd.manages(files, DEV) == "/etc/systemd/network/10-lan.link"
    files["/etc/systemd/network/99-default.link"] = "[Match]\nDriver=e1000*\n"
    files["/etc/systemd/network/10-lan.link"] = "[Match]\nMACAddress=00:00:00:00:00:01\n"
    # /etc/99-default.link hides the vendor one and does not match: nothing applies
    assert networkd.manages(files, DEV) is None


def test_no_match_section_matches_everything():
    assert networkd.match(golden.read("networkd", "99-default.link.rhel8"), DEV) is True


def test_negation_and_globs():
    assert networkd.match("[Match]\nDriver=!ixgbe\n", DEV) is False
    assert networkd.match("[Match]\nOriginalName=en* eth*\n", DEV) is True
    assert networkd.match("[Match]\nType=wlan\n", DEV) is False


def test_unknown_condition_is_refused():
    files = {"/etc/systemd/network/05-x.link": "[Match]\nPath=pci-0000:02:00.0\n[Link]\nName=x\n"}
    with pytest.raises(PersistError) as e:
        networkd.manages(files, DEV)
    assert "backend=udev" in str(e.value)


def test_own_file_needs_a_mac():
    with pytest.raises(PersistError):
        networkd.render("", "eth0", ["lro"], {"mac": None})


@pytest.mark.parametrize("value", ["yes", "true", "1", "on", "Y", "T", "On"])
def test_admin_file_that_enables_lro_is_turned_off(value):
    """systemd's parse_boolean() reads 1/yes/y/true/t/on (any case) as true: such a value in
    the administrator's .link file is replaced, nothing else changes (systemd.link(5))."""
    text = "[Match]\nOriginalName=eth0\n\n[Link]\nNamePolicy=kernel\nLargeReceiveOffload=%s\n" % value
    assert networkd.render(text, "eth0", ["lro"]) == (
        "[Match]\nOriginalName=eth0\n\n[Link]\nNamePolicy=kernel\nLargeReceiveOffload=false\n")


@pytest.mark.parametrize("value", ["false", "no", "0", "off", "n", "f", "False", "OFF"])
def test_admin_file_that_already_disables_lro_is_left_alone(value):
    """...and 0/no/n/false/f/off (any case) as false: the file is returned as it is."""
    text = "[Match]\nOriginalName=eth0\n\n[Link]\nLargeReceiveOffload=%s\n" % value
    assert networkd.render(text, "eth0", ["lro"]) is text


# ----------------------------------------------------------------- [Match] against systemd 252

KCM0 = {"name": "kcm0", "mac": "2e:fa:ce:26:34:63", "driver": "veth", "type": "ether"}
MATCH_CASES = golden.link_match_cases()


@pytest.mark.parametrize("key", sorted(MATCH_CASES))
def test_match_answers_what_systemd_252_applies_or_refuses(key):
    """What systemd 252 did with each [Match] (recorded with udevadm test-builtin net_setup_link,
    re-checked by test_oracles.py): the planner gives the same answer, or None (refuses) where
    systemd's versions disagree; never the other answer."""
    case = MATCH_CASES[key]
    assert case["planner"] in (case["systemd_252"], None)
    assert networkd.match(golden.link_match_text(case), KCM0) is case["planner"]


def test_match_reads_only_the_match_section_and_no_condition_matches():
    assert networkd.match("[Link]\nOriginalName=eth9\nDriver=e1000\n", KCM0) is True
    assert networkd.match("[Match]\n# OriginalName=eth9\n[Link]\nName=x\n", KCM0) is True
    assert networkd.match("[Match]\nPath=pci-*\n", KCM0) is None
    # every condition must match (systemd.link(5)): one that does not decides, in any order
    assert networkd.match("[Match]\nOriginalName=eth9\nPath=pci-*\n", KCM0) is False
    assert networkd.match("[Match]\nPath=pci-*\nOriginalName=eth9\n", KCM0) is False
    assert networkd.match("[Match]\nPath=pci-*\nOriginalName=kcm0\n", KCM0) is None
    assert networkd.match("[Match]\nDriver=\nOriginalName=eth9\n", KCM0) is False


def test_match_on_a_device_the_read_knows_little_about():
    """No MAC (a device without one, or not read): a MACAddress= list does not select it; no
    driver or type read: a Driver=/Type= condition cannot be decided (unless an earlier one
    already failed)."""
    bare = {"name": "kcm0", "mac": None, "driver": None, "type": None}
    assert networkd.match("[Match]\nMACAddress=2e:fa:ce:26:34:63\n", bare) is False
    assert networkd.match("[Match]\nOriginalName=kcm*\n", bare) is True
    assert networkd.match("[Match]\nDriver=veth\n", bare) is None
    assert networkd.match("[Match]\nType=ether\n", bare) is None
    assert networkd.match("[Match]\nOriginalName=eth9\nDriver=veth\n", bare) is False


# ----------------------------------------------------------------------------------- choose()

ETH0_MAC = "a0:36:9f:12:34:56"
ADMIN = "/etc/systemd/network/10-lan.link"
OWN = "/etc/systemd/network/00-kcrash-nfqueue-eth0.link"


def read_of(files=None, version="systemd 252 (252.39-1~deb12u2)", active="active", mac=ETH0_MAC,
            driver="ixgbe", arphrd="1"):
    """The offload read's shape (offload/read.py parse_read): managers from the PROBE lines
    (``systemctl --version`` first line, ``systemctl is-active systemd-networkd``), the
    interface walk (driver; sysfs ``type``: ARPHRD_ETHER is 1), /sys/class/net/*/address."""
    mgr = {"systemd_version": version, "networkd_active": active}
    return {"managers": dict((k, v) for k, v in mgr.items() if v is not None),
            "files": dict(files or {}), "interfaces": {"eth0": {"driver": driver, "kind": "physical"}},
            "raw": {"eth0": {"name": "eth0", "attrs": {"type": arphrd} if arphrd else {}}},
            "macs": {"eth0": mac} if mac else {}}


@pytest.mark.parametrize("active", ["inactive", "failed", "activating", "", None])
def test_choose_nothing_when_networkd_is_not_active(active):
    """``systemctl is-active`` prints the unit's state; only ``active`` is networkd running."""
    assert networkd.choose(read_of(active=active), "eth0", False) is None


@pytest.mark.parametrize("version", ["", None, "bash: systemctl: command not found"])
def test_choose_nothing_without_a_systemd_version(version):
    assert networkd.choose(read_of(version=version), "eth0", False) is None


@pytest.mark.parametrize("version, active", [("systemd 231", "active"), ("systemd 219", "inactive"),
                                             ("systemd 229 (229-4ubuntu21.31)", "active")])
def test_choose_refuses_systemd_before_232(version, active):
    """LargeReceiveOffload= came with systemd 232 (systemd.link(5)); forced or active, an older
    systemd is refused with its version in the message."""
    for forced in ((True, False) if active == "active" else (True,)):
        with pytest.raises(PersistError) as e:
            networkd.choose(read_of(version=version, active=active), "eth0", forced)
        assert e.value.message == "systemd %s has no LargeReceiveOffload= (needs >= 232)" % version.split()[1]
        assert e.value.backend == "networkd" and e.value.path is None


@pytest.mark.parametrize("version", ["systemd 232", "systemd 239 (239-82.el8_10.5)", "systemd 252 (252.39-1~deb12u2)"])
def test_choose_from_systemd_232_on(version):
    c = networkd.choose(read_of(version=version), "eth0", False)
    assert (c.backend, c.path, c.kind) == ("networkd", OWN, "file")


def test_choose_forced_without_networkd_or_version():
    """``backend: networkd`` persists even when networkd is not running (the .link files are
    udev's) and when no version was read."""
    for version, active in (("systemd 252", "inactive"), ("", ""), (None, None)):
        c = networkd.choose(read_of(version=version, active=active), "eth0", True)
        assert c.path == OWN


def test_choose_edits_the_admin_file_that_applies():
    files = {ADMIN: "[Match]\nMACAddress=A0:36:9F:12:34:56\n[Link]\nName=lan0\n", VENDOR: golden.read("networkd", "99-default.link.systemd")}
    c = networkd.choose(read_of(files), "eth0", False)
    assert (c.backend, c.path, c.kind, c.info) == ("networkd", ADMIN, "file", {})
    assert c.reason == ".link file %s applies to eth0 (edited in place)" % ADMIN


def test_choose_shadows_the_vendor_file_that_applies():
    vendor = golden.read("networkd", "99-default.link.systemd")
    files = {VENDOR: vendor, ADMIN: "[Match]\nMACAddress=00:00:00:00:00:01\n[Link]\nName=lan0\n",
             "/etc/systemd/network/20-x.network": "[Match]\nName=eth0\n"}
    c = networkd.choose(read_of(files), "eth0", False)
    assert (c.path, c.kind) == (OWN, "file")
    assert c.info == {"mac": ETH0_MAC, "driver": "ixgbe", "template": vendor, "template_path": VENDOR}
    assert c.reason == "vendor file %s applies to eth0; own .link %s takes precedence for this device" % (VENDOR, OWN)
    # and the rendered own file is what the golden case says systemd applies (test_oracles.py)
    assert networkd.render("", "eth0", ["lro", "gro"], c.info) == golden.read(
        "networkd", "own-from-systemd-default.expected")


def test_choose_when_no_file_applies():
    files = {ADMIN: "[Match]\nOriginalName=eth9\n"}
    c = networkd.choose(read_of(files, driver=None), "eth0", False)
    assert c.path == OWN
    assert c.info == {"mac": ETH0_MAC, "driver": None, "template": "", "template_path": None}
    assert c.reason == "no .link file matches eth0; own .link %s takes precedence for this device" % OWN


@pytest.mark.parametrize("where", ["/run/systemd/network", "/usr/local/lib/systemd/network",
                                   "/usr/lib/systemd/network", "/lib/systemd/network"])
def test_choose_a_file_outside_etc_is_shadowed_not_edited(where):
    """Only /etc/systemd/network is the administrator's; /run is runtime (lost at boot), the
    lib directories belong to packages (systemd.link(5))."""
    path = where + "/10-lan.link"
    text = "[Match]\nOriginalName=eth0\n[Link]\nName=lan0\n"
    c = networkd.choose(read_of({path: text}), "eth0", False)
    assert c.path == OWN and c.info["template"] == text and c.info["template_path"] == path


@pytest.mark.parametrize("hidden_by, hidden", [
    ("/etc/systemd/network", "/run/systemd/network"),
    ("/run/systemd/network", "/usr/local/lib/systemd/network"),
    ("/usr/local/lib/systemd/network", "/usr/lib/systemd/network"),
    ("/usr/lib/systemd/network", "/lib/systemd/network"),
])
def test_choose_same_name_earlier_directory_hides_the_later(hidden_by, hidden):
    """systemd.link(5): a file in /etc hides the same name in /run, /run the one in
    /usr/local/lib, that the one in /usr/lib (and /lib, the pre-merge /usr/lib)."""
    files = {hidden_by + "/50-x.link": "[Match]\nOriginalName=eth9\n",
             hidden + "/50-x.link": "[Match]\nOriginalName=eth0\n[Link]\nName=x\n"}
    c = networkd.choose(read_of(files), "eth0", False)
    assert c.info["template_path"] is None and c.path == OWN


def test_choose_ignores_files_that_are_no_link_files_of_the_search_path():
    files = {"/etc/systemd/network/10-lan.network": "[Match]\nName=eth0\n",
             "/etc/systemd/network.d/10-lan.link": "[Match]\nOriginalName=eth0\n",
             "/etc/systemd/networkx/10-lan.link": "[Match]\nOriginalName=eth0\n",
             "/etc/systemd/network/sub/10-lan.link": "[Match]\nOriginalName=eth0\n",
             "/etc/udev/rules.d/10-lan.link": "[Match]\nOriginalName=eth0\n"}
    c = networkd.choose(read_of(files), "eth0", False)
    assert c.info["template_path"] is None


def test_choose_refuses_a_match_it_cannot_evaluate():
    files = {ADMIN: "[Match]\nPath=pci-0000:02:00.0\n[Link]\nName=x\n"}
    with pytest.raises(PersistError) as e:
        networkd.choose(read_of(files), "eth0", False)
    assert e.value.path == ADMIN


def test_choose_type_is_ether_only_for_arphrd_ether():
    """The read's sysfs ``type`` is the ARPHRD number (if_arp.h: ETHER 1, LOOPBACK 772);
    systemd 252 matches Type=ether on it. Any other type, or none read: a Type= line cannot be
    decided."""
    files = {ADMIN: "[Match]\nType=ether\n[Link]\nName=x\n"}
    assert networkd.choose(read_of(files), "eth0", False).path == ADMIN
    for arphrd in ("772", "", None):
        with pytest.raises(PersistError):
            networkd.choose(read_of(files, arphrd=arphrd), "eth0", False)


def test_choose_device_without_mac():
    """No MAC read: a MACAddress= file does not apply; the own file then cannot be rendered."""
    files = {ADMIN: "[Match]\nMACAddress=a0:36:9f:12:34:56\n[Link]\nName=x\n"}
    c = networkd.choose(read_of(files, mac=None), "eth0", False)
    assert c.path == OWN and c.info["mac"] is None
    with pytest.raises(PersistError):
        networkd.render("", "eth0", ["lro"], c.info)


@pytest.mark.parametrize("path, owned", [
    ("/etc/systemd/network/10-a.link", True), ("/run/systemd/network/10-a.link", True),
    ("/usr/local/lib/systemd/network/10-a.link", True), ("/usr/lib/systemd/network/99-default.link", True),
    ("/lib/systemd/network/99-default.link", True), ("/etc/systemd/network/10-a.network", True),
    ("/etc/systemd/networkd.conf", False), ("/etc/systemd/network.d/x.link", False),
    ("/usr/lib/systemd/networkx/a.link", False), ("/etc/udev/rules.d/70-a.rules", False)])
def test_owns(path, owned):
    assert networkd.owns(path) is owned


def test_own_path_and_globs():
    assert networkd.own_path("eth0") == OWN
    assert networkd.GLOBS == ("/etc/systemd/network/*.link", "/run/systemd/network/*.link",
                              "/usr/local/lib/systemd/network/*.link", "/usr/lib/systemd/network/*.link",
                              "/lib/systemd/network/*.link")
    assert networkd.DETECT_GLOBS == ("/etc/systemd/network/*.link",)
    assert (networkd.FILE_MODE, networkd.SECRETS) == ("0644", False)


# ------------------------------------------------------------------------ PROBE, real tools

def run_probe(path):
    script = "kc_kv() { printf '%s=%s\\n' \"$1\" \"$2\"; }\n" + "\n".join(networkd.PROBE)
    p = subprocess.run([require_tool("dash", "dash"), "-c", script], capture_output=True, text=True, check=False,
                       env={"PATH": path, "LC_ALL": "C"})
    assert p.returncode == 0 and not p.stderr, p.stderr
    return p.stdout


def test_probe_reads_the_real_systemctl_version(tmp_path):
    """The PROBE lines run by dash with the real systemctl: the version it gives is the one
    udevadm (same systemd build) prints; outside a systemd-booted system is-active says nothing
    on stdout, so networkd counts as not active."""
    systemctl = require_tool("systemctl", "systemd")
    udevadm = require_tool("udevadm", "udev")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("head", systemctl):
        os.symlink(shutil.which(tool), str(bindir / os.path.basename(tool)))
    out = run_probe(str(bindir))
    lines = out.splitlines()
    assert [l.split("=", 1)[0] for l in lines] == ["systemd_version", "networkd_active"]
    version = subprocess.run([udevadm, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    kv = dict(l.split("=", 1) for l in lines)
    assert networkd.systemd_version(kv["systemd_version"]) == int(version)
    assert kv["systemd_version"].startswith("systemd %s " % version)
    assert "\n" not in kv["systemd_version"]


def test_probe_is_active_and_no_systemctl(tmp_path):
    """systemctl(1): ``is-active`` prints the unit's state (``active``, ``inactive`` ...); a
    stand-in systemctl prints what the real one prints on a host where networkd runs. Without
    systemctl both values are empty."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(shutil.which("head"), str(bindir / "head"))
    assert run_probe(str(bindir)) == "systemd_version=\nnetworkd_active=\n"
    fake = bindir / "systemctl"
    fake.write_text('#!/bin/sh\ncase "$1" in\n--version) printf "systemd 249 (249.11-0ubuntu3.12)\\n+PAM +AUDIT\\n";;\n'
                    'is-active) [ "$2" = systemd-networkd ] && echo active && exit 0; echo inactive; exit 3;;\n'
                    'esac\n')
    fake.chmod(0o755)
    out = run_probe(str(bindir) + ":/usr/bin:/bin")
    assert out == "systemd_version=systemd 249 (249.11-0ubuntu3.12)\nnetworkd_active=active\n"
    mgr = dict(l.split("=", 1) for l in out.splitlines())
    assert networkd.systemd_version(mgr["systemd_version"]) == 249


@pytest.mark.parametrize("text, version", [("systemd 219", 219), ("systemd 252 (252.39-1~deb12u2)\n+PAM", 252),
                                           ("systemd 1000", 1000), ("", None), (None, None),
                                           ("Systemd 252", None), ("systemd v252", None),
                                           (" systemd 252", None), ("systemd  252", None)])
def test_systemd_version(text, version):
    assert networkd.systemd_version(text) == version


# ------------------------------------------------------------- messages and the own file's text

def test_refusal_names_the_file_the_device_and_the_conditions():
    files = {"/etc/systemd/network/05-x.link": "[Match]\nMACAddress=a0:36:9f:12:34:56\nMACAddress=\n"}
    with pytest.raises(PersistError) as e:
        networkd.manages(files, DEV)
    assert e.value.path == "/etc/systemd/network/05-x.link"
    assert e.value.message == (
        "cannot tell whether its [Match] applies to eth0: a condition other than "
        "MACAddress/OriginalName/Driver/Type, or one systemd versions read differently (a key given twice "
        "or empty, quotes, a '!' list, a MAC not in the colon form); use backend=udev or edit it by hand")


@pytest.mark.parametrize("info, path", [({"mac": None}, OWN), ({"mac": "a0:36:9f:12:34"}, OWN),
                                        ({"mac": "", "path": "/etc/systemd/network/00-x.link"},
                                         "/etc/systemd/network/00-x.link")])
def test_own_file_without_a_usable_mac_names_the_file(info, path):
    with pytest.raises(PersistError) as e:
        networkd.render("", "eth0", ["lro"], info)
    assert (e.value.backend, e.value.path) == ("networkd", path)
    assert e.value.message == "no usable MAC address for eth0 to match on"


OWN_HEAD = ("# Managed by the kcrash.nfqueue collection (offload).\n"
            "# Takes precedence over %s for this device only;\n"
            "# its [Link] settings are copied below unchanged.\n"
            "[Match]\nMACAddress=a0:36:9f:12:34:56\n\n[Link]\n")


@pytest.mark.parametrize("template, body", [
    # no final newline: the last [Link] line still ends in one
    ("[Match]\nOriginalName=*\n\n[Link]\nNamePolicy=keep kernel", "NamePolicy=keep kernel\n"),
    # [Link] given twice is one section to systemd: both parts are copied, in order
    ("[Link]\nNamePolicy=keep\n[Match]\nOriginalName=*\n[Link]\nMACAddressPolicy=persistent\n",
     "NamePolicy=keep\nMACAddressPolicy=persistent\n"),
    # blank lines at the end of [Link] are dropped, those inside kept
    ("[Link]\nNamePolicy=keep\n\nMACAddressPolicy=persistent\n\n\n", "NamePolicy=keep\n\nMACAddressPolicy=persistent\n"),
    ("[Link]\nNamePolicy=keep\n  \n", "NamePolicy=keep\n"),
    ("", ""),
])
def test_own_file_copies_the_vendor_link_section(template, body):
    info = {"mac": "A0:36:9F:12:34:56", "template": template, "template_path": VENDOR}
    assert networkd.render("", "eth0", ["lro"], info) == (
        OWN_HEAD % VENDOR + body + "LargeReceiveOffload=false\n")


def test_own_file_without_a_template_says_so_in_its_header():
    assert networkd.render("", "eth0", ["gro"], {"mac": "a0:36:9f:12:34:56"}) == (
        OWN_HEAD % "the default .link file" + "GenericReceiveOffload=false\n")
