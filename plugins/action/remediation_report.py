# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action ``kcrash.nfqueue.remediation_report``: write remediate.yml's fleet report.

Runs entirely on the controller (no connection to any host is used): reads the plan and the
before/after facts that remediate.yml keeps per host in ``hostvars``, renders them with
``module_utils/remediation_report.py`` and writes JSON, CSV and HTML files atomically.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

from ansible_collections.kcrash.nfqueue.plugins.module_utils import remediation_report
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError

# what the strategy roles register (roles/offload, roles/nfqueue_drop, roles/kernel_upgrade)
RESULT_VARS = {"offload": "kcrash_offload_result", "drop": "kcrash_drop_result",
               "kernel": "kcrash_kernel_result"}

ARGS = {
    "dir": {"type": "path", "default": "reports"},
    "hosts": {"type": "list", "elements": "str", "required": True},
    "prefix": {"type": "str", "default": "remediation"},
    "check_mode": {"type": "bool", "default": None},
}


def _write_atomic(path, text):
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(to_bytes(text))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(ARGS)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=ARGS)
        check_mode = self._task.check_mode if args["check_mode"] is None else args["check_mode"]
        hostvars = task_vars.get("hostvars") or {}
        plans = task_vars.get("kcrash_remediation") or {}
        hosts = {}
        for name in args["hosts"]:
            planned = plans.get(name) or {}
            try:
                redetect = hostvars[name].get("kcrash_redetect") or {}
            except (KeyError, TypeError):
                redetect = {}
            after = (redetect.get("ansible_facts") or {}).get("kcrash_nfqueue") \
                if isinstance(redetect, dict) and not redetect.get("skipped") else None
            results = {}
            for action, var in RESULT_VARS.items():
                try:
                    results[action] = hostvars[name].get(var)
                except (KeyError, TypeError):
                    results[action] = None
            hosts[name] = {"plan": planned.get("plan"), "before": planned.get("before"),
                           "after": after, "results": results}
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        try:
            report = remediation_report.build(hosts, check_mode, generated=now)
            texts = {
                "json": remediation_report.to_json(report),
                "csv": remediation_report.to_csv(report),
                "html": remediation_report.to_html(report),
            }
        except KcrashError as e:
            raise AnsibleActionFail("remediation report: %s" % e)
        directory = os.path.abspath(args["dir"])
        base = "%s-%s" % (args["prefix"], report["mode"])
        paths = {}
        try:
            os.makedirs(directory, exist_ok=True)
            for ext, text in texts.items():
                paths[ext] = os.path.join(directory, "%s.%s" % (base, ext))
                _write_atomic(paths[ext], text)
        except OSError as e:
            raise AnsibleActionFail("remediation report: cannot write under %s: %s" % (directory, e))
        result.update({
            "changed": False,
            "paths": paths,
            "mode": report["mode"],
            "drift": report["drift"],
            "outcomes": report["outcomes"],
            "hosts_total": report["hosts_total"],
            "msg": "%s report for %d host(s): %s (%s)" % (
                report["mode"], report["hosts_total"], paths["html"],
                ", ".join("%s %d" % kv for kv in sorted(report["outcomes"].items()))),
        })
        return result
