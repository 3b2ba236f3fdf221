# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The exit codes of the drop's host scripts are said in three places: ``rollback.RC_*``
(what the scripts exit with and the action reads), the table of docs/drop.md, and the list
step of playbooks/rollback.yml (denied). These tests keep the last two equal to the first."""

import os
import re

import yaml

from ansible_collections.kcrash.nfqueue.plugins.module_utils import rollback

from conftest import REPO


def _codes():
    return dict((name, value) for name, value in vars(rollback).items() if name.startswith("RC_"))


def test_docs_table_lists_every_rollback_exit_code_with_its_value():
    with open(os.path.join(REPO, "docs", "drop.md")) as f:
        text = f.read()
    section = text[text.index("### Exit codes of the host script"):]
    section = section[:section.index("\n## ")]
    rows = dict((name, int(rc)) for rc, name in re.findall(r"^\| (\d+) \| `(RC_[A-Z]+)` \|", section, re.M))
    assert rows == _codes()


def test_rollback_playbook_list_step_exits_with_rc_denied_when_the_root_cannot_be_read():
    with open(os.path.join(REPO, "playbooks", "rollback.yml")) as f:
        plays = yaml.safe_load(f)
    tasks = [t for play in plays for t in play.get("tasks", []) if t.get("name") == "List the backups of the drop strategy"]
    assert len(tasks) == 1
    raw = tasks[0]["ansible.builtin.raw"]
    denied = re.findall(r"KCRASH-DENIED: [^;]*; exit (\d+);", raw)
    assert [int(rc) for rc in denied] == [rollback.RC_DENIED]
