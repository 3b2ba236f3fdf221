# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action ``kcrash.nfqueue.exposure_report``: write detect.yml's fleet report.

Runs on the controller only: renders the registered ``exposure_facts`` results of every host
(``module_utils/report.py``) and writes the files (timestamped, plus the latest copies;
``plugin_utils/report_files.py``). Never ``changed``: detection changes no host, and the report
is the controller's output.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.kcrash.nfqueue.plugins.module_utils import report
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils import report_files

FORMATS = {"json": report.render_json, "csv": report.render_csv, "rules.csv": report.render_rules_csv,
           "html": report.render_html}

ARGS = {
    "dir": {"type": "path", "required": True},
    "name": {"type": "str", "default": "kcrash-exposure"},
    "results": {"type": "dict", "required": True},
    "formats": {"type": "list", "elements": "str", "default": ["json", "csv", "html"],
                "choices": sorted(FORMATS)},
    "keep": {"type": "int", "default": 10},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(ARGS)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=ARGS)
        report_files.checked_keep("exposure report", args["keep"])
        now = report_files.iso(report_files.utc_now())
        rep = report.build_report(args["results"], generated=now)
        rep["run"] = report_files.run_info(task_vars, [h["answered_at"] for h in rep["hosts"]], self._task, True)
        texts = dict((fmt, FORMATS[fmt](rep)) for fmt in args["formats"])
        paths, stamped, removed = report_files.write_or_fail("exposure report", args["dir"], args["name"],
                                                             rep["run"]["id"], texts, args["keep"])
        result.update({
            "changed": False,
            "paths": paths,
            "history": stamped,
            "removed": removed,
            "counts": rep["counts"],
            "hosts_total": rep["total"],
            "summary": report.summary_lines(rep) + ["report: " + ", ".join(paths[f] for f in args["formats"])],
            "msg": "exposure report for %d host(s): %s" % (rep["total"], ", ".join(paths[f] for f in args["formats"])),
        })
        return result
