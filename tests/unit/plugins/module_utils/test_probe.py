# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""probe.py: the one detection script, run for real (dash, busybox sh, bash) in network
namespaces with real iptables/ipset/nft/ethtool, plus its parser's failure modes.

Stand-ins used (and labelled): the incident lab image's own `uname` (reports
2.6.32-358.el6.x86_64) and `ethtool` (replays the RHEL 6.4 ixgbe `-k` recording with LRO
on) scripts, read in place from lab/images/incident/overlay/usr/local/sbin: no virtual
NIC of this kernel can have LRO on, and a container/netns runs the machine's kernel.
"""

import os
import re
import shutil
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import catalog, netdev, probe
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError, KcrashParseError

from conftest import REPO, require_tool
from netns import NetNS, add_virtual_devices

LAB_INCIDENT = os.path.join(REPO, "lab", "images", "incident", "overlay")
STANDIN_BIN = os.path.join(LAB_INCIDENT, "usr", "local", "sbin")
RECORDING = os.path.join(LAB_INCIDENT, "usr", "local", "share", "kcrash-lab", "ethtool",
                         "rhel64_ixgbe_ethtool-3.5_k.txt")
LAB_VMCORE = os.path.join(LAB_INCIDENT, "usr", "local", "share", "kcrash-lab", "vmcore-dmesg.txt")

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root (ip netns)")

SHELLS = [
    ("dash", ["dash"]),
    ("busybox", ["busybox", "sh"]),
    ("bash-posix", ["bash", "--posix"]),
    ("bash", ["bash"]),
]


def _run(argv, script, env=None, timeout=120):
    p = subprocess.run(argv + ["-c", script], capture_output=True, env=env, timeout=timeout, check=False)
    return p.returncode, p.stdout.decode("utf-8", "surrogateescape"), p.stderr.decode("utf-8", "surrogateescape")


class ProbeNetNS(NetNS):
    """A namespace (lo up) that runs the whole probe."""

    def __init__(self):
        NetNS.__init__(self, "kcdet")

    def __enter__(self):
        NetNS.__enter__(self)
        self.x("ip", "link", "set", "lo", "up")
        return self

    def probe(self, shell=("dash",), path_prefix=None, crash_dir=None, env_extra=None, built=None):
        script, nonce = built or probe.build_probe()
        env = dict(os.environ)
        if path_prefix:
            env["PATH"] = path_prefix + ":" + env.get("PATH", "/usr/bin:/bin")
        env.update(env_extra or {})
        argv = ["ip", "netns", "exec", self.name]
        if crash_dir:
            os.makedirs("/var/crash", exist_ok=True)
            argv += ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /var/crash && shift && exec "$@"',
                     crash_dir, "--"]
        argv += list(shell)
        rc, out, err = _run(argv, script, env=env)
        assert rc == 0, err
        return out, nonce


# ------------------------------------------------------------------ the script itself

def test_script_is_posix_and_small():
    script, nonce = probe.build_probe()
    assert re.match(r"^[0-9a-f]{16}$", nonce)
    assert len(script.encode()) < 64 * 1024
    for bad in ("[[ ", "echo -e", "function ", "$'", "<<<", "declare ", "${!", "source "):
        assert bad not in script, bad
    assert not re.search(r"(^|[;&|({]|then|do|else)\s*local\s", script, re.M)
    for name, argv in SHELLS:
        if require_tool(argv[0], argv[0]):
            p = subprocess.run(argv + ["-n"], input=script.encode(), capture_output=True, check=False)
            assert p.returncode == 0, (name, p.stderr)


def test_each_build_has_a_fresh_nonce():
    assert probe.build_probe()[1] != probe.build_probe()[1]


@pytest.mark.parametrize("name,argv", SHELLS, ids=[s[0] for s in SHELLS])
def test_real_run_on_this_machine(name, argv):
    require_tool(argv[0], argv[0])
    script, nonce = probe.build_probe()
    rc, out, err = _run(argv, script)
    assert rc == 0, err
    facts = probe.collect_facts(out, nonce, host="local")
    assert facts["kernel"]["release"] == os.uname().release
    assert facts["interfaces"]["lo"]["kind"] == "loopback"
    assert "lo" not in netdev.candidate_nics(facts)
    if shutil.which("ethtool"):
        assert "ethtool" not in facts["probe"]["missing_tools"]
        assert facts["interfaces"]["lo"]["features"]["lro"]["fixed"] is True
    assert facts["os"]["id"]
    assert facts["exposure"]["level"] in ("exposed", "at_risk", "not_exposed", "unknown")


# ------------------------------------------------------------------ real network namespaces

@needs_root
def test_netns_interface_kinds_and_candidates():
    with ProbeNetNS() as ns:
        add_virtual_devices(ns)
        out, nonce = ns.probe()
    facts = probe.collect_facts(out, nonce)
    i = facts["interfaces"]
    assert set(i) == {"lo", "vethA", "vethB", "br0", "mv0", "vx0", "tap0"}
    assert i["br0"]["kind"] == "bridge" and i["br0"]["lower"] == ["vethB"]
    assert i["vethB"]["kind"] == "bridge_port" and i["vethB"]["master"] == "br0"
    assert i["vethA"]["kind"] == "virtual" and i["vethA"]["virtual_type"] == "veth"
    assert sorted(i["vethA"]["upper"]) == ["mv0", "vx0"]
    assert i["mv0"]["lower"] == ["vethA"] and i["mv0"]["virtual_type"] == "macvlan"
    assert i["vx0"]["lower"] == ["vethA"] and i["vx0"]["virtual_type"] == "vxlan"
    assert i["tap0"]["virtual_type"] == "tun"
    assert netdev.candidate_nics(facts) == ["tap0", "vethA", "vethB"]
    assert netdev.leaves_below(i, "br0") == ["vethB"]
    assert netdev.leaves_below(i, "mv0") == ["vethA"]
    # macvlan really reports GRO "off [requested on]" (recorded in fixtures/ethtool too)
    assert i["mv0"]["features"]["gro"] == {"active": False, "fixed": False, "requested": True}
    assert facts["exposure"]["legs"]["lro"] == "none"


def _incident_ns(ns, standin_state):
    ns.x("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "peer0")
    ns.x("ip", "link", "set", "eth0", "up")
    ns.x("ipset", "create", "lee", "hash:ip", "hashsize", "819200", "maxelem", "100000", "timeout", "300")
    ns.x("iptables-legacy", "-t", "mangle", "-I", "PREROUTING", "-p", "tcp", "-m", "multiport", "--dports",
         "80,443", "-m", "set", "--match-set", "lee", "src", "-m", "string", "--string", "t.test.com",
         "--algo", "kmp", "--from", "0", "--to", "1480", "-j", "NFQUEUE")
    os.makedirs(standin_state, exist_ok=True)
    with open(RECORDING) as f:
        text = f.read()
    with open(os.path.join(standin_state, "eth0.k"), "w") as f:
        f.write(re.sub(r"^Features for [^:]*:", "Features for eth0:", text, count=1))


@needs_root
@pytest.mark.parametrize("shell", [("dash",), ("busybox", "sh")], ids=["dash", "busybox"])
def test_incident_replica_is_exposed(tmp_path, shell):
    assert os.path.isdir(STANDIN_BIN), "lab stand-ins are part of the checkout: %s" % STANDIN_BIN
    require_tool("ipset", "ipset")
    require_tool(shell[0], shell[0])
    state = str(tmp_path / "ethtool-state")
    crash = tmp_path / "crash"
    (crash / "2017-10-31-11:53").mkdir(parents=True)
    shutil.copyfile(LAB_VMCORE, str(crash / "2017-10-31-11:53" / "vmcore-dmesg.txt"))
    with ProbeNetNS() as ns:
        _incident_ns(ns, state)
        out, nonce = ns.probe(shell=shell, path_prefix=STANDIN_BIN, crash_dir=str(crash),
                              env_extra={"KCRASH_LAB_ETHTOOL_STATE": state})
    facts = probe.collect_facts(out, nonce, host="incident-ns")
    k = facts["kernel"]
    assert k["release"] == "2.6.32-358.el6.x86_64"
    assert k["family"] == "el6" and k["code_vulnerable"] is True
    rules = facts["nfqueue_rules"]
    assert len(rules) == 1
    r = rules[0]
    assert (r["family"], r["backend"], r["table"], r["chain"], r["position"]) == ("ipv4", "legacy", "mangle", "PREROUTING", 1)
    assert "--string \"t.test.com\"" in r["rule"] and r["reachable_from"] == ["PREROUTING"]
    assert facts["interfaces"]["eth0"]["features"]["lro"] == {"active": True, "fixed": False, "requested": True}
    e = facts["exposure"]
    assert e["level"] == "exposed"
    assert e["legs"] == {"kernel": "live", "rules": "live", "lro": "live"}
    text = "\n".join(e["reasons"])
    assert "eth0" in text and "large-receive-offload on" in text
    assert "mangle PREROUTING" in text and "2.6.32-358.el6" in text
    # crash evidence from the bind-mounted /var/crash
    assert e["flagged"] is True
    sigs = set(h["signature"] for h in facts["crash_evidence"]["vmcore"])
    assert "rip-nf_queue+0x98" in sigs
    assert any("nf_queue+0x98" in x for x in e["reasons"] if x.startswith("crash:"))
    assert e["interfaces"] == ["eth0"]
    assert any("lro off" in x for x in e["recommended"])


@needs_root
def test_reread_after_offload_completes_the_detection_answer(tmp_path):
    """The re-detection an offload apply trip carries: only the sections offload changes are
    run again (same nonce); merged over the full answer they give the new verdict, and every
    other fact is the full answer's."""
    assert os.path.isdir(STANDIN_BIN), "lab stand-ins are part of the checkout: %s" % STANDIN_BIN
    require_tool("ipset", "ipset")
    state = str(tmp_path / "ethtool-state")
    with ProbeNetNS() as ns:
        _incident_ns(ns, state)
        env = {"KCRASH_LAB_ETHTOOL_STATE": state}
        base, nonce = ns.probe(path_prefix=STANDIN_BIN, env_extra=env)
        with open(os.path.join(state, "eth0.k")) as f:
            text = f.read()
        assert "large-receive-offload: on" in text
        with open(os.path.join(state, "eth0.k"), "w") as f:
            f.write(text.replace("large-receive-offload: on", "large-receive-offload: off"))
        partial = probe.build_probe(nonce, only=probe.REREAD["offload"])
        assert partial[1] == nonce and partial[0].count(":BEGIN:") == len(probe.REREAD["offload"])
        fresh, dummy = ns.probe(path_prefix=STANDIN_BIN, env_extra=env, built=partial)
    before = probe.collect_facts(base, nonce)
    after = probe.collect_facts_reread(base, fresh, nonce, probe.REREAD["offload"], host="incident-ns")
    assert before["exposure"]["level"] == "exposed"
    assert after["interfaces"]["eth0"]["features"]["lro"]["active"] is False
    assert after["exposure"]["level"] != "exposed" and after["exposure"]["legs"]["lro"] != "live"
    for key in ("kernel", "os", "nfqueue_rules", "saved_nfqueue_rules", "forwarding", "crash_evidence"):
        assert after[key] == before[key], key
    # a re-read that did not come back is an error, not a silent use of the old answer
    with pytest.raises(KcrashParseError) as e:
        probe.collect_facts_reread(base, "", nonce, probe.REREAD["offload"], host="incident-ns")
    assert "incident-ns" in str(e.value) and "interfaces" in str(e.value)


def test_partial_probe_names_real_sections():
    with pytest.raises(KcrashInputError):
        probe.build_probe(only=("interfaces", "no-such-section"))
    with pytest.raises(KcrashInputError):
        probe.build_probe(only=())
    assert set(probe.REREAD["offload"]) <= set(probe.SECTION_NAMES)


@needs_root
def test_modern_like_rules_listed_not_exposed():
    with ProbeNetNS() as ns:
        ns.x("ip", "link", "add", "lab0", "type", "veth", "peer", "name", "lab1")
        for tool in ("iptables-nft", "ip6tables-nft"):
            ns.x(tool, "-A", "FORWARD", "-j", "NFQUEUE", "--queue-balance", "0:1", "--queue-bypass")
        ns.x("iptables-legacy", "-A", "INPUT", "-p", "udp", "--dport", "5000", "-j", "NFQUEUE", "--queue-num", "5")
        ns.x("iptables-legacy", "-A", "OUTPUT", "-m", "comment", "--comment", "NFQUEUE here is only a comment",
             "-j", "ACCEPT")
        out, nonce = ns.probe()
    facts = probe.collect_facts(out, nonce)
    rules = facts["nfqueue_rules"]
    got = sorted((r["family"], r["backend"], r["chain"]) for r in rules)
    # iptables-nft rules once each (nft's view of the same tables is not counted twice)
    assert got == [("ipv4", "legacy", "INPUT"), ("ipv4", "nft", "FORWARD"), ("ipv6", "nft", "FORWARD")]
    fwd = [r for r in rules if r["chain"] == "FORWARD"][0]
    assert fwd["queue"]["balance"] == [0, 1] and fwd["queue"]["bypass"] is True
    assert facts["kernel"]["code_vulnerable"] is False
    assert facts["exposure"]["level"] == "not_exposed"
    assert facts["exposure"]["legs"]["rules"] == "live"


@needs_root
def test_permission_problems_are_per_item(tmp_path):
    """As an unprivileged user the probe still answers; unreadable rulesets are errors per item."""
    require_tool("setpriv", "util-linux")
    script, nonce = probe.build_probe()
    os.chmod(str(tmp_path), 0o755)
    rc, out, err = _run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "dash"], script,
                        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert rc == 0, err
    facts = probe.collect_facts(out, nonce, host="nobody")
    items = [e["item"] for e in facts["probe"]["errors"]]
    assert any(i.startswith("ip") and "tables" in i for i in items), facts["probe"]["errors"]
    assert facts["firewall"]["rules_readable"] is False
    assert facts["kernel"]["release"] == os.uname().release
    assert facts["interfaces"]["lo"]["features"] is not None  # ethtool -k works unprivileged


def _busybox_root(root):
    """A minimal root: busybox (and the libraries it links) as /bin/sh and its applets."""
    bb = shutil.which("busybox")
    os.makedirs(os.path.join(root, "bin"))
    shutil.copy2(bb, os.path.join(root, "bin", "busybox"))
    libs = subprocess.run(["ldd", bb], capture_output=True, check=False).stdout.decode()
    for path in re.findall(r"(/\S+\.so[.\d]*)", libs):
        dst = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(path, dst)
    for applet in ("sh", "cat", "head", "grep", "sed", "mktemp", "rm", "mkdir", "readlink", "tr", "uname",
                   "printf", "ls"):
        os.symlink("busybox", os.path.join(root, "bin", applet))
    for d in ("proc", "sys", "tmp", "etc", "var/crash"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    with open(os.path.join(root, "etc", "os-release"), "w") as f:
        f.write('ID=alpine\nVERSION_ID=3.19.0\nPRETTY_NAME="busybox test root"\n')


@needs_root
def test_bare_busybox_root_reports_missing_tools(tmp_path):
    require_tool("busybox", "busybox")
    require_tool("unshare", "util-linux")
    root = str(tmp_path / "root")
    _busybox_root(root)
    script, nonce = probe.build_probe()
    with open(os.path.join(root, "probe.sh"), "w") as f:
        f.write(script)
    inner = ("mount -t proc proc %s/proc && mount -t sysfs sysfs %s/sys && exec chroot %s /bin/sh /probe.sh"
             % (root, root, root))
    p = subprocess.run(["unshare", "-m", "-n", "sh", "-c", inner], capture_output=True,
                       env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, check=False)
    assert p.returncode == 0, p.stderr
    facts = probe.collect_facts(p.stdout.decode(), nonce, host="bare")
    missing = facts["probe"]["missing_tools"]
    for tool in ("ethtool", "iptables", "ip6tables", "iptables-save", "ip6tables-save", "nft",
                 "rpm/dpkg-query", "dmesg", "last"):
        assert tool in missing, (tool, missing)
    assert facts["os"]["id"] == "alpine"
    assert facts["interfaces"]["lo"]["kind"] == "loopback"  # new empty netns: only lo
    assert facts["interfaces"]["lo"]["features"] is None
    assert facts["firewall"]["rules_readable"] is False
    assert facts["exposure"]["legs"]["rules"] == "unknown"


# ------------------------------------------------------------------ parser failure modes

@pytest.fixture(scope="module")
def real_output():
    script, nonce = probe.build_probe()
    rc, out, err = _run(["dash"], script)
    assert rc == 0, err
    return out, nonce


def test_truncated_output_is_a_parse_error(real_output):
    out, nonce = real_output
    for cut in (len(out) // 3, len(out) // 2, len(out) - 40):
        with pytest.raises(KcrashParseError) as e:
            probe.parse_probe(out[:cut], nonce, host="h1")
        assert "h1" in str(e.value)


def test_wrong_nonce_is_a_parse_error(real_output):
    out, _unused = real_output
    with pytest.raises(KcrashParseError):
        probe.parse_probe(out, "0" * 16)


@needs_root
def test_garbled_tool_output_names_the_command(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "iptables-legacy-save").write_text("#!/bin/sh\necho '*filter'\necho 'this is not iptables-save'\n")
    os.chmod(str(fake / "iptables-legacy-save"), 0o755)
    with ProbeNetNS() as ns:
        out, nonce = ns.probe(path_prefix=str(fake))
    with pytest.raises(KcrashParseError) as e:
        probe.parse_probe(out, nonce, host="h2")
    assert "iptables-legacy-save" in str(e.value) and "h2" in str(e.value)


def _mutations():
    return st.tuples(st.integers(min_value=0, max_value=10 ** 6), st.integers(min_value=0, max_value=400),
                     st.text(max_size=60))


@settings(max_examples=200, deadline=None)
@given(m=_mutations())
def test_mutated_output_raises_only_parse_error(real_output, m):
    out, nonce = real_output
    pos, length, junk = m
    pos = pos % max(1, len(out))
    text = out[:pos] + junk + out[pos + length:]
    try:
        facts = probe.collect_facts(text, nonce)
    except KcrashParseError:
        return
    assert facts["exposure"]["level"] in ("exposed", "at_risk", "not_exposed", "unknown")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_random_text_raises_only_parse_error(text):
    with pytest.raises(KcrashParseError):
        probe.parse_probe(text, "0123456789abcdef")


# ------------------------------------------------------------------ pure pieces

def test_persist_hints():
    hints = probe.parse_persist(
        '/etc/sysconfig/network-scripts/ifcfg-eth0:15:ETHTOOL_OPTS="-K eth0 lro on; -G eth0 rx 4096"\n'
        "/etc/network/interfaces:7:    offload-lro off\n"
        "/etc/systemd/network/10-eth1.link:4:LargeReceiveOffload=true\n")
    assert [(h["interface"], h["lro"]) for h in hints] == [("eth0", True), (None, False), (None, True)]


def test_catalog_primary_is_the_bug_id():
    assert probe.oops.BUG_NFQUEUE_GSO == catalog.PRIMARY
