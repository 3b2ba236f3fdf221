# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the drift count of a remediate.yml run's report (scripts/matrix.sh live step).

    matrix_report.py REPORT_DIR MODE drift|zero

MODE is the report's mode (check or apply: remediation-<MODE>.json). `drift` wants at least
one drifting host, `zero` wants none. Prints the per-host outcomes either way.
"""
import json
import os
import sys


def main(report_dir, mode, want):
    path = os.path.join(report_dir, "remediation-%s.json" % mode)
    with open(path, encoding="utf-8") as f:
        rep = json.load(f)
    outcomes = ", ".join("%s=%s" % (h["host"], h["outcome"]) for h in rep["hosts"])
    print("%s: drift=%s (%s)" % (path, rep["drift"], outcomes))
    if want == "zero" and rep["drift"] != 0:
        print("expected zero drift after the real run", file=sys.stderr)
        return 1
    if want == "drift" and rep["drift"] < 1:
        print("expected drift on the exposed lab hosts before the real run", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
