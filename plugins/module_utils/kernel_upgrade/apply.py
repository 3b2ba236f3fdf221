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
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade.boot import boot_default, boot_sections, resolve_after_install
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import FileChange, file_transaction, posix_cksum


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


def set_default_sections(step, backup_dir):
    """Trip 3 for ``step``: the changed files go first, in one file transaction (backups in
    ``backup_dir``, each file checked against the content the plan saw)."""
    txn = ""
    if step.get("files"):
        changes = [FileChange(f["path"], f["content"], "0644", expect=posix_cksum(f["before"]) if f["before"] else "")
                   for f in step["files"]]
        txn = file_transaction(changes, backup_dir) + "\n"
    return default_sections(step, None, backup_dir, txn)


def step_after_install(step, boot_after, target):
    """The set-default step re-decided on the boot loader read back after the install: the
    predicted grub entry resolved (or ``error``), and nothing left to do when the package
    scripts already made the target the default."""
    step = resolve_after_install(step, boot_after, target)
    if step.get("error"):
        return step
    cur = boot_default(boot_after)
    if cur["release"] == target and not cur.get("next_entry") and not step.get("files"):
        step = dict(step, needed=False, commands=[])
    return step


def _output(sec, limit):
    return ((sec.stdout + sec.stderr) if sec else "")[-limit:]


def install_failure(p, sec):
    """The failure message of the install trip's ``install`` section, None when it succeeded."""
    if sec is not None and sec.rc == 0:
        return None
    return "installing %s failed (rc %s); nothing else was changed: %s" % (
        p["install"]["package"], sec.rc if sec else "?", _output(sec, 800))


def set_default_failure(step, sec, backup_dir):
    """The failure message of the ``set_default`` section, None when it succeeded."""
    if sec is not None and sec.rc == 0:
        return None
    return "setting the boot default failed (rc %s): %s%s" % (
        sec.rc if sec else "?", _output(sec, 800),
        "; backup of changed files in %s" % backup_dir if step.get("files") else "")


def schedule_failure(target, sec):
    """The failure message of the reboot window's ``schedule`` section, None when it succeeded."""
    if sec is not None and sec.rc == 0:
        return None
    return "%s is installed and the boot default, but scheduling the reboot failed: %s" % (target, _output(sec, 400))


def pending_message(target, reboot):
    """The result message when the reboot is left for later (``window`` or ``none``)."""
    if reboot["mode"] == "window":
        return "%s installed and default; reboot scheduled at %s" % (target, reboot["time"])
    return "%s installed and default; reboot pending (left to the operator)" % target


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
