# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Report files: timestamped per run, latest copies, kcrash_report_keep runs kept; run metadata
(AWX job from its extra variables)."""

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.kcrash.nfqueue.plugins.module_utils import report_record
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils import report_files


def test_history_keeps_the_newest_runs_and_refreshes_the_latest_copy(tmp_path):
    d = str(tmp_path)
    (tmp_path / "kcrash-exposure-notes.txt").write_text("not ours")
    for i, run_id in enumerate(("20261201T000000Z", "20261203T000000Z", "20261202T000000Z")):
        latest, stamped, removed = report_files.write(d, "kcrash-exposure", run_id,
                                                      {"json": "{%d}" % i, "rules.csv": "r%d" % i}, keep=2)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["kcrash-exposure-20261202T000000Z.json", "kcrash-exposure-20261202T000000Z.rules.csv",
                     "kcrash-exposure-20261203T000000Z.json", "kcrash-exposure-20261203T000000Z.rules.csv",
                     "kcrash-exposure-notes.txt", "kcrash-exposure.json", "kcrash-exposure.rules.csv"]
    # the latest copy is the last write (the run that just ended), whatever its stamp
    assert (tmp_path / "kcrash-exposure.json").read_text() == "{2}"
    assert [r.rsplit("/", 1)[1] for r in removed] == ["kcrash-exposure-20261201T000000Z.json",
                                                      "kcrash-exposure-20261201T000000Z.rules.csv"]
    report_files.write(d, "kcrash-exposure", "20261204T000000Z", {"json": "{3}"}, keep=1)
    assert not (tmp_path / "kcrash-exposure-20261203T000000Z.json").exists()
    assert (tmp_path / "kcrash-exposure-20261204T000000Z.json").exists()


def test_a_second_write_of_the_same_run_replaces_its_files(tmp_path):
    for text in ("interim", "final"):
        report_files.write(str(tmp_path), "remediation-apply", "20261201T000000Z", {"json": text}, keep=10)
    assert (tmp_path / "remediation-apply-20261201T000000Z.json").read_text() == "final"
    assert len(list(tmp_path.iterdir())) == 2


def test_awx_metadata_from_its_extra_variables():
    tv = {"tower_job_id": 42, "awx_job_id": 42, "awx_job_launch_type": "scheduled",
          "awx_job_template_name": "Detect drift", "awx_user_name": "ops", "awx_project_revision": "abc123",
          "kcrash_awx_url": "https://awx.example.net/", "awx_inventory_name": "prod", "kcrash_strategy": "offload",
          "ansible_limit": "web*", "ansible_inventory_sources": ["/runner/inventory/hosts"]}
    run = report_record.run(tv, "20261201T000000Z", "2026-12-01T00:00:00Z", None)
    assert run["awx"] == {"job_id": 42, "job_url": "https://awx.example.net/#/jobs/playbook/42/output",
                          "launch_type": "scheduled", "template_name": "Detect drift", "user": "ops",
                          "project_revision": "abc123", "inventory_name": "prod", "workflow_job_id": None}
    assert run["strategy"] == "offload" and run["limit"] == "web*"
    assert run["variables"] == {"kcrash_strategy": "offload"}
    assert report_record.run({}, "20261201T000000Z", None, None)["awx"] is None


def test_collection_version_is_read_from_the_collection():
    import re
    v = report_files.collection_version()
    assert v and re.match(r"^[0-9]+\.[0-9]+\.[0-9]+", v)


def test_collection_version_of_an_installed_collection(tmp_path, monkeypatch):
    (tmp_path / "MANIFEST.json").write_text('{"format": 1, "collection_info": {"namespace": "kcrash", '
                                            '"name": "nfqueue", "version": "1.2.3"}}')
    monkeypatch.setattr(report_files, "_COLLECTION_ROOT", str(tmp_path))
    assert report_files.collection_version() == "1.2.3"


def test_keep_below_one_fails_the_task_naming_the_report():
    assert report_files.checked_keep("exposure report", 1) == 1
    with pytest.raises(AnsibleActionFail) as e:
        report_files.checked_keep("exposure report", 0)
    assert str(e.value) == "exposure report: keep must be 1 or more (got 0)"


def test_a_directory_that_cannot_be_made_fails_the_task_naming_it(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    bad = str(tmp_path / "file" / "reports")
    with pytest.raises(AnsibleActionFail) as e:
        report_files.write_or_fail("remediation report", bad, "remediation-check", "20261206T000000Z",
                                   {"json": "{}"}, 10)
    assert str(e.value).startswith("remediation report: cannot write under %s: " % bad)
    assert "Not a directory" in str(e.value)
