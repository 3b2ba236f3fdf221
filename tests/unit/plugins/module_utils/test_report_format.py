# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""report_format.py: the JSON / CSV / HTML helpers both fleet reports render through."""

import csv
import io
import json
from html.parser import HTMLParser

from ansible_collections.kcrash.nfqueue.plugins.module_utils import report_format as rf


def test_json_text_is_sorted_indented_and_ends_with_newline():
    text = rf.json_text({"b": [1, None], "a": {"z": True, "y": "<x>"}})
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.index('"a"') < text.index('"b"') and text.index('"y"') < text.index('"z"')
    assert '\n  "a": {\n    "y": "<x>",' in text
    assert json.loads(text) == {"b": [1, None], "a": {"z": True, "y": "<x>"}}


def test_csv_text_header_rows_and_quoting_round_trip():
    rows = [["web1", 3, "a, b | c"], ["x\"y", 0, "two\nlines"], ["", None, ""]]
    text = rf.csv_text(("host", "n", "why"), rows)
    assert text.startswith("host,n,why\nweb1,3,\"a, b | c\"\n")
    assert "\r" not in text and text.endswith("\n")
    back = list(csv.reader(io.StringIO(text)))
    assert back == [["host", "n", "why"], ["web1", "3", "a, b | c"], ["x\"y", "0", "two\nlines"], ["", "", ""]]


def test_csv_text_takes_any_iterable_and_no_rows():
    assert rf.csv_text(("a", "b"), []) == "a,b\n"
    assert rf.csv_text(("a",), (r for r in [["1"], ["2"]])) == "a\n1\n2\n"


def test_escape():
    assert rf.escape(None) == ""
    assert rf.escape(0) == "0"
    assert rf.escape("<b a=\"1\" c='2'>&</b>") == "&lt;b a=&quot;1&quot; c=&#x27;2&#x27;&gt;&amp;&lt;/b&gt;"


class _Items(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.tags, self.items = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "li":
            self.items.append("")

    def handle_data(self, data):
        self.items[-1] += data


def test_html_list_escapes_each_item():
    assert rf.html_list([]) == "" and rf.html_list(None) == ""
    page = rf.html_list(["<script>alert(1)</script>", "a & b", 7])
    assert "<script>" not in page
    p = _Items()
    p.feed(page)
    p.close()
    assert p.tags == ["ul", "li", "li", "li"]
    assert p.items == ["<script>alert(1)</script>", "a & b", "7"]
