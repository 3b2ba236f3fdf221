# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kernel_upgrade, apply stage: the shell text of the install trip and of the boot default +
reboot trip, the checks after them, and the task result built from a plan. Pure, no I/O;
the action ``kcrash.nfqueue.kernel_upgrade`` runs the trips.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import reboot_schedule
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade.boot import boot_sections


def install_sections(p):
    """Trip 2: install the package (and regenerate grub.cfg where grub is driven directly),
    then read the boot loader back (prefix ``after_``)."""
    cmd = p["install"]["command"] + " 2>&1"
    step = p.get("set_default") or {}
    if step.get("method") == "grub" and step.get("mkconfig"):
        cmd += " && %s 2>&1" % step["mkconfig"]
    return [("install", cmd)] + boot_sections("after_")


def default_sections(step, reboot_step, backup_dir, file_transaction_text):
    """Trip 3: set the default entry (files first, atomically), verify read-back, schedule the reboot."""
    secs = []
    if step and step.get("needed"):
        body = file_transaction_text or ""
        body += "\n".join(c + " || exit 4" for c in step["commands"])
        secs.append(("set_default", body + "\n:"))
    secs += boot_sections("verify_")
    if reboot_step:
        secs.append(("reboot", reboot_step))
    return secs


def schedule_sections(reboot_plan, reboot_command):
    """The reboot-window trip: cancel our other scheduled reboots, schedule this one, list them again."""
    return ([("cancel_%d" % i, reboot_schedule.cancel_command(j)) for i, j in enumerate(reboot_plan["cancel"])] +
            [("schedule", reboot_schedule.schedule_command(reboot_plan["schedule"], reboot_command))] +
            reboot_schedule.probe_sections("after_"))


def verify_running(running, target):
    if running == target:
        return True, "running kernel %s is the target" % running
    return False, "host came back on %s, not the target %s" % (running, target)


def reboot_report(p):
    """The ``reboot`` field of the task result."""
    r = p["reboot"]
    if not r:
        return None
    if r["mode"] == "window":
        rp = r["plan"]
        return {"mode": "window", "time": r["time"], "method": rp["method"], "changed": rp["changed"],
                "message": rp["message"], "cancel": rp["cancel"], "already": rp["scheduled"]}
    return dict(r)


def report(p, facts, diff=False):
    """Plan + read facts -> the task result (``diff``: add the /etc/default/grub change)."""
    out = {
        "changed": p["changed"],
        "status": p["status"],
        "msg": p["message"],
        "family": p["family"],
        "running": p["running"],
        "running_verdict": p["running_verdict"],
        "target": p["target"],
        "target_source": p["target_source"],
        "documented_fix": p["documented_fix"],
        "target_verdict": p["target_verdict"],
        "package_manager": p["package_manager"],
        "prechecks": p["prechecks"],
        "warnings": p["warnings"],
        "install": p["install"],
        "set_default": ({k: v for k, v in p["set_default"].items() if k != "files"}
                        if p["set_default"] else None),
        "boot_default": p["boot_default_before"],
        "reboot": reboot_report(p),
        "pending_reboot": p["pending_reboot"],
        "installed_kernels": facts["installed"],
    }
    if p["set_default"] and p["set_default"].get("files") and diff:
        out["diff"] = [{"before": f["before"], "after": f["content"], "before_header": f["path"],
                        "after_header": f["path"]} for f in p["set_default"]["files"]]
    return out
