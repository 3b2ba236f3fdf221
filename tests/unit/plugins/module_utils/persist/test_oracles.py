# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Persistence back ends checked by the programs that read their files on a real host, never
by our own parsers: in a `persist-oracle` lab container (Debian 12: systemd/udev 252,
ifupdown 0.8, the ethtool package):

* systemd ``.link`` files (networkd back end): ``udevadm test-builtin net_setup_link
  /sys/class/net/DEV``, systemd's own loader and matcher: every parse warning it prints, the
  file it applies (``ID_NET_LINK_FILE``) and the offloads it really sets on the device.
  (``udevadm verify`` exists only from systemd 254; Debian 12 has 252.)
* udev rules (udev fallback): ``udevadm test --action=add /sys/class/net/DEV``: the ``run:``
  lines are the programs udev would start for that device.
* ``/etc/network/interfaces`` (ifupdown back end): ``ifquery -i FILE IFACE``: the options
  ifupdown hands to the ethtool hook (``offload-lro: off``) or runs (``post-up: ...``).

The golden ``fixtures/persist/{networkd,udev,ifupdown}/*.expected`` files (written by the
renderers, reviewed by hand) are checked here too. Veth devices with the golden files'
names and MAC addresses stand in for the NICs (a veth cannot turn LRO on: the LRO key is
seen as requested through systemd's "could not set feature rx-lro" message; GRO is really
switched off).
"""

import os
import re
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import CONTAINERS_CONF, lab_hosts

import persist_golden as golden
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import ifupdown, networkd, udev

FEATURES = ("lro", "gro", "gso", "tso")
# extra devices: (name, MAC) of the interfaces the golden files name
DEVICES = (("eth1", None), ("eth2", None), ("enx520p1", "a0:36:9f:12:34:56"), ("ens1f0", "a0:36:9f:12:34:57"),
           ("kcm0", "2e:fa:ce:26:34:63"))      # the device of networkd/match-cases.json


class Oracle(object):
    def __init__(self, name):
        self.name = name

    def sh(self, script):
        return _podman_input(self.name, script, "")

    def sh_input(self, script, stdin):
        return _podman_input(self.name, script, stdin)

    def put(self, path, text):
        p = _podman_input(self.name, 'mkdir -p "$(dirname "$1")" && cat > "$1"', text, path)
        assert p.returncode == 0, p.stderr

    # -- udev
    def udev_runs(self, rules_text, devs):
        """{dev: (ethtool programs udev would run on ``add`` of dev, complaints)} with
        ``rules_text`` as our rules file (one exec for all devices)."""
        script = 'cat > %s' % udev.PATH + "".join(
            '; echo "@@@ %s"; udevadm test --action=add /sys/class/net/%s 2>&1' % (d, d) for d in devs)
        p = _podman_input(self.name, script, rules_text)
        assert p.returncode == 0, p.stdout + p.stderr
        out = {}
        for chunk in p.stdout.split("@@@ ")[1:]:
            dev, text = chunk.split("\n", 1)
            if rules_text.strip():
                assert "Reading rules file: %s" % udev.PATH in text, text
            runs = [m.group(1) for m in re.finditer(r"^run: '(.*)'$", text, re.M)]
            # anything udev says about our file but the RUN it takes from it is a complaint
            complaints = [line for line in text.splitlines() if udev.PATH in line
                          and not line.startswith("Reading rules file: ") and " RUN '" not in line]
            out[dev] = ([r for r in runs if "ethtool" in r], complaints)
        assert sorted(out) == sorted(devs)
        return out

    # -- systemd .link
    def link_apply(self, files, dev):
        """Put ``files`` ({path: text}) into the image (after clearing /etc/systemd/network),
        turn GRO back on, run net_setup_link on ``dev``. Returns (output, applied file,
        ethtool -k lines after)."""
        self.sh("rm -rf /etc/systemd/network && mkdir -p /etc/systemd/network")
        for path, text in files.items():
            self.put(path, text)
        p = self.sh("ethtool -K %s gro on >/dev/null 2>&1; SYSTEMD_LOG_LEVEL=debug "
                    "udevadm test-builtin net_setup_link /sys/class/net/%s 2>&1; ethtool -k %s" % (dev, dev, dev))
        m = re.search(r"^ID_NET_LINK_FILE=(.*)$", p.stdout, re.M)
        offloads = [l for l in p.stdout.splitlines() if l.startswith(("generic-receive", "large-receive"))]
        return p.stdout, m and m.group(1), offloads

    def mac(self, dev):
        return self.sh("cat /sys/class/net/%s/address" % dev).stdout.strip()

    # -- ifupdown
    def ifquery(self, text):
        """{"--list": interfaces, iface: `ifquery -i FILE iface` output for each} (one exec)."""
        script = ('cat > /tmp/kcrash-interfaces; f=/tmp/kcrash-interfaces; ifquery -i $f --list || exit 1; '
                  'for i in $(ifquery -i $f --list); do echo "@@@ $i"; ifquery -i $f "$i" || exit 1; done')
        p = _podman_input(self.name, script, text)
        assert p.returncode == 0, p.stdout + p.stderr
        chunks = p.stdout.split("@@@ ")
        out = {"--list": chunks[0].split()}
        for chunk in chunks[1:]:
            iface, body = chunk.split("\n", 1)
            out[iface] = body
        return out


def _podman_input(name, script, stdin, *args):
    return subprocess.run(["podman", "exec", "-i", name, "/bin/sh", "-c", script, "sh"] + list(args),
                          input=stdin, capture_output=True, text=True, check=False,
                          env=dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF))


@pytest.fixture(scope="module")
def oracle():
    with lab_hosts("ktst-persist-oracle", ("persist-oracle",)) as names:
        o = Oracle(names["persist-oracle"])
        for dev, mac in DEVICES:
            p = o.sh("ip link add %s %s type veth peer name %s" % (
                dev, "address %s" % mac if mac else "", (dev[:9] + "p")))
            assert p.returncode == 0, p.stderr
        yield o


def _ethtool_features_off(runs, dev, path=None):
    """Features that the ethtool runs udev/ifupdown would start turn off on ``dev``."""
    off = set()
    for r in runs:
        words = r.split()
        if path is not None:
            assert words[0] == path, r
        if words[1:3] in (["-K", dev], ["--offload", dev], ["--features", dev]):
            off |= set(k for k, v in zip(words[3::2], words[4::2]) if v == "off")
    return off


# ------------------------------------------------------------------ udev rules

UDEV_CASES = golden.cases("udev")


@pytest.mark.parametrize("key,text,case,info", UDEV_CASES, ids=[c[0] for c in UDEV_CASES])
def test_udev_runs_the_rendered_rule_and_nothing_else_changes(oracle, key, text, case, info):
    out = udev.render(text, case["iface"], case["features"], info)
    with open(golden.expected_path("udev", key), encoding="utf-8") as f:
        assert out == f.read()          # the golden file is what udev is checked on here
    devs = ("eth0", "eth1", "eth2")
    after_all, before_all = oracle.udev_runs(out, devs), oracle.udev_runs(text, devs)
    for dev in devs:
        (after, notes), (before, dummy_notes) = after_all[dev], before_all[dev]
        assert notes == [], notes   # no syntax complaint
        if dev == case["iface"]:
            assert set(case["features"]) <= _ethtool_features_off(after, dev, info.get("ethtool_path")), after
            assert len(after) == 1, after          # one ethtool run per device
        else:
            assert after == before


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(("eth0", "eth1", "eth2")),
                          st.lists(st.sampled_from(FEATURES), min_size=1, max_size=4, unique=True)),
                min_size=1, max_size=4))
def test_udev_rules_built_in_steps_do_what_was_asked(oracle, steps):
    """Rules rendered step after step: udev then turns off, per device, at least every
    feature ever asked for that device."""
    text = ""
    wanted = {}
    for dev, feats in steps:
        text = udev.render(text, dev, feats, {"ethtool_path": "/sbin/ethtool"})
        wanted.setdefault(dev, set()).update(feats)
    got = oracle.udev_runs(text, sorted(wanted))
    for dev, feats in wanted.items():
        runs, complaints = got[dev]
        assert not complaints, complaints
        assert feats <= _ethtool_features_off(runs, dev, "/sbin/ethtool"), (text, runs)


# ------------------------------------------------------------------ systemd .link files

_WARN = re.compile(r"Unknown key|Unknown section|Failed to parse|ignoring|Invalid|not valid")


def _warnings_about(output, path):
    return [l for l in output.splitlines() if l.startswith(path + ":") or (path in l and _WARN.search(l))]


@pytest.mark.parametrize("key", [c[0] for c in golden.cases("networkd") if "refused" not in c[2]])
def test_golden_link_files_parse_without_warnings(oracle, key):
    with open(golden.expected_path("networkd", key), encoding="utf-8") as f:
        text = f.read()
    path = "/etc/systemd/network/50-golden.link"
    out, _applied, _k = oracle.link_apply({path: text}, "eth0")
    assert "Parsed configuration file \"%s\"" % path in out, out
    assert not _warnings_about(out, path), out


def test_golden_link_files_apply_to_their_device(oracle):
    """The MAC-matched golden files are the ones systemd applies to a device with that MAC."""
    for key, dev in (("admin-link", "enx520p1"), ("own-from-rhel8-default", "ens1f0")):
        with open(golden.expected_path("networkd", key), encoding="utf-8") as f:
            text = f.read()
        path = "/etc/systemd/network/%s" % ("10-enx520p1.link" if key == "admin-link" else
                                            networkd.own_path(dev).rsplit("/", 1)[1])
        out, applied, _k = oracle.link_apply({path: text}, dev)
        assert applied == path, out
        assert "could not set feature rx-lro" in out     # LargeReceiveOffload=false was acted on


@pytest.mark.parametrize("key", sorted(golden.link_match_cases()))
def test_match_cases_are_what_systemd_252_applies(oracle, key):
    """The table test_networkd.py checks networkd.match() against: each case's file is the one
    systemd applies to kcm0 (veth, fixed MAC) exactly when the table says so."""
    case = golden.link_match_cases()[key]
    path = "/etc/systemd/network/10-case.link"
    out, applied, _k = oracle.link_apply({path: golden.link_match_text(case)}, "kcm0")
    assert applied, out
    assert (applied == path) is case["systemd_252"], out


@pytest.mark.parametrize("features", [["lro"], ["lro", "gro"], ["gro", "gso", "tso"], list(FEATURES)])
def test_own_link_file_from_the_real_vendor_default_wins_and_sets_the_offloads(oracle, features):
    """Our device-only file shadows the image's real /usr/lib/systemd/network/99-default.link:
    systemd applies it (not the vendor file), keeps the vendor naming policy, and turns the
    features off on the device."""
    vendor = oracle.sh("cat /usr/lib/systemd/network/99-default.link").stdout
    assert "[Link]" in vendor
    dev = "eth0"
    info = {"mac": oracle.mac(dev), "driver": "veth", "template": vendor,
            "template_path": "/usr/lib/systemd/network/99-default.link"}
    text = networkd.render("", dev, features, info)
    path = networkd.own_path(dev)
    out, applied, k = oracle.link_apply({path: text}, dev)
    assert applied == path, out
    assert not _warnings_about(out, path), out
    assert "Policy *keep*" in out                     # NamePolicy copied from the vendor file
    if "gro" in features:
        assert "generic-receive-offload: off" in k, k
    else:
        assert "generic-receive-offload: on" in k, k
    if "lro" in features:
        assert "could not set feature rx-lro" in out  # veth: LRO off [fixed], systemd tried


def test_admin_link_file_edited_in_place_stays_the_applied_one(oracle):
    dev = "enx520p1"
    src = golden.read("networkd", "10-enx520p1.link.in")
    path = "/etc/systemd/network/10-enx520p1.link"
    out = networkd.render(src, dev, ["lro", "gro"], {"path": path})
    res, applied, k = oracle.link_apply({path: out}, dev)
    assert applied == path and not _warnings_about(res, path), res
    assert "generic-receive-offload: off" in k, k


# ------------------------------------------------------------------ ifupdown

IFUPDOWN_CASES = golden.cases("ifupdown")


def _options(ifquery_out):
    return [tuple(l.split(": ", 1)) for l in ifquery_out.splitlines() if ": " in l]


@pytest.mark.parametrize("key,text,case,info", IFUPDOWN_CASES, ids=[c[0] for c in IFUPDOWN_CASES])
def test_ifquery_reads_the_rendered_interfaces_file(oracle, key, text, case, info):
    out = ifupdown.render(text, case["iface"], case["features"], info)
    with open(golden.expected_path("ifupdown", key), encoding="utf-8") as f:
        assert out == f.read()
    q_before, q_after = oracle.ifquery(text), oracle.ifquery(out)
    assert q_after["--list"] == q_before["--list"]            # same interfaces
    for iface in q_before["--list"]:
        before, after = _options(q_before[iface]), _options(q_after[iface])
        if iface != case["iface"]:
            assert after == before, iface
            continue
        added = [o for o in after if o not in before]
        replaced = [o for o in before if o[0].startswith("offload-") and o[0][8:] in case["features"]]
        assert [o for o in before if o not in after] == replaced
        if info.get("ethtool_hook"):
            # what the ethtool package's if-up hook reads (IF_OFFLOAD_<F>)
            off = set(o[0][8:] for o in after if o[0].startswith("offload-") and o[1] == "off")
            assert set(case["features"]) <= off, after
        else:
            # `up` is ifupdown's other name of post-up; the command runs through /bin/sh
            runs = [o[1].split("||")[0].strip() for o in added if o[0] in ("up", "post-up")]
            assert len(runs) == 1, added
            path = info.get("ethtool_path", "/sbin/ethtool")
            assert set(case["features"]) <= _ethtool_features_off(runs, iface, path), after
