# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Base class of the actions that write a fleet report on the controller (``exposure_report``,
``remediation_report``): no connection to any host is used.

The template ``run_action()``: check ``keep``, let the subclass build and render the report
(``render``), write the files (timestamped, plus the latest copies; ``report_files.py``), and
return what the subclass's pure summary function says. Every failure names the report
(``WHAT``): a bad ``keep``, a report that cannot be built, a directory that cannot be written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils import report_files
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.shell_action import ShellActionBase


class ReportActionBase(ShellActionBase):
    """Subclass: set ``ARGSPEC`` (with ``dir`` and ``keep``) and ``WHAT``, implement ``render``
    and ``summary``."""

    _requires_connection = False
    #: What the report is called in failure messages (e.g. ``exposure report``).
    WHAT = "report"

    def render(self, args, task_vars, generated):
        """``(report, base file name, {format: text})``; ``report["run"]`` set (run_info)."""
        raise NotImplementedError("%s must implement render()" % type(self).__name__)

    def summary(self, args, rep, written):
        """The task's result keys, from the report ``rep`` and ``written`` (the common keys:
        ``report_record.written_result``)."""
        raise NotImplementedError("%s must implement summary()" % type(self).__name__)

    def run_action(self, args, task_vars, result):
        report_files.checked_keep(self.WHAT, args["keep"])
        generated = report_files.iso(report_files.utc_now())
        try:
            report, base, texts = self.render(args, task_vars, generated)
        except KcrashError as e:
            raise AnsibleActionFail("%s: %s" % (self.WHAT, e))
        paths, stamped, removed = report_files.write_or_fail(self.WHAT, args["dir"], base, report["run"]["id"],
                                                             texts, args["keep"])
        result.update(self.summary(args, report, {"paths": paths, "history": stamped, "removed": removed}))
        return result
