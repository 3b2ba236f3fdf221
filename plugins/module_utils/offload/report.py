# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Strategy "offload": the task's input read as the planner wants it, and what the task
returns (:func:`report`) and says (:func:`summary`) about a plan. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import validate_ifname

PUBLIC_KEYS = ("kind", "driver", "format", "status", "before", "after", "to_change", "fixed_off",
               "fixed_on", "requested_on", "absent", "persist")


def interfaces_argument(value):
    """The ``interfaces`` option -> ``"auto"`` or a list of validated names. A survey answer
    may be one string (``"eth0, eth1"``). Raises KcrashError."""
    if isinstance(value, str):
        words = [w for w in re.split(r"[,\s]+", value) if w]
        value = "auto" if words in ([], ["auto"]) else words
    if value != "auto":
        if not isinstance(value, list) or not value:
            raise KcrashError("interfaces must be 'auto' or a non-empty list of names")
        for n in value:
            validate_ifname(n, "interfaces")
    return value


def report(plan):
    """The result keys that describe ``plan`` (see plugins/modules/offload.py RETURN)."""
    return {
        "interfaces": dict((n, dict((k, e.get(k)) for k in PUBLIC_KEYS)) for n, e in plan["interfaces"].items()),
        "interfaces_source": plan.get("interfaces_source"),
        "files": plan["files"],
        "runtime_commands": [ethtool.set_command(r["interface"], r["features"]) for r in plan["runtime"]],
        "nm_commands": ["nmcli %s" % " ".join(c["args"]) for c in plan["nm_commands"]],
        "warnings_offload": plan["warnings"],
    }


def summary(plan, check):
    """One line: what changed (or, in check mode, would change)."""
    verb = "would change" if check else "changed"
    bits = []
    if plan["runtime"]:
        bits.append("runtime: %s" % ", ".join("%s %s off" % (r["interface"], "/".join(r["features"]))
                                              for r in plan["runtime"]))
    changed_files = [f["path"] for f in plan["files"] if f["action"] != "none"]
    if changed_files:
        bits.append("files: %s" % ", ".join(changed_files))
    if plan["nm_commands"]:
        bits.append("NetworkManager profiles: %s" % ", ".join(c["uuid"] for c in plan["nm_commands"]))
    if not bits:
        return "nothing to change: %s" % (", ".join(sorted(plan["interfaces"])) or "no candidate interface")
    return "%s %s" % (verb, "; ".join(bits))
