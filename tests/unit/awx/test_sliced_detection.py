# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Job slicing: detection run as N partitions of the inventory, as AWX runs the slices of a
sliced job (each slice is a job of its own, with its own awx_job_id, whose inventory holds
every N-th host: awx Inventory.get_sliced_hosts), one report per slice, merged with
kcrash.nfqueue.report_merge, equals the report of the unsliced run (modulo run metadata).

(Partitions by --limit alone are not what AWX does, and would also keep the report play,
which runs on localhost, from running: see docs/user-guide.md.)

Real ansible-playbook, four real lab containers (lab/README.md), podman connection.
"""

import json
import os
import subprocess

from awx_launch import job_cli_args, survey_extra_vars, templates
from conftest import ANSIBLE_PLAYBOOK, CONTAINERS_CONF, bundled_collections, lab_hosts
from report_fleet import validate

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
IMAGES = ("incident", "modern", "bare", "clean")
RUN_METADATA = ("generated", "run", "merged_from", "conflicts")


def write_inventory(tmp_path, names, hosts):
    inv = {"all": {"hosts": dict((img, {"ansible_connection": "containers.podman.podman",
                                        "ansible_host": names[img]}) for img in hosts)}}
    (tmp_path / "inventory.json").write_text(json.dumps(inv))


def playbook(tmp_path, name, args, extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=bundled_collections(), ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="false", CONTAINERS_CONF=CONTAINERS_CONF,
               ANSIBLE_LOCALHOST_WARNING="false")
    env.pop("ANSIBLE_CONFIG", None)
    (tmp_path / "extra.json").write_text(json.dumps(extra))
    p = subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(tmp_path / "inventory.json"),
                        os.path.join(REPO, "playbooks", name), "-e", "@%s" % (tmp_path / "extra.json")] + list(args),
                       cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600, check=False)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    return p.stdout


def load(path):
    """A report of a lab run (slice, whole or merged), validated against the schema."""
    with open(str(path)) as f:
        return validate(json.load(f))


def strip(report):
    """The report without what differs between two runs of the same detection: when each file
    was written, the run's own record, when each host answered."""
    out = dict((k, v) for k, v in report.items() if k not in RUN_METADATA)
    out["hosts"] = [dict((k, v) for k, v in h.items() if k != "answered_at") for h in report["hosts"]]
    return out


def test_sliced_detection_merges_to_the_unsliced_report(tmp_path):
    tpl = templates()["Detect drift"]
    with lab_hosts("kawx-slice", IMAGES) as names:
        write_inventory(tmp_path, names, IMAGES)
        whole = tmp_path / "whole"
        detect = dict(survey_extra_vars(tpl, {"kcrash_report_dir": str(whole)}))  # no fail on drift here
        playbook(tmp_path, "remediate.yml", job_cli_args(tpl), detect)
        unsliced = load(whole / "remediation-check.json")

        sliced = tmp_path / "slices"
        hosts = sorted(IMAGES)
        for n, job_id in ((0, 101), (1, 102)):   # AWX: slice n of 2 gets every 2nd host
            write_inventory(tmp_path, names, hosts[n::2])
            playbook(tmp_path, "remediate.yml", job_cli_args(tpl),
                     dict(detect, kcrash_report_dir=str(sliced), awx_job_id=job_id))
            rep = load(sliced / ("remediation-job%d-check.json" % job_id))
            assert [h["host"] for h in rep["hosts"]] != [], "slice %d wrote no report" % n
            # AWX's job id (an extra variable AWX sets) is the run's, in the report of a real run
            assert rep["run"]["awx"]["job_id"] == job_id and rep["run"]["awx"]["job_url"] is None
        out = playbook(tmp_path, "report_merge.yml", [], {"kcrash_report_dir": str(sliced)})
        merged = load(sliced / "merged-check.json")

    assert "4 host(s) from 2 report(s)" in out
    assert merged["conflicts"] == []
    assert sorted(s["source"] for s in merged["merged_from"]) == [
        str(sliced / "remediation-job101-check.json"), str(sliced / "remediation-job102-check.json")]
    assert strip(merged) == strip(unsliced)
    assert [h["host"] for h in merged["hosts"]] and len(merged["hosts"]) == 4
    assert (sliced / "merged-check.csv").exists() and (sliced / "merged-check.html").exists()
