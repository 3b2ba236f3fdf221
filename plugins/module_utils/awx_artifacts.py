# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AWX job artifacts (``set_stats``) from a schema-v1 fleet report.

Pure. AWX keeps a job's artifacts in its database, shows them on the job page and passes them
to the next nodes of a workflow as extra vars: they must stay small whatever the fleet size.
So the artifact carries the report's counts for the whole fleet and per-host lines only for
the first ``max_hosts`` hosts in the report's order (worst first; compliant / not exposed
hosts never get a line), with the number left out; the full answer is the report file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError

#: hosts that need no line of their own: nothing to do there
QUIET_OUTCOMES = ("compliant",)
QUIET_VERDICTS = ("not_exposed",)

ARTIFACT_SCHEMA = 1


def _quiet(row):
    if row.get("outcome") is not None:
        return row["outcome"] in QUIET_OUTCOMES
    return row.get("status") == "ok" and row.get("verdict") in QUIET_VERDICTS


def artifacts(report, max_hosts=100, paths=None):
    """The ``kcrash_nfqueue`` artifact of a report (the JSON document as a dict).

    Per-host lines: ``{host, status, verdict, outcome, actions, changed}``. Counts: the
    report's ``counts`` (status, verdict, verdict_after, action, outcome, changed,
    crashed_before) and ``drift`` (check mode; null otherwise).
    """
    if not isinstance(report, dict) or not isinstance(report.get("hosts"), list) \
            or not isinstance(report.get("counts"), dict):
        raise KcrashInputError("report", "must be a kcrash.nfqueue report (hosts and counts)")
    if isinstance(max_hosts, bool) or not isinstance(max_hosts, int) or max_hosts < 0:
        raise KcrashInputError("max_hosts", "must be a whole number >= 0 (got %r)" % (max_hosts,))
    lines = []
    for row in report["hosts"]:
        if not isinstance(row, dict) or not row.get("host"):
            raise KcrashInputError("report", "host record without a host name: %r" % (row,))
        if not _quiet(row):
            lines.append({"host": row["host"], "status": row.get("status"), "verdict": row.get("verdict"),
                          "outcome": row.get("outcome"), "actions": list(row.get("actions") or []),
                          "changed": bool(row.get("changed"))})
    out = {
        "schema": ARTIFACT_SCHEMA,
        "report_schema": report.get("schema"),
        "kind": report.get("kind"),
        "mode": report.get("mode"),
        "generated": report.get("generated"),
        "complete": report.get("complete"),
        "hosts_total": len(report["hosts"]),
        "counts": dict(report["counts"]),
        "drift": report.get("drift"),
        "hosts": lines[:max_hosts],
        "hosts_left_out": max(0, len(lines) - max_hosts),
    }
    if paths:
        out["report"] = dict(paths)
    return out
