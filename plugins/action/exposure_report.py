# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action ``kcrash.nfqueue.exposure_report``: write detect.yml's fleet report.

Runs on the controller only: renders the registered ``exposure_facts`` results of every host
(``module_utils/report.py``) and writes the files (``plugin_utils/report_action.py``). Never
``changed``: detection changes no host, and the report is the controller's output.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import report
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils import report_files
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.report_action import ReportActionBase

ARGSPEC = {
    "dir": {"type": "path", "required": True},
    "name": {"type": "str", "default": "kcrash-exposure"},
    "results": {"type": "dict", "required": True},
    "formats": {"type": "list", "elements": "str", "default": ["json", "csv", "html"],
                "choices": sorted(report.RENDERERS)},
    "keep": {"type": "int", "default": 10},
}


class ActionModule(ReportActionBase):

    ARGSPEC = ARGSPEC
    WHAT = "exposure report"

    def render(self, args, task_vars, generated):
        rep = report.build_report(args["results"], generated=generated)
        rep["run"] = report_files.run_info(task_vars, [h["answered_at"] for h in rep["hosts"]], self._task, True)
        return rep, args["name"], dict((fmt, report.RENDERERS[fmt](rep)) for fmt in args["formats"])

    def summary(self, args, rep, written):
        return report.action_result(rep, written, args["formats"])
