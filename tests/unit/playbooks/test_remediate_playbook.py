# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/remediate.yml with the real ansible-playbook, no lab needed.

Bad variables must stop the run before any host is touched (validation runs first, once, on
the controller). A good run is exercised in --check on `localhost` with the local connection:
the detection probe is read-only. The full detect -> apply -> re-detect path over the lab
hosts is molecule/remediate.
"""

import json
import os
import subprocess
import sys

import pytest
import yaml

from conftest import COLLECTIONS
from report_fleet import validate

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.dirname(sys.executable)


def run(tmp_path, *args):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false")
    env.pop("ANSIBLE_CONFIG", None)
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
           "kcrash.nfqueue.remediate", "-e", "kcrash_report_dir=%s" % (tmp_path / "reports")]
    return subprocess.run(cmd + list(args), cwd=str(tmp_path), env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_syntax_check_by_fqcn(tmp_path):
    res = run(tmp_path, "--syntax-check")
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("extra, variable", [
    ({"kcrash_strategy": "reboot"}, "kcrash_strategy"),
    ({"kcrash_remediate_levels": ["not_exposed"]}, "kcrash_remediate_levels"),
    ({"kcrash_serial": "ten"}, "kcrash_serial"),
    ({"kcrash_max_fail_percentage": 150}, "kcrash_max_fail_percentage"),
    ({"kcrash_window": "2:30am"}, "kcrash_window"),
    ({"kcrash_interfaces": "eth0;reboot"}, "kcrash_interfaces"),
    ({"kcrash_interfaces": ["eth0", "x" * 16]}, "kcrash_interfaces"),
    ({"kcrash_interfaces": "eth0, eth0:1"}, "'eth0:1' is an alias label, not a netdev; use eth0"),
    ({"kcrash_confirm": "maybe"}, "kcrash_confirm"),
    # the strategy roles' own variables, checked once against their specs before any host
    ({"kcrash_offload_features": ["lro", "rss"]}, "kcrash_offload_features"),
    ({"kcrash_drop_target": "BOUNCE"}, "kcrash_drop_target"),
    ({"kcrash_kernel_min_boot_free_mb": "lots"}, "kcrash_kernel_min_boot_free_mb"),
    # values only the actions used to check (issue 16 item 5: a bad kernel target failed at
    # the kernel step, after offload had changed the host)
    ({"kcrash_kernel_target": "3.10.0;reboot"}, "kcrash_kernel_target"),
    ({"kcrash_kernel_window": "25:00"}, "kcrash_kernel_window"),
    ({"kcrash_offload_backup_dir": "/tmp/x'$(id)'"}, "kcrash_offload_backup_dir"),
    ({"kcrash_drop_backup_root": "relative"}, "kcrash_drop_backup_root"),
    ({"kcrash_kernel_backup_dir": "/var/b k"}, "kcrash_kernel_backup_dir"),
    ({"kcrash_offload_interfaces": ["eth0;reboot"]}, "kcrash_offload_interfaces"),
    ({"kcrash_drop_watchdog_timeout": 1}, "kcrash_drop_watchdog_timeout"),
    ({"kcrash_drop_comment_regex": "("}, "comment_regex"),
    ({"kcrash_drop_controller_address": "nowhere"}, "controller_address"),
    # numbers the kernel action used only after the reboot (a negative timeout raised in
    # time.sleep once the host was rebooting) or at its pre-check
    ({"kcrash_kernel_reboot_timeout": -1}, "kcrash_kernel_reboot_timeout"),
    ({"kcrash_kernel_min_boot_free_mb": -5}, "kcrash_kernel_min_boot_free_mb"),
    # the launch-time overrides and the report name
    ({"kcrash_window_override": "2:30am"}, "kcrash_window_override"),
    ({"kcrash_interfaces_override": "eth0;reboot"}, "kcrash_interfaces_override"),
    ({"kcrash_report_name": "../x"}, "kcrash_report_name"),
])
def test_bad_values_stop_before_any_host_is_touched(tmp_path, extra, variable):
    res = run(tmp_path, "--check", "-e", json.dumps(extra))
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert variable in out
    assert "TASK [Detect exposure" not in out, "validation must come before detection"


def test_real_run_needs_kcrash_confirm(tmp_path):
    res = run(tmp_path)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "kcrash_confirm is not true" in out
    assert "TASK [Detect exposure" not in out


def test_awx_survey_defaults_pass_and_report_is_written(tmp_path):
    """The Remediate survey's defaults, as AWX would pass them (strings), in --check."""
    with open(os.path.join(REPO, "awx", "surveys.yml")) as f:
        survey = yaml.safe_load(f)["kcrash_awx_surveys"]["remediate"]
    answers = dict((q["variable"], q.get("default", "")) for q in survey["spec"])
    res = run(tmp_path, "--check", "--diff", "-e", json.dumps(answers))
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-5000:]
    assert "TASK [Detect exposure" in out
    with open(str(tmp_path / "reports" / "remediation-check.json")) as f:
        rep = validate(json.load(f))
    assert rep["mode"] == "check" and [h["host"] for h in rep["hosts"]] == ["localhost"]
    assert (tmp_path / "reports" / "remediation-check.html").exists()


# ------------------------------------------------------------------ no Python on targets

CONTROLLER_ONLY = {  # run on the controller whatever the host (action plugins, no module)
    "ansible.builtin.assert", "ansible.builtin.fail", "ansible.builtin.debug",
    "ansible.builtin.set_fact", "ansible.builtin.group_by", "ansible.builtin.include_role",
    "ansible.builtin.import_role", "ansible.builtin.include_tasks",
    "ansible.builtin.import_tasks", "ansible.builtin.meta", "ansible.builtin.add_host",
    "ansible.builtin.validate_argument_spec", "ansible.builtin.set_stats",
}
TASK_KEYS = {"name", "when", "tags", "register", "loop", "loop_control", "vars", "run_once",
             "delegate_to", "delegate_facts", "changed_when", "failed_when", "become",
             "ignore_errors", "ignore_unreachable", "check_mode", "diff", "no_log", "args",
             "block", "rescue", "always", "until", "retries", "delay", "environment",
             "any_errors_fatal", "notify", "listen"}


def _tasks(path):
    with open(path) as f:
        return yaml.safe_load(f) or []


def _walk(tasks):
    for t in tasks or []:
        for key in ("block", "rescue", "always"):
            yield from _walk(t.get(key))
        if "block" in t:
            continue
        yield t


def _action(task):
    keys = [k for k in task if k not in TASK_KEYS]
    assert len(keys) == 1, task
    return keys[0]


def _role_task_files(role):
    tdir = os.path.join(REPO, "roles", role, "tasks")
    return [os.path.join(tdir, f) for f in sorted(os.listdir(tdir)) if f.endswith(".yml")]


def _offenders(tasks, where, target_side):
    bad = []
    for t in _walk(tasks):
        action = _action(t)
        fq = action if "." in action else "ansible.builtin." + action
        if fq.startswith("kcrash.nfqueue.") or fq == "ansible.builtin.raw":
            continue
        if fq in CONTROLLER_ONLY:
            continue
        if not target_side or t.get("delegate_to") in ("localhost", "127.0.0.1"):
            continue
        bad.append("%s: %s (%s)" % (where, t.get("name"), fq))
    return bad


def test_no_python_module_runs_on_a_target():
    plays = []
    for play in _tasks(os.path.join(REPO, "playbooks", "remediate.yml")):
        imported = play.get("ansible.builtin.import_playbook")
        plays += _tasks(os.path.join(REPO, "playbooks", imported)) if imported else [play]
    bad = []
    roles = {"remediate"}
    for play in plays:
        target_side = play.get("connection") != "local"
        for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            bad += _offenders(play.get(key), play["name"], target_side)
        assert play.get("gather_facts") is False, "%s gathers facts" % play["name"]
        for t in _walk(play.get("tasks")):
            if _action(t).endswith("include_role"):
                name = t[_action(t)]["name"]
                if "{{" in name:  # the strategy roles, chosen per host
                    roles.update(["offload", "nfqueue_drop", "kernel_upgrade"])
                else:
                    roles.add(name.split(".")[-1])
    for role in sorted(roles):
        for path in _role_task_files(role):
            bad += _offenders(_tasks(path), os.path.relpath(path, REPO), True)
    assert bad == []


def test_offender_check_can_fail():
    tasks = [{"name": "x", "ansible.builtin.command": "uname -r"},
             {"name": "y", "ansible.builtin.copy": {"dest": "/x"}, "delegate_to": "localhost"},
             {"block": [{"name": "z", "shell": "true"}]}]
    expected = ["t: x (ansible.builtin.command)", "t: z (ansible.builtin.shell)"]
    assert _offenders(tasks, "t", True) == expected


# ------------------------------------------------------------------ on a lab host

def run_on_lab_host(tmp_path, prefix, args, json_out=False):
    """remediate.yml by FQCN on a fresh `incident` lab container (inventory name labhost)."""
    from conftest import CONTAINERS_CONF, bundled_collections, lab_hosts
    with lab_hosts(prefix, ("incident",)) as names:
        inv = tmp_path / "inv.yml"
        inv.write_text("all:\n  hosts:\n    labhost:\n      ansible_connection: containers.podman.podman\n"
                       "      ansible_host: %s\n" % names["incident"])
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=bundled_collections(), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORCE_COLOR="0", CONTAINERS_CONF=CONTAINERS_CONF)
        if json_out:
            env["ANSIBLE_STDOUT_CALLBACK"] = "json"
        env.pop("ANSIBLE_CONFIG", None)
        return subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(inv), "kcrash.nfqueue.remediate",
                               "-e", "kcrash_report_dir=%s" % (tmp_path / "reports")] + list(args),
                              cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("tag_args, offload_runs", [
    (["--skip-tags", "kernel"], True),      # once skipped every strategy (include tagged with all three)
    (["--tags", "offload"], True),
    (["--tags", "kernel"], False),
    (["--skip-tags", "offload"], False),
])
def test_strategy_tags_select_what_runs(tmp_path, tag_args, offload_runs):
    res = run_on_lab_host(tmp_path, "remediate-tags", ["--check", "--diff"] + tag_args)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    assert "TASK [Detect exposure" in out and "Write the fleet report" in out
    assert ("TASK [kcrash.nfqueue.offload : Turn offloads off" in out) is offload_runs, out[-3000:]
    recap = [l for l in out.splitlines() if l.startswith("labhost") and "changed=" in l][0]
    assert ("changed=1" in recap) is offload_runs, recap


@pytest.mark.parametrize("carry, source, trips", [("true", "detection trip", 0), ("false", "own trip", 1)])
def test_detection_carries_the_strategy_read_unless_told_not_to(tmp_path, carry, source, trips):
    res = run_on_lab_host(tmp_path, "remediate-carry", ["--check", "-e", "kcrash_carry_reads=%s" % carry],
                          json_out=True)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    out = json.loads(res.stdout)
    offload = [t["hosts"]["labhost"] for p in out["plays"] for t in p["tasks"]
               if t["task"]["name"].endswith("Turn offloads off now and across reboots") and "labhost" in t["hosts"]]
    assert len(offload) == 1 and offload[0]["changed"]
    assert offload[0]["read"]["source"] == source and offload[0]["round_trips"] == trips
