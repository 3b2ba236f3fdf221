# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/user-guide.md "Safety guarantees": every promise names its tests, and every named
test exists under that name (``file.py::test``, ``::test`` for the file named before it,
``file.py`` for all of a file; a path without ``tests/`` is found under tests/unit)."""

import glob
import os
import re

from conftest import REPO


def _rows():
    with open(os.path.join(REPO, "docs", "user-guide.md")) as f:
        text = f.read()
    section = text.split("### Safety guarantees", 1)[1].split("\n## ", 1)[0]
    return [line.split("|")[1:-1] for line in section.splitlines()
            if line.startswith("|") and not line.startswith("|---") and "| situation |" not in line]


def _file(rel):
    if rel.startswith("tests/"):
        found = [os.path.join(REPO, rel)]
    else:
        found = [p for p in glob.glob(os.path.join(REPO, "tests", "unit", "**", "*.py"), recursive=True)
                 if p.endswith("/" + rel)]
    found = [p for p in found if os.path.isfile(p)]
    assert len(found) == 1, "%s names %d files" % (rel, len(found))
    return found[0]


def _named(cell):
    """``[(path, test or None)]`` of the backticked test references of a table cell."""
    out, last = [], None
    for ref in re.findall(r"`([^`]*(?:\.py|::\w+)[^`]*)`", cell):
        rel, _sep, name = ref.partition("::")
        path = _file(rel) if rel else last
        assert path, "%r names a test before any file" % ref
        out.append((path, name or None))
        last = path
    return out


def test_every_promise_names_tests_that_exist():
    rows = _rows()
    assert len(rows) >= 8
    for situation, promise, tests in rows:
        named = _named(tests)
        if not named:
            assert "not promised" in promise, (situation, promise)
            continue
        for path, name in named:
            with open(path) as f:
                source = f.read()
            if name:
                assert re.search(r"^def %s\(" % re.escape(name), source, re.M), "%s has no %s" % (path, name)
            else:
                assert re.search(r"^def test_", source, re.M), path
