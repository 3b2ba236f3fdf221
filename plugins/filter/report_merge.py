# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters ``kcrash.nfqueue.merge_reports`` (module_utils/report_merge.py) and the renderers of
a schema-v1 report of either kind (``report_csv``, ``report_html``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kcrash.nfqueue.plugins.module_utils import report_page
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.report_merge import merge


def _guarded(name, func, *args):
    try:
        return func(*args)
    except (KcrashError, KeyError, TypeError) as e:
        raise AnsibleFilterError("%s: %s" % (name, e))


def merge_reports(reports, sources=None):
    return _guarded("merge_reports", merge, reports, sources)


def report_csv(report):
    return _guarded("report_csv", report_page.hosts_csv, report)


def report_html(report):
    return _guarded("report_html", report_page.html, report)


class FilterModule(object):
    def filters(self):
        return {"merge_reports": merge_reports, "report_csv": report_csv, "report_html": report_html}
