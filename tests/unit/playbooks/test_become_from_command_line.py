# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every playbook and role honours ``-b`` / ``ansible_become*`` / AWX privilege escalation
the ordinary way (issue 11, defect 3): no task or play ``become`` keyword of ours overrides
the command line, and a rollback that cannot read its backups fails instead of saying
"no backup".

The escalation is observed for real: ``ansible_become_exe`` points to a stand-in ``sudo``
(it logs its arguments, drops sudo's options and execs the command), with the real
ansible-playbook and the local connection."""

import glob
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import apply as drop_apply

from conftest import COLLECTIONS, REPO, lab_hosts, podman

BIN = os.path.dirname(sys.executable)

FAKE_SUDO = """#!/bin/sh
echo "$*" >> "$(dirname "$0")/sudo.log"
while [ $# -gt 0 ]; do case "$1" in -u|-p|-C|-g|-D) shift 2;; -*) shift;; *) break;; esac; done
exec "$@"
"""


def _walk(items, where):
    for item in items or []:
        if not isinstance(item, dict):
            continue
        yield item, where
        for key in ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always"):
            yield from _walk(item.get(key), where)


def test_no_become_keyword_overrides_the_command_line():
    files = glob.glob(os.path.join(REPO, "playbooks", "*.yml")) + glob.glob(
        os.path.join(REPO, "roles", "*", "tasks", "*.yml"))
    assert files
    offenders = []
    for path in files:
        with open(path) as f:
            doc = yaml.safe_load(f)
        for item, where in _walk(doc, path):
            if "become" not in item and "become_user" not in item and "become_method" not in item:
                continue
            # controller-side tasks (report files) may refuse escalation on the controller
            if item.get("delegate_to") == "localhost" and item.get("become") is False and len(
                    [k for k in item if k.startswith("become")]) == 1:
                continue
            offenders.append("%s: %s" % (os.path.relpath(where, REPO), item.get("name")))
    assert not offenders, offenders


def _run(tmp_path, playbook, *extra):
    sudo = tmp_path / "sudo"
    sudo.write_text(FAKE_SUDO)
    sudo.chmod(0o755)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_LOCAL_TEMP=str(tmp_path / "ltmp"),
               # the local connection runs as root: escalate to root all the same (sudo is a stand-in)
               ANSIBLE_BECOME_ALLOW_SAME_USER="true",
               ANSIBLE_REMOTE_TEMP=str(tmp_path / "rtmp"))
    env.pop("ANSIBLE_CONFIG", None)
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", playbook,
           "-b", "-e", "ansible_become_exe=%s" % sudo, "-e", "ansible_python_interpreter=%s" % sys.executable]
    res = subprocess.run(cmd + list(extra), cwd=str(tmp_path), env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    log = (tmp_path / "sudo.log").read_text() if (tmp_path / "sudo.log").exists() else ""
    return res, log


def test_detect_dash_b_runs_the_probe_escalated(tmp_path):
    res, log = _run(tmp_path, "kcrash.nfqueue.detect", "-e", "kcrash_detect_report_dir=%s" % (tmp_path / "r"))
    assert "BECOME-SUCCESS" in log, res.stdout[-3000:] + res.stderr[-2000:]
    assert "-u root" in log


def test_rollback_dash_b_runs_escalated(tmp_path):
    root = tmp_path / "backups"
    root.mkdir()
    res, log = _run(tmp_path, "kcrash.nfqueue.rollback", "-e", "kcrash_drop_backup_root=%s" % root)
    assert res.returncode == 0, res.stdout[-3000:]
    assert "no complete backup of an applied change under" in res.stdout
    assert "BECOME-SUCCESS" in log


@pytest.fixture(scope="module")
def incident():
    with lab_hosts("kcore-become", ["incident"]) as names:
        yield names["incident"]


@pytest.mark.parametrize("check", [False, True])
def test_rollback_without_root_cannot_say_no_backup(incident, check):
    root = "/var/backups/kcrash-nfqueue/drop"
    podman("exec", incident, "/bin/sh", "-c",
           # a complete backup of an applied change (rollback uses no other): restore.sh, its
           # manifest (here of no files) and the 'applied' marker
           "umask 077; d=%s/20260101T000000Z-0a0b0c0d; mkdir -p \"$d\" && echo : > \"$d/restore.sh\" "
           "&& : > \"$d/manifest\" && : > \"$d/applied\"" % root)
    script = drop_apply.list_script(root) if check else drop_apply.rollback_script(root)
    p = podman("exec", "--user", "nobody", incident, "/bin/sh", "-c", script, check=False)
    assert p.returncode == drop_apply.RC_DENIED, (p.returncode, p.stdout, p.stderr)
    assert "permission denied" in p.stderr
    # as root the same script finds the backup
    p = podman("exec", incident, "/bin/sh", "-c", drop_apply.list_script(root), check=False)
    assert p.returncode == 0 and "20260101T000000Z-0a0b0c0d" in p.stdout
