# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action ``kcrash.nfqueue.remediation_report``: write remediate.yml's fleet report.

Runs entirely on the controller (no connection to any host is used): reads the plan and the
before/after facts that remediate.yml keeps per host in ``hostvars``, renders them with
``module_utils/remediation_report.py`` and writes JSON, CSV and HTML files
(``plugin_utils/report_action.py``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import remediation_report, report_record
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy import registry
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils import report_files
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.report_action import ReportActionBase

# what the strategy roles register (roles/offload, roles/nfqueue_drop, roles/kernel_upgrade)
RESULT_VARS = dict((s.name, s.result_var) for s in registry.REGISTRY)

ARGSPEC = {
    "dir": {"type": "path", "default": "reports"},
    "hosts": {"type": "list", "elements": "str", "required": True},
    "plans": {"type": "dict", "default": None},
    "prefix": {"type": "str", "default": "remediation"},
    "check_mode": {"type": "bool", "default": None},
    "keep": {"type": "int", "default": 10},
    "complete": {"type": "bool", "default": True},
}


class ActionModule(ReportActionBase):

    ARGSPEC = ARGSPEC
    WHAT = "remediation report"

    def render(self, args, task_vars, generated):
        check_mode = self._task.check_mode if args["check_mode"] is None else args["check_mode"]
        plans = args["plans"] if args["plans"] is not None else (task_vars.get("kcrash_remediation") or {})
        hosts = remediation_report.hosts_from_vars(args["hosts"], plans, task_vars.get("hostvars") or {},
                                                   RESULT_VARS)
        report = remediation_report.build(hosts, check_mode, generated=generated, complete=args["complete"])
        # the run's start: the detection answers before any change (the same in every write)
        answered = [report_record.answered_at(h.get("before")) for h in hosts.values()]
        report["run"] = report_files.run_info(task_vars, answered, self._task, args["complete"])
        return report, "%s-%s" % (args["prefix"], report["mode"]), remediation_report.render_all(report)

    def summary(self, args, rep, written):
        return remediation_report.action_result(rep, written)
