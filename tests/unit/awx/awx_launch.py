# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What AWX passes to a job of awx/vars.yml's templates, derived from the templates as code.

Independent of the playbooks: built from awx/vars.yml and awx/surveys.yml only, with AWX's
launch rules (awx/main/models/mixins.py, SurveyJobTemplateMixin):
- a survey answer, or the question's default when the question is not answered, becomes an
  extra var (extra vars outrank every inventory variable);
- an optional question left blank is sent as "" (AWX 17 .. 24 UI), as null (AWX 24.6.1 API,
  ansible/awx#16205) or not at all (AWX after ansible/awx#16289): ``blank`` picks one;
- job_type check is ``--check``, diff_mode true is ``--diff``.

``launch_json`` runs such a job with the real ansible-playbook (json callback) on lab hosts.
"""

import json
import os
import subprocess

import yaml

from conftest import ANSIBLE_PLAYBOOK, CONTAINERS_CONF, bundled_collections

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
AWX = os.path.join(REPO, "awx")
BLANKS = ("empty", "null", "omitted")


def _load(name):
    with open(os.path.join(AWX, name)) as f:
        return yaml.safe_load(f)


def templates():
    """{short name ("Detect drift", ...): template dict} of awx/vars.yml."""
    return dict((t["name"].split(" - ", 1)[1], t) for t in _load("vars.yml")["kcrash_awx_job_templates"])


def survey(template):
    return _load("surveys.yml")["kcrash_awx_surveys"][template["survey"]] if template.get("survey") else None


def survey_extra_vars(template, answers=None, blank="empty"):
    """The extra vars of a launch of ``template`` with ``answers`` ({variable: value}); every
    question not in ``answers`` is left as the form presents it (its default)."""
    assert blank in BLANKS
    answers = dict(answers or {})
    spec = survey(template)
    out = {}
    for q in (spec or {}).get("spec", []):
        var = q["variable"]
        value = answers.pop(var, q.get("default", ""))
        if value in ("", None) and not q["required"]:
            if blank == "omitted":
                continue
            value = None if blank == "null" else ""
        if q["type"] == "integer" and value not in ("", None):
            value = int(value)
        out[var] = value
    assert not answers, "not survey questions of %s: %s" % (template["name"], sorted(answers))
    return out


def job_cli_args(template):
    """ansible-playbook options AWX adds for the template's job type and diff mode."""
    args = []
    if template.get("job_type") == "check":
        args.append("--check")
    if template.get("diff_mode"):
        args.append("--diff")
    return args


def job_become_args(template, defaults=None):
    """AWX adds --become when the template (or the shared defaults) enables privilege escalation."""
    enabled = template.get("become_enabled", (defaults or {}).get("become_enabled", False))
    return ["--become"] if enabled else []


def template_defaults():
    return _load("vars.yml")["kcrash_awx_job_template_defaults"]


def launch_json(tmp_path, playbook, inventory, args, extra):
    """(rc, json callback output) of ``playbooks/<playbook>`` run by the real ansible-playbook
    from ``tmp_path`` with ``inventory`` (dict), the job's ``args`` and ``extra`` vars, no
    project ansible.cfg; the podman connection from the bundled collections."""
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    (tmp_path / "extra.json").write_text(json.dumps(extra))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=bundled_collections(), ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_RETRY_FILES_ENABLED="false", CONTAINERS_CONF=CONTAINERS_CONF,
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_SHOW_CUSTOM_STATS="true")
    env.pop("ANSIBLE_CONFIG", None)
    p = subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(tmp_path / "inventory.json"),
                        os.path.join(REPO, "playbooks", playbook), "-e", "@%s" % (tmp_path / "extra.json")]
                       + list(args), cwd=str(tmp_path), env=env, capture_output=True, text=True,
                       timeout=600, check=False)
    try:
        return p.returncode, json.loads(p.stdout)
    except ValueError:
        raise AssertionError(p.stdout[-3000:] + p.stderr[-3000:])
