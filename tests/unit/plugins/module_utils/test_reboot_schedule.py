# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import subprocess

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils import reboot_schedule as R

FACTS = {"tools": {"at": "/usr/bin/at", "shutdown": "/usr/local/sbin/shutdown"}, "systemd": False,
         "atd": True, "scheduled": []}


def test_choose_method():
    assert R.choose_method("auto", FACTS) == "at"
    assert R.choose_method("auto", dict(FACTS, atd=False)) == "shutdown"
    assert R.choose_method("systemd-run", FACTS) is None
    assert R.choose_method("auto", {"tools": {"systemd-run": "x"}, "systemd": True}) == "systemd-run"
    with pytest.raises(KcrashInputError):
        R.choose_method("cron", FACTS)


def test_parse_listings():
    at = "job\t7\tFri Nov 27 01:15:00 2026 a root\t# KCRASH-NFQUEUE-REBOOT id=kernel time=01:15 kernel=6.1.0-99-amd64\n"
    assert R.parse_at_jobs(at) == [{"method": "at", "job": "7", "when": "Fri Nov 27 01:15:00 2026 a root",
                                    "id": "kernel", "time": "01:15", "kernel": "6.1.0-99-amd64"}]
    timers = ("Fri 2026-11-27 01:15:00 UTC 20h left n/a n/a kcrash-reboot-kernel.timer kcrash-reboot-kernel.service\n")
    t = R.parse_timers(timers)
    assert t[0]["unit"] == "kcrash-reboot-kernel.timer" and t[0]["id"] == "kernel"
    sd = R.parse_shutdown("--info\nid=kernel time=01:15 kernel=x\n--pid\nalive 252\n")
    assert sd[0]["pid"] == "252" and sd[0]["time"] == "01:15"
    assert R.parse_shutdown("--info\nid=kernel time=01:15\n--pid\ndead 252\n") == []
    foreign = R.parse_shutdown("USEC=1700000000000000\nMODE=reboot\n--info\n--pid\n")
    assert foreign[0]["foreign"] and R.ours({"scheduled": foreign}) == []


def test_plan_states():
    p = R.plan(FACTS, "scheduled", "1:05")
    assert p["changed"] and p["schedule"]["time"] == "01:05" and p["method"] == "at"
    job = {"method": "at", "job": "3", "id": "kernel", "time": "01:05", "kernel": None}
    same = R.plan(dict(FACTS, scheduled=[job]), "scheduled", "01:05")
    assert not same["changed"]
    other = R.plan(dict(FACTS, scheduled=[job]), "scheduled", "02:00")
    assert other["changed"] and other["cancel"] == [job]
    gone = R.plan(dict(FACTS, scheduled=[job]), "absent")
    assert gone["changed"] and gone["cancel"] == [job]
    assert not R.plan(FACTS, "absent")["changed"]
    with pytest.raises(KcrashInputError):
        R.plan(FACTS, "scheduled", "24:00")
    with pytest.raises(KcrashInputError):
        R.plan(FACTS, "scheduled", "01:00", ident="a b")


def test_commands_are_valid_posix_sh():
    cmds = [R.schedule_command({"method": m, "time": "01:05", "id": "kernel", "kernel": "6.1.0-99-amd64"})
            for m in ("at", "shutdown", "systemd-run")]
    cmds += [R.cancel_command({"method": "at", "job": "3"}),
             R.cancel_command({"method": "systemd-run", "id": "kernel"}),
             R.cancel_command({"method": "shutdown", "pid": "12"})]
    cmds += [c for _n, c in R.probe_sections()]
    for c in cmds:
        subprocess.run(["sh", "-n", "-c", c], check=True)
    with pytest.raises(KcrashInputError):
        R.cancel_command({"method": "at", "job": "3; reboot"})
