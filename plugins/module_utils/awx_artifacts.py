# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX job artifacts (``set_stats``) from remediate.yml's fleet report.

Pure. AWX keeps a job's artifacts in its database, shows them on the job page and passes them
to the next nodes of a workflow as extra vars: they must stay small whatever the fleet size.
So the artifact carries counts for the whole fleet and per-host lines only for the first
``max_hosts`` hosts in the report's order (worst outcome first; compliant hosts never get a
line), with the number left out; the full answer is the report file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError

#: outcomes that need no line of their own in the artifact
QUIET_OUTCOMES = ("compliant",)

ARTIFACT_SCHEMA = 1


def _changed(row):
    results = row.get("results") or {}
    return any(isinstance(r, dict) and r.get("changed") for r in results.values())


def artifacts(report, max_hosts=100, paths=None):
    """The ``kcrash_nfqueue`` artifact of a remediation report (the JSON document as a dict).

    Per-host lines: ``{host, outcome, actions, changed}``. Counts: ``outcomes`` (every host),
    ``changed`` (hosts a strategy changed; in check mode: would change, as Ansible's recap
    counts it), ``drift`` (check mode; null in a real run).
    """
    if not isinstance(report, dict) or not isinstance(report.get("hosts"), list):
        raise KcrashInputError("report", "must be a remediation report with a hosts list")
    if isinstance(max_hosts, bool) or not isinstance(max_hosts, int) or max_hosts < 0:
        raise KcrashInputError("max_hosts", "must be a whole number >= 0 (got %r)" % (max_hosts,))
    lines = []
    changed = 0
    for row in report["hosts"]:
        if not isinstance(row, dict) or not row.get("host"):
            raise KcrashInputError("report", "host row without a host name: %r" % (row,))
        is_changed = _changed(row)
        changed += int(is_changed)
        if row.get("outcome") in QUIET_OUTCOMES:
            continue
        lines.append({"host": row["host"], "outcome": row.get("outcome"),
                      "actions": list(row.get("actions") or []), "changed": is_changed})
    out = {
        "schema": ARTIFACT_SCHEMA,
        "mode": report.get("mode"),
        "generated": report.get("generated"),
        "hosts_total": len(report["hosts"]),
        "outcomes": dict(report.get("outcomes") or {}),
        "drift": report.get("drift"),
        "changed": changed,
        "hosts": lines[:max_hosts],
        "hosts_left_out": max(0, len(lines) - max_hosts),
    }
    if paths:
        out["report"] = dict(paths)
    return out
