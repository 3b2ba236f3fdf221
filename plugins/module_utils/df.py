# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``df -P`` (POSIX output format, 1024-byte blocks with ``-k``): the one parser. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError


def parse(text):
    """``df -Pk /boot`` -> {mount, available_kb, size_kb}."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2 or not lines[0].startswith("Filesystem"):
        raise KcrashParseError("df -Pk /boot", "no header line")
    parts = lines[-1].split()
    if len(parts) < 6 or not parts[1].isdigit() or not parts[3].isdigit():
        raise KcrashParseError("df -Pk /boot", "unexpected line %r" % lines[-1])
    return {"mount": parts[-1], "size_kb": int(parts[1]), "available_kb": int(parts[3])}
