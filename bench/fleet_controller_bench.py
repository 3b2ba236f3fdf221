# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side cost of a large fleet in remediate.yml's once-per-play steps, and of the
AWX results: planning (choose_strategies' plan_fleet), the report (remediation_report.build
and its JSON), the merge of slice reports (report_merge.merge) and the AWX artifact
(awx_artifacts). Pure Python on this machine; no host is contacted.

Hosts are the four recorded lab answers (tests/unit/fixtures/report/lab-*.json) repeated
under new names. Prints figures; asserts nothing about time.

  .venv/bin/python bench/fleet_controller_bench.py [--hosts 10000] [--slices 4]
"""

import argparse
import json
import os
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, ".build", "pytest-collections"))

from ansible_collections.kcrash.nfqueue.plugins.module_utils import remediation_report  # noqa: E402
from ansible_collections.kcrash.nfqueue.plugins.module_utils.awx_artifacts import artifacts  # noqa: E402
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy.fleet import plan_fleet  # noqa: E402
from ansible_collections.kcrash.nfqueue.plugins.module_utils.report_merge import merge  # noqa: E402

FIXTURES = os.path.join(REPO, "tests", "unit", "fixtures", "report")
LAB = ("incident", "modern", "bare", "clean")


def timed(func, *args):
    t0 = time.perf_counter()
    out = func(*args)
    return out, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--hosts", type=int, default=10000)
    ap.add_argument("--slices", type=int, default=4)
    args = ap.parse_args()
    facts = {}
    for name in LAB:
        with open(os.path.join(FIXTURES, "lab-%s.json" % name)) as f:
            facts[name] = json.load(f)
    names = ["host%05d" % i for i in range(args.hosts)]
    inputs = dict((n, {"facts": facts[LAB[i % len(LAB)]], "vars": {}}) for i, n in enumerate(names))

    plans, t_plan = timed(plan_fleet, inputs)
    hosts = dict((n, {"plan": plans[n]["plan"], "before": plans[n]["before"]}) for n in names)
    report, t_build = timed(remediation_report.build, hosts, True)
    text, t_json = timed(remediation_report.to_json, report)
    slices = []
    for s in range(args.slices):
        part = dict((n, hosts[n]) for n in names[s::args.slices])
        slices.append(json.loads(remediation_report.to_json(remediation_report.build(part, True))))
    merged, t_merge = timed(merge, slices)
    art, t_art = timed(artifacts, report, 100)
    print("hosts %d (the 4 lab answers repeated), check mode" % args.hosts)
    print("plan_fleet (choose_strategies)      %7.2f s  (%.2f ms/host)" % (t_plan, 1000 * t_plan / args.hosts))
    print("report build                        %7.2f s  (%.2f ms/host)" % (t_build, 1000 * t_build / args.hosts))
    print("report JSON                         %7.2f s  %.1f MB" % (t_json, len(text) / 1e6))
    print("merge of %d slice reports            %7.2f s  conflicts %d, hosts %d"
          % (args.slices, t_merge, len(merged["conflicts"]), merged["total"]))
    print("AWX artifact (100 lines)            %7.3f s  %d bytes of JSON" % (t_art, len(json.dumps(art))))


if __name__ == "__main__":
    main()
