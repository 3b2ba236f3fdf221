# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reboot_schedule action through ansible-playbook against a lab host (kernel-dnf: real
at/atd). What is scheduled is read back with the host's own atq / at -c, not with the
collection's parser."""

import pytest

from conftest import bundled_collections, lab_hosts, podman, run_play_json


@pytest.fixture(scope="module")
def host():
    with lab_hosts("reboot-schedule-test", ("kernel-dnf",)) as names:
        yield names["kernel-dnf"]


def play(tmp_path, name, args, check=False):
    inv = tmp_path / "inv.yml"
    inv.write_text("all:\n  hosts:\n    labhost:\n      ansible_connection: containers.podman.podman\n"
                   "      ansible_host: %s\n" % name)
    rc, out = run_play_json(tmp_path, [{"name": "reboot", "kcrash.nfqueue.reboot_schedule": args}],
                            inventory=str(inv), extra=["--check"] if check else [],
                            collections=bundled_collections())
    return rc, out["plays"][0]["tasks"][0]["hosts"]["labhost"]


def at_jobs(name):
    """{job number: job script} from the host's own atq and at -c."""
    out = podman("exec", name, "sh", "-c", "atq | while read -r n rest; do echo \"== $n\"; at -c \"$n\"; done",
                 check=False).stdout
    jobs = {}
    cur = None
    for line in out.splitlines():
        if line.startswith("== "):
            cur = line[3:]
            jobs[cur] = ""
        elif cur is not None:
            jobs[cur] += line + "\n"
    return jobs


def test_schedule_list_idempotent_cancel(tmp_path, host):
    rc, r = play(tmp_path, host, {"state": "list"})
    assert rc == 0 and r["changed"] is False and r["scheduled"] == []

    rc, r = play(tmp_path, host, {"state": "scheduled", "time": "23:45", "method": "at", "id": "maint"}, check=True)
    assert rc == 0 and r["changed"] is True and r["schedule"]["method"] == "at"
    assert at_jobs(host) == {}, "check mode scheduled something"

    rc, r = play(tmp_path, host, {"state": "scheduled", "time": "23:45", "method": "at", "id": "maint"})
    assert rc == 0 and r["changed"] is True, r
    jobs = at_jobs(host)
    assert len(jobs) == 1
    script = list(jobs.values())[0]
    assert "KCRASH-NFQUEUE-REBOOT id=maint time=23:45" in script and "shutdown -r now" in script
    assert [(j["method"], j["id"], j["time"]) for j in r["scheduled"]] == [("at", "maint", "23:45")]

    rc, r = play(tmp_path, host, {"state": "scheduled", "time": "23:45", "method": "at", "id": "maint"})
    assert rc == 0 and r["changed"] is False and len(at_jobs(host)) == 1

    rc, r = play(tmp_path, host, {"state": "scheduled", "time": "22:10", "method": "at", "id": "maint"})
    assert rc == 0 and r["changed"] is True
    jobs = at_jobs(host)
    assert len(jobs) == 1 and "time=22:10" in list(jobs.values())[0]

    rc, r = play(tmp_path, host, {"state": "absent"})
    assert rc == 0 and r["changed"] is True and at_jobs(host) == {}
    rc, r = play(tmp_path, host, {"state": "absent"})
    assert rc == 0 and r["changed"] is False


@pytest.mark.parametrize("args,words", [
    ({"state": "scheduled", "time": "25:00"}, "is not HH:MM"),
    ({"state": "scheduled", "time": "01:00", "id": "x; reboot"}, "reboot id"),
])
def test_bad_input_fails_naming_the_host_and_schedules_nothing(tmp_path, host, args, words):
    rc, r = play(tmp_path, host, args)
    assert rc != 0 and r["failed"] is True
    assert r["msg"].startswith("host labhost") and words in r["msg"], r["msg"]
    assert at_jobs(host) == {}
