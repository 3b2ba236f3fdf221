# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""offload/apply.py: the apply script (files, ethtool -K, verification, rollback) runs in a
real /bin/sh with an ethtool stand-in that keeps state in files."""

import os
import stat

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import apply as P
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import FileChange, posix_cksum

from conftest import stand_ins

from .reads import IFCFG, run_sh


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
