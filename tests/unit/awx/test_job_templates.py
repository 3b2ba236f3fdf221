# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AWX job templates as code (awx/): surveys against the playbooks' argument specs.

There is no AWX / Automation Controller server on these machines and none is faked here.
What is checked: the playbook parses (`--syntax-check`), every awx.awx module argument is
accepted by the real module code (the playbook runs until its HTTP request is refused by a
closed port on 127.0.0.1), every survey is valid by AWX's own survey rules, and every survey
variable matches the argument spec of the role(s) the template's playbook runs.
"""

import os
import re
import subprocess
import sys

import pytest
import yaml
from ansible.module_utils.parsing.convert_bool import BOOLEANS, boolean

from conftest import COLLECTIONS

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
AWX = os.path.join(REPO, "awx")
BIN = os.path.dirname(sys.executable)

SURVEY_TYPES = {  # AWX JobTemplateSurveySpec.ALLOWED_TYPES
    "text": (str,), "textarea": (str,), "password": (str,), "multiplechoice": (str,),
    "multiselect": (str,), "integer": (int,), "float": (float, int),
}
# Which argument-spec types a survey answer of each type can feed. Text may feed a list:
# Ansible's list type splits a comma-separated string (the playbook does the same).
COMPATIBLE = {
    "text": ("str", "list", "raw", "path"), "textarea": ("str", "raw"), "password": ("str", "raw"),
    "integer": ("int", "raw"), "float": ("float", "raw"),
    "multiplechoice": ("str", "bool", "raw"), "multiselect": ("list",),
}


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


VARS = load(os.path.join(AWX, "vars.yml"))
SURVEYS = load(os.path.join(AWX, "surveys.yml"))["kcrash_awx_surveys"]
TEMPLATES = VARS["kcrash_awx_job_templates"]


def env():
    e = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
             ANSIBLE_INVENTORY_UNPARSED_WARNING="false", CONTROLLER_HOST="https://127.0.0.1:1",
             CONTROLLER_USERNAME="nobody", CONTROLLER_PASSWORD="nothing",
             ANSIBLE_COLLECTIONS_PATH=COLLECTIONS)
    for k in ("CONTROLLER_OAUTH_TOKEN", "TOWER_HOST", "TOWER_OAUTH_TOKEN"):
        e.pop(k, None)
    return e


def run_playbook(*args):
    return subprocess.run([os.path.join(BIN, "ansible-playbook"), "awx/job_templates.yml"] + list(args),
                          cwd=REPO, env=env(), capture_output=True, text=True, timeout=300, check=False)


# ---------------------------------------------------------------- survey rules (AWX's own)

def awx_survey_errors(survey):
    """Mirror of the checks AWX's survey_spec endpoint makes; returns a list of messages."""
    errs = []
    for field, typ in (("name", str), ("description", str), ("spec", list)):
        if not isinstance(survey.get(field), typ):
            errs.append("field %s missing or not %s" % (field, typ.__name__))
    if errs:
        return errs
    if not survey["spec"]:
        errs.append("'spec' doesn't contain any items")
    seen = set()
    for idx, q in enumerate(survey["spec"]):
        for field, typ in (("type", str), ("question_name", str), ("variable", str),
                           ("required", bool)):
            if not isinstance(q.get(field), typ):
                errs.append("question %d: %s missing or not %s" % (idx, field, typ.__name__))
        if q.get("variable") in seen:
            errs.append("question %d: variable duplicated" % idx)
        seen.add(q.get("variable"))
        qtype = q.get("type")
        if qtype not in SURVEY_TYPES:
            errs.append("question %d: type %r not allowed" % (idx, qtype))
            continue
        if "default" in q and q["default"] != "" and not isinstance(q["default"], SURVEY_TYPES[qtype]):
            errs.append("question %d: default of wrong type" % idx)
        for key in ("min", "max"):
            if key in q and q[key] is not None and not isinstance(q[key], int):
                errs.append("question %d: %s not an integer" % (idx, key))
        if qtype in ("multiplechoice", "multiselect"):
            choices = q.get("choices")
            if not choices:
                errs.append("question %d: choices missing" % idx)
                continue
            if isinstance(choices, str):
                choices = [c for c in choices.splitlines() if c.strip()]
            defaults = q.get("default", "")
            defaults = [d for d in defaults.splitlines() if d.strip()] if isinstance(defaults, str) else defaults
            if qtype == "multiplechoice" and len(defaults) > 1:
                errs.append("question %d: multiple defaults" % idx)
            if any(d not in choices for d in defaults):
                errs.append("question %d: default not among choices" % idx)
        if qtype == "integer" and isinstance(q.get("default"), int):
            if "min" in q and q["min"] is not None and q["default"] < q["min"]:
                errs.append("question %d: default below min" % idx)
            if "max" in q and q["max"] is not None and q["default"] > q["max"]:
                errs.append("question %d: default above max" % idx)
    return errs


@pytest.mark.parametrize("name", sorted(SURVEYS))
def test_survey_is_valid_for_awx(name):
    assert awx_survey_errors(SURVEYS[name]) == []


def test_survey_validator_catches_awx_rejections():
    good = SURVEYS["remediate"]
    bad = dict(good, spec=[dict(good["spec"][0], default="reboot")])
    assert awx_survey_errors(bad) == ["question 0: default not among choices"]
    assert awx_survey_errors(dict(good, spec=[])) == ["'spec' doesn't contain any items"]
    dup = dict(good, spec=[good["spec"][0], good["spec"][0]])
    assert awx_survey_errors(dup) == ["question 1: variable duplicated"]
    assert awx_survey_errors(dict(good, spec=[dict(good["spec"][3], default="3")])) == \
        ["question 0: default of wrong type"]


# ---------------------------------------------------------------- surveys vs argument specs

def roles_of_playbook(path):
    """Role names (short) that a playbook runs: roles:, import_role, include_role."""
    names = []

    def add(name):
        name = name["role"] if isinstance(name, dict) and "role" in name else name
        if isinstance(name, dict):
            name = name.get("name")
        if isinstance(name, str) and "{{" not in name:
            short = name.split(".")[-1]
            if short not in names:
                names.append(short)

    def walk_tasks(tasks):
        for t in tasks or []:
            for key in ("block", "rescue", "always"):
                walk_tasks(t.get(key))
            for key in ("import_role", "include_role", "ansible.builtin.import_role",
                        "ansible.builtin.include_role"):
                if key in t:
                    add(t[key]["name"])

    for play in load(path) or []:
        if "import_playbook" in play or "ansible.builtin.import_playbook" in play:
            target = play.get("import_playbook") or play.get("ansible.builtin.import_playbook")
            names.extend(n for n in roles_of_playbook(os.path.join(os.path.dirname(path), target))
                         if n not in names)
            continue
        for r in play.get("roles") or []:
            add(r)
        for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            walk_tasks(play.get(key))
    return names


def playbook_spec_options(path):
    """Options of the literal argument specs a playbook checks itself
    (ansible.builtin.validate_argument_spec tasks; imported playbooks included)."""
    options = {}
    for play in load(path) or []:
        imported = play.get("import_playbook") or play.get("ansible.builtin.import_playbook")
        if imported:
            options.update(playbook_spec_options(os.path.join(os.path.dirname(path), imported)))
            continue
        for key in ("pre_tasks", "tasks", "post_tasks"):
            for t in play.get(key) or []:
                spec = (t.get("ansible.builtin.validate_argument_spec") or {}).get("argument_spec")
                if isinstance(spec, dict):
                    for name, opt in spec.items():
                        options.setdefault(name, opt)
    return options


def spec_options(playbook):
    """Union of the `main` entry-point options of the roles the playbook runs, and of the
    argument specs the playbook checks itself."""
    options = playbook_spec_options(playbook)
    for role in roles_of_playbook(playbook):
        spec_file = os.path.join(REPO, "roles", role, "meta", "argument_specs.yml")
        if not os.path.exists(spec_file):
            continue
        specs = load(spec_file)["argument_specs"]
        for entry in specs.values():
            for name, opt in (entry.get("options") or {}).items():
                options.setdefault(name, opt)
    return options


def as_spec_value(question, spec_type):
    """The value the playbook sees for a survey default, converted as Ansible would."""
    d = question.get("default", "")
    if spec_type == "bool":
        return boolean(d)
    if spec_type == "list":
        if isinstance(d, list):
            return d
        return [x.strip() for x in d.split(",") if x.strip()] if isinstance(d, str) else [d]
    return d


# Survey defaults that deliberately differ from the playbook's: the AWX template is the
# cautious entry point, the command line keeps its documented behaviour.
SAFER_SURVEY_DEFAULTS = {
    "kcrash_rollback_action": "list",   # rollback.yml restores by default
    "kcrash_reboot_cancel": "no",       # reboot_cancel.yml cancels by default
}


def survey_spec_mismatches(survey, options):
    errs = []
    for q in survey["spec"]:
        var = q["variable"]
        opt = options.get(var)
        if opt is None:
            errs.append("%s: not in the playbook's argument specs" % var)
            continue
        stype = opt.get("type", "str")
        if stype not in COMPATIBLE[q["type"]]:
            errs.append("%s: survey type %s cannot feed spec type %s" % (var, q["type"], stype))
            continue
        choices = q.get("choices")
        if isinstance(choices, str):
            choices = [c for c in choices.splitlines() if c.strip()]
        if q["type"] in ("multiplechoice", "multiselect"):
            if stype == "bool":
                if any(c not in BOOLEANS for c in choices):
                    errs.append("%s: choices %s are not all booleans" % (var, choices))
            elif opt.get("choices") is not None and set(choices) != set(opt["choices"]):
                errs.append("%s: choices %s differ from spec %s" % (var, choices, opt["choices"]))
        elif opt.get("choices") is not None:
            errs.append("%s: spec has choices, survey must be a choice question" % var)
        if opt.get("required") and not q["required"]:
            errs.append("%s: required in the spec, optional in the survey" % var)
        if not opt.get("required") and "default" not in opt:
            errs.append("%s: optional in the spec without a default" % var)
        if SAFER_SURVEY_DEFAULTS.get(var) == q.get("default"):
            continue
        if "default" in opt and "default" in q:
            if as_spec_value(q, stype) != opt["default"]:
                errs.append("%s: survey default %r != spec default %r" % (var, q["default"], opt["default"]))
    return errs


def templates_with_surveys():
    return [t for t in TEMPLATES if t.get("survey")]


@pytest.mark.parametrize("tpl", templates_with_surveys(), ids=lambda t: t["name"])
def test_survey_matches_the_playbook_argument_specs(tpl):
    playbook = os.path.join(REPO, tpl["playbook"])
    assert os.path.exists(playbook)
    options = spec_options(playbook)
    assert options, "%s runs no role with an argument spec" % tpl["playbook"]
    assert survey_spec_mismatches(SURVEYS[tpl["survey"]], options) == []


def test_mismatch_checker_can_fail():
    options = spec_options(os.path.join(REPO, "playbooks", "remediate.yml"))
    good = SURVEYS["remediate"]
    q0 = good["spec"][0]
    cases = [
        (dict(q0, variable="kcrash_stratgy"), "not in the playbook's argument specs"),
        (dict(q0, choices=["auto", "offload"]), "differ from spec"),
        (dict(q0, default="drop"), "survey default"),
        (dict(good["spec"][1], type="integer", default=0), "cannot feed"),
        (dict([q for q in good["spec"] if q["variable"] == "kcrash_confirm"][0], choices=["no", "maybe"],
              default="no"), "not all booleans"),
    ]
    for q, expect in cases:
        errs = survey_spec_mismatches(dict(good, spec=[q]), options)
        assert len(errs) == 1 and expect in errs[0], (q, errs)


def test_workflow_is_detect_approve_remediate_verify():
    play = load(os.path.join(AWX, "job_templates.yml"))[0]
    (task,) = [t for t in play["tasks"] if "awx.awx.workflow_job_template" in t]
    nodes = dict((n["identifier"], n) for n in task["awx.awx.workflow_job_template"]["workflow_nodes"])
    names = set(t["name"] for t in TEMPLATES)
    assert nodes["detect"]["unified_job_template"]["name"] in names
    assert nodes["detect"]["related"] == {"failure_nodes": [{"identifier": "approve"}]}   # drift fails it
    assert nodes["approve"]["unified_job_template"]["type"] == "workflow_approval"
    assert nodes["approve"]["related"] == {"success_nodes": [{"identifier": "remediate"}]}
    assert nodes["remediate"]["unified_job_template"]["name"] == "kcrash.nfqueue - Remediate"
    assert nodes["remediate"]["related"] == {"success_nodes": [{"identifier": "verify"}]}
    assert nodes["verify"]["unified_job_template"]["name"] == nodes["detect"]["unified_job_template"]["name"]
    detect = [t for t in TEMPLATES if t["name"] == nodes["detect"]["unified_job_template"]["name"]][0]
    assert detect["job_type"] == "check" and detect["extra_vars"]["kcrash_fail_on_drift"] is True
    # the remediate node's answers are accepted by AWX only as survey answers of that template
    remediate_survey = SURVEYS[[t for t in TEMPLATES if t["name"] == "kcrash.nfqueue - Remediate"][0]["survey"]]
    assert set(VARS["kcrash_awx_workflow"]["remediate_answers"]) <= {q["variable"] for q in remediate_survey["spec"]}
    assert int(VARS["kcrash_awx_workflow"]["approval_timeout"]) > 0


def test_every_survey_is_used_and_every_named_survey_exists():
    used = {t["survey"] for t in templates_with_surveys()}
    assert used == set(SURVEYS)


def test_the_four_templates():
    by_name = {t["name"].split(" - ", 1)[1]: t for t in TEMPLATES}
    assert {"Detect drift", "Remediate", "Rollback", "Cancel scheduled reboots"} <= set(by_name)
    assert by_name["Detect drift"]["job_type"] == "check" and by_name["Detect drift"]["diff_mode"] is True
    assert by_name["Detect drift"]["playbook"] == "playbooks/remediate.yml"
    assert by_name["Remediate"]["job_type"] == "run"
    assert by_name["Remediate"]["playbook"] == "playbooks/remediate.yml"
    assert by_name["Rollback"]["playbook"] == "playbooks/rollback.yml"
    assert by_name["Cancel scheduled reboots"]["playbook"] == "playbooks/reboot_cancel.yml"
    remediate_vars = {q["variable"] for q in SURVEYS[by_name["Remediate"]["survey"]]["spec"]}
    assert {"kcrash_strategy_override", "kcrash_interfaces_override", "kcrash_window_override",
            "kcrash_serial", "kcrash_confirm"} <= remediate_vars
    # extra vars outrank inventory variables: a survey never sends the per-host ones
    for spec in SURVEYS.values():
        assert not {q["variable"] for q in spec["spec"]} & {"kcrash_strategy", "kcrash_interfaces", "kcrash_window"}


@pytest.mark.parametrize("tpl", TEMPLATES, ids=lambda t: t["name"])
def test_template_playbook_exists_and_parses(tpl):
    path = os.path.join(REPO, tpl["playbook"])
    assert os.path.exists(path), "%s: playbook of the template is missing" % tpl["playbook"]
    res = subprocess.run([os.path.join(BIN, "ansible-playbook"), "--syntax-check", "-i",
                          "localhost,", tpl["playbook"]], cwd=REPO, env=env(),
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stdout + res.stderr


# ---------------------------------------------------------------- the awx.awx playbook

def test_awx_playbook_syntax_check():
    res = run_playbook("--syntax-check")
    assert res.returncode == 0, res.stdout + res.stderr


def _module_options(fqcn):
    import ansible_collections.awx.awx as awx_pkg
    name = fqcn.split(".")[-1]
    path = os.path.join(os.path.dirname(awx_pkg.__file__), "plugins", "modules", name + ".py")
    with open(path) as f:
        src = f.read()
    doc = yaml.safe_load(re.search(r"DOCUMENTATION = r?['\"]{3}(.*?)['\"]{3}", src, re.S).group(1))
    return doc["options"]


def test_awx_task_arguments_are_documented_module_options():
    play = load(os.path.join(AWX, "job_templates.yml"))[0]
    used = 0
    for task in play["tasks"]:
        for key, args in task.items():
            if key.startswith("awx.awx."):
                options = _module_options(key)
                unknown = set(args) - set(options)
                assert not unknown, "%s: unknown options %s" % (key, sorted(unknown))
                used += 1
    assert used == 7


@pytest.mark.parametrize("task", ["Execution environment with kcrash.nfqueue",
                                  "Project (this collection's repository)",
                                  "Notification template (drift alert)", "Job templates",
                                  "Workflow (detect, approve, remediate, verify)", "Approvers of the workflow",
                                  "Daily drift check (schedule of Detect drift)"])
def test_real_awx_modules_accept_the_arguments(task):
    """Run each task for real until its first API request; 127.0.0.1:1 refuses it.

    Argument validation by the real awx.awx module code happens before that request, so a
    wrong option name, type or choice would fail with a different message.
    """
    res = run_playbook("--start-at-task", task)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "Connection refused" in out, out[-3000:]
    for bad in ("Unsupported parameters", "must be one of", "is of type", "missing required"):
        assert bad not in out, out
    if task == "Job templates":
        for t in TEMPLATES:
            assert t["name"] in out  # every loop item reached the module
