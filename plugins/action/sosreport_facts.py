# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kcrash.nfqueue.sosreport_facts: the exposure assessment of an unpacked sosreport directory
on the controller (no remote host involved). Reads only the files module_utils/sosreport.py
wants, each bounded, maps them into the probe's section structure and reuses its parser."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.kcrash.nfqueue.plugins.module_utils import sosreport
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.shell_action import ShellActionBase

ARGSPEC = {
    "path": {"type": "path", "required": True},
    "name": {"type": "str"},
    "partial": {"type": "bool", "default": True},
}

MAX_FILES = 5000


def read_sosreport(root):
    """{relpath: text} of the wanted files under ``root`` (bounded; symlinks not followed)."""
    files = {}
    count = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for fn in sorted(filenames):
            full = os.path.join(dirpath, fn)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if not sosreport.wanted(rel) or os.path.islink(full) or not os.path.isfile(full):
                continue
            count += 1
            if count > MAX_FILES:
                return files
            with open(full, "rb") as f:
                files[rel] = f.read(sosreport.MAX_FILE).decode("utf-8", "replace")
    return files


class ActionModule(ShellActionBase):

    _requires_connection = False
    ARGSPEC = ARGSPEC

    def run_action(self, args, task_vars, result):
        root = args["path"]
        if not os.path.isdir(root):
            return {"failed": True, "msg": "sosreport %s: not a directory" % root}
        files = read_sosreport(root)
        label = args.get("name") or os.path.basename(os.path.normpath(root))
        try:
            facts = sosreport.collect_facts(files, host=label, partial=args["partial"])
        except KcrashError as e:
            return {"failed": True, "msg": "sosreport %s: %s" % (root, e), "name": label}
        facts["probe"]["path"] = root
        facts["probe"]["files_read"] = len(files)
        result.update({
            "changed": False,
            "name": label,
            "kcrash_nfqueue": facts,
            "ansible_facts": {"kcrash_nfqueue": facts},
            "exposure": facts["exposure"]["level"],
            "partial": facts.get("partial", False),
            "msg": "%s: %s" % (label, facts["exposure"]["level"]),
        })
        return result
