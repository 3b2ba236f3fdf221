# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every persistence back end shares: its errors, the feature check, the choice it
returns to the planner, and text helpers. The interface each back end implements is
described in ``persist/__init__.py``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError


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
    bad = ethtool.unsupported_offloads(features_off)
    if bad:
        raise PersistError(backend, None, "unsupported feature(s) %s (supported: %s)"
                           % (", ".join(bad), ", ".join(ethtool.OFFLOAD_FEATURES)))
    return ethtool.canonical_offloads(features_off)


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


class Choice(object):
    """A back end's answer to "do you persist this interface here, and where": ``backend``
    (its NAME), ``path`` (the file to render, None for ``nmcli``), ``reason`` (said in the
    plan), ``kind`` (file | nmcli), ``uuid`` (NetworkManager connection), ``info`` (the
    ``host_info`` passed to ``render``)."""

    __slots__ = ("backend", "path", "reason", "kind", "uuid", "info")

    def __init__(self, backend, path, reason, kind="file", uuid=None, info=None):
        self.backend = backend
        self.path = path
        self.reason = reason
        self.kind = kind
        self.uuid = uuid
        self.info = info or {}
