# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kcrash.nfqueue.kernel_upgrade: install a kernel that carries the fix, make it the boot
default, verify what the boot loader will start, and reboot now / in a window / never.

Thin: every decision is made in plugins/module_utils/kernel_upgrade/ (read, boot, plan,
apply); this file runs the trips and waits for the reboot.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kcrash.nfqueue.plugins.module_utils import reboot_schedule
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade import apply, boot, plan, read
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Script, split_sections
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.shell_action import ShellActionBase

ARGSPEC = {
    "target": {"type": "str"},
    "prefer": {"type": "str", "default": "newest", "choices": ["newest", "documented"]},
    "reboot": {"type": "str", "default": "none", "choices": list(plan.REBOOT_MODES)},
    "window": {"type": "str"},
    "reboot_method": {"type": "str", "default": "auto", "choices": list(reboot_schedule.METHODS)},
    "reboot_timeout": {"type": "int", "default": 900},
    "reboot_command": {"type": "str", "default": "shutdown -r now"},
    "min_boot_free_mb": {"type": "int", "default": 100},
    "set_default": {"type": "bool", "default": True},
    "require_kdump": {"type": "bool", "default": False},
    "refresh_cache": {"type": "bool", "default": True},
    "backup_dir": {"type": "str", "default": "/var/backups/kcrash-nfqueue"},
}


class ActionModule(ShellActionBase):

    ARGSPEC = ARGSPEC

    def _trip(self, sections, task_vars, what):
        script = Script()
        for name, cmd in sections:
            script.section(name, cmd)
        rc, out, err, trips, _s = self.run_sh(script.render(), task_vars, what)
        self._trips += trips
        return split_sections(out, script.nonce, what)

    def run_action(self, args, task_vars, result):
        self._trips = 0
        started = time.time()
        host = self.host_label(task_vars)
        target = plan.validate_target(args.get("target"))
        for name in sorted(plan.LIMITS):
            plan.validate_limit(name, args[name])
        apt_pkgs = [plan.apt_package_for(target)] if target else []
        secs = self._trip(read.probe_sections(apt_pkgs, refresh_apt=args["refresh_cache"] and bool(apt_pkgs)),
                          task_vars, "kernel probe")
        facts = read.parse_probe(secs, apt_pkgs)
        p = plan.plan(facts, target=target, prefer=args["prefer"], reboot=args["reboot"], window=args.get("window"),
                      reboot_method=args["reboot_method"], min_boot_free_mb=args["min_boot_free_mb"],
                      set_default=args["set_default"], require_kdump=args["require_kdump"])

        result.update(apply.report(p, facts, diff=self._task.diff))
        if p["failed"]:
            result.update({"failed": True, "msg": "host %s: pre-check failed: %s" % (host, p["message"])})
            return self._done(result, started)
        if p["status"] in ("no_target", "not_needed", "running_target") or self._play_context.check_mode:
            if self._play_context.check_mode and p["status"] == "planned":
                result["msg"] = "would " + p["message"]
            return self._done(result, started)
        if not p["changed"]:
            return self._done(result, started)

        try:
            return self._done(self._apply(p, facts, args, task_vars, result, host), started)
        except KcrashError as e:
            result.update(self.fail(task_vars, str(e)))
            return self._done(result, started)

    # ------------------------------------------------------------------ steps
    def _apply(self, p, facts, a, task_vars, result, host):
        target = p["target"]
        step = p["set_default"]
        boot_facts = facts["boot"]
        if p["install"]:
            secs = self._trip(apply.install_sections(p), task_vars, "kernel install")
            inst = secs.get("install")
            result["install_output"] = (inst.stdout[-2000:] if inst else "")
            err = apply.install_failure(p, inst)
            if err:
                result.update(self.fail(task_vars, err))
                return result
            result["changed"] = True
            boot_facts = boot.parse_boot(secs, "after_")
            if step:
                step = apply.step_after_install(step, boot_facts, target)
                if step.get("error"):
                    result.update(self.fail(task_vars, "%s installed, but: %s" % (target, step["error"])))
                    return result

        if step and step.get("needed"):
            secs = self._trip(apply.set_default_sections(step, a["backup_dir"]), task_vars, "boot default")
            err = apply.set_default_failure(step, secs.get("set_default"), a["backup_dir"])
            if err:
                result.update(self.fail(task_vars, err))
                return result
            result["changed"] = True
            boot_facts = boot.parse_boot(secs, "verify_")
        if step is not None or p["install"]:
            ok, d, msg = boot.verify_default(boot_facts, target)
            result["boot_default"] = d
            result["verify_msg"] = msg
            if not ok and a["set_default"]:
                result.update(self.fail(task_vars, msg))
                return result

        r = p["reboot"]
        if r["mode"] == "now":
            result.update(self._reboot_now(facts, target, a, task_vars, host))
            return result
        if r["mode"] == "window" and r["plan"]["changed"]:
            secs = self._trip(apply.schedule_sections(r["plan"], a["reboot_command"]), task_vars, "reboot schedule")
            err = apply.schedule_failure(target, secs.get("schedule"))
            if err:
                result.update(self.fail(task_vars, err))
                return result
            result["changed"] = True
            result["scheduled"] = reboot_schedule.ours(reboot_schedule.parse_probe(secs, "after_"))
        result["pending_reboot"] = True
        result["msg"] = apply.pending_message(target, r)
        return result

    def _reboot_now(self, facts, target, a, task_vars, host):
        before = facts["boot_id"]
        secs = self._trip([("reboot", plan.REBOOT_NOW)], task_vars, "reboot")
        rb = secs.get("reboot")
        if rb is None or rb.rc != 0:
            return {"failed": True, "msg": "host %s: reboot command failed: %s" % (host, rb and rb.stderr)}
        deadline = time.time() + a["reboot_timeout"]
        time.sleep(min(5, a["reboot_timeout"]))
        last_err = None
        while time.time() < deadline:
            try:
                try:
                    self._connection.reset()
                except Exception:
                    pass
                res = self._low_level_execute_command(
                    "cat /proc/sys/kernel/random/boot_id; uname -r", executable="/bin/sh")
                self._trips += 1
                lines = (res.get("stdout") or "").split()
                if res.get("rc") == 0 and len(lines) >= 2 and lines[0] != before:
                    ok, msg = apply.verify_running(lines[1], target)
                    out = {"changed": True, "pending_reboot": False, "running_after": lines[1],
                           "rebooted": True, "msg": msg}
                    if not ok:
                        out.update({"failed": True, "msg": "host %s: %s" % (host, msg)})
                    return out
            except Exception as e:  # host down while rebooting
                last_err = str(e)
            time.sleep(3)
        return {"failed": True, "changed": True, "rebooted": False,
                "msg": "host %s: reboot was requested but the host did not come back on a new boot within %d s%s"
                       % (host, a["reboot_timeout"], (" (last error: %s)" % last_err) if last_err else "")}

    def _done(self, result, started):
        result["round_trips"] = self._trips
        result["seconds"] = round(time.time() - started, 3)
        return result
