# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kernel_upgrade, plan stage: facts (``read.parse_probe``) + options -> the plan.

The target is the catalog's documented fixed release for the kernel family, or the release
the user names. Where the catalog knows no fixed release (el6 today) and the user names none,
the plan is empty and says ``no documented fixed kernel for <family>; use offload or drop``.
A user-named target that the catalog does not judge fixed is installed but reported as
``not a documented fix``. Pure, no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import catalog, reboot_schedule
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel import RELEASE_RE, kernel_verdict
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade.boot import boot_default, default_entry_step
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import quote
from ansible_collections.kcrash.nfqueue.plugins.module_utils.versions import rpm_evr_compare

REBOOT_MODES = ("now", "window", "none")
NO_TARGET_MSG = "no documented fixed kernel for %s; use offload or drop"
REBOOT_NOW = ("nohup sh -c 'sleep 2; shutdown -r now || reboot' </dev/null >/dev/null 2>&1 & "
              "echo 'reboot requested'")


def _arch_of(release):
    m = re.search(r"\.(x86_64|i[3-6]86|aarch64|ppc64le|ppc64|s390x)(?:[.+].*)?$", release)
    return m.group(1) if m else None


def validate_target(target):
    """A user target: a kernel release (``3.10.0-1160.119.1.el7.x86_64``, ``6.1.0-13-amd64``)."""
    if target is None:
        return None
    if not isinstance(target, str) or not RELEASE_RE.match(target) or not re.match(r"^\d", target):
        raise KcrashInputError("kcrash_kernel_target", "%r is not a kernel release (uname -r form)" % (target,))
    return target


# the numeric options' ranges: checked by the action before its first trip and, for the
# remediate play, by module_utils/options.py before any host is touched
LIMITS = {"reboot_timeout": (1, 86400), "min_boot_free_mb": (0, 1048576)}


def validate_limit(name, value):
    """Return ``value`` as an int if it is an integer within ``LIMITS[name]``, else raise."""
    low, high = LIMITS[name]
    try:
        number = int(value) if not isinstance(value, (bool, float)) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise KcrashInputError(name, "%r is not an integer in %d..%d" % (value, low, high))
    return number


def apt_package_for(release):
    return "linux-image-%s" % release


def _rpm_pkg_spec(release):
    """``3.10.0-1160.el7.x86_64`` -> ``kernel-3.10.0-1160.el7.x86_64`` (yum/dnf NEVRA form)."""
    return "kernel-%s" % release


def _choose_catalog_target(facts, prefer):
    fam = facts["family"]
    fixed = catalog.documented_fixed_release(fam) if fam else None
    if not fixed:
        return None, None
    arch = _arch_of(facts["running"]) or "x86_64"
    cands = []
    for a in facts["available_rpm"]:
        if a["name"] != "kernel" or a["arch"] != arch:
            continue
        vr = a["release"][: -len(arch) - 1]
        if rpm_evr_compare(vr, fixed) >= 0:
            cands.append((vr, a["release"]))
    for rel in facts["installed"]:
        if rel.endswith("." + arch):
            vr = rel[: -len(arch) - 1]
            if rpm_evr_compare(vr, fixed) >= 0:
                cands.append((vr, rel))
    if not cands:
        return fixed + "." + arch, fixed
    exact = [c for c in cands if rpm_evr_compare(c[0], fixed) == 0]
    if prefer == "documented" and exact:
        return exact[0][1], fixed
    best = cands[0]
    for c in cands[1:]:
        if rpm_evr_compare(c[0], best[0]) > 0:
            best = c
    return best[1], fixed


def plan(facts, target=None, prefer="newest", reboot="none", window=None, reboot_method="auto",
         min_boot_free_mb=100, set_default=True, require_kdump=False):
    """Facts + options -> plan dict (see docs/kernel.md). Raises KcrashInputError on bad options."""
    if reboot not in REBOOT_MODES:
        raise KcrashInputError("reboot", "%r is not one of %s" % (reboot, ", ".join(REBOOT_MODES)))
    if prefer not in ("newest", "documented"):
        raise KcrashInputError("prefer", "%r is not newest or documented" % (prefer,))
    if reboot == "window":
        window = reboot_schedule.validate_time(window)
    target = validate_target(target)
    fam = facts["family"]
    verdict = facts["verdict"]
    pm = facts["package_manager"]
    res = {
        "family": fam, "running": facts["running"], "package_manager": pm,
        "running_verdict": {k: verdict[k] for k in ("code_vulnerable", "confidence", "reason", "fixed_by")},
        "target": None, "target_source": None, "documented_fix": False, "target_verdict": None,
        "status": None, "message": "", "prechecks": [], "warnings": [], "failed": False,
        "install": None, "set_default": None, "reboot": None, "pending_reboot": False, "changed": False,
        "boot_default_before": boot_default(facts["boot"]),
    }

    if target is None:
        if verdict["code_vulnerable"] is False:
            res["status"] = "not_needed"
            res["message"] = ("running kernel %s is not code-vulnerable (%s): %s; nothing to do"
                              % (facts["running"], verdict["confidence"], verdict["reason"]))
            return res
        tgt, fixed = _choose_catalog_target(facts, prefer)
        if tgt is None:
            res["status"] = "no_target"
            res["message"] = NO_TARGET_MSG % (fam or "this kernel family")
            return res
        target = tgt
        res["target_source"] = "catalog"
    else:
        res["target_source"] = "user"
    res["target"] = target
    tv = kernel_verdict(target, facts["os"])
    res["target_verdict"] = {k: tv[k] for k in ("family", "code_vulnerable", "confidence", "reason", "fixed_by")}
    res["documented_fix"] = tv["code_vulnerable"] is False
    if not res["documented_fix"]:
        res["warnings"].append("target %s is not a documented fix for %s (%s); installing it as requested"
                               % (target, catalog.PRIMARY, tv["reason"]))

    # ---------------------------------------------------------------- pre-checks
    installed = target in facts["installed"]
    checks = res["prechecks"]
    if installed:
        checks.append({"name": "package_source", "ok": True, "message": "%s is already installed" % target})
    elif pm in ("dnf", "yum"):
        if facts["available_error"]:
            checks.append({"name": "package_source", "ok": False,
                           "message": "%s cannot list kernels: %s" % (pm, facts["available_error"])})
        elif any(a["release"] == target and a["name"] == "kernel" for a in facts["available_rpm"]):
            repo = [a["repo"] for a in facts["available_rpm"] if a["release"] == target][0]
            checks.append({"name": "package_source", "ok": True,
                           "message": "%s sees kernel %s in repository %s" % (pm, target, repo)})
        else:
            checks.append({"name": "package_source", "ok": False,
                           "message": "%s cannot see kernel %s in any enabled repository (available: %s)"
                                      % (pm, target, ", ".join(a["release"] for a in facts["available_rpm"])
                                         or "none")})
    elif pm == "apt":
        pol = facts["apt_policy"].get(apt_package_for(target))
        if pol and pol["candidate"]:
            checks.append({"name": "package_source", "ok": True,
                           "message": "apt sees %s %s" % (apt_package_for(target), pol["candidate"])})
        else:
            checks.append({"name": "package_source", "ok": False,
                           "message": "apt cannot see %s (apt-cache policy has no candidate%s)"
                                      % (apt_package_for(target),
                                         "; apt-get update failed" if facts["apt_update_failed"] else "")})
    else:
        checks.append({"name": "package_source", "ok": False,
                       "message": "no supported package manager (yum, dnf, apt-get) found"})

    space = facts["boot_space"]
    if installed:
        pass
    elif space is None:
        checks.append({"name": "boot_space", "ok": False, "message": "could not read free space of /boot (df -Pk /boot)"})
    else:
        free_mb = space["available_kb"] // 1024
        checks.append({"name": "boot_space", "ok": free_mb >= min_boot_free_mb,
                       "message": "%d MiB free on %s (need %d MiB)" % (free_mb, space["mount"], min_boot_free_mb)})

    if pm in ("dnf", "yum"):
        lim = facts["installonly"]["limit"]
        n = len(facts["installed"]) + (0 if installed else 1)
        msg = "%d kernel(s) after install, installonly_limit=%d (%s)" % (n, lim, facts["installonly"]["source"])
        if n > lim >= 2:
            oldest = [r for r in facts["installed"] if r != facts["running"]]
            msg += "; %s will remove the oldest non-running kernel%s" % (
                pm, (" (%s)" % oldest[0]) if oldest else "")
            res["warnings"].append(msg)
        checks.append({"name": "installonly_limit", "ok": True, "message": msg})

    kd = facts["kdump"]
    kd_ok = kd["state"] == "loaded"
    checks.append({"name": "kdump", "ok": kd_ok if require_kdump else True,
                   "message": {"loaded": "kdump is loaded (a crash kernel is reserved and loaded)",
                               "configured_not_loaded": "kdump is configured but no crash kernel is loaded: "
                                                        "a future crash would leave no vmcore",
                               "not_configured": "kdump is not configured: a future crash would leave "
                                                 "no vmcore"}[kd["state"]]})
    if not kd_ok:
        res["warnings"].append(checks[-1]["message"])

    failed = [c for c in checks if c["ok"] is False]
    if failed:
        res["failed"] = True
        res["status"] = "precheck_failed"
        res["message"] = "; ".join(c["message"] for c in failed)
        return res

    # ---------------------------------------------------------------- steps
    if not installed:
        if pm in ("dnf", "yum"):
            cmd = "%s -y install %s" % (pm, quote(_rpm_pkg_spec(target)))
        else:
            pkg = apt_package_for(target)
            cmd = "DEBIAN_FRONTEND=noninteractive apt-get -y -q install %s" % quote(pkg)
        res["install"] = {"package": _rpm_pkg_spec(target) if pm != "apt" else apt_package_for(target),
                          "command": cmd}
    running_target = facts["running"] == target
    res["set_default"] = None
    if set_default and not running_target:
        res["set_default"] = default_entry_step(facts["boot"], target, facts["tools"], planned=True)
        if res["set_default"] and res["set_default"].get("error"):
            res["failed"] = True
            res["status"] = "precheck_failed"
            res["message"] = res["set_default"]["error"]
            return res
    if running_target:
        res["status"] = "running_target"
        res["message"] = "already running the target kernel %s" % target
        return res
    res["status"] = "planned"
    if reboot == "none":
        res["pending_reboot"] = True
        res["reboot"] = {"mode": "none"}
    elif reboot == "now":
        res["reboot"] = {"mode": "now", "command": REBOOT_NOW}
    else:
        rp = reboot_schedule.plan(facts["reboot"], "scheduled", window, reboot_method, ident="kernel", kernel=target)
        res["reboot"] = {"mode": "window", "time": window, "plan": rp}
        res["pending_reboot"] = True
    default_needed = bool(res["set_default"] and res["set_default"].get("needed"))
    res["changed"] = bool(res["install"]) or default_needed or reboot == "now" or \
        bool(res["reboot"].get("plan", {}).get("changed"))
    parts = []
    if res["install"]:
        parts.append("install %s" % res["install"]["package"])
    if res["set_default"]:
        parts.append(res["set_default"]["describe"])
    parts.append({"none": "leave the reboot to the operator (pending reboot)",
                  "now": "reboot now",
                  "window": "reboot at %s" % window}[reboot])
    res["message"] = "; ".join(parts)
    return res
