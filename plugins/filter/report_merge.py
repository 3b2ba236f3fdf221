# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters ``kcrash.nfqueue.merge_reports`` (module_utils/report_merge.py) and the renderers of
remediation reports (``remediation_report_csv``, ``remediation_report_html``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kcrash.nfqueue.plugins.module_utils import remediation_report
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.report_merge import merge


def _guarded(name, func, *args):
    try:
        return func(*args)
    except (KcrashError, KeyError, TypeError) as e:
        raise AnsibleFilterError("%s: %s" % (name, e))


def merge_reports(reports, sources=None):
    return _guarded("merge_reports", merge, reports, sources)


def remediation_report_csv(report):
    return _guarded("remediation_report_csv", remediation_report.to_csv, report)


def remediation_report_html(report):
    return _guarded("remediation_report_html", remediation_report.to_html, report)


class FilterModule(object):
    def filters(self):
        return {"merge_reports": merge_reports, "remediation_report_csv": remediation_report_csv,
                "remediation_report_html": remediation_report_html}
