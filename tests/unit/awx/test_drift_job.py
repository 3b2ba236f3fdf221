# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The "Detect drift" job on a lab host: kcrash_fail_on_drift fails the check run after the
report is written when a host drifts, and passes once the host is remediated; the job's
artifacts (set_stats) say the same per host.

Real ansible-playbook, real lab container (``incident``: LRO on through the lab's recorded
ethtool stand-in, the seed's NFQUEUE rule; see lab/README.md), podman connection.
"""

import json
import os

from awx_launch import job_cli_args, launch_json, survey_extra_vars, templates
from conftest import lab_hosts
from report_fleet import validate


def run(tmp_path, container, args, extra):
    inv = {"all": {"hosts": {"incident": {"ansible_connection": "containers.podman.podman",
                                          "ansible_host": container}}}}
    return launch_json(tmp_path, "remediate.yml", inv, args, extra)


def failed_tasks(out):
    return [t["task"]["name"] for play in out["plays"] for t in play["tasks"]
            for h in t["hosts"].values() if h.get("failed")]


def test_detect_drift_fails_on_a_drifted_host_and_passes_once_remediated(tmp_path):
    tpl = templates()["Detect drift"]
    report_dir = tmp_path / "reports"
    detect_vars = dict(tpl["extra_vars"], **survey_extra_vars(tpl, {"kcrash_report_dir": str(report_dir)}))
    assert detect_vars["kcrash_fail_on_drift"] is True
    with lab_hosts("kawx-drift", ["incident"]) as names:
        rc, out = run(tmp_path, names["incident"], job_cli_args(tpl), detect_vars)
        assert rc != 0
        assert failed_tasks(out) == ["Fail the check run on drift (kcrash_fail_on_drift)"]
        with open(str(report_dir / "remediation-check.json")) as f:
            report = validate(json.load(f))
        assert [(h["host"], h["outcome"]) for h in report["hosts"]] == [("incident", "drift")]
        stats = out["global_custom_stats"]["kcrash_nfqueue"]
        assert stats["drift"] == 1 and stats["counts"]["changed"] == 0 and stats["mode"] == "check"
        assert stats["hosts"] == [{"host": "incident", "status": "ok", "verdict": "exposed", "outcome": "drift",
                                   "actions": ["offload"], "changed": False}]

        os.unlink(str(report_dir / "remediation-check.json"))
        remediate = templates()["Remediate"]
        rc, out = run(tmp_path, names["incident"], job_cli_args(remediate),
                      survey_extra_vars(remediate, {"kcrash_confirm": "yes", "kcrash_report_dir": str(report_dir)}))
        assert rc == 0, failed_tasks(out)
        stats = out["global_custom_stats"]["kcrash_nfqueue"]
        assert stats["mode"] == "apply" and stats["counts"]["changed"] == 1
        assert stats["hosts"] == [{"host": "incident", "status": "ok", "verdict": "exposed", "outcome": "remediated",
                                   "actions": ["offload"], "changed": True}]

        rc, out = run(tmp_path, names["incident"], job_cli_args(tpl), detect_vars)
        assert rc == 0, failed_tasks(out)
        with open(str(report_dir / "remediation-check.json")) as f:
            report = validate(json.load(f))
        assert [(h["host"], h["outcome"]) for h in report["hosts"]] == [("incident", "compliant")]
        stats = out["global_custom_stats"]["kcrash_nfqueue"]
        assert stats["drift"] == 0 and stats["hosts"] == [] and stats["counts"]["outcome"] == {"compliant": 1}
