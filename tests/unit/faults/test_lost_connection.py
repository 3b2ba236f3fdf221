# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection, lost connection: the apply trip dies right after the live restore (a
labelled stand-in restore tool runs the real one, then kills the apply shell, as a dropped
SSH session or a killed controller would). Nothing confirms, so the watchdog, started in its
own session before the first change, puts the rules back; the backup is then marked rolled
back and a later rollback does not restore it again."""

import os
import time
import uuid

from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import apply as drop_apply
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import management
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import plan as drop_plan
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import read as drop_read
from conftest import stand_ins
from faultlab import NEEDS_ROOT, NS

pytestmark = NEEDS_ROOT

STANDIN = r'''#!/bin/sh
# STAND-IN (fault test): the real restore, then the apply shell is killed (connection lost)
case " $* " in *" --test "*) exec /usr/sbin/iptables-legacy-restore "$@" ;; esac
/usr/sbin/iptables-legacy-restore "$@"
rc=$?
case " $* " in *" --noflush "*) [ -e "$KSAF_FLAG" ] || { : > "$KSAF_FLAG"; kill -KILL $PPID; } ;; esac
exit $rc
'''


def test_apply_shell_killed_after_the_change_the_watchdog_restores(tmp_path):
    ns = NS()
    try:
        ns.ok("iptables-legacy -A FORWARD -p tcp --dport 1 -j ACCEPT; iptables-legacy -A FORWARD -j NFQUEUE")
        before = ns.ok("iptables-legacy-save -t filter")
        script, nonce = drop_read.read_script()
        rr = drop_read.parse_read(ns.sh(script)[1], nonce)
        opts = drop_options.Options()
        plan = drop_plan.plan(rr.dumps, opts, management.management(None, opts), rr.nft_text, {}, {}, True)
        path = stand_ins(tmp_path / "bin", {"iptables-legacy-restore": STANDIN})
        broot = str(tmp_path / "b")
        bdir = drop_apply.backup_dir(broot, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8])
        env = dict(os.environ, PATH=path, KSAF_FLAG=str(tmp_path / "killed"))
        rc, out, err = ns.sh(drop_apply.apply_script(plan, bdir, seconds=3, wait=True, verify=False), env=env)
        assert rc == -9 and (tmp_path / "killed").exists(), (rc, err)
        assert "-j DROP" in ns.ok("iptables-legacy-save -t filter")     # changed, never confirmed
        deadline = time.time() + 30
        while time.time() < deadline and (not os.path.exists(os.path.join(bdir, "rolled-back"))
                                          or os.path.exists(os.path.join(bdir, "watchdog.pid"))):
            time.sleep(0.2)
        assert "restore.sh exit 0" in open(os.path.join(bdir, "watchdog.log")).read()
        assert _rules(ns.ok("iptables-legacy-save -t filter")) == _rules(before)
        rc, out, err = ns.sh(drop_apply.rollback_script(broot))
        assert rc == drop_apply.RC_ROLLEDBACK and "already rolled back" in err
    finally:
        ns.close()


def _rules(text):
    return [line for line in text.splitlines() if line.startswith("-A ")]
