# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kcrash.nfqueue.reboot_schedule: list, schedule or cancel marked reboots over plain sh."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import reboot_schedule
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Script, split_sections
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.shell_action import ShellActionBase

ARGSPEC = {
    "state": {"type": "str", "default": "list", "choices": ["scheduled", "absent", "list"]},
    "time": {"type": "str"},
    "method": {"type": "str", "default": "auto", "choices": list(reboot_schedule.METHODS)},
    "id": {"type": "str", "default": "manual"},
    "kernel": {"type": "str"},
    "reboot_command": {"type": "str", "default": "shutdown -r now"},
}


def run_probe(action, task_vars, prefix=""):
    script = Script()
    for name, cmd in reboot_schedule.probe_sections(prefix):
        script.section(name, cmd)
    rc, out, err, trips, _secs = action.run_sh(script.render(), task_vars, "reboot probe")
    sections = split_sections(out, script.nonce, "reboot probe")
    return reboot_schedule.parse_probe(sections, prefix), trips


def apply_plan(action, task_vars, p, reboot_command="shutdown -r now"):
    """Run cancels + schedule in one trip; returns (ok, message, facts_after, trips)."""
    script = Script()
    for i, job in enumerate(p["cancel"]):
        script.section("cancel_%d" % i, reboot_schedule.cancel_command(job))
    if p["schedule"]:
        script.section("schedule", reboot_schedule.schedule_command(p["schedule"], reboot_command))
    for name, cmd in reboot_schedule.probe_sections("after_"):
        script.section(name, cmd)
    rc, out, err, trips, _secs = action.run_sh(script.render(), task_vars, "reboot schedule")
    sections = split_sections(out, script.nonce, "reboot schedule")
    errors = []
    for i in range(len(p["cancel"])):
        s = sections.get("cancel_%d" % i)
        if s is None or s.rc != 0:
            errors.append("cancel %s failed: %s" % (p["cancel"][i].get("id"), (s.stderr if s else "no output").strip()))
    if p["schedule"]:
        s = sections.get("schedule")
        if s is None or s.rc != 0:
            errors.append("scheduling with %s failed (rc %s): %s" % (
                p["schedule"]["method"], s.rc if s else "?", ((s.stdout + s.stderr) if s else "no output").strip()))
    after = reboot_schedule.parse_probe(sections, "after_")
    return (not errors), "; ".join(errors), after, trips


class ActionModule(ShellActionBase):

    ARGSPEC = ARGSPEC

    def run_action(self, args, task_vars, result):
        facts, trips = run_probe(self, task_vars)
        p = reboot_schedule.plan(facts, args["state"], args.get("time"), args["method"], args["id"], args.get("kernel"))
        result.update({"changed": p["changed"], "msg": p["message"], "method": p["method"],
                       "cancel": p["cancel"], "schedule": p["schedule"], "scheduled": p["scheduled"],
                       "round_trips": trips})
        if args["state"] == "list" or not p["changed"] or self._play_context.check_mode:
            return result
        ok, err, after, t2 = apply_plan(self, task_vars, p, args["reboot_command"])
        result["round_trips"] += t2
        result["scheduled"] = reboot_schedule.ours(after)
        if not ok:
            result.update(self.fail(task_vars, err))
        return result
