# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One fleet report from several remediation reports (AWX job slices, ``--limit`` partitions,
separate runs).

Pure. Each input is a remediation report as its JSON file holds it (``remediation_report``).
Per host the row of the newest report (its ``generated`` time; on a tie the later input)
wins. A host answered differently by several reports (outcome, levels or actions differ) is
listed in ``conflicts`` with every answer, so a merge never hides a disagreement. Counts are
recomputed from the kept rows; the result has the shape of one report, so the same renderers
(CSV, HTML) apply.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.remediation_report import OUTCOMES

#: row fields whose difference between two answers for one host is a conflict
ANSWER_FIELDS = ("outcome", "level_before", "level_after", "actions", "strategy")


def _answer(row):
    return dict((k, row.get(k)) for k in ANSWER_FIELDS)


def _check(report, index):
    where = "report %d" % index
    if not isinstance(report, dict) or not isinstance(report.get("hosts"), list):
        raise KcrashInputError(where, "is not a remediation report (no hosts list)")
    if report.get("mode") not in ("check", "apply"):
        raise KcrashInputError(where, "mode must be check or apply (got %r)" % (report.get("mode"),))
    for row in report["hosts"]:
        if not isinstance(row, dict) or not isinstance(row.get("host"), str) or not row["host"]:
            raise KcrashInputError(where, "has a host row without a host name: %r" % (row,))
    return report


def _tally(values):
    out = {}
    for v in values:
        if v:
            out[v] = out.get(v, 0) + 1
    return out


def merge(reports, sources=None):
    """Merged report dict. ``sources`` names the inputs (file paths) in the same order."""
    if not isinstance(reports, (list, tuple)) or not reports:
        raise KcrashInputError("reports", "must be a non-empty list of remediation reports")
    sources = list(sources) if sources is not None else ["report %d" % i for i in range(len(reports))]
    if len(sources) != len(reports):
        raise KcrashInputError("sources", "must name every report (%d names, %d reports)"
                               % (len(sources), len(reports)))
    reports = [_check(r, i) for i, r in enumerate(reports)]
    # oldest first, so a newer answer replaces an older one (stable: on a tie the later input)
    order = sorted(range(len(reports)), key=lambda i: reports[i].get("generated") or "")
    kept = {}
    answers = {}
    for i in order:
        for row in reports[i]["hosts"]:
            kept[row["host"]] = (i, row)
            answers.setdefault(row["host"], []).append(
                dict(_answer(row), source=sources[i], generated=reports[i].get("generated")))
    conflicts = []
    for host in sorted(answers):
        distinct = []
        for a in answers[host]:
            if _answer(a) not in distinct:
                distinct.append(_answer(a))
        if len(distinct) > 1:
            conflicts.append({"host": host, "kept": sources[kept[host][0]], "answers": answers[host]})
    rank = dict((o, n) for n, o in enumerate(OUTCOMES))
    rows = sorted((row for dummy, row in kept.values()),
                  key=lambda r: (rank.get(r.get("outcome"), len(rank)), r["host"]))
    modes = sorted(set(r["mode"] for r in reports))
    mode = modes[0] if len(modes) == 1 else "mixed"
    outcomes = _tally(r.get("outcome") for r in rows)
    newest = reports[order[-1]]
    merged = dict((k, v) for k, v in newest.items() if k not in ("hosts", "generated"))
    merged.update({
        "mode": mode,
        "generated": newest.get("generated"),
        "hosts_total": len(rows),
        "drift": outcomes.get("drift", 0) if mode == "check" else None,
        "outcomes": outcomes,
        "levels_before": _tally(r.get("level_before") for r in rows),
        "levels_after": _tally(r.get("level_after") for r in rows),
        "hosts": rows,
        "merged_from": [{"source": sources[i], "generated": reports[i].get("generated"),
                         "mode": reports[i]["mode"], "hosts_total": len(reports[i]["hosts"])}
                        for i in range(len(reports))],
        "conflicts": conflicts,
    })
    return merged
