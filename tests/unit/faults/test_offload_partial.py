# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection, offload: ``ethtool -K`` fails on one NIC (an ethtool stand-in keeps the
state in files; the lab kernel has no LRO to switch). All or nothing by default: the NIC that
succeeded gets LRO back and both ifcfg files come back. With ``partial_ok`` the safe part
stays: the NIC that verified keeps LRO off and its file, the failed one is put back.
Backup directories are unique per run."""

import os
import re
import subprocess

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import apply as OF
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import FileChange, posix_cksum

from conftest import stand_ins

STUB = r'''#!/bin/sh
# ethtool stand-in: LRO state in $STUB_DIR/<iface>; `-K $STUB_FAIL_IF ...` fails
d=${STUB_DIR:?}
case "$1" in
-k) printf 'Features for %s:\nlarge-receive-offload: %s\n' "$2" "$(cat "$d/$2" 2>/dev/null || echo on)" ;;
-K) [ "$2" = "$STUB_FAIL_IF" ] && { echo "Cannot change large-receive-offload" >&2; exit 1; }
    printf '%s' "$4" > "$d/$2" ;;
*) exit 2 ;;
esac
'''


def setup(tmp_path):
    path = stand_ins(tmp_path / "bin", {"ethtool": STUB})
    (tmp_path / "state").mkdir()
    env = dict(os.environ, PATH=path, STUB_DIR=str(tmp_path / "state"), STUB_FAIL_IF="eth1")
    etc = tmp_path / "etc"
    etc.mkdir()
    before = {"lro": {"active": True, "fixed": False, "requested": True}}
    plan = {"changes": [], "nm_commands": [], "runtime": [], "interfaces": {}}
    for n in ("eth0", "eth1"):
        f = etc / ("ifcfg-" + n)
        f.write_text("DEVICE=%s\n" % n)
        plan["changes"].append(FileChange(str(f), "DEVICE=%s\nETHTOOL_OPTS=\"-K %s lro off\"\n" % (n, n),
                                          expect=posix_cksum("DEVICE=%s\n" % n)))
        plan["runtime"].append({"interface": n, "features": ["lro"]})
        plan["interfaces"][n] = {"status": "change", "format": "features", "to_change": ["lro"], "before": before,
                                 "persist": {"backend": "ifcfg", "path": str(f)}}
    return plan, env, etc


def lro(tmp_path, n):
    p = tmp_path / "state" / n
    return p.read_text() if p.exists() else "on"


@pytest.mark.parametrize("partial_ok", [False, True])
def test_one_nic_failing_ethtool(tmp_path, partial_ok):
    plan, env, etc = setup(tmp_path)
    bk = str(tmp_path / "bk")
    script, nonce = OF.build_apply_script(plan, bk, partial_ok=partial_ok)
    p = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, env=env, check=False)
    res = OF.parse_apply(p.stdout, nonce, plan, bk, partial_ok=partial_ok)
    assert not res["ok"]
    assert lro(tmp_path, "eth1") == "on" and (etc / "ifcfg-eth1").read_text() == "DEVICE=eth1\n"
    if partial_ok:
        assert lro(tmp_path, "eth0") == "off" and "lro off" in (etc / "ifcfg-eth0").read_text()
        assert res["partial"] == {"kept": ["eth0"], "put_back": ["eth1"], "files_put_back": [str(etc / "ifcfg-eth1")]}
        assert "kept the change on eth0" in res["msg"], res["msg"]
    else:
        assert lro(tmp_path, "eth0") == "on" and (etc / "ifcfg-eth0").read_text() == "DEVICE=eth0\n"
        assert "were put back" in res["msg"] and "partial" not in res


def test_a_file_shared_with_the_failed_nic_goes_back_whole(tmp_path):
    plan, env, etc = setup(tmp_path)
    shared = str(etc / "ifcfg-eth1")
    plan["interfaces"]["eth0"]["persist"]["path"] = shared
    plan["changes"] = [c for c in plan["changes"] if c.path == shared]
    bk = str(tmp_path / "bk")
    script, nonce = OF.build_apply_script(plan, bk, partial_ok=True)
    p = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, env=env, check=False)
    res = OF.parse_apply(p.stdout, nonce, plan, bk, partial_ok=True)
    assert lro(tmp_path, "eth0") == "off" and (etc / "ifcfg-eth1").read_text() == "DEVICE=eth1\n"
    assert res["partial"]["files_put_back"] == [shared]


def test_backup_directories_are_unique_within_one_second():
    now = 1764990000
    names = set(OF.run_dir("/var/backups/kcrash-nfqueue", now) for dummy in range(50))
    assert len(names) == 50
    assert all(re.match(r"^/var/backups/kcrash-nfqueue/offload-20251206T\d{6}Z-[0-9a-f]{8}$", n) for n in names)


def test_rollback_of_a_file_created_through_a_dangling_symlink_keeps_the_link(tmp_path):
    plan, env, etc = setup(tmp_path)
    (tmp_path / "real").mkdir()
    link = etc / "ifcfg-eth1.new"
    os.symlink("../real/ifcfg-eth1", str(link))
    plan["changes"] = [FileChange(str(link), "DEVICE=eth1\n", expect="")]
    plan["interfaces"]["eth1"]["persist"]["path"] = str(link)
    bk = str(tmp_path / "bk")
    script, nonce = OF.build_apply_script(plan, bk)
    p = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, env=env, check=False)
    res = OF.parse_apply(p.stdout, nonce, plan, bk)
    assert not res["ok"] and "were put back" in res["msg"], res
    assert os.path.islink(str(link)) and not (tmp_path / "real" / "ifcfg-eth1").exists()
