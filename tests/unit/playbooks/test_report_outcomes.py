# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fleet report in every outcome, with the real ansible-playbook (no lab needed): every host
unreachable (detect.yml and remediate.yml), `-l host` without localhost, and a read-only
detection that shows changed=0 on the host. A stale report of an earlier run claiming success
must be replaced. Unreachable hosts: ssh to a closed port on 127.0.0.1; the reachable host is
this controller over the local connection (the detection probe is read-only)."""

import json
import os
import re
import subprocess
import sys
import time

import yaml
from ansible.release import __version__ as core_version
from conftest import COLLECTIONS, REPO
from report_fleet import validate

BIN = os.path.dirname(sys.executable)

INVENTORY = """all:
  hosts:
    gone1: {ansible_host: 127.0.0.1, ansible_port: 1, ansible_connection: ssh, ansible_user: nobody}
    gone2: {ansible_host: 127.0.0.1, ansible_port: 1, ansible_connection: ssh, ansible_user: nobody}
    here: {ansible_connection: local, ansible_python_interpreter: %s}
""" % sys.executable


def play(tmp_path, playbook, *args):
    (tmp_path / "inv.yml").write_text(INVENTORY)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_HOST_KEY_CHECKING="false",
               ANSIBLE_SSH_ARGS="-o ConnectTimeout=3 -o BatchMode=yes")
    env.pop("ANSIBLE_CONFIG", None)
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", str(tmp_path / "inv.yml"), playbook,
           "-e", "kcrash_report_dir=%s" % (tmp_path / "reports"),
           "-e", "kcrash_detect_report_dir=%s" % (tmp_path / "reports")] + list(args)
    res = subprocess.run(cmd, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300, check=False)
    return res, res.stdout + res.stderr


def recap(out):
    return dict((m.group(1), {"changed": int(m.group(2)), "unreachable": int(m.group(3)), "failed": int(m.group(4))})
                for m in re.finditer(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out, re.M))


def stale(tmp_path, name, claim):
    """An earlier run's latest report, claiming success."""
    (tmp_path / "reports").mkdir(exist_ok=True)
    (tmp_path / "reports" / name).write_text(json.dumps(claim))


def report(tmp_path, name):
    with open(str(tmp_path / "reports" / name)) as f:
        return validate(json.load(f))


def test_detect_with_every_host_unreachable_writes_the_report(tmp_path):
    stale(tmp_path, "kcrash-exposure.json", {"counts": {"not_exposed": 2}})
    res, out = play(tmp_path, "kcrash.nfqueue.detect", "-l", "gone1,gone2")
    assert res.returncode != 0
    rep = report(tmp_path, "kcrash-exposure.json")
    assert rep["counts"]["status"] == {"unreachable": 2}
    assert all(h["error"] for h in rep["hosts"]) and rep["run"]["limit"] == "gone1,gone2"
    assert (tmp_path / "reports" / ("kcrash-exposure-%s.html" % rep["run"]["id"])).exists()


def test_read_only_detection_shows_changed_0(tmp_path):
    res, out = play(tmp_path, "kcrash.nfqueue.detect", "-l", "here")
    assert res.returncode == 0, out[-3000:]
    assert recap(out) == {"here": {"changed": 0, "unreachable": 0, "failed": 0}}, out[-3000:]
    rep = report(tmp_path, "kcrash-exposure.json")
    assert [h["host"] for h in rep["hosts"]] == ["here"] and rep["counts"]["changed"] == 0
    assert rep["hosts"][0]["answered_at"] and rep["run"]["ansible_version"]


def test_remediate_with_every_host_unreachable_writes_the_report(tmp_path):
    stale(tmp_path, "remediation-apply.json", {"counts": {"outcome": {"remediated": 1}}})
    res, out = play(tmp_path, "kcrash.nfqueue.remediate", "-l", "gone1,gone2", "-e", "kcrash_confirm=true")
    assert res.returncode != 0
    rep = report(tmp_path, "remediation-apply.json")
    assert rep["counts"]["outcome"] == {"not_detected": 2} and rep["counts"]["status"] == {"unreachable": 2}
    assert rep["complete"] is False, "the run stopped after the interim report"
    assert all("port 1" in h["error"] or "refused" in h["error"] for h in rep["hosts"]), rep["hosts"]
    assert "Interim report" in (tmp_path / "reports" / "remediation-apply.html").read_text()
    assert set(recap(out)) == {"gone1", "gone2"} and all(v["failed"] == 1 for v in recap(out).values())


def test_remediate_limited_to_a_host_without_localhost_writes_the_final_report(tmp_path):
    res, out = play(tmp_path, "kcrash.nfqueue.remediate", "-l", "here,gone1", "--check")
    rep = report(tmp_path, "remediation-check.json")
    assert rep["complete"] is True and rep["run"]["finished"] and rep["run"]["check_mode"] is True
    by = dict((h["host"], h) for h in rep["hosts"])
    assert set(by) == {"here", "gone1"}
    assert by["gone1"]["status"] == "unreachable" and by["gone1"]["outcome"] == "not_detected"
    assert by["here"]["status"] == "ok" and by["here"]["verdict"]
    assert recap(out)["here"]["changed"] == 0 and recap(out)["gone1"]["failed"] == 1
    assert "localhost" not in recap(out)


def test_history_latest_copies_keep_and_run_metadata_through_the_playbook(tmp_path):
    """Three detect.yml runs with kcrash_report_keep=2 and AWX's extra variables: the two newest
    runs' timestamped files stay, the oldest go, the latest copies are the last run's; the run
    metadata of the real run (AWX job id and link, inventory source, versions, ISO 8601 UTC
    times) is in the JSON and on the page. Expected versions are read here independently:
    galaxy.yml and the ansible-core that runs the playbook."""
    # as AWX passes them: JSON extra variables (the job id a number)
    awx = ["-e", json.dumps({"awx_job_id": 77, "tower_job_id": 77, "kcrash_awx_url": "https://awx.example.net/",
                             "awx_job_template_name": "Detect drift", "kcrash_report_keep": 2})]
    ids, latest_texts = [], []
    for n in range(3):
        if n:
            time.sleep(1.1)  # the run id is the run's start to the second
        res, out = play(tmp_path, "kcrash.nfqueue.detect", "-l", "here", *awx)
        assert res.returncode == 0, out[-3000:]
        rep = report(tmp_path, "kcrash-exposure.json")
        ids.append(rep["run"]["id"])
        latest_texts.append((tmp_path / "reports" / "kcrash-exposure.json").read_text())
    assert len(set(ids)) == 3, ids
    stamped = sorted(p.name for p in (tmp_path / "reports").iterdir() if re.search(r"-\d{8}T\d{6}Z\.", p.name))
    assert stamped == sorted("kcrash-exposure-%s.%s" % (i, ext) for i in ids[1:] for ext in ("json", "csv", "html"))
    for ext in ("json", "csv", "html"):
        assert (tmp_path / "reports" / ("kcrash-exposure.%s" % ext)).read_text() == \
            (tmp_path / "reports" / ("kcrash-exposure-%s.%s" % (ids[2], ext))).read_text()
    assert latest_texts[2] != latest_texts[1]

    run = json.loads(latest_texts[2])["run"]
    assert run["awx"]["job_id"] == 77 and run["awx"]["template_name"] == "Detect drift"
    assert run["awx"]["job_url"] == "https://awx.example.net/#/jobs/playbook/77/output"
    assert run["inventory_sources"] == [str(tmp_path / "inv.yml")] and run["limit"] == "here"
    with open(os.path.join(REPO, "galaxy.yml")) as f:
        assert run["collection_version"] == yaml.safe_load(f)["version"]
    assert run["ansible_version"] == core_version
    iso = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"
    assert re.match(iso, run["started"]) and re.match(iso, run["finished"]) and run["started"] <= run["finished"]
    assert run["id"] == re.sub(r"[-:]", "", run["started"])
    page = (tmp_path / "reports" / "kcrash-exposure.html").read_text()
    assert '<a href="https://awx.example.net/#/jobs/playbook/77/output">77</a>' in page
    assert "<dt>run started</dt><dd>%s</dd>" % run["started"] in page
