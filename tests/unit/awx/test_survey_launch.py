# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A survey launch must not erase what the inventory says per host.

Runs playbooks/remediate.yml with the real ansible-playbook on ``localhost`` (local
connection, read-only detection) with the extra vars AWX sends for the template's survey
(tests/unit/awx/awx_launch.py derives them from awx/surveys.yml), the job type and diff mode
of the template, and an inventory that gives the host the group var ``kcrash_strategy: drop``.
"""

import json
import os
import subprocess
import sys

import pytest

from awx_launch import BLANKS, job_cli_args, survey_extra_vars, templates
from conftest import COLLECTIONS
from report_fleet import validate

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.dirname(sys.executable)

INVENTORY = {"all": {"children": {"blocked": {
    "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
    "vars": {"kcrash_strategy": "drop"}}}}}


def launch(tmp_path, template, extra_vars):
    (tmp_path / "inventory.json").write_text(json.dumps(INVENTORY))
    (tmp_path / "extra.json").write_text(json.dumps(dict(extra_vars, kcrash_report_dir=str(tmp_path / "r"))))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false")
    env.pop("ANSIBLE_CONFIG", None)
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", str(tmp_path / "inventory.json"),
           os.path.join(REPO, template["playbook"]), "-e", "@%s" % (tmp_path / "extra.json")]
    res = subprocess.run(cmd + job_cli_args(template), cwd=str(tmp_path), env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    out = res.stdout + res.stderr
    path = tmp_path / "r" / "remediation-check.json"
    assert path.exists(), out[-4000:]
    with open(str(path)) as f:
        return res.returncode, out, dict((h["host"], h) for h in validate(json.load(f))["hosts"])


def detect_as_check(name):
    tpl = dict(templates()[name])
    tpl["job_type"] = "check"  # Remediate runs for real; here only its survey matters
    return tpl


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("name", ["Detect drift", "Remediate"])
def test_group_var_strategy_survives_a_survey_launch_with_defaults(tmp_path, name, blank):
    tpl = detect_as_check(name)
    extra = survey_extra_vars(tpl, blank=blank)
    assert "kcrash_strategy" not in extra  # extra vars would outrank the group var
    rc, out, hosts = launch(tmp_path, tpl, extra)
    assert rc == 0, out[-4000:]
    assert hosts["localhost"]["strategy"] == "drop"


def test_answered_strategy_applies_to_every_host(tmp_path):
    tpl = detect_as_check("Remediate")
    rc, out, hosts = launch(tmp_path, tpl, survey_extra_vars(tpl, {"kcrash_strategy_override": "offload"}))
    assert rc == 0, out[-4000:]
    assert hosts["localhost"]["strategy"] == "offload"


def test_survey_sending_kcrash_strategy_would_erase_the_group_var(tmp_path):
    """The mechanism the survey avoids, shown with the same run: an extra var wins."""
    tpl = detect_as_check("Detect drift")
    rc, out, hosts = launch(tmp_path, tpl, dict(survey_extra_vars(tpl), kcrash_strategy="auto"))
    assert rc == 0, out[-4000:]
    assert hosts["localhost"]["strategy"] == "auto"
