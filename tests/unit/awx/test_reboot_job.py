# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The "Cancel scheduled reboots" job: launched with its survey's default answer it only lists
the reboots the collection scheduled; answered "yes" it cancels them.

Real ansible-playbook with the template's job type, diff mode and the survey's exact extra vars
(tests/unit/awx/awx_launch.py), real lab host (``kernel-dnf``: real at/atd, lab/README.md),
podman connection. What is scheduled is read back with the host's own ``atq`` and ``at -c``,
not with the collection's parser."""

import json

from awx_launch import job_cli_args, launch_json, survey_extra_vars, templates
from conftest import lab_hosts, podman

TEMPLATE = "Cancel scheduled reboots"
MARK = "KCRASH-NFQUEUE-REBOOT id=awxjob"


def scheduled(name):
    """The at jobs of the host whose script carries the collection's mark for this test."""
    out = podman("exec", name, "sh", "-c", 'atq | while read -r n rest; do at -c "$n" | grep -c "%s"; done' % MARK,
                 check=False).stdout.split()
    return sum(int(n) > 0 for n in out)


def job(tmp_path, name, playbook, args, extra):
    """(rc, {task name: labhost's result}) of ``playbook`` (under playbooks/, or a path)."""
    inv = {"all": {"hosts": {"labhost": {"ansible_connection": "containers.podman.podman", "ansible_host": name}}}}
    rc, out = launch_json(tmp_path, playbook, inv, args, extra)
    tasks = dict((t["task"]["name"], t["hosts"].get("labhost", {})) for play in out["plays"] for t in play["tasks"])
    return rc, tasks


def test_reboot_job_lists_by_default_and_cancels_when_answered_yes(tmp_path):
    tpl = templates()[TEMPLATE]
    assert tpl["playbook"] == "playbooks/reboot_cancel.yml"
    with lab_hosts("kawx-reboot", ("kernel-dnf",)) as names:
        host = names["kernel-dnf"]
        # the reboot a kernel-upgrade window leaves behind, scheduled by the collection's action
        schedule = [{"hosts": "all", "gather_facts": False, "tasks": [{"kcrash.nfqueue.reboot_schedule": {
            "state": "scheduled", "time": "23:45", "method": "at", "id": "awxjob"}}]}]
        (tmp_path / "schedule.yml").write_text(json.dumps(schedule))
        (tmp_path / "schedule").mkdir()
        rc, tasks = job(tmp_path / "schedule", host, str(tmp_path / "schedule.yml"), [], {})
        assert rc == 0, tasks
        assert scheduled(host) == 1

        (tmp_path / "list").mkdir()
        extra = survey_extra_vars(tpl)
        assert extra == {"kcrash_reboot_cancel": "no"}
        rc, tasks = job(tmp_path / "list", host, "reboot_cancel.yml", job_cli_args(tpl), extra)
        assert rc == 0, tasks
        assert tasks["Cancel them"].get("skipped") is True
        assert tasks["Show them"]["msg"] == [["at", "23:45"]]
        assert scheduled(host) == 1, "the list-only answer cancelled the reboot"

        (tmp_path / "cancel").mkdir()
        rc, tasks = job(tmp_path / "cancel", host, "reboot_cancel.yml", job_cli_args(tpl),
                        survey_extra_vars(tpl, {"kcrash_reboot_cancel": "yes"}))
        assert rc == 0, tasks
        assert tasks["Cancel them"]["changed"] is True
        assert scheduled(host) == 0
