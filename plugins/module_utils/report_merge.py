# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One fleet report from several schema-v1 reports of one kind and mode (AWX job slices,
inventory partitions, separate runs).

Pure. Per host the record with the newest ``answered_at`` wins (a record without one dates
from its report's ``generated``; on a tie the later input wins). A host answered differently
by several reports (status, verdicts, outcome, strategy or actions differ) is listed in
``conflicts`` with every answer, so a merge never hides a disagreement. Counts are recomputed
from the kept records; the result is a schema-v1 document (plus ``merged_from`` and
``conflicts``), so the same renderers apply.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import report_record as record
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.remediation_report import OUTCOMES
from ansible_collections.kcrash.nfqueue.plugins.module_utils.report import rank as detect_rank

#: record fields whose difference between two answers for one host is a conflict
ANSWER_FIELDS = ("status", "verdict", "verdict_after", "outcome", "strategy", "actions")


def _answer(row):
    return dict((k, row.get(k)) for k in ANSWER_FIELDS)


def _check(report, where):
    if not isinstance(report, dict) or not isinstance(report.get("hosts"), list):
        raise KcrashInputError(where, "is not a kcrash.nfqueue report (no hosts list)")
    if report.get("schema") != record.SCHEMA:
        raise KcrashInputError(where, "schema %r is not %s" % (report.get("schema"), record.SCHEMA))
    for row in report["hosts"]:
        if not isinstance(row, dict) or not isinstance(row.get("host"), str) or not row["host"]:
            raise KcrashInputError(where, "has a host record without a host name: %r" % (row,))
    return report


def _sort_key(kind):
    if kind == "remediate":
        order = dict((o, n) for n, o in enumerate(OUTCOMES))
        return lambda r: (order.get(r.get("outcome"), len(order)), r["host"])
    return lambda r: (detect_rank(r), r["host"])


def merge(reports, sources=None):
    """Merged report. ``sources`` names the inputs (file paths) in the same order."""
    if not isinstance(reports, (list, tuple)) or not reports:
        raise KcrashInputError("reports", "must be a non-empty list of reports")
    sources = list(sources) if sources is not None else ["report %d" % i for i in range(len(reports))]
    if len(sources) != len(reports):
        raise KcrashInputError("sources", "must name every report (%d names, %d reports)"
                               % (len(sources), len(reports)))
    reports = [_check(r, sources[i]) for i, r in enumerate(reports)]
    kinds = sorted(set((r.get("kind"), r.get("mode")) for r in reports))
    if len(kinds) > 1:
        raise KcrashInputError("reports", "mix kinds/modes %s: merge reports of one kind and mode"
                               % ", ".join("%s/%s" % km for km in kinds))
    kind, mode = kinds[0]
    candidates = {}
    for i, rep in enumerate(reports):
        for row in rep["hosts"]:
            when = row.get("answered_at") or rep.get("generated") or ""
            candidates.setdefault(row["host"], []).append((when, i, row))
    rows = []
    conflicts = []
    for host in sorted(candidates):
        answers = sorted(candidates[host], key=lambda c: (c[0], c[1]))
        rows.append(answers[-1][2])
        distinct = []
        for dummy, dummy2, row in answers:
            if _answer(row) not in distinct:
                distinct.append(_answer(row))
        if len(distinct) > 1:
            conflicts.append({"host": host, "kept": sources[answers[-1][1]],
                              "answers": [dict(_answer(row), source=sources[i], answered_at=when)
                                          for when, i, row in answers]})
    rows.sort(key=_sort_key(kind))
    newest = max(range(len(reports)), key=lambda i: (reports[i].get("generated") or "", i))
    drift = sum(1 for r in rows if r.get("outcome") == "drift") if mode == "check" else None
    merged = record.document(kind, mode, reports[newest].get("title") or "kcrash.nfqueue report",
                             reports[newest].get("generated"), reports[newest].get("run"), rows,
                             all(r.get("complete") for r in reports), drift)
    merged["merged_from"] = [{"source": sources[i], "generated": r.get("generated"), "total": len(r["hosts"]),
                              "run_id": (r.get("run") or {}).get("id")} for i, r in enumerate(reports)]
    merged["conflicts"] = conflicts
    return merged
