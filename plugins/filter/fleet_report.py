# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet report filters (module_utils/report.py): build the report from registered
``exposure_facts`` results and render it as HTML, CSV, JSON or a text summary."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kcrash.nfqueue.plugins.module_utils import report


def _report(value, name):
    if not isinstance(value, dict) or "hosts" not in value:
        raise AnsibleFilterError("%s expects the output of kcrash.nfqueue.fleet_report" % name)
    return value


def fleet_report(results, generated=None, title="kcrash.nfqueue fleet exposure report"):
    if not isinstance(results, dict):
        raise AnsibleFilterError("fleet_report expects a mapping host -> registered result")
    return report.build_report(dict(results), generated=generated, title=title)


def fleet_report_html(value):
    return report.render_html(_report(value, "fleet_report_html"))


def fleet_report_csv(value):
    return report.render_csv(_report(value, "fleet_report_csv"))


def fleet_report_json(value):
    return report.render_json(_report(value, "fleet_report_json"))


def fleet_report_summary(value):
    return report.summary_lines(_report(value, "fleet_report_summary"))


class FilterModule(object):
    def filters(self):
        return {
            "fleet_report": fleet_report,
            "fleet_report_html": fleet_report_html,
            "fleet_report_csv": fleet_report_csv,
            "fleet_report_json": fleet_report_json,
            "fleet_report_summary": fleet_report_summary,
        }
