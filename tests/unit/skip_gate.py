# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The skip gate: a unit run fails when a test was skipped that ``allowed_skips.txt`` does not
allow (a skip in CI is a failure unless someone wrote down why it is fine).

Active when ``KCRASH_SKIP_GATE=1`` (``scripts/test.sh`` gate ``unit`` sets it) or ``CI=true``;
a local ``pytest`` run only lists the skips as usual. The conftest imports the three hooks
below; ``python -m pytest -p skip_gate`` (with this directory on ``sys.path``) loads them
alone.

Allow-list lines (``#`` starts a comment line, blank lines ignored)::

    <node id glob> | <skip reason glob> | <why this skip is fine in CI>

Both globs are ``fnmatch`` patterns (case-sensitive); the reason is the text given to
``pytest.skip``/``skipif`` (a missing-tool skip names the tool, so ``*ethtool*`` matches it).
An entry without a why is an error, so is a malformed line.
"""

import fnmatch
import os

ALLOWED_SKIPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "allowed_skips.txt")


class AllowListError(ValueError):
    pass


def gate_active(environ=None):
    environ = os.environ if environ is None else environ
    return environ.get("KCRASH_SKIP_GATE") == "1" or environ.get("CI", "").lower() == "true"


def parse_allow_list(text, source="allowed_skips.txt"):
    """``[(node_glob, reason_glob, why)]`` from the allow-list text."""
    entries = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split(" | ")]
        if len(parts) != 3 or not all(parts):
            raise AllowListError("%s:%d: want '<node id glob> | <reason glob> | <why>', got %r"
                                 % (source, n, line))
        entries.append(tuple(parts))
    return entries


def skip_reason(report):
    """The reason text of a skipped test or collection report."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = str(longrepr)
    if reason.startswith("Skipped: "):
        reason = reason[len("Skipped: "):]
    return reason


def unexpected(skips, entries):
    """The ``(node id, reason)`` pairs of ``skips`` that no entry allows."""
    return [(node, reason) for node, reason in skips
            if not any(fnmatch.fnmatchcase(node, ng) and fnmatch.fnmatchcase(reason, rg)
                       for ng, rg, _why in entries)]


_SKIPS = []


def _record(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPS.append((report.nodeid, skip_reason(report)))


def pytest_runtest_logreport(report):
    _record(report)


def pytest_collectreport(report):
    _record(report)


def _verdict():
    path = os.environ.get("KCRASH_ALLOWED_SKIPS", ALLOWED_SKIPS)
    try:
        with open(path, encoding="utf-8") as f:
            entries = parse_allow_list(f.read(), path)
    except (OSError, AllowListError) as e:
        return None, str(e)
    return unexpected(_SKIPS, entries), path


def pytest_sessionfinish(session, exitstatus):
    if not gate_active():
        return
    bad, _where = _verdict()
    if (bad is None or bad) and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not gate_active():
        return
    bad, where = _verdict()
    tr = terminalreporter
    if bad is None:
        tr.write_sep("=", "skip gate: cannot read the allow-list", red=True)
        tr.write_line(where)
    elif bad:
        tr.write_sep("=", "skip gate: %d skip(s) not allowed by %s" % (len(bad), where), red=True)
        for node, reason in bad:
            tr.write_line("UNEXPECTED SKIP %s: %s" % (node, reason))
    else:
        tr.write_line("skip gate: %d skip(s), all allowed by %s" % (len(_SKIPS), where))
