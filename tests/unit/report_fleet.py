# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet reports for tests and benches: schema validation, CSV counts, and a generated fleet
of N hosts built from the recorded facts of the four lab hosts (tests/unit/fixtures/report)."""

import copy
import csv
import io
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SCHEMA = os.path.join(REPO, "docs", "schema", "report-v1.json")
LAB = ("incident", "modern", "bare", "clean")


def schema():
    with open(SCHEMA) as f:
        return json.load(f)


def validate(report):
    """Validate a report dict (or JSON text) against docs/schema/report-v1.json (itself first
    checked against the draft-07 meta-schema it names: a broken schema must not pass)."""
    import jsonschema
    if isinstance(report, str):
        report = json.loads(report)
    s = schema()
    jsonschema.Draft7Validator.check_schema(s)
    jsonschema.Draft7Validator(s, format_checker=jsonschema.FormatChecker()).validate(report)
    return report


def lab_facts(name):
    with open(os.path.join(HERE, "fixtures", "report", "lab-%s.json" % name)) as f:
        return json.load(f)


def csv_counts(text):
    """Counts recomputed from the hosts CSV alone (an independent reading of the flat columns)."""
    c = {"status": {}, "verdict": {}, "verdict_after": {}, "action": {}, "outcome": {}, "changed": 0,
         "crashed_before": 0}
    for row in csv.DictReader(io.StringIO(text)):
        for key in ("status", "verdict", "verdict_after", "outcome"):
            if row[key]:
                c[key][row[key]] = c[key].get(row[key], 0) + 1
        acts = [a for a in ("offload", "drop", "kernel") if row["action_" + a] == "yes"] or ["none"]
        for a in acts:
            c["action"][a] = c["action"].get(a, 0) + 1
        c["changed"] += row["changed"] == "yes"
        c["crashed_before"] += row["crashed_before"] == "yes"
    return c


KERNELS = ("2.6.32-358.el6.x86_64", "2.6.32-431.17.1.el6.x86_64", "2.6.32-573.7.1.el6.x86_64",
           "2.6.32-642.6.2.el6.x86_64")


def detection_results(n):
    """{host: registered exposure_facts result} for ``n`` hosts: every 50th unreachable, every
    77th failed, the rest cycling through the recorded lab hosts, with el6 kernels varied."""
    base = dict((name, lab_facts(name)) for name in LAB)
    out = {}
    for i in range(n):
        name = "web%04d.dc%d.example.net" % (i, i % 3)
        if i % 50 == 7:
            out[name] = {"unreachable": True, "msg": "ssh: connect to host %s port 22: No route to host" % name}
            continue
        if i % 77 == 5:
            out[name] = {"failed": True, "msg": "host %s: cannot parse output of 'iptables-legacy-save' (line 2)" % name}
            continue
        kind = LAB[i % 4]
        facts = copy.deepcopy(base[kind])
        if kind == "incident":
            release = KERNELS[i // 4 % len(KERNELS)]
            facts["kernel"]["release"] = release
            facts["exposure"]["reasons"] = [r.replace(KERNELS[0], release) for r in facts["exposure"]["reasons"]]
        facts["probe"]["answered_at"] = "2026-12-06T02:%02d:%02dZ" % (i // 60 % 60, i % 60)
        out[name] = {"changed": False, "ansible_facts": {"kcrash_nfqueue": facts}}
    return out


def remediation_hosts(n):
    """{host: {plan, before, after, results, detection}} for remediate's report: the generated
    detection fleet planned with the real planner (offload / drop / none by host), most
    exposed hosts remediated (after = the clean lab host's facts), every 9th apply failed."""
    from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy.choose import choose_strategy
    after_ok = lab_facts("clean")
    out = {}
    for i, (name, res) in enumerate(sorted(detection_results(n).items())):
        facts = (res.get("ansible_facts") or {}).get("kcrash_nfqueue")
        if facts is None:
            out[name] = {"plan": None, "before": None, "detection": res}
            continue
        strategy = ("offload", "drop", "none")[i % 3]
        plan = choose_strategy(facts, strategy=strategy)
        entry = {"plan": plan, "before": facts, "results": {}}
        if "offload" in plan["actions"]:
            entry["results"]["offload"] = {
                "changed": True, "msg": "changed runtime: eth0 lro off; files: /etc/sysconfig/network-scripts/ifcfg-eth0",
                "runtime_commands": ["ethtool -K eth0 lro off"],
                "files": [{"path": "/etc/sysconfig/network-scripts/ifcfg-eth0", "action": "update"}],
                "backup_dir": "/var/backups/kcrash-nfqueue/offload-20261206T0245%02dZ" % (i % 60)}
        if "drop" in plan["actions"]:
            entry["results"]["drop"] = {
                "changed": True, "msg": "replaced 1 rule(s) by -j DROP",
                "changes": [{"table": "mangle", "chain": "PREROUTING", "rule": "-A PREROUTING ... -j NFQUEUE",
                             "new_rule": "-A PREROUTING ... -j DROP"}],
                "files": [{"path": "/etc/sysconfig/iptables"}],
                "backup_dir": "/var/backups/kcrash-nfqueue/drop/20261206T0245%02dZ-1a2b3c4d" % (i % 60)}
        if plan["actions"]:
            if i % 9 == 0:
                for r in entry["results"].values():
                    r.update(failed=True, changed=False, msg="host %s: apply failed (rc 1), rules and files put back" % name)
            else:
                entry["after"] = copy.deepcopy(after_ok)
        out[name] = entry
    return out
