# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection, hostile input: every value that reaches shell text on a host is either
refused before any host is touched (user paths, stamps, kernel targets, reboot times) or
quoted (file paths and contents found on the host, rule comments, interface names).

Each generated script (probe, offload read/apply, drop read/apply/confirm/undo/rollback/
list, kernel, reboot) is rendered with hostile values and checked with ``sh -n``; the ones
that can run here run for real (throwaway network namespaces, temp dirs) with the working
directory set to a canary directory that must stay empty."""

import json
import os
import re
import shlex
import subprocess
import time

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import probe
from ansible_collections.kcrash.nfqueue.plugins.module_utils import reboot_schedule as RB
from ansible_collections.kcrash.nfqueue.plugins.module_utils import shell
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import apply as drop_apply
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import management
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import plan as drop_plan
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import read as drop_read
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import verify as drop_verify
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade import apply as KA
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade import plan as KP
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade import read as KR
from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import apply as OA
from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import plan as OP
from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import read as OR
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import (
    FileChange,
    file_transaction,
    posix_cksum,
    validate_abs_path,
)
from conftest import run_play_json, stand_ins
from faultlab import IFACE_CANARIES, NEEDS_ROOT, NS, canaries, sh_syntax_ok

STAMP = "20260126T101500Z-1a2b3c4d"


@pytest.fixture
def cdir(tmp_path):
    d = tmp_path / "canary"
    d.mkdir()
    return d


def assert_no_canary(cdir):
    assert sorted(os.listdir(str(cdir))) == [], "a hostile value ran as shell text"


def user_path_builders(bad):
    good = "/var/backups/kcrash"
    return {
        "validate_abs_path": lambda: validate_abs_path(bad),
        "backup_dir": lambda: drop_apply.backup_dir(bad, STAMP),
        "rollback_script": lambda: drop_apply.rollback_script(bad),
        "rollback_script(named)": lambda: drop_apply.rollback_script(bad, STAMP),
        "list_script": lambda: drop_apply.list_script(bad),
        "confirm_script": lambda: drop_apply.confirm_script(bad, good, 3),
        "confirm_script(root)": lambda: drop_apply.confirm_script(good + "/" + STAMP, bad, 3),
        "undo_script": lambda: drop_apply.undo_script(bad),
        "retention": lambda: drop_apply.retention(bad, 3),
        "apply_script": lambda: drop_apply.apply_script({"iptables": [], "files": []}, bad),
        "file_transaction": lambda: file_transaction([FileChange("/etc/x", "x")], bad),
        "offload apply": lambda: OA.build_apply_script(
            {"changes": [], "nm_commands": [], "runtime": [], "interfaces": {}}, bad),
        "stamp": lambda: drop_apply.rollback_script(good, bad),
    }


@pytest.mark.parametrize("index", range(7))
def test_user_paths_with_shell_text_are_refused_before_any_script(cdir, index):
    bad = "/tmp/" + canaries(cdir)[index]
    for name, build in user_path_builders(bad).items():
        with pytest.raises(KcrashInputError):
            build()
            pytest.fail("%s accepted %r" % (name, bad))


def test_other_options_with_shell_text_are_refused(cdir):
    # the canaries with the temp path are longer than most limits: the short ones show the
    # character set refuses them (chains accepted `$(reboot)` while only its length was checked)
    for bad in canaries(cdir) + ["$(reboot)", "`id`", "a;b", "x|y", "x'y", 'x"y', "a&&b", "a>b", "$IFS"]:
        for check in (KP.validate_target, RB.validate_time, RB.validate_id):
            with pytest.raises(KcrashInputError):
                check(bad)
        with pytest.raises(KcrashInputError):
            KR.probe_sections([bad])
        with pytest.raises(KcrashInputError):
            drop_options.Options(chains=[bad])


@NEEDS_ROOT
def test_rollback_and_offload_actions_refuse_hostile_backup_paths(tmp_path, cdir):
    """The reported exploits: kcrash_drop_backup_root=/tmp/x'$(id>/tmp/P)' through the rollback
    and kcrash_offload_backup_dir=/etc/hostname/$(id>/tmp/P) through the failure message."""
    ns = NS()
    try:
        root = "/tmp/x'$(touch %s/p1)'" % cdir
        rc, out = run_play_json(tmp_path, [
            {"name": "rb", "kcrash.nfqueue.nfqueue_target": {"rollback": "latest", "backup_root": root}}],
            wrap=["ip", "netns", "exec", ns.name])
        res = out["plays"][0]["tasks"][0]["hosts"]["testhost"]
        assert rc != 0 and res["failed"] and "backup_root" in res["msg"], res
        rc, out = run_play_json(tmp_path, [
            {"name": "of", "kcrash.nfqueue.offload": {
                "interfaces": ["lo"], "features": ["gro"], "persist": False,
                "backup_dir": "/etc/hostname/$(touch %s/p2)" % cdir}}],
            wrap=["ip", "netns", "exec", ns.name])
        res = out["plays"][0]["tasks"][0]["hosts"]["testhost"]
        assert rc != 0 and res["failed"] and "backup_dir" in res["msg"], res
        assert "Traceback" not in json.dumps(res)
    finally:
        ns.close()
    assert_no_canary(cdir)


# --------------------------------------------------------- host-found values, for real

STUB = r'''#!/bin/sh
# ethtool stand-in: state of each feature in $STUB_DIR/<n>.<feature> (n: a hex of the name)
d=${STUB_DIR:?}
h=$(printf '%s' "$2" | od -An -tx1 | tr -d ' \n')
case "$1" in
-k) printf 'Features for %s:\n' "$2"
    printf 'generic-receive-offload: %s\n' "$(cat "$d/$h.gro" 2>/dev/null || echo on)" ;;
-K) [ "$4" = "$STUB_FAIL" ] && exit 1; printf '%s' "$4" > "$d/$h.gro" ;;
*) exit 2 ;;
esac
'''


def _hostile_offload_plan(tmp_path, cdir, expect_ok=True):
    etc = tmp_path / "etc"
    etc.mkdir()
    changes = []
    for i, bad in enumerate(canaries(cdir)):
        name = bad.replace("/", "_")
        path = etc / ("ifcfg-%d-%s" % (i, name))
        path.write_text("DEVICE=x\n")
        changes.append(FileChange(str(path), "%s\nETHTOOL_OPTS='%s'\n" % (bad, bad),
                                  expect=posix_cksum("DEVICE=x\n") if expect_ok else posix_cksum("other")))
    before = {"gro": {"active": True, "fixed": False, "requested": True}}
    ifaces = dict((n, {"status": "change", "format": "features", "to_change": ["gro"], "before": before})
                  for n in IFACE_CANARIES)
    return {"changes": changes, "nm_commands": [], "runtime": [{"interface": n, "features": ["gro"]} for n in ifaces],
            "interfaces": ifaces}


def _stub_env(tmp_path):
    path = stand_ins(tmp_path / "bin", {"ethtool": STUB})
    (tmp_path / "state").mkdir()
    return dict(os.environ, PATH=path, STUB_DIR=str(tmp_path / "state"))


@pytest.mark.parametrize("outcome", ["ok", "file changed since read", "ethtool fails"])
def test_offload_apply_with_hostile_paths_contents_and_interface_names(tmp_path, cdir, outcome):
    plan = _hostile_offload_plan(tmp_path, cdir, expect_ok=outcome != "file changed since read")
    env = _stub_env(tmp_path)
    if outcome == "ethtool fails":
        env["STUB_FAIL"] = "off"
    bk = str(tmp_path / "backup")
    script, nonce = OA.build_apply_script(plan, bk)
    assert sh_syntax_ok(script)[0]
    p = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, env=env, cwd=str(cdir),
                       check=False)
    res = OA.parse_apply(p.stdout, nonce, plan, bk)
    assert_no_canary(cdir)
    if outcome == "ok":
        assert res["ok"], res
        for ch in plan["changes"]:
            assert open(ch.path).read() == ch.content
        assert sorted(res["after"]) == sorted(IFACE_CANARIES)
    else:
        assert not res["ok"]
        for ch in plan["changes"]:
            assert open(ch.path).read() == "DEVICE=x\n"
        if outcome == "ethtool fails":
            assert "a;b:gro" in res["msg"] or "a;b: gro" in res["msg"], res["msg"]


@NEEDS_ROOT
def test_drop_scripts_with_hostile_rule_comments_run_nothing(tmp_path, cdir):
    ns = NS()
    try:
        for i, bad in enumerate(canaries(cdir)):
            ns.ok("iptables-legacy -A FORWARD -p udp --dport %d -m comment --comment %s -j NFQUEUE"
                  % (5000 + i, shlex.quote(bad)))
        before = ns.ok("iptables-legacy-save -t filter")
        script, nonce = drop_read.read_script()
        rc, out, err = ns.sh(script, cwd=str(cdir))
        rr = drop_read.parse_read(out, nonce)
        opts = drop_options.Options()
        plan = drop_plan.plan(rr.dumps, opts, management.management(None, opts), rr.nft_text, {}, {}, True)
        assert len(plan["changes"]) == 7
        broot = str(tmp_path / "b")
        bdir = drop_apply.backup_dir(broot, STAMP)
        scripts = [drop_apply.apply_script(plan, bdir, seconds=30, wait=True, verify=True), drop_apply.confirm_script(bdir, broot, 3),
                   drop_apply.rollback_script(broot), drop_apply.list_script(broot), drop_apply.undo_script(bdir)]
        for text in scripts:
            assert sh_syntax_ok(text)[0]
        rc, out, err = ns.sh(scripts[0], cwd=str(cdir))
        assert rc == 0, err
        assert drop_verify.verify(plan, drop_apply.split_verify(out))["ok"]
        for text, want in zip(scripts[1:4], (0, 0, drop_apply.RC_ROLLEDBACK)):
            rc, out, err = ns.sh(text, cwd=str(cdir))
            assert rc == want, err
        after = ns.ok("iptables-legacy-save -t filter")
        assert _rules(after) == _rules(before)
    finally:
        ns.close()
    assert_no_canary(cdir)


def test_every_other_generated_script_passes_sh_n(tmp_path, cdir):
    bad = canaries(cdir)
    texts = [probe.build_probe()[0], OR.build_read_script()[0], drop_read.read_script()[0]]
    txn = file_transaction([FileChange("/boot/grub/" + b.replace("/", "_"), b) for b in bad], "/var/backups/k")
    secs = KR.probe_sections(["linux-image-6.1.0-13-amd64"]) + KA.default_sections(
        {"needed": True, "commands": ["grubby --set-default /boot/vmlinuz-6.1.0-13-amd64"]}, None,
        "/var/backups/k", txn)
    texts += [cmd for _name, cmd in secs]
    for method in ("at", "shutdown", "systemd-run"):
        texts.append(RB.schedule_command({"method": method, "time": "03:00", "id": "kernel", "kernel": "6.1.0-13"},
                                         "shutdown -r now"))
    texts.append(RB.cancel_command({"method": "at", "job": "12"}))
    for text in texts:
        ok, err = sh_syntax_ok(text)
        assert ok, (text[:300], err)


def _rules(text):
    return [line for line in text.splitlines() if line.startswith("-A ")]


@NEEDS_ROOT
def test_odd_interface_names_do_not_block_offload_of_the_others(cdir):
    """Issue 16 item 7 on real veths with real ethtool: names valid for the kernel but not
    for the framing (``a;b``, a backtick command) are offloaded like the others, and run
    nothing."""
    ns = NS()
    try:
        ns.ok("ip link add 'a;b' type veth peer name '`touch${IFS}k2`' && ip link add good0 type veth peer name good1")
        script, nonce = OR.build_read_script()
        rc, out, err = ns.sh(script, cwd=str(cdir))
        assert rc == 0, err
        read = OR.parse_read(out, nonce)
        assert {"a;b", "`touch${IFS}k2`", "good0", "good1"} <= set(read["interfaces"])
        plan = OP.plan(read, ["gso"], persist=False)
        assert not plan["errors"], plan["errors"]
        assert {r["interface"] for r in plan["runtime"]} >= {"a;b", "`touch${IFS}k2`", "good0"}
        script, nonce = OA.build_apply_script(plan, "/var/backups/kcrash-nfqueue/offload-test")
        rc, out, err = ns.sh(script, cwd=str(cdir))
        res = OA.parse_apply(out, nonce, plan, "/var/backups/kcrash-nfqueue/offload-test")
        assert res["ok"], res
        for n in ("a;b", "`touch${IFS}k2`", "good0"):
            assert "generic-segmentation-offload: off" in ns.ok("ethtool -k %s" % shlex.quote(n))
    finally:
        ns.close()
    assert_no_canary(cdir)


def test_table_names_read_from_the_host_are_checked_before_they_reach_shell_text(cdir):
    tx = {"table": "filter$(touch %s/t1)" % cdir, "save_tool": "iptables-legacy-save", "restore_tool":
          "iptables-legacy-restore", "backend": "legacy", "chains": ["FORWARD"], "digest": "1 2", "post_digest": "1 2",
          "text": "*filter\nCOMMIT\n"}
    with pytest.raises(KcrashInputError):
        drop_apply.apply_script({"iptables": [tx], "files": []}, "/var/backups/kcrash-nfqueue/drop/" + STAMP)
    with pytest.raises(KcrashInputError):
        drop_apply.apply_script({"iptables": [dict(tx, table="filter", save_tool="sh -c x")], "files": []},
                                "/var/backups/kcrash-nfqueue/drop/" + STAMP)


# ------------------------------------ quoting alone, with the up-front path check bypassed

@pytest.fixture
def unchecked_user_paths(monkeypatch):
    """The user-path rule as it was before issue 16 (any character but NUL and newline):
    the scripts then carry the hostile paths themselves, so only the quoting keeps the
    canaries from running, not the character set."""
    monkeypatch.setattr(shell, "_ABS_PATH_RE", re.compile(r"^/[^\x00\n]*\Z"))


def _watchdog_done(bdir, seconds=15.0):
    """True once the watchdog has run restore.sh (its last log line is written after it)."""
    log = os.path.join(bdir, "watchdog.log")
    end = time.time() + seconds
    while time.time() < end:
        if os.path.exists(log) and "restore.sh exit" in open(log).read():
            return True
        time.sleep(0.1)
    return False


@NEEDS_ROOT
@pytest.mark.parametrize("index", range(7))
def test_hostile_user_paths_run_nothing_even_past_the_up_front_check(tmp_path, cdir, unchecked_user_paths, index):
    """Issue 16 item 1, the quoting half: every drop script (apply, undo, the watchdog and its
    restore.sh, list, rollback latest and named, confirm with retention), a failing
    file_transaction and a failing offload apply, run for real with a canary in the backup
    root / directory: the canary never runs and the messages print the path as it is."""
    bad = canaries(cdir)[index]
    root = str(tmp_path / "root") + "/" + bad
    first, second = (drop_apply.backup_dir(root, s) for s in (STAMP, "20260126T101501Z-1a2b3c4e"))
    ns = NS()
    try:
        ns.ok("iptables-legacy -A FORWARD -p udp --dport 5000 -j NFQUEUE")
        before = _rules(ns.ok("iptables-legacy-save -t filter"))
        script, nonce = drop_read.read_script()
        rr = drop_read.parse_read(ns.sh(script)[1], nonce)
        opts = drop_options.Options()
        plan = drop_plan.plan(rr.dumps, opts, management.management(None, opts), rr.nft_text, {}, {}, True)
        assert len(plan["changes"]) == 1
        runs = [(drop_apply.list_script(root), drop_apply.RC_NOBACKUP),
                (drop_apply.apply_script(plan, first, seconds=60), 0), (drop_apply.undo_script(first), 0),
                (drop_apply.apply_script(plan, second, seconds=1), 0)]
        for text, want in runs:
            assert sh_syntax_ok(text)[0]
            rc, out, err = ns.sh(text, cwd=str(cdir))
            assert rc == want, (rc, err)
            if want == drop_apply.RC_NOBACKUP:
                assert root in err, err
        assert _watchdog_done(second) and os.path.exists(second + "/rolled-back")
        assert _rules(ns.ok("iptables-legacy-save -t filter")) == before
        for text, want in [(drop_apply.confirm_script(second, root, 1), drop_apply.RC_LATE),
                           (drop_apply.list_script(root), drop_apply.RC_ROLLEDBACK),
                           (drop_apply.rollback_script(root), drop_apply.RC_ROLLEDBACK),
                           (drop_apply.rollback_script(root, "20260126T101501Z-1a2b3c4e"), 0)]:
            assert sh_syntax_ok(text)[0]
            rc, out, err = ns.sh(text, cwd=str(cdir))
            assert rc == want, (rc, out, err)
        assert _rules(ns.ok("iptables-legacy-save -t filter")) == before
    finally:
        ns.close()
    target = tmp_path / "ifcfg-eth0"
    target.write_text("DEVICE=eth0\n")
    text = file_transaction([FileChange(str(target), "x\n", expect=posix_cksum("other"))], root + "/files")
    p = subprocess.run(["/bin/sh", "-c", text], capture_output=True, text=True, cwd=str(cdir), check=False)
    assert p.returncode == 3 and "backup in %s/files" % root in p.stderr, p.stderr
    plan = _hostile_offload_plan(tmp_path, cdir)
    env = _stub_env(tmp_path)
    env["STUB_FAIL"] = "off"
    script, nonce = OA.build_apply_script(plan, root + "/offload")
    p = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, env=env, cwd=str(cdir), check=False)
    res = OA.parse_apply(p.stdout, nonce, plan, root + "/offload")
    assert not res["ok"] and root + "/offload" in res["msg"], res["msg"]
    assert_no_canary(cdir)
