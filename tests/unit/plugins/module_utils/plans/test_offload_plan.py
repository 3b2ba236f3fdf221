# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plans/offload.py: decisions from recorded ethtool output and real sample files; the
read framing and the apply script (files, ethtool -K, verification, rollback) run in a
real /bin/sh with an ethtool stand-in that keeps state in files."""

import os
import stat
import subprocess

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError, KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.plans import offload as P
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import FileChange, Script, posix_cksum

from conftest import stand_ins

FIX = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures"))


def fixture(*parts):
    with open(os.path.join(FIX, *parts), encoding="utf-8", newline="") as f:
        return f.read()


IXGBE = fixture("ethtool", "rhel64_ixgbe_ethtool-3.5_k.txt")          # LRO on (RHEL 6.4 ixgbe)
VETH = fixture("ethtool", "netns_veth_ethtool-k.txt")                 # lro off [fixed], gro/gso on
IFCFG = fixture("persist", "ifcfg", "incident-ring.in")


def fixed_on(text):
    return text.replace("large-receive-offload: on", "large-receive-offload: on [fixed]")


def make_read(ifaces, files=None, managers=None, unreadable=None, nm_state=None, no_ethtool=False):
    raw = {}
    interfaces = {}
    for name, (kind, text) in ifaces.items():
        raw[name] = {"name": name, "attrs": {"type": "1"}, "ethtool_k": text, "ethtool_rc": 0 if text else 1,
                     "ethtool_err": "" if text else "Cannot get device feature info"}
        interfaces[name] = {"kind": kind, "driver": "ixgbe" if kind == "physical" else "veth", "lower": []}
    mgr = {"ethtool_path": "/sbin/ethtool"}
    mgr.update(managers or {})
    return {"raw": raw, "interfaces": interfaces, "no_ethtool": no_ethtool, "managers": mgr,
            "macs": dict((n, "90:e2:ba:4c:1a:30") for n in ifaces), "files": files or {},
            "unreadable": unreadable or {}, "nm": nm_state}


EL64 = {"redhat_release": "Red Hat Enterprise Linux Server release 6.4 (Santiago)"}
IFCFG_PATH = "/etc/sysconfig/network-scripts/ifcfg-eth0"


def test_incident_ifcfg_plan():
    read = make_read({"eth0": ("physical", IXGBE), "lo": ("loopback", VETH)}, {IFCFG_PATH: IFCFG}, EL64)
    p = P.plan(read, ["lro"])
    assert not p["errors"] and p["changed"]
    assert p["runtime"] == [{"interface": "eth0", "features": ["lro"], "labels": ["large-receive-offload"]}]
    [ch] = p["changes"]
    assert ch.path == IFCFG_PATH and ch.expect == posix_cksum(IFCFG)
    assert 'ETHTOOL_OPTS="-G eth0 rx 4096 tx 4096; -K eth0 lro off"' in ch.content
    e = p["interfaces"]["eth0"]
    assert e["persist"]["backend"] == "ifcfg" and "inferred" in e["persist"]["reason"]
    assert e["before"]["lro"]["active"] and not e["after"]["lro"]["active"]
    assert "lo" not in p["interfaces"]
    headers = [d["before_header"] for d in p["diff"]]
    assert IFCFG_PATH in headers and "eth0 features (before)" in headers


def test_second_run_is_a_no_op():
    read = make_read({"eth0": ("physical", IXGBE)}, {IFCFG_PATH: IFCFG}, EL64)
    first = P.plan(read, ["lro"])
    after = make_read({"eth0": ("physical", IXGBE.replace("large-receive-offload: on", "large-receive-offload: off"))},
                      {IFCFG_PATH: first["changes"][0].content}, EL64)
    again = P.plan(after, ["lro"])
    assert not again["changed"] and not again["changes"] and not again["runtime"]
    assert again["files"] == [{"path": IFCFG_PATH, "backend": "ifcfg", "action": "none"}]


def test_fixed_on_is_not_remediable_and_nothing_planned():
    read = make_read({"eth0": ("physical", fixed_on(IXGBE))}, {IFCFG_PATH: IFCFG}, EL64)
    p = P.plan(read, ["lro"])
    assert not p["changed"] and not p["changes"]
    assert p["interfaces"]["eth0"]["status"] == "not_remediable"
    assert "nfqueue_drop" in p["errors"][0] and "[fixed]" in p["errors"][0]


def test_fixed_off_is_compliant():
    p = P.plan(make_read({"eth0": ("virtual", VETH)}), ["lro"])
    assert not p["changed"] and not p["errors"]
    assert p["interfaces"]["eth0"]["fixed_off"] == ["lro"]
    assert p["interfaces"]["eth0"]["persist"]["backend"] is None


def test_requested_on_is_reported_and_switched_off():
    text = IXGBE.replace("large-receive-offload: on", "large-receive-offload: off [requested on]")
    p = P.plan(make_read({"eth0": ("physical", text)}, {IFCFG_PATH: IFCFG}, EL64), ["lro"])
    assert p["interfaces"]["eth0"]["requested_on"] == ["lro"]
    assert p["runtime"][0]["features"] == ["lro"]
    assert any("requested on" in w for w in p["warnings"])


def test_unknown_interface_and_bad_names():
    p = P.plan(make_read({"eth0": ("physical", IXGBE)}), ["lro"], interfaces=["eth9"])
    assert p["errors"] and "eth9 does not exist" in p["errors"][0] and not p["changed"]
    with pytest.raises(KcrashInputError):
        P.plan(make_read({"eth0": ("physical", IXGBE)}), ["lro"], interfaces=["eth0;reboot"])
    with pytest.raises(KcrashInputError):
        P.plan(make_read({"eth0": ("physical", IXGBE)}), ["lro"], backend="systemd")


def test_ethtool_missing():
    p = P.plan(make_read({"eth0": ("physical", None)}, no_ethtool=True), ["lro"])
    assert "ethtool is not installed" in p["errors"][0]


def test_unreadable_ifcfg_writes_nothing():
    # the read probe reports the file (UNREADABLE) but has no text for it
    read = make_read({"eth0": ("physical", IXGBE)}, {}, dict(EL64, udev_rules_d="1"),
                     unreadable={IFCFG_PATH: "permission denied"})
    p = P.plan(read, ["lro"], host="web49")
    assert not p["changes"] and not p["changed"]
    assert "cannot read it (permission denied)" in p["errors"][0] and IFCFG_PATH in p["errors"][0]


def test_old_initscripts_fall_back_to_udev():
    read = make_read({"eth0": ("physical", IXGBE)}, {IFCFG_PATH: IFCFG},
                     {"redhat_release": "Red Hat Enterprise Linux Server release 6.1 (Santiago)", "udev_rules_d": "1"})
    p = P.plan(read, ["lro"])
    [ch] = p["changes"]
    assert ch.path == P.udev.PATH and ch.expect == ""
    assert 'KERNEL=="eth0", RUN+="/sbin/ethtool -K eth0 lro off"' in ch.content
    with_rpm = make_read({"eth0": ("physical", IXGBE)}, {IFCFG_PATH: IFCFG}, {"rpm_initscripts": "9.03.23"})
    p = P.plan(with_rpm, ["lro"], backend="ifcfg")
    assert "only runs 'ethtool -s'" in p["errors"][0]


def test_networkmanager_running_uses_nmcli():
    nm_state = {"status": {"eth0": {"state": "connected", "uuid": "u-1"}},
                "connections": {"eth0": {"uuid": "u-1", "features": {"lro": "ignore", "gro": "off", "gso": "on", "tso": "on"}}}}
    read = make_read({"eth0": ("physical", IXGBE)}, {IFCFG_PATH: IFCFG},
                     {"nm_running": "running", "nm_version": "nmcli tool, version 1.42.2"}, nm_state=nm_state)
    p = P.plan(read, ["lro"])
    assert p["nm_commands"][0]["args"] == ["connection", "modify", "uuid", "u-1", "ethtool.feature-lro", "off"]
    assert p["nm_commands"][0]["previous"] == {"lro": "ignore"}
    assert not p["changes"]
    nm_state["connections"]["eth0"]["features"]["lro"] = "off"
    p = P.plan(read, ["lro"])
    assert not p["nm_commands"]
    old = make_read({"eth0": ("physical", IXGBE)}, {}, {"nm_running": "running", "nm_version": "nmcli tool, version 1.12.4"},
                    nm_state=nm_state)
    assert "needs >= 1.14" in P.plan(old, ["lro"])["errors"][0]


def test_persist_false_and_forced_backend():
    read = make_read({"eth0": ("physical", IXGBE)}, {IFCFG_PATH: IFCFG}, EL64)
    p = P.plan(read, ["lro"], persist=False)
    assert p["changed"] and not p["changes"]
    p = P.plan(read, ["lro"], backend="ifupdown")
    assert "backend ifupdown does not manage" in p["errors"][0]


def test_facts_choose_the_interfaces():
    read = make_read({"eth0": ("physical", IXGBE), "eth1": ("physical", IXGBE)}, {}, {"udev_rules_d": "1"})
    facts = {"interfaces": {"eth1": {"kind": "bond_slave", "lower": []}, "bond0": {"kind": "bond", "lower": ["eth1"]}}}
    p = P.plan(read, ["lro"], facts=facts)
    assert list(p["interfaces"]) == ["eth1"] and p["interfaces_source"].startswith("ansible_facts")


def test_malformed_ethtool_output_names_host_and_command():
    p = P.plan(make_read({"eth0": ("physical", "garbage\n")}), ["lro"], host="web49")
    assert "host web49" in p["errors"][0] and "ethtool -k eth0" in p["errors"][0]


# ------------------------------------------------------------------ real shell framing

def run_sh(script, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, env=e, check=False)


def test_file_dump_framing_roundtrip(tmp_path):
    contents = {"a": "x=1\ny=2\n", "b": "no newline at end", "c": "", "d": "\n\n", "e": "tab\there\n@@ not a marker\n"}
    for k, v in contents.items():
        (tmp_path / k).write_text(v)
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "nowhere")
    s = Script()
    marker = "@@KCOFF:%s:" % s.nonce
    s.section("files", P._dump_files_script(marker, [str(tmp_path / "*")]))
    p = run_sh(s.render())
    assert p.returncode == 0, p.stderr
    from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import split_sections
    files, bad = P.parse_files(split_sections(p.stdout, s.nonce)["files"].stdout, marker)
    assert files == dict((str(tmp_path / k), v) for k, v in contents.items())
    assert bad == {str(link): "dangling symbolic link"}


def test_read_script_runs_here():
    script, nonce = P.build_read_script()
    p = run_sh(script)
    assert p.returncode == 0, p.stderr
    read = P.parse_read(p.stdout, nonce, "controller")
    assert "lo" in read["interfaces"] and read["interfaces"]["lo"]["kind"] == "loopback"


def test_truncated_read_output_is_a_parse_error():
    script, nonce = P.build_read_script()
    out = run_sh(script).stdout
    with pytest.raises(KcrashParseError) as e:
        P.parse_read(out[: out.index(":BEGIN:files")], nonce, "web49")
    assert "web49" in str(e.value) and "offload read probe" in str(e.value)


# ------------------------------------------------------------------ apply, for real

STUB = r'''#!/bin/sh
# ethtool stand-in for tests: state of each feature in $STUB_DIR/<iface>.<feature>
d=${STUB_DIR:?}
case "$1" in
-k)
  printf 'Features for %s:\n' "$2"
  for f in large-receive-offload generic-receive-offload; do
    printf '%s: %s\n' "$f" "$(cat "$d/$2.$f" 2>/dev/null || echo on)"
  done ;;
-K)
  i=$2; shift 2
  while [ $# -ge 2 ]; do
    case "$1" in lro) f=large-receive-offload;; gro) f=generic-receive-offload;; *) exit 1;; esac
    [ -n "$STUB_BROKEN" ] && [ "$1" = lro ] || printf '%s' "$2" > "$d/$i.$f"
    shift 2
  done ;;
*) exit 2 ;;
esac
'''


@pytest.fixture
def stub(tmp_path):
    path = stand_ins(tmp_path / "bin", {"ethtool": STUB})
    state = tmp_path / "state"
    state.mkdir()
    return {"PATH": path, "STUB_DIR": str(state)}


def apply_plan(tmp_path):
    cfg = tmp_path / "etc" / "ifcfg-eth0"
    cfg.parent.mkdir()
    cfg.write_text(IFCFG)
    os.chmod(cfg, 0o640)
    new = IFCFG.replace('rx 4096 tx 4096"', 'rx 4096 tx 4096; -K eth0 lro off"')
    created = tmp_path / "etc" / "udev.rules"
    before = {"lro": {"active": True, "fixed": False, "requested": True},
              "gro": {"active": True, "fixed": False, "requested": True}}
    plan = {"changes": [FileChange(str(cfg), new, expect=posix_cksum(IFCFG)), FileChange(str(created), "x\n", expect="")],
            "nm_commands": [], "runtime": [{"interface": "eth0", "features": ["lro", "gro"]}],
            "interfaces": {"eth0": {"status": "change", "format": "features", "to_change": ["lro", "gro"],
                                    "before": before}}}
    return plan, cfg, created, new


def test_apply_success(tmp_path, stub):
    plan, cfg, created, new = apply_plan(tmp_path)
    bk = str(tmp_path / "backup")
    script, nonce = P.build_apply_script(plan, bk)
    p = run_sh(script, stub)
    assert p.returncode == 0, p.stderr
    res = P.parse_apply(p.stdout, nonce, plan, bk)
    assert res["ok"], res
    assert cfg.read_text() == new and stat.S_IMODE(cfg.stat().st_mode) == 0o640
    assert created.read_text() == "x\n"
    assert res["after"]["eth0"]["lro"]["active"] is False
    assert (tmp_path / "backup" / P.backup_name(str(cfg))).read_text() == IFCFG


def test_apply_verification_failure_rolls_back(tmp_path, stub):
    plan, cfg, created, new = apply_plan(tmp_path)
    bk = str(tmp_path / "backup")
    script, nonce = P.build_apply_script(plan, bk)
    p = run_sh(script, dict(stub, STUB_BROKEN="1"))
    res = P.parse_apply(p.stdout, nonce, plan, bk)
    assert not res["ok"]
    assert "lro still on" in res["msg"] and "were put back" in res["msg"] and bk in res["msg"]
    assert cfg.read_text() == IFCFG and not created.exists()
    # GRO, which did go off, was turned back on
    assert open(os.path.join(stub["STUB_DIR"], "eth0.generic-receive-offload")).read() == "on"


def test_apply_refuses_when_file_changed_since_read(tmp_path, stub):
    plan, cfg, created, new = apply_plan(tmp_path)
    cfg.write_text(IFCFG + "# edited meanwhile\n")
    bk = str(tmp_path / "backup")
    script, nonce = P.build_apply_script(plan, bk)
    res = P.parse_apply(run_sh(script, stub).stdout, nonce, plan, bk)
    assert not res["ok"] and "changed since it was read" in res["msg"]
    assert cfg.read_text().endswith("# edited meanwhile\n") and not created.exists()
    # nothing ran at runtime either
    assert not os.listdir(stub["STUB_DIR"])


def test_apply_without_backup_removes_it(tmp_path, stub):
    plan, cfg, created, new = apply_plan(tmp_path)
    bk = str(tmp_path / "backup")
    script, nonce = P.build_apply_script(plan, bk, keep_backup=False)
    res = P.parse_apply(run_sh(script, stub).stdout, nonce, plan, bk, keep_backup=False)
    assert res["ok"] and not os.path.exists(bk)


def test_nm_keyfile_secrets_stay_out_of_diffs():
    path = "/etc/NetworkManager/system-connections/wired.nmconnection"
    key = ("[connection]\nid=wired\ntype=ethernet\ninterface-name=eth0\n\n[802-1x]\neap=peap;\n"
           "password=hunter2\n\n[ipv4]\nmethod=auto\n")
    p = P.plan(make_read({"eth0": ("physical", IXGBE)}, {path: key}), ["lro"])
    [ch] = p["changes"]
    assert "password=hunter2" in ch.content and "feature-lro=false" in ch.content
    shown = [d for d in p["diff"] if d["after_header"] == path][0]
    assert "hunter2" not in shown["before"] + shown["after"] + p["files"][0]["unified_diff"]
    assert "password=<redacted>" in shown["after"]


def test_read_riding_with_the_probe_uses_the_probes_walk():
    """build_read_script(walk=False) + the probe's walk (both run for real on this machine,
    read-only) parses to the same read as a read that walks itself."""
    from ansible_collections.kcrash.nfqueue.plugins.module_utils import probe
    from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import combine
    full, full_nonce = P.build_read_script()
    lean, lean_nonce = P.build_read_script(walk=False)
    assert "BEGIN:interfaces" in full and "BEGIN:interfaces" not in lean
    probe_script, probe_nonce = probe.build_probe()
    answer = subprocess.run(["/bin/sh", "-c", combine([probe_script, lean])], capture_output=True,
                            text=True, check=False).stdout
    alone = subprocess.run(["/bin/sh", "-c", full], capture_output=True, text=True, check=False).stdout
    walk = probe.walk_answer(answer, probe_nonce)
    carried = P.parse_read(answer, lean_nonce, walk=walk)
    own = P.parse_read(alone, full_nonce)
    assert carried["interfaces"] and set(carried["interfaces"]) == set(own["interfaces"])
    for key in ("interfaces", "managers", "files", "nm", "no_ethtool"):
        assert carried[key] == own[key], key
    with pytest.raises(KcrashParseError):
        P.parse_read(answer, lean_nonce)    # no walk of its own and none given


def test_ifupdown_line_it_cannot_read_is_said_in_the_plan():
    """issue 13: a stanza line that may set the offloads in a form the reader does not follow
    is reported (warning, persist reason) instead of getting a duplicate; runtime still fixed."""
    interfaces = ("auto eth0\niface eth0 inet manual\n"
                  "    post-up if [ -x /sbin/ethtool ]; then /sbin/ethtool -K $IFACE lro off; fi\n")
    read = make_read({"eth0": ("physical", IXGBE)}, {"/etc/network/interfaces": interfaces})
    p = P.plan(read, ["lro"], backend="ifupdown")
    assert not p["errors"] and not p["changes"]
    assert p["runtime"][0]["interface"] == "eth0"
    assert any("not persisted" in w and "line 3" in w for w in p["warnings"]), p["warnings"]
    assert "line 3" in p["interfaces"]["eth0"]["persist"]["reason"]
    compliant = "auto eth0\niface eth0 inet manual\n    post-up /usr/sbin/ethtool -K eth0 lro off\n"
    p = P.plan(make_read({"eth0": ("physical", IXGBE)}, {"/etc/network/interfaces": compliant}), ["lro"],
               backend="ifupdown")
    assert not p["errors"] and not p["changes"] and not p["warnings"]
    assert p["files"] == [{"path": "/etc/network/interfaces", "backend": "ifupdown", "action": "none"}]
