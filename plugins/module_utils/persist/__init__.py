# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Persistence back ends for offload settings: one module per back end, listed in
:data:`BACKENDS`. Adding a back end = one new module here (listed in BACKENDS) + its tests;
the read, the planner and the detection probe take everything from the module.

Every back end module exposes the same interface (checked by
tests/unit/plugins/module_utils/persist/test_interface.py):

``NAME``
    the back end name used by the ``backend`` option (``ifcfg``, ``nm``, ...).
``GLOBS``
    the files the offload read dumps for it (shell globs).
``DETECT_GLOBS``
    the files the detection probe greps for offload settings it may hold (may be wider
    than GLOBS: files the back end does not write but that can carry the settings).
``PROBE``
    shell lines of the read's ``managers`` section: its version probes, each printing
    ``key=value`` through ``kc_kv`` / ``kc_line`` (defined by the read script).
``FILE_MODE``, ``SECRETS``
    the mode of a file it creates; whether its files may hold secrets (kept out of diffs).
``read_script(marker)`` / ``parse_read(text, marker)``
    an extra read section (shell text) and its parser, for a back end that reads what is
    configured through a tool rather than files (``nm``: nmcli), or ``None``; the parsed
    value is ``read[NAME]``.
``owns(path)``
    True for a file of this back end (an unreadable one stops the plan: it may be the
    very file that configures the interface).
``choose(read, iface, forced) -> Choice | None``
    whether this back end persists ``iface`` on this host, and where (version probes,
    files that configure it); ``forced`` when the user named it (``backend: <NAME>``).
    Raises :class:`~.base.PersistError` when it manages the interface but cannot be used
    safely.
``render(current_text, iface, features_off, host_info) -> new_text``
    pure; returns ``current_text`` unchanged (the same string) when nothing needs to
    change; keeps comments and unrelated content byte for byte; idempotent
    (``render(render(x)) == render(x)``). ``features_off`` is a list of ``ethtool -K``
    short names (``ethtool.OFFLOAD_FEATURES``). ``host_info`` is ``Choice.info``.
    Raises PersistError when the file cannot be edited safely.

Nothing here reads a file or runs a command: the action plugin reads, the planner
(``offload/plan.py``) decides, these modules answer questions about text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import (
    ifcfg,
    ifupdown,
    netplan,
    networkd,
    nm,
    udev,
)

# The back ends, in the order ``backend: auto`` asks them (the first that persists the
# interface wins); see docs/offload.md "Precedence".
BACKENDS = (nm, netplan, networkd, ifupdown, ifcfg, udev)

# Hand-written boot scripts that can carry ``ethtool -K`` lines: no back end writes them,
# the detection probe still looks.
HAND_WRITTEN_GLOBS = ("/etc/rc.d/rc.local", "/etc/rc.local")


def names(backends=None):
    """The NAMEs of ``backends`` (default: BACKENDS), in order."""
    return tuple(b.NAME for b in (BACKENDS if backends is None else backends))


def by_name(name, backends=None):
    """The back end module called ``name``, or None."""
    for b in BACKENDS if backends is None else backends:
        if b.NAME == name:
            return b
    return None


def detect_globs(backends=None):
    """Every file the detection probe greps for offload settings: each back end's
    DETECT_GLOBS, then the hand-written boot scripts."""
    out = []
    for b in BACKENDS if backends is None else backends:
        out.extend(g for g in b.DETECT_GLOBS if g not in out)
    return tuple(out) + HAND_WRITTEN_GLOBS
