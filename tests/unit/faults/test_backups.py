# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection, backups of the drop strategy (real iptables in throwaway network
namespaces): a full disk under the backup directory changes nothing and leaves nothing a
rollback would use; rollback uses only a complete backup of an applied change, never one
left by a failed apply, and never restores the same backup twice unless it is named."""

import os
import time
import uuid

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import apply as drop_apply
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import management
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import plan as drop_plan
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import read as drop_read
from conftest import run_play_json
from faultlab import NEEDS_ROOT, NS, TinyFs

pytestmark = NEEDS_ROOT


@pytest.fixture
def ns():
    n = NS()
    yield n
    n.close()


def stamp():
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]


def plan_of(ns):
    script, nonce = drop_read.read_script()
    rc, out, err = ns.sh(script)
    assert rc == 0, err
    rr = drop_read.parse_read(out, nonce)
    opts = drop_options.Options()
    return drop_plan.plan(rr.dumps, opts, management.management(None, opts), rr.nft_text, {}, {}, True)


def apply(ns, plan, broot, **kw):
    bdir = drop_apply.backup_dir(broot, stamp())
    rc, out, err = ns.sh(drop_apply.apply_script(plan, bdir, seconds=kw.pop("seconds", 60), wait=True, **kw))
    return bdir, rc, out, err


def forward(ns):
    return [line for line in ns.ok("iptables-legacy-save -t filter").splitlines() if line.startswith("-A ")]


@pytest.mark.parametrize("free_kib", [0, 12])
def test_full_backup_disk_changes_nothing_and_rollback_finds_no_backup(ns, tmp_path, free_kib):
    """0: nothing can be written; 12: the small files fit but the table save (~60 KiB of
    rules) is cut short. Today's code wrote a 0-byte restore.sh and a rollback then said
    'restored'."""
    rules = tmp_path / "padding.rules"
    rules.write_text("*filter\n%sCOMMIT\n" % "".join(
        "-A FORWARD -p tcp --dport %d -m comment --comment padding-rule-%d -j ACCEPT\n" % (1000 + i, i)
        for i in range(600)))
    ns.ok("iptables-legacy-restore --noflush < %s" % rules)
    ns.ok("iptables-legacy -A FORWARD -j NFQUEUE --queue-num 3")
    before = forward(ns)
    plan = plan_of(ns)
    fs = TinyFs(tmp_path / "backups", kib=512)
    try:
        fs.fill()
        if free_kib:
            size = os.path.getsize(os.path.join(fs.path, ".filler"))
            os.truncate(os.path.join(fs.path, ".filler"), size - free_kib * 1024)
        broot = os.path.join(fs.path, "drop")
        bdir, rc, out, err = apply(ns, plan, broot)
        assert rc == drop_apply.RC_BACKUP, (rc, out, err)
        assert "nothing changed" in err
        assert forward(ns) == before
        assert not os.path.exists(os.path.join(bdir, "applied"))
        rc, out, err = ns.sh(drop_apply.rollback_script(broot))
        assert rc == drop_apply.RC_NOBACKUP and "no complete backup" in err, (rc, out, err)
        assert forward(ns) == before
        # room again: the same plan applies
        fs.free()
        bdir, rc, out, err = apply(ns, plan, broot)
        assert rc == 0, err
        assert os.path.exists(os.path.join(bdir, "applied")) and os.path.exists(os.path.join(bdir, "manifest"))
    finally:
        ns.sh("for p in $(cat %s/*/watchdog.pid 2>/dev/null); do kill -TERM -$p $p; done" % (tmp_path / "backups"))
        fs.close()


def test_rollback_skips_the_backup_of_a_failed_apply(ns, tmp_path):
    broot = str(tmp_path / "b")
    ns.ok("iptables-legacy -A FORWARD -j NFQUEUE --queue-num 3")
    first = forward(ns)
    plan = plan_of(ns)
    good, rc, out, err = apply(ns, plan, broot)
    assert rc == 0, err
    assert ns.sh(drop_apply.confirm_script(good, broot, 5))[0] == 0
    ns.ok("iptables-legacy -A FORWARD -j NFQUEUE --queue-num 4")
    plan = plan_of(ns)
    plan["iptables"][0]["text"] = plan["iptables"][0]["text"].replace("-j DROP", "-j NO_SUCH_TARGET")
    bad, rc, out, err = apply(ns, plan, broot, test_first=False)
    assert rc == drop_apply.RC_APPLY and os.path.exists(os.path.join(bad, "failed"))
    # the latest usable backup is the one of the good apply
    rc, out, err = ns.sh(drop_apply.list_script(broot))
    assert rc == 0 and out.strip() == good
    rc, out, err = ns.sh(drop_apply.rollback_script(broot))
    assert rc == 0, err
    assert forward(ns) == first


def test_damaged_backup_is_not_restored(ns, tmp_path):
    broot = str(tmp_path / "b")
    ns.ok("iptables-legacy -A FORWARD -j NFQUEUE --queue-num 3")
    bdir, rc, out, err = apply(ns, plan_of(ns), broot)
    assert rc == 0
    ns.sh(drop_apply.confirm_script(bdir, broot, 5))
    after = forward(ns)
    with open(os.path.join(bdir, "live-0.rules"), "w") as f:
        f.write("")
    rc, out, err = ns.sh(drop_apply.rollback_script(broot))
    assert rc == drop_apply.RC_INCOMPLETE and "live-0.rules" in err and "nothing restored" in err, (rc, err)
    assert forward(ns) == after


def test_second_rollback_does_not_restore_the_same_backup_again(ns, tmp_path):
    """Issue 11 item 5: a second rollback wiped a rule added after the first one."""
    broot = str(tmp_path / "backups")
    ns.ok("iptables-legacy -A FORWARD -j NFQUEUE --queue-num 3")
    before = forward(ns)
    wrap = ["ip", "netns", "exec", ns.name]

    def play(args, extra=()):
        tasks = [{"name": "t", "kcrash.nfqueue.nfqueue_target": dict({"backup_root": broot, "persist": False}, **args)}]
        rc, out = run_play_json(tmp_path, tasks, wrap=wrap, extra=list(extra))
        return rc, out["plays"][0]["tasks"][0]["hosts"]["testhost"]

    rc, res = play({})
    assert rc == 0 and res["changed"], res
    applied = res["backup_dir"]
    rc, res = play({"rollback": "latest"})
    assert rc == 0 and res["changed"] and forward(ns) == before, res
    ns.ok("iptables-legacy -A FORWARD -p tcp --dport 22 -j ACCEPT")   # added after the rollback
    wanted = forward(ns)
    rc, res = play({"rollback": "latest"}, ["--check"])
    assert rc == 0 and not res["changed"] and "already rolled back" in res["msg"], res
    rc, res = play({"rollback": "latest"})
    assert rc == 0 and not res["changed"] and "already rolled back" in res["msg"], res
    assert res["backup_dir"] == applied
    assert forward(ns) == wanted
    # named explicitly: restored once more
    rc, res = play({"rollback": os.path.basename(applied)})
    assert rc == 0 and res["changed"], res
    assert forward(ns) == before
