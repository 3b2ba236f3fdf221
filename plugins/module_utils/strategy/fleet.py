# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The plan of a whole play: each host's own variables (and the launch-time overrides an AWX
survey sends) fed to ``choose.choose_strategy``, in one controller task.

Pure: no I/O, no Ansible runtime. ``playbooks/remediate.yml`` reaches :func:`plan_fleet`
through the ``kcrash.nfqueue.choose_strategies`` filter; :func:`interface_items` /
:func:`interface_list` read ``kcrash_interfaces`` (a list or an AWX survey's comma-separated text).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import validate_ifname
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy.choose import (
    DEFAULT_LEVELS,
    choose_strategy,
    text,
)


#: Host variables read by :func:`plan_fleet`, with the values used when a host has none.
HOST_DEFAULTS = {
    "kcrash_strategy": "auto",
    "kcrash_window": "",
    "kcrash_remediate_levels": list(DEFAULT_LEVELS),
    "kcrash_kernel_target": "",
    "kcrash_interfaces": [],
}


def interface_items(value, name="kcrash_interfaces"):
    """The non-empty stripped items of a list or a comma-separated string (AWX survey text),
    not yet validated; non-string items are returned as they are."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise KcrashInputError(name, "must be a list of interface names or a comma-separated string")
    return [i.strip() if isinstance(i, str) else i for i in items if not (isinstance(i, str) and not i.strip())]


def interface_list(value, name="kcrash_interfaces"):
    """A list of interface names from a list or a comma-separated string (AWX survey text),
    each checked with the one interface-name rule (shell.validate_ifname)."""
    out = []
    for item in interface_items(value, name):
        validate_ifname(item, name)
        if item not in out:
            out.append(item)
    return out


#: What a launch-time override (an AWX survey answer) may say to mean "as the inventory says":
#: AWX sends an optional blank text answer as "" or, in some releases, as null.
INVENTORY_SAYS = (None, "", "inventory")

#: Launch-time override variable (survey) -> the host variable it overrides when answered.
OVERRIDES = {
    "kcrash_strategy_override": "kcrash_strategy",
    "kcrash_interfaces_override": "kcrash_interfaces",
    "kcrash_window_override": "kcrash_window",
}


def answered_overrides(overrides):
    """{host variable: value} for the overrides that are answered (not "as the inventory says").

    ``overrides`` maps names of :data:`OVERRIDES` to launch values. Survey answers are extra
    vars, which outrank every inventory variable, so a survey never sends ``kcrash_strategy``
    itself: it sends ``kcrash_strategy_override``, and only an answer other than
    :data:`INVENTORY_SAYS` replaces the host's own value.
    """
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise KcrashInputError("overrides", "must map override variable names to values")
    out = {}
    for name, value in overrides.items():
        if name not in OVERRIDES:
            raise KcrashInputError(name, "is not one of %s" % ", ".join(sorted(OVERRIDES)))
        if isinstance(value, str):
            value = value.strip()
        if value in INVENTORY_SAYS or value == []:
            continue
        out[OVERRIDES[name]] = value
    return out


def plan_fleet(hosts, overrides=None):
    """Plan many hosts at once (one controller task for the whole play).

    ``hosts`` maps host name to ``{"facts": kcrash_nfqueue facts or None, "vars": {host
    variables}}``; the variables of :data:`HOST_DEFAULTS` that a host lacks take those values,
    ``kcrash_offload_interfaces`` is passed through. Returns ``{host: {"plan": ...,
    "before": facts, "offload_interfaces": list or the host's own kcrash_offload_interfaces
    or "auto"}}``. A bad value raises KcrashInputError naming the host and the variable.
    ``overrides`` (launch-time answers, see :func:`answered_overrides`) replace the hosts'
    own variables where answered.
    """
    if not isinstance(hosts, dict):
        raise KcrashInputError("hosts", "must map host names to facts and variables")
    answered = answered_overrides(overrides)
    out = {}
    for host in sorted(hosts):
        entry = hosts[host] or {}
        hv = dict(HOST_DEFAULTS)
        hv.update(dict((k, v) for k, v in (entry.get("vars") or {}).items() if v is not None))
        hv.update(answered)
        try:
            interfaces = interface_list(hv["kcrash_interfaces"])
            plan = choose_strategy(entry.get("facts"), strategy=hv["kcrash_strategy"],
                                   window=hv["kcrash_window"], levels=hv["kcrash_remediate_levels"],
                                   kernel_target=hv["kcrash_kernel_target"])
        except KcrashInputError as e:
            name = e.name
            if name in answered:  # the launch-time answer is what was wrong, not the host's value
                name = dict((v, k) for k, v in OVERRIDES.items())[name]
            raise KcrashInputError(name, "host %s: %s" % (host, e.message))
        plan["interfaces"] = interfaces
        plan["window"] = text(hv["kcrash_window"]).strip()
        plan["kernel_target"] = text(hv["kcrash_kernel_target"]).strip()
        offload_ifaces = interfaces or hv.get("kcrash_offload_interfaces") or "auto"
        out[host] = {"plan": plan, "before": entry.get("facts"), "offload_interfaces": offload_ifaces}
    return out
