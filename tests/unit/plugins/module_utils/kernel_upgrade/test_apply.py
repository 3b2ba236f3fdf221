# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kernel_upgrade/apply.py: the apply trips' text, the checks after them, the task result."""

import subprocess

from ansible_collections.kcrash.nfqueue.plugins.module_utils import reboot_schedule
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade import apply, boot, plan
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Section

from .recorded import facts_of


def test_verify_running():
    assert apply.verify_running("a", "a")[0]
    ok, msg = apply.verify_running("3.10.0-957.el7.x86_64", "3.10.0-1160.el7.x86_64")
    assert not ok and msg == "host came back on 3.10.0-957.el7.x86_64, not the target 3.10.0-1160.el7.x86_64"


def _apt_window_plan():
    f = facts_of("apt-before.json")
    return f, plan.plan(f, target="6.1.0-99-amd64", reboot="window", window="01:15", reboot_method="shutdown")


def test_install_trip_regenerates_grub_then_reads_the_boot_loader_back():
    _f, p = _apt_window_plan()
    secs = apply.install_sections(p)
    assert secs[0] == ("install", "DEBIAN_FRONTEND=noninteractive apt-get -y -q install "
                                  "linux-image-6.1.0-99-amd64 2>&1 && update-grub 2>&1")
    assert [n for n, _c in secs[1:]] == ["after_" + n for n, _c in boot.boot_sections("")]


def test_default_trip_stops_at_the_first_failing_command():
    step = {"needed": True, "commands": ["grub-set-default 'a b'", "update-grub"]}
    secs = dict(apply.default_sections(step, None, "/var/backups/k", "TXN\n"))
    assert secs["set_default"] == "TXN\ngrub-set-default 'a b' || exit 4\nupdate-grub || exit 4\n:"
    assert "set_default" not in dict(apply.default_sections(dict(step, needed=False), None, "/b", ""))
    assert dict(apply.default_sections(None, "REBOOT", "/b", ""))["reboot"] == "REBOOT"


def test_window_trip_cancels_ours_schedules_then_lists_again():
    _f, p = _apt_window_plan()
    rp = dict(p["reboot"]["plan"], cancel=[{"method": "at", "job": "7", "id": "kernel"}])
    names = [n for n, _c in apply.schedule_sections(rp, "shutdown -r now")]
    assert names == ["cancel_0", "schedule"] + [n for n, _c in reboot_schedule.probe_sections("after_")]
    for _n, text in apply.schedule_sections(rp, "shutdown -r now"):
        assert subprocess.run(["/bin/sh", "-n", "-c", text], check=False).returncode == 0


def test_report_keeps_file_contents_out_and_diffs_only_when_asked():
    f, p = _apt_window_plan()
    r = apply.report(p, f)
    assert "diff" not in r and "files" not in r["set_default"] and "files" in p["set_default"]
    assert r["reboot"] == {"mode": "window", "time": "01:15", "method": "shutdown", "changed": True,
                           "message": "schedule a reboot at 01:15 with shutdown", "cancel": [], "already": []}
    d = apply.report(p, f, diff=True)["diff"]
    assert [(x["before_header"], "GRUB_DEFAULT=saved\n" in x["after"]) for x in d] == [("/etc/default/grub", True)]
    assert apply.reboot_report(dict(p, reboot=None)) is None
    assert apply.reboot_report(dict(p, reboot={"mode": "none"})) == {"mode": "none"}


def test_failure_messages_name_the_step_the_rc_and_the_backup():
    _f, p = _apt_window_plan()
    ok = Section("install", "done\n", "", 0)
    assert apply.install_failure(p, ok) is None
    msg = apply.install_failure(p, Section("install", "E: Unable to locate package\n", "", 100))
    assert msg == ("installing linux-image-6.1.0-99-amd64 failed (rc 100); nothing else was changed: "
                   "E: Unable to locate package\n")
    assert "(rc ?)" in apply.install_failure(p, None)
    step = p["set_default"]
    assert apply.set_default_failure(step, Section("set_default", "", "", 0), "/var/b") is None
    assert apply.set_default_failure(step, Section("set_default", "", "boom\n", 4), "/var/b") == \
        "setting the boot default failed (rc 4): boom\n; backup of changed files in /var/b"
    assert apply.schedule_failure("T", None) == "T is installed and the boot default, but scheduling the reboot failed: "
    assert apply.pending_message("T", {"mode": "window", "time": "01:15"}) == \
        "T installed and default; reboot scheduled at 01:15"
    assert apply.pending_message("T", {"mode": "none"}) == "T installed and default; reboot pending (left to the operator)"


def test_set_default_trip_writes_files_in_one_transaction_first():
    _f, p = _apt_window_plan()
    step = dict(p["set_default"], commands=["grub-set-default 'x'"])
    [(name, text)] = [s for s in apply.set_default_sections(step, "/var/backups/k") if s[0] == "set_default"]
    assert text.index("/etc/default/grub") < text.index("grub-set-default 'x' || exit 4")
    assert subprocess.run(["/bin/sh", "-n", "-c", text], check=False).returncode == 0


def test_step_after_install_resolves_the_entry_or_finds_nothing_to_do():
    before, after = facts_of("apt-before.json"), facts_of("apt-after.json")
    step = plan.plan(before, target="6.1.0-99-amd64")["set_default"]
    got = apply.step_after_install(step, after["boot"], "6.1.0-99-amd64")
    assert got["needed"] is True and got["commands"][-1].startswith("grub-set-default 'Advanced options")
    missing = apply.step_after_install(step, before["boot"], "6.1.0-99-amd64")
    assert missing["error"] == "after install, no boot entry for /boot/vmlinuz-6.1.0-99-amd64 was found"
    nofiles = dict(step, files=[])
    assert apply.step_after_install(nofiles, after["boot"], "6.1.0-99-amd64")["needed"] is False
