# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX templates run the way AWX runs them: ansible-runner (AWX's execution engine) in
process-isolation (container) mode, inside the execution environment built by
``scripts/build-ee.sh build --local-base`` (no registry is reachable here: the base is made
from Debian packages), against the SSH lab hosts (lab/README.md, "SSH hosts": user ``ops``,
sudo with requiretty, no Python) over ansible.builtin.ssh.

What AWX would give the job, and how it is given here:
- project: a copy of the checkout's playbooks/ and galaxy.yml, at /runner/project;
- machine credential: the lab key as ``env/ssh_key`` (ansible-runner loads it into an
  ssh-agent inside the EE), the template's become as ``--become``;
- the template's job type and diff mode as ``--check`` / ``--diff`` (``env/cmdline``);
- extra vars: the template's extra_vars plus the survey answers, derived from awx/*.yml by
  tests/unit/awx/awx_launch.py;
- "paths to expose to isolated jobs": a host directory mounted at /srv/kcrash-reports, where
  the survey's kcrash_report_dir points, so the report outlives the job container.
The collection (roles, plugins) comes from the EE image only, never from the checkout.

Outcome per host is read from the job events ansible-runner writes, the artifacts (set_stats)
from its playbook_on_stats event (where AWX reads them), the live rules on the hosts with
podman exec (independent of the collection).
"""

import glob
import json
import os
import shutil
import subprocess

import pytest
import yaml

from awx_launch import job_become_args, job_cli_args, survey_extra_vars, template_defaults, templates
from conftest import CONTAINERS_CONF, REPO, python_tool
from report_fleet import validate
from ssh_lab import LAB_NETWORK, sh, ssh_lab_hosts

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
REPORTS_IN_EE = "/srv/kcrash-reports"
# inv: the template's strategy (auto: LRO off); blocked: kcrash_strategy drop as a group var
PLAN = {"inc": "ssh-incident", "blocked": "ssh-incident", "bare": "ssh-bare"}


@pytest.fixture(scope="module")
def ee_image():
    """The EE, built by the project's script on a local Debian base (layers cached by podman)."""
    p = subprocess.run([os.path.join(REPO, "scripts", "build-ee.sh"), "build", "--local-base", "--ca-bundle", CA_BUNDLE],
                       capture_output=True, text=True, timeout=3000, check=False,
                       env=dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF))
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-5000:]
    tag = p.stdout.strip().splitlines()[-1]
    return tag if "/" in tag else "localhost/" + tag


def machine_credential(tmp_path, names):
    """A key pair of this test, authorized for ``ops`` on each container (through the lab's
    side door): the SSH key of the AWX machine credential. The lab images' own key stays
    with whoever built them."""
    key = tmp_path / "credential_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kawx-credential", "-f", str(key)],
                   check=True, capture_output=True)
    pub = (tmp_path / "credential_ed25519.pub").read_text().strip()
    for name in names.values():
        sh(name, "printf '%%s\\n' '%s' >>/home/ops/.ssh/authorized_keys" % pub)
    return key.read_text()


def private_data_dir(tmp_path, name, inventory, extravars, cmdline, ssh_key):
    pdd = tmp_path / name
    (pdd / "env").mkdir(parents=True)
    (pdd / "inventory").mkdir()
    shutil.copytree(os.path.join(REPO, "playbooks"), str(pdd / "project" / "playbooks"))
    shutil.copy(os.path.join(REPO, "galaxy.yml"), str(pdd / "project" / "galaxy.yml"))
    (pdd / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (pdd / "env" / "extravars").write_text(json.dumps(extravars))
    (pdd / "env" / "cmdline").write_text(" ".join(cmdline))
    (pdd / "env" / "ssh_key").write_text(ssh_key)
    # AWX's defaults for its jobs: no host key prompts, no retry files; and what a job
    # template's environment would set on a slow network: the lab hosts share this machine's 2
    # cores with the rest of the unit gate, where a first SSH handshake once took longer than
    # the default 10 s timeout (a host came out not detected in one CI run of 1,230 tests)
    (pdd / "env" / "envvars").write_text(json.dumps({"ANSIBLE_HOST_KEY_CHECKING": "False",
                                                     "ANSIBLE_RETRY_FILES_ENABLED": "False",
                                                     "ANSIBLE_TIMEOUT": "30", "ANSIBLE_SSH_RETRIES": "2"}))
    return pdd


def run_job(tmp_path, ee_image, reports, inventory, ssh_key, name, answers=None):
    tpl = templates()[name]
    extravars = dict(tpl.get("extra_vars") or {}, **survey_extra_vars(tpl, answers))
    cmdline = job_cli_args(tpl) + job_become_args(tpl, template_defaults())
    ident = name.lower().replace(" ", "-")
    pdd = private_data_dir(tmp_path, "%s-%d" % (ident, len(os.listdir(str(tmp_path)))), inventory, extravars,
                           cmdline, ssh_key)
    p = subprocess.run([python_tool("ansible-runner"), "run", str(pdd), "-p", tpl["playbook"], "--ident", ident,
                        "--process-isolation", "--process-isolation-executable", "podman",
                        "--container-image", ee_image,
                        "--container-option=--network=%s" % LAB_NETWORK,
                        # the runner here creates the credential's key fifo on the host (root,
                        # 0600) for the job to read; AWX runs the runner inside the EE (receptor
                        # worker), where the owners match
                        "--container-option=--user=0",
                        "--container-volume-mount", "%s:%s:Z" % (reports, REPORTS_IN_EE)],
                       capture_output=True, text=True, timeout=900, check=False,
                       env=dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF))
    events = []
    for path in sorted(glob.glob(str(pdd / "artifacts" / ident / "job_events" / "*.json")),
                       key=lambda x: int(os.path.basename(x).split("-", 1)[0])):
        with open(path) as f:
            events.append(json.load(f))
    assert events, p.stdout[-3000:] + p.stderr[-3000:]
    return p.returncode, events, p.stdout


def results(events, task):
    """{host: event name} of ``task``'s per-host results."""
    return dict((e["event_data"]["host"], e["event"]) for e in events
                if e["event"].startswith("runner_on_") and e["event_data"].get("task") == task)


def artifact(events):
    (stats,) = [e for e in events if e["event"] == "playbook_on_stats"]
    return stats["event_data"]["artifact_data"]["kcrash_nfqueue"]


def debug_msgs(events, task):
    return dict((e["event_data"]["host"], e["event_data"]["res"].get("msg")) for e in events
                if e["event"] == "runner_on_ok" and e["event_data"].get("task") == task)


def test_templates_run_in_the_ee_with_ansible_runner(tmp_path, ee_image):
    reports = tmp_path / "reports"
    reports.mkdir()
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    with ssh_lab_hosts(tmp_path, "kawx-run", PLAN) as (inventory_path, names):
        with open(inventory_path) as f:
            inventory = yaml.safe_load(f)
        inventory["all"]["vars"].pop("ansible_ssh_private_key_file")   # the credential gives the key
        ssh_key = machine_credential(tmp_path, names)
        hosts = names   # inventory host name = container name (scripts/lab.sh ssh-inventory)
        inventory["all"]["children"]["kcrash_blocked"] = {"hosts": {hosts["blocked"]: None},
                                                          "vars": {"kcrash_strategy": "drop"}}
        report_dir = {"kcrash_report_dir": REPORTS_IN_EE}

        def job(name, answers=None):
            if name in ("Detect drift", "Remediate"):
                answers = dict(report_dir, **(answers or {}))
            return run_job(jobs, ee_image, str(reports), inventory, ssh_key, name, answers)

        # 1. Detect drift (check + diff, fails on drift after the report)
        rc, events, out = job("Detect drift")
        assert rc != 0, out[-3000:]
        assert results(events, "Fail the check run on drift (kcrash_fail_on_drift)")
        art = artifact(events)
        lines = dict((h["host"], (h["outcome"], h["actions"])) for h in art["hosts"])
        assert lines == {hosts["inc"]: ("drift", ["offload"]), hosts["blocked"]: ("drift", ["drop"])}, out[-6000:]
        assert art["counts"]["outcome"] == {"drift": 2, "compliant": 1} and art["mode"] == "check"
        with open(str(reports / "remediation-check.json")) as f:   # outlives the job container
            assert validate(json.load(f))["drift"] == 2

        # 2. Remediate (survey: confirm yes, strategy as the inventory says)
        rc, events, out = job("Remediate", {"kcrash_confirm": "yes"})
        assert rc == 0, out[-3000:]
        art = artifact(events)
        lines = dict((h["host"], (h["outcome"], h["actions"], h["changed"])) for h in art["hosts"])
        assert lines == {hosts["inc"]: ("remediated", ["offload"], True),
                         hosts["blocked"]: ("remediated", ["drop"], True)}
        live = sh(names["blocked"], "iptables-save -t mangle")
        assert "-j NFQUEUE" not in live and "-j DROP" in live

        # 3. Detect drift again: nothing drifts, the job passes
        rc, events, out = job("Detect drift")
        assert rc == 0, out[-3000:]
        assert artifact(events)["drift"] == 0

        # 4. Rollback: list the backups, then restore the one listed
        rc, events, out = job("Rollback", {"kcrash_rollback_action": "list"})
        assert rc == 0, out[-3000:]
        listed = debug_msgs(events, "Backups of the drop strategy on this host")
        assert listed[hosts["inc"]] == [] and len(listed[hosts["blocked"]]) == 1
        backup = listed[hosts["blocked"]][0]
        assert "-j NFQUEUE" not in sh(names["blocked"], "iptables-save -t mangle")   # listing changed nothing
        rc, events, out = job("Rollback", {"kcrash_rollback_action": "restore", "kcrash_rollback_backup": backup})
        assert rc == 0, out[-3000:]
        assert "-j NFQUEUE" in sh(names["blocked"], "iptables-save -t mangle")
