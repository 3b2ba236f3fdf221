# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Text formats shared by the fleet reports (``report.py``, ``remediation_report.py``):
the JSON dump, the CSV writer and the HTML escaping / list helpers.

Pure: text in, text out. Each report keeps its own columns, titles, page layout, CSS and
sort script; only the machinery that was written twice lives here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json

try:
    from html import escape as _html_escape
except ImportError:  # pragma: no cover - Python 2 only
    from cgi import escape as _html_escape


def json_text(report):
    """The report as indented JSON with sorted keys and a final newline."""
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def csv_text(columns, rows):
    """CSV text: a header line with ``columns``, then one line per item of ``rows`` ("\\n" ends lines)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(row)
    return buf.getvalue()


def escape(text):
    """HTML-escaped text (quotes too); None becomes the empty string."""
    return _html_escape("" if text is None else str(text), quote=True)


def html_list(items):
    """An escaped ``<ul>`` of ``items``, or the empty string when there are none."""
    if not items:
        return ""
    return "<ul>%s</ul>" % "".join("<li>%s</li>" % escape(x) for x in items)
