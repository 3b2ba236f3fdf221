# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which remediation to apply to one host, given its exposure facts and the operator's choice.

Pure: no I/O, no Ansible runtime. ``choose_strategy()`` is the one place where the decision
is made; ``playbooks/remediate.yml`` reaches it through the ``kcrash.nfqueue.choose_strategy``
filter (for a whole play: ``fleet.plan_fleet`` through ``choose_strategies``) and the unit tests
call it directly. The strategies themselves (role, action, read, order) are listed once, in
``strategy/registry.py``.

Strategies (``kcrash_strategy``):

``auto``     LRO off now on the exposed host (the least disruptive fix: no reboot, no change
             to what the firewall does), plus a kernel upgrade when a documented fixed kernel
             exists for the host (or the operator names a target) AND a reboot window is given.
``offload``  LRO off (role ``kcrash.nfqueue.offload``).
``drop``     NFQUEUE targets replaced by DROP (role ``kcrash.nfqueue.nfqueue_drop``).
``kernel``   kernel upgrade (role ``kcrash.nfqueue.kernel_upgrade``; the role itself refuses
             when no documented fix and no operator target exist).
``none``     report only.

Hosts whose exposure level is not one of ``levels`` (default ``exposed`` and ``at_risk``)
are left alone, whatever the strategy.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy import registry

#: What ``kcrash_strategy`` may say (strategy/registry.py: the strategies, ``auto``, ``none``).
STRATEGIES = registry.CHOICES
#: Exposure levels a host can be acted on for (``not_exposed`` never is).
ACTIONABLE_LEVELS = ("exposed", "at_risk", "unknown")
DEFAULT_LEVELS = ("exposed", "at_risk")
KNOWN_LEVELS = ("exposed", "at_risk", "not_exposed", "unknown")
#: Order in which actions run on one host: the immediate fixes first, the reboot last.
ACTION_ORDER = registry.ACTION_ORDER

# Plan status values (what the report shows).
REMEDIATE = "remediate"      # at least one action planned
COMPLIANT = "compliant"      # not exposed: left alone
REPORT_ONLY = "report_only"  # exposed, but strategy none
BLOCKED = "blocked"          # exposed, the chosen strategy cannot fix it: operator must choose
UNKNOWN = "unknown"          # no usable facts, or exposure unknown and not in levels


def text(value):
    """``value`` as text: None is "", a non-string its str()."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    return value


def _check_strategy(strategy):
    if strategy is None or strategy == "":
        return "auto"
    if not isinstance(strategy, str) or strategy not in STRATEGIES:
        raise KcrashInputError(
            "kcrash_strategy", "%r is not one of %s" % (strategy, ", ".join(STRATEGIES))
        )
    return strategy


def _check_levels(levels):
    if levels is None:
        return list(DEFAULT_LEVELS)
    if isinstance(levels, str):
        levels = [x.strip() for x in levels.split(",") if x.strip()]
    if not isinstance(levels, (list, tuple)) or not levels:
        raise KcrashInputError(
            "kcrash_remediate_levels", "must be a non-empty list of %s" % ", ".join(ACTIONABLE_LEVELS)
        )
    out = []
    for level in levels:
        if level not in ACTIONABLE_LEVELS:
            raise KcrashInputError(
                "kcrash_remediate_levels",
                "%r is not one of %s" % (level, ", ".join(ACTIONABLE_LEVELS)),
            )
        if level not in out:
            out.append(level)
    return out


def _lro_interfaces(facts):
    """(active_settable, active_fixed): interface names whose LRO is on now."""
    settable, fixed = [], []
    interfaces = facts.get("interfaces") or {}
    if not isinstance(interfaces, dict):
        return settable, fixed
    for name in sorted(interfaces):
        info = interfaces.get(name) or {}
        features = info.get("features") if isinstance(info, dict) else None
        lro = (features or {}).get("lro") if isinstance(features, dict) else None
        if not isinstance(lro, dict) or not lro.get("active"):
            continue
        (fixed if lro.get("fixed") else settable).append(name)
    return settable, fixed


def _kernel_fix(facts):
    kernel = facts.get("kernel") or {}
    if not isinstance(kernel, dict):
        return None
    fixed_by = kernel.get("fixed_by")
    if not fixed_by:
        return None
    return {"fixed_by": fixed_by, "evidence": list(kernel.get("evidence") or [])}


def choose_strategy(facts, strategy="auto", window="", levels=None, kernel_target=""):
    """Plan the remediation of one host.

    ``facts`` is ``ansible_facts.kcrash_nfqueue`` as returned by ``exposure_facts`` (may be
    None or empty when detection failed). ``window`` is the reboot window for a kernel
    upgrade ('' = none). ``kernel_target`` is a kernel the operator names for this host
    ('' = none).

    Returns a dict: ``strategy`` (as requested, validated), ``level`` (exposure level or
    ``unknown``), ``status`` (remediate | compliant | report_only | blocked | unknown),
    ``actions`` (ordered subset of offload, drop, kernel), ``reasons`` (strings, why),
    ``kernel_fix`` ({fixed_by, evidence} or None), ``crashed_before`` (bool: the exposure
    verdict's ``flagged``, else whether any vmcore or wtmp crash record was found).

    Raises KcrashInputError naming the variable for a bad strategy or levels value.
    """
    strategy = _check_strategy(strategy)
    levels = _check_levels(levels)
    window = text(window).strip()
    kernel_target = text(kernel_target).strip()

    plan = {
        "strategy": strategy,
        "level": UNKNOWN,
        "status": UNKNOWN,
        "actions": [],
        "reasons": [],
        "kernel_fix": None,
        "crashed_before": False,
    }
    if not isinstance(facts, dict) or not isinstance(facts.get("exposure"), dict):
        plan["reasons"].append("no exposure facts for this host (detection failed or did not run)")
        return plan

    exposure = facts["exposure"]
    level = exposure.get("level")
    if level not in KNOWN_LEVELS:
        plan["reasons"].append("exposure level %r is not understood" % (level,))
        return plan
    plan["level"] = level
    plan["kernel_fix"] = _kernel_fix(facts)
    if "flagged" in exposure:
        # exposure.assess() flags a host whose crash evidence carries this bug's signature
        plan["crashed_before"] = bool(exposure.get("flagged"))
    else:
        evidence = facts.get("crash_evidence") or {}
        if isinstance(evidence, dict):
            plan["crashed_before"] = bool(evidence.get("vmcore") or evidence.get("wtmp_crashes"))

    if level not in levels:
        if level == "not_exposed":
            plan["status"] = COMPLIANT
            plan["reasons"].append("not exposed: left alone")
        else:
            plan["status"] = UNKNOWN if level == "unknown" else COMPLIANT
            plan["reasons"].append(
                "exposure level %s is not in kcrash_remediate_levels (%s): left alone"
                % (level, ", ".join(levels))
            )
        return plan

    if strategy == "none":
        plan["status"] = REPORT_ONLY
        plan["reasons"].append("%s; strategy none: report only" % level)
        return plan

    settable, fixed = _lro_interfaces(facts)
    actions = []
    if strategy == "offload":
        actions.append("offload")
        if fixed and not settable:
            plan["reasons"].append(
                "LRO is fixed on for %s: offload cannot turn it off (consider drop or kernel)"
                % ", ".join(fixed)
            )
    elif strategy == "drop":
        actions.append("drop")
    elif strategy == "kernel":
        actions.append("kernel")
        if not plan["kernel_fix"] and not kernel_target:
            plan["reasons"].append(
                "no documented fixed kernel for this host and no kcrash_kernel_target: "
                "the kernel role will change nothing"
            )
        if not window:
            plan["reasons"].append("no reboot window: the kernel role's own reboot setting applies")
    else:  # auto
        if fixed and not settable:
            plan["status"] = BLOCKED
            plan["reasons"].append(
                "%s; auto would turn LRO off but LRO is fixed on for %s: choose "
                "kcrash_strategy=drop or kernel for this host" % (level, ", ".join(fixed))
            )
        else:
            actions.append("offload")
        if window and (plan["kernel_fix"] or kernel_target):
            actions.append("kernel")
            plan["reasons"].append(
                "kernel upgrade in window %s to %s"
                % (window, kernel_target or plan["kernel_fix"]["fixed_by"])
            )
        elif window:
            plan["reasons"].append(
                "no documented fixed kernel for this host and no kcrash_kernel_target: "
                "no kernel upgrade planned"
            )
        if not actions:
            return plan

    plan["actions"] = [a for a in ACTION_ORDER if a in actions]
    plan["status"] = REMEDIATE
    plan["reasons"].insert(0, "%s: %s" % (level, " + ".join(plan["actions"])))
    return plan
