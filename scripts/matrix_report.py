# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the reports of lab runs: every report JSON in a directory valid against the schema,
and the drift count of a remediate.yml run's report (scripts/matrix.sh live step).

    matrix_report.py REPORT_DIR MODE drift|zero
    matrix_report.py REPORT_DIR            (validation only: scripts/demo-job.sh, the galaxy gate)

Every report JSON in REPORT_DIR (detect's and remediate's, latest and timestamped: the runs so
far) is validated against docs/schema/report-v1.json first. MODE is the report's mode (check or
apply: remediation-<MODE>.json). `drift` wants at least one drifting host, `zero` wants none.
Prints the per-host outcomes either way.
"""
import glob
import json
import os
import sys

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "schema", "report-v1.json")


def validate_all(report_dir):
    """Validate every report JSON in ``report_dir``; returns how many, raises on the first bad one."""
    import jsonschema
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    paths = sorted(glob.glob(os.path.join(report_dir, "kcrash-exposure*.json"))
                   + glob.glob(os.path.join(report_dir, "remediation-*.json")))
    for path in paths:
        with open(path, encoding="utf-8") as f:
            try:
                validator.validate(json.load(f))
            except jsonschema.ValidationError as e:
                raise SystemExit("%s does not validate against %s: %s at %s"
                                 % (path, SCHEMA, e.message, "/".join(str(x) for x in e.absolute_path)))
    return len(paths)


def main(report_dir, mode=None, want=None):
    count = validate_all(report_dir)
    print("%d report(s) in %s valid against docs/schema/report-v1.json" % (count, report_dir))
    if mode is None:
        return 0 if count else 1
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
