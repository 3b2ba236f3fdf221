# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action ``kcrash.nfqueue.remediation_report``: write remediate.yml's fleet report.

Runs entirely on the controller (no connection to any host is used): reads the plan and the
before/after facts that remediate.yml keeps per host in ``hostvars``, renders them with
``module_utils/remediation_report.py`` and writes JSON, CSV and HTML files (timestamped, plus
the latest copies; ``plugin_utils/report_files.py``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.kcrash.nfqueue.plugins.module_utils import remediation_report, report_page, report_record
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils import report_files

# what the strategy roles register (roles/offload, roles/nfqueue_drop, roles/kernel_upgrade)
RESULT_VARS = dict((s.name, s.result_var) for s in registry.REGISTRY)

ARGS = {
    "dir": {"type": "path", "default": "reports"},
    "hosts": {"type": "list", "elements": "str", "required": True},
    "plans": {"type": "dict", "default": None},
    "prefix": {"type": "str", "default": "remediation"},
    "check_mode": {"type": "bool", "default": None},
    "keep": {"type": "int", "default": 10},
    "complete": {"type": "bool", "default": True},
}


def _hostvar(hostvars, name, var):
    try:
        return hostvars[name].get(var)
    except (KeyError, TypeError, AttributeError):
        return None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(ARGS)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=ARGS)
        report_files.checked_keep("remediation report", args["keep"])
        check_mode = self._task.check_mode if args["check_mode"] is None else args["check_mode"]
        hostvars = task_vars.get("hostvars") or {}
        plans = args["plans"] if args["plans"] is not None else (task_vars.get("kcrash_remediation") or {})
        hosts = {}
        for name in args["hosts"]:
            planned = plans.get(name) or {}
            redetect = _hostvar(hostvars, name, "kcrash_redetect") or {}
            after = (redetect.get("ansible_facts") or {}).get("kcrash_nfqueue") \
                if isinstance(redetect, dict) and not redetect.get("skipped") else None
            results = dict((action, _hostvar(hostvars, name, var)) for action, var in RESULT_VARS.items())
            hosts[name] = {"plan": planned.get("plan"), "before": planned.get("before"), "after": after,
                           "results": results, "detection": _hostvar(hostvars, name, "kcrash_detect_result")}
        now = report_files.iso(report_files.utc_now())
        try:
            report = remediation_report.build(hosts, check_mode, generated=now, complete=args["complete"])
            # the run's start: the detection answers before any change (the same in every write)
            answered = [report_record.answered_at(h.get("before")) for h in hosts.values()]
            report["run"] = report_files.run_info(task_vars, answered, self._task, args["complete"])
            texts = {
                "json": remediation_report.to_json(report),
                "csv": remediation_report.to_csv(report),
                "rules.csv": report_page.rules_csv(report),
                "html": remediation_report.to_html(report),
            }
        except KcrashError as e:
            raise AnsibleActionFail("remediation report: %s" % e)
        base = "%s-%s" % (args["prefix"], report["mode"])
        paths, stamped, removed = report_files.write_or_fail("remediation report", args["dir"], base,
                                                             report["run"]["id"], texts, args["keep"])
        outcomes = report["counts"]["outcome"]
        result.update({
            # the report is the controller's output, not a change on any host
            "changed": False,
            "paths": paths,
            "history": stamped,
            "removed": removed,
            "mode": report["mode"],
            "drift": report["drift"],
            "outcomes": outcomes,
            "counts": report["counts"],
            "hosts_total": report["total"],
            "msg": "%s report for %d host(s): %s (%s)" % (
                report["mode"], report["total"], paths["html"],
                ", ".join("%s %d" % kv for kv in sorted(outcomes.items())) or "no host"),
        })
        return result
