# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Persistence back ends for offload settings: one pure renderer module per back end.

Every back end module exposes the same interface:

``NAME``
    the back end name used by the ``backend`` option (``ifcfg``, ``nm``, ...).
``render(current_text, iface, features_off, host_info) -> new_text``
    pure; returns ``current_text`` unchanged (the same string) when nothing needs to
    change; keeps comments and unrelated content byte for byte; idempotent
    (``render(render(x)) == render(x)``). ``features_off`` is a list of ``ethtool -K``
    short names (``lro``, ``gro``, ``gso``, ``tso``). ``host_info`` is a dict of what
    the read probe learned about the host (documented per module).
    Raises :class:`PersistError` when the file cannot be edited safely.
``manages(...)``
    whether this back end is the one that configures ``iface`` on the host (signature
    per module, all pure).

Nothing here reads a file or runs a command: the action plugin reads, the planner
(``plans/offload.py``) decides, these modules only turn text into text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError

# Order used by ``backend: auto`` (first that manages the interface wins); see
# docs/offload.md "Precedence".
AUTO_ORDER = ("nm", "netplan", "networkd", "ifupdown", "ifcfg", "udev")
ALL = AUTO_ORDER

# The offload features this collection turns off, as ``ethtool -K`` short names.
SUPPORTED_FEATURES = ("lro", "gro", "gso", "tso")


class PersistError(KcrashError):
    """A configuration file cannot be edited safely; the message says why and what to do."""

    def __init__(self, backend, path, message):
        self.backend = backend
        self.path = path
        self.message = message
        where = " %s" % path if path else ""
        super(PersistError, self).__init__("%s back end%s: %s" % (backend, where, message))


class PersistUnclear(PersistError):
    """The file holds a line that may already set the offloads but that this back end cannot
    read (a shell construct it does not follow): the plan says so and writes nothing for the
    interface rather than adding a duplicate; the runtime change is still made."""


def check_features(features_off, backend="persist"):
    """Validate and de-duplicate ``features_off`` keeping the canonical order."""
    if isinstance(features_off, str):
        features_off = [features_off]
    bad = [f for f in features_off if f not in SUPPORTED_FEATURES]
    if bad:
        raise PersistError(backend, None, "unsupported feature(s) %s (supported: %s)"
                           % (", ".join(sorted(set(str(b) for b in bad))), ", ".join(SUPPORTED_FEATURES)))
    return [f for f in SUPPORTED_FEATURES if f in features_off]


def split_lines(text):
    """Lines with their endings kept (``"".join(split_lines(t)) == t``)."""
    return text.splitlines(True)


def ensure_trailing_newline(text):
    return text if (not text or text.endswith("\n")) else text + "\n"


def effective_files(files, dirs, suffix):
    """Files visible through a directory search path: {basename: path} for the paths of
    ``files`` that live directly in one of ``dirs`` and end with ``suffix``; for a name
    present in several directories the one earlier in ``dirs`` wins (it hides the rest)."""
    seen = {}
    for d in dirs:
        for path in sorted(files):
            if posixpath.dirname(path) == d and path.endswith(suffix):
                seen.setdefault(posixpath.basename(path), path)
    return seen
