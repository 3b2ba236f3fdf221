# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""NetworkManager: keyfile edit, profile choice, nmcli text parsing."""

import functools
import os
import shutil
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


# ------------------------------------------------------------------ which profile NM starts
# NM 1.42's own reading of [connection] autoconnect / autoconnect-priority (nmcli --offline
# prints the normalized profile: `autoconnect=false` only when it reads false, the priority
# only when it reads one), not our guess of it.

@functools.lru_cache(maxsize=None)
def nm_connection(text):
    """(autoconnect, autoconnect-priority) as NetworkManager reads profile ``text``."""
    out = _nm_offline(text, "connection.id", "x")
    conn = dict(line.split("=", 1) for line in out.split("[connection]\n", 1)[1].split("\n\n", 1)[0].splitlines())
    return conn.get("autoconnect", "true") != "false", int(conn.get("autoconnect-priority", "0"))


@pytest.mark.parametrize("value", ["false", "0", " false ", "no", "off", "FALSE", "False", "true", "1", "maybe"])
def test_manages_reads_autoconnect_as_networkmanager_does(value):
    """A profile NM does not autoconnect is not the one that configures the interface; NM reads
    only GKeyFile booleans (`no`, `off`, `False` are ignored: autoconnect stays true)."""
    a = "[connection]\nid=a\ntype=ethernet\ninterface-name=eth0\nautoconnect-priority=1\n"
    b = "[connection]\nid=b\ntype=ethernet\ninterface-name=eth0\nautoconnect=%s\nautoconnect-priority=5\n" % value
    autoconnect, prio = nm_connection(b)
    assert prio == 5 and nm_connection(a) == (True, 1)
    assert nm.manages({D + "a.nmconnection": a, D + "b.nmconnection": b}, "eth0") == (
        D + "b.nmconnection" if autoconnect else D + "a.nmconnection")


@pytest.mark.parametrize("value", ["7", " 7 ", "-5", "+3", "x", "5x", "", "0x10", "0X1f", "-0x3", "010", "08", "999", "-999",
                                   "1000", "-1000"])
def test_manages_reads_autoconnect_priority_as_networkmanager_does(value):
    """The highest priority NM reads wins, a tie goes to the first path; a priority NM cannot
    read (or out of its -999..999 range) is its default 0."""
    b = "[connection]\nid=b\ntype=ethernet\ninterface-name=eth0\nautoconnect-priority=%s\n" % value
    prio = nm_connection(b)[1]
    for other in (-1, 0, 1, 5, 6, 8):
        a = "[connection]\nid=a\ntype=ethernet\ninterface-name=eth0\nautoconnect-priority=%d\n" % other
        assert nm_connection(a)[1] == other
        want = D + ("b" if prio > other else "a") + ".nmconnection"
        assert nm.manages({D + "a.nmconnection": a, D + "b.nmconnection": b}, "eth0") == want, (value, other)
        # the same priorities, paths swapped: a tie goes to the first path again
        want = D + ("a" if prio >= other else "b") + ".nmconnection"
        assert nm.manages({D + "a.nmconnection": b, D + "b.nmconnection": a}, "eth0") == want, (value, other)


def test_manages_passes_over_a_profile_not_autoconnected_first_by_path():
    files = {D + "a": "[connection]\nid=a\ntype=ethernet\ninterface-name=eth0\nautoconnect=false\nautoconnect-priority=9\n",
             D + "b": "[connection]\nid=b\ninterface-name=eth0\n"}
    assert nm_connection(files[D + "a"]) == (False, 9)
    assert nm.manages(files, "eth0") == D + "b"


def test_manages_needs_the_interface_name_in_the_connection_group():
    files = {
        D + "a": "[connection]\nid=a\ninterface-name=eth1\n[ethtool]\ninterface-name=eth0\n",
        D + "b": "[ethernet]\ninterface-name=eth0\n[connection]\nid=b\n",
        D + "c": "[connection]\nid=c\n#interface-name=eth0\n",
    }
    assert nm.manages(files, "eth0") is None
    assert not nm.keyfile_manages(files[D + "a"], "eth0") and nm.keyfile_manages(files[D + "a"], "eth1")
    files[D + "d"] = "[connection]\nid=d\ninterface-name = eth0\n"
    assert nm.manages(files, "eth0") == D + "d"


# ------------------------------------------------------------------ constants, by their sources

def test_backend_files_and_modes():
    """nm-settings-keyfile(5): profiles in /etc/NetworkManager/system-connections/, any file
    name; NM ignores a file readable or writable by anyone but root (mode 0600), and it may
    hold passphrases in plain text (kept out of diffs)."""
    assert nm.NAME == "nm"
    assert nm.KEYFILE_DIRS == ("/etc/NetworkManager/system-connections",)
    assert nm.GLOBS == ("/etc/NetworkManager/system-connections/*",) == nm.DETECT_GLOBS
    assert nm.FILE_MODE == "0600" and nm.SECRETS is True
    assert nm.owns(D + "wired.nmconnection") and nm.owns(D + "Wired connection 1")
    assert not nm.owns("/etc/NetworkManager/system-connections.bak/x")
    assert not nm.owns("/etc/NetworkManager/system-connections")
    assert not nm.owns("/etc/netplan/01.yaml")
    assert nm.key("lro") == "feature-lro" and nm.nmcli_property("tso") == "ethtool.feature-tso"


def test_version_forms():
    """`nmcli --version` prints `nmcli tool, version X.Y.Z` (distribution builds add a
    suffix: `1.42.2-1.el9`); the [ethtool] setting came with NM 1.14."""
    assert nm.parse_version("nmcli tool, version 1.14") == (1, 14, 0)
    assert nm.parse_version("nmcli tool, version  1.46.0-26.el9_4") == (1, 46, 0)
    assert nm.parse_version("nmcli tool, version 1.8.10") == (1, 8, 10)
    assert nm.parse_version("nmcli tool, version1.42.4") is None
    assert nm.parse_version("nmcli tool") is None and nm.parse_version(None) is None and nm.parse_version("") is None
    assert nm.version_ok((1, 14)) and nm.version_ok((2, 0, 0)) and nm.version_ok((1, 15, 0))
    assert not nm.version_ok((1, 13, 99)) and not nm.version_ok((0, 99, 0))


def test_real_nmcli_version_is_read():
    p = subprocess.run([require_tool("nmcli", "network-manager"), "--version"], capture_output=True, text=True, check=True)
    words = p.stdout.split()
    assert words[:3] == ["nmcli", "tool,", "version"]
    assert nm.parse_version(p.stdout) == tuple(int(x) for x in words[3].split("-")[0].split("."))


# ------------------------------------------------------------------ nmcli's terse output
# nmcli(1): -t/--terse and -g print fields separated by `:`, with `:` and `\` escaped by `\`;
# -g prints one value per line, in the order asked; an unset (default) ternary prints empty.

def test_nmcli_values_forms_and_messages():
    feats = ["lro", "gro", "gso", "tso"]
    assert nm.parse_nmcli_values(" off \n--\nignore\non\nextra\n", feats) == {
        "lro": "off", "gro": "ignore", "gso": "ignore", "tso": "on"}
    assert nm.parse_nmcli_values("off\r\non\r\n", ["lro", "gro"]) == {"lro": "off", "gro": "on"}
    with pytest.raises(KcrashParseError) as e:
        nm.parse_nmcli_values("off\non\n", feats)
    assert (e.value.command, e.value.message) == ("nmcli -g ethtool.feature-* connection show",
                                                  "expected 4 value lines, got 2")
    with pytest.raises(KcrashParseError) as e:
        nm.parse_nmcli_values(None, ["lro"], command="nmcli -g x")
    assert (e.value.command, e.value.message) == ("nmcli -g x", "expected 1 value lines, got 0")
    with pytest.raises(KcrashParseError) as e:
        nm.parse_nmcli_values("off\nyes\n", ["lro", "gro"])
    assert e.value.message == "unexpected value 'yes' for ethtool.feature-gro"


def test_device_status_forms_and_messages():
    text = "\neth0:connected:0b6a1ffb\n  \nbr\\\\0:connecting (getting IP configuration):u-2\nlo:unmanaged:\n"
    assert nm.parse_device_status(text) == {
        "eth0": {"state": "connected", "uuid": "0b6a1ffb"},
        "br\\0": {"state": "connecting (getting IP configuration)", "uuid": "u-2"},
        "lo": {"state": "unmanaged", "uuid": None},
    }
    assert nm.parse_device_status(None) == {} and nm.parse_device_status("") == {}
    with pytest.raises(KcrashParseError) as e:
        nm.parse_device_status("eth0:connected\n")
    assert (e.value.command, e.value.message) == ("nmcli -t -f DEVICE,STATE,CON-UUID device status",
                                                  "unexpected line 'eth0:connected'")
    with pytest.raises(KcrashParseError) as e:
        nm.parse_device_status("eth0\\:connected:x\n", command="mine")
    assert e.value.command == "mine"


# ------------------------------------------------------------------ the read section, run
# The read section is run by /bin/sh. With the real nmcli and no NetworkManager running (this
# host) it prints nothing and parse_read says so. With NM running it is fed by a stand-in
# `nmcli` that prints what nmcli(1) documents for exactly the command lines NM takes (any
# other command line fails), so the script's commands and its loop are what is checked.

NMCLI_STUB = r"""#!/bin/sh
case "$*" in
"-t -f RUNNING general") echo running ;;
"-t -f DEVICE,STATE,CON-UUID device status")
  printf '%s\n' 'eth0:connected:5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03' 'eth1:disconnected:' \
    'eth2:connected:3c36b8c2-334b-57c7-91b6-4401f3b3a6b1' 'lo:unmanaged:' ;;
"-t -f DEVICE,CON-UUID device status")
  printf '%s\n' 'eth0:5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03' 'eth1:' \
    'eth2:3c36b8c2-334b-57c7-91b6-4401f3b3a6b1' 'lo:' ;;
"-g ethtool.feature-lro,ethtool.feature-gro,ethtool.feature-gso,ethtool.feature-tso connection show uuid 5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03")
  printf 'off\n\non\n\n' ;;
"-g ethtool.feature-lro,ethtool.feature-gro,ethtool.feature-gso,ethtool.feature-tso connection show uuid 3c36b8c2-334b-57c7-91b6-4401f3b3a6b1")
  printf '\n\n\n\n' ;;
*) echo "nmcli stand-in: unexpected arguments: $*" >&2; exit 2 ;;
esac
"""


def _run_read(tmp_path, stub=None):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("head", "printf"):
        os.symlink(shutil.which(tool), str(bin_dir / tool))
    if stub is None:
        os.symlink(require_tool("nmcli", "network-manager"), str(bin_dir / "nmcli"))
    else:
        (bin_dir / "nmcli").write_text(stub)
        (bin_dir / "nmcli").chmod(0o755)
    p = subprocess.run(["/bin/sh", "-c", nm.read_script("@@nm '$x@@")], capture_output=True, text=True,
                       env={"PATH": str(bin_dir)}, check=False)
    assert p.returncode == 0 and not p.stderr, p.stderr
    return p.stdout


def test_read_section_with_networkmanager_running(tmp_path):
    out = _run_read(tmp_path, NMCLI_STUB)
    assert out.startswith("@@nm '$x@@STATUS\neth0:connected:")
    assert nm.parse_read(out, "@@nm '$x@@") == {
        "status": {
            "eth0": {"state": "connected", "uuid": "5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03"},
            "eth1": {"state": "disconnected", "uuid": None},
            "eth2": {"state": "connected", "uuid": "3c36b8c2-334b-57c7-91b6-4401f3b3a6b1"},
            "lo": {"state": "unmanaged", "uuid": None},
        },
        "connections": {
            "eth0": {"uuid": "5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03",
                     "features": {"lro": "off", "gro": "ignore", "gso": "on", "tso": "ignore"}},
            "eth2": {"uuid": "3c36b8c2-334b-57c7-91b6-4401f3b3a6b1",
                     "features": {"lro": "ignore", "gro": "ignore", "gso": "ignore", "tso": "ignore"}},
        },
    }


def test_read_section_with_the_real_nmcli_and_networkmanager_not_running(tmp_path):
    assert _run_read(tmp_path) == ""
    assert nm.parse_read("", "@@") is None and nm.parse_read(" \n", "@@") is None


def test_parse_read_sections_in_any_order():
    m = "#M#"
    text = (m + "CON eth0 u-1\noff\non\n\n--\n" + m + "CON eth9\n" + m + "STATUS\n\neth0:connected:u-1\n"
            "eth1:connected:u-2\n" + m + "CON eth1 u-2\non\non\non\non\n" + m + "OTHER\n")
    assert nm.parse_read(text, m) == {
        "status": {"eth0": {"state": "connected", "uuid": "u-1"}, "eth1": {"state": "connected", "uuid": "u-2"}},
        "connections": {
            "eth0": {"uuid": "u-1", "features": {"lro": "off", "gro": "on", "gso": "ignore", "tso": "ignore"}},
            "eth1": {"uuid": "u-2", "features": {"lro": "on", "gro": "on", "gso": "on", "tso": "on"}},
        },
    }
    with pytest.raises(KcrashParseError) as e:
        nm.parse_read(m + "CON eth0 u-1\noff\n", m)
    assert (e.value.command, e.value.message) == ("nmcli -g ethtool.feature-* connection show",
                                                  "expected 4 value lines, got 1")


# ------------------------------------------------------------------ the probe lines, run

def _run_probe(tmp_path, with_nmcli):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(shutil.which("head"), str(bin_dir / "head"))
    if with_nmcli:
        os.symlink(require_tool("nmcli", "network-manager"), str(bin_dir / "nmcli"))
    script = "kc_kv() { printf '%s=%s\\n' \"$1\" \"$2\"; }\n" + "\n".join(nm.PROBE) + "\n"
    p = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, env={"PATH": str(bin_dir)}, check=False)
    assert p.returncode == 0 and not p.stderr, p.stderr
    return p.stdout


def test_probe_lines_with_the_real_nmcli(tmp_path):
    nmcli = require_tool("nmcli", "network-manager")
    version = subprocess.run([nmcli, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
    running = subprocess.run([nmcli, "-t", "-f", "RUNNING", "general"], capture_output=True, text=True, check=False)
    running = (running.stdout.splitlines() or [""])[0]
    assert _run_probe(tmp_path, True) == "nm_version=%s\nnm_running=%s\n" % (version, running)


def test_probe_lines_without_nmcli(tmp_path):
    assert _run_probe(tmp_path, False) == "nm_version=\nnm_running=\n"


# ------------------------------------------------------------------ choose

def _choose_read(running=True, version="nmcli tool, version 1.42.4", status=None, files=None):
    return {"managers": {"nm_version": version, "nm_running": "running" if running else ""},
            "files": files or {}, "nm": {"status": status or {}, "connections": {}} if running else None}


@pytest.mark.parametrize("state", ["connected", "connecting (getting IP configuration)", "disconnected"])
def test_choose_running_networkmanager_with_a_connection(state):
    ch = nm.choose(_choose_read(status={"eth0": {"state": state, "uuid": "u-1"}}), "eth0", False)
    assert (ch.backend, ch.path, ch.kind, ch.uuid) == ("nm", None, "nmcli", "u-1")
    assert ch.reason == "NetworkManager is running and manages eth0 (connection u-1)"


@pytest.mark.parametrize("dev", [None, {"state": "unmanaged", "uuid": "u-1"}, {"state": "unavailable", "uuid": "u-1"},
                                 {"state": "disconnected", "uuid": None}])
def test_choose_running_networkmanager_without_a_connection(dev):
    """NM running but not managing eth0: no nmcli change, and no keyfile edit either (a
    running NM does not reread a file it does not own)."""
    status = {"eth0": dev} if dev else {"eth1": {"state": "connected", "uuid": "u-2"}}
    files = {D + "eth0.nmconnection": "[connection]\nid=a\ninterface-name=eth0\n"}
    assert nm.choose(_choose_read(status=status, files=files), "eth0", False) is None
    # running per the probe, but no read section (nmcli failed): nothing either
    read = _choose_read(files=files)
    read["nm"] = None
    assert nm.choose(read, "eth0", True) is None


@pytest.mark.parametrize("version", ["nmcli tool, version 1.12.4", "nmcli tool, version 1.13.99"])
def test_choose_running_networkmanager_too_old(version):
    with pytest.raises(PersistError) as e:
        nm.choose(_choose_read(version=version, status={"eth0": {"state": "connected", "uuid": "u-1"}}), "eth0", False)
    assert (e.value.path, e.value.message) == (
        None, "NetworkManager %s manages eth0 but has no ethtool setting (needs >= 1.14); use backend=udev" % version)
    # no version at all: not known to be new enough, refused too
    with pytest.raises(PersistError):
        nm.choose(_choose_read(version="", status={"eth0": {"state": "connected", "uuid": "u-1"}}), "eth0", False)


def test_choose_keyfile_when_networkmanager_is_not_running():
    files = {D + "eth0.nmconnection": "[connection]\nid=a\ninterface-name=eth0\n",
             "/etc/NetworkManager/system-connections.bak/eth0": "[connection]\nid=b\ninterface-name=eth0\n",
             "/etc/sysconfig/network-scripts/ifcfg-eth0": "[connection]\nid=c\ninterface-name=eth0\n"}
    for version in ("nmcli tool, version 1.14.0", "", None):
        read = _choose_read(running=False, version=version, files=files)
        ch = nm.choose(read, "eth0", False)
        assert (ch.backend, ch.path, ch.kind, ch.uuid) == ("nm", D + "eth0.nmconnection", "file", None)
        assert ch.reason == "NetworkManager keyfile %seth0.nmconnection binds to eth0 (NM not running: file edit)" % D
    assert nm.choose(_choose_read(running=False, files=files), "eth1", False) is None
    # the probe said not running (NM started before the read section ran): still the file edit
    read = _choose_read(running=False, files=files)
    read["nm"] = {"status": {"eth0": {"state": "connected", "uuid": "u-1"}}, "connections": {}}
    assert nm.choose(read, "eth0", False).path == D + "eth0.nmconnection"
    del files[D + "eth0.nmconnection"]
    assert nm.choose(_choose_read(running=False, files=files), "eth0", True) is None
    with pytest.raises(PersistError) as e:
        nm.choose(_choose_read(running=False, version="nmcli tool, version 1.12.0",
                               files={D + "a": "[connection]\ninterface-name=eth0\n"}), "eth0", False)
    assert (e.value.path, e.value.message) == (D + "a", "NetworkManager older than 1.14 ignores [ethtool]")


def test_render_refusal_names_the_file():
    with pytest.raises(PersistError) as e:
        nm.render("[ethtool]\nfeature-lro=true\n", "eth0", ["lro"], {"path": D + "x"})
    assert (e.value.backend, e.value.path, e.value.message) == (
        "nm", D + "x", "not a NetworkManager keyfile (no [connection] section)")
    with pytest.raises(PersistError):
        nm.render(None, "eth0", ["lro"])
