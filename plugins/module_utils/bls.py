# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Boot Loader Specification entries (``/boot/loader/entries/*.conf``, el8+ and Fedora):
the one parser. Pure functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

from ansible_collections.kcrash.nfqueue.plugins.module_utils.grub import release_of


def parse(files):
    """``[(path, content)]`` of entry files -> [{id, title, version, kernel, release}]."""
    out = []
    for path, content in files:
        ent = {"id": posixpath.basename(path)[:-5] if path.endswith(".conf") else posixpath.basename(path),
               "title": None, "version": None, "kernel": None, "release": None}
        for line in content.splitlines():
            parts = line.strip().split(None, 1)
            if len(parts) != 2:
                continue
            if parts[0] == "title":
                ent["title"] = parts[1]
            elif parts[0] == "version":
                ent["version"] = parts[1]
            elif parts[0] == "linux":
                ent["kernel"] = parts[1].split()[0]
                ent["release"] = release_of(ent["kernel"])
        out.append(ent)
    return out
