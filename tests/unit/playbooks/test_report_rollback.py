# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reports after real runs on lab incident hosts. The rollback command the report shows is the exact one: remediate.yml for real on a fresh
lab `incident` host (offload, then drop on a second one), then the command from the report's
JSON run as printed (offload: on the host with /bin/sh; drop: ansible-playbook on the
controller) puts back what was there. Stand-in: the incident host's LRO state comes from the
lab's ethtool stand-in (a container's veth cannot have LRO on); files and iptables are real."""

import csv
import json
import os
import shlex
import subprocess
import sys

from conftest import CONTAINERS_CONF, bundled_collections, lab_hosts, podman
from report_fleet import csv_counts, validate

BIN = os.path.dirname(sys.executable)


def run(tmp_path, args, **kw):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=bundled_collections(), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", CONTAINERS_CONF=CONTAINERS_CONF)
    env.pop("ANSIBLE_CONFIG", None)
    return subprocess.run(args, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600,
                          check=False, **kw)


def sh(name, command):
    return podman("exec", name, "/bin/sh", "-c", command, check=False)


def test_the_reported_rollback_commands_restore_the_hosts(tmp_path):
    with lab_hosts("krep-rollback", ("incident",)) as off, lab_hosts("krep-rollback-drop", ("incident",)) as drp:
        inv = tmp_path / "inv.yml"
        inv.write_text("all:\n  vars: {ansible_connection: containers.podman.podman}\n  hosts:\n"
                       "    offhost: {ansible_host: %s}\n    drophost: {ansible_host: %s, kcrash_strategy: drop}\n"
                       % (off["incident"], drp["incident"]))
        ifcfg = "/etc/sysconfig/network-scripts/ifcfg-eth0"
        ifcfg_before = sh(off["incident"], "cat " + ifcfg).stdout
        rules_before = sh(drp["incident"], "iptables-save -t mangle | grep -- '-A PREROUTING'").stdout
        res = run(tmp_path, [os.path.join(BIN, "ansible-playbook"), "-i", str(inv), "kcrash.nfqueue.remediate",
                             "-e", "kcrash_confirm=true", "-e", "kcrash_report_dir=%s" % (tmp_path / "reports")])
        assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
        with open(str(tmp_path / "reports" / "remediation-apply.json")) as f:
            rep = validate(json.load(f))
        by = dict((h["host"], h) for h in rep["hosts"])
        assert by["offhost"]["outcome"] == by["drophost"]["outcome"] == "remediated"
        # every reason the real detection gave, before and after, has a known code
        assert not [(h["host"], r["text"]) for h in rep["hosts"] for r in h["reasons"] + h["reasons_after"]
                    if r["code"].endswith(".other")]
        # "after" was measured (re-detected on the host), not carried over
        assert by["offhost"]["after_source"] == by["drophost"]["after_source"] == "measured"
        # the lab run's CSVs alone give the JSON's counts and its rules
        with open(str(tmp_path / "reports" / "remediation-apply.csv")) as f:
            assert csv_counts(f.read()) == rep["counts"]
        with open(str(tmp_path / "reports" / "remediation-apply.rules.csv")) as f:
            rules = list(csv.DictReader(f))
        assert sorted((r["host"], r["source"], r["table"], r["chain"], r["rule"]) for r in rules) == sorted(
            (h["host"], r["source"], r["table"], r["chain"], r["rule"]) for h in rep["hosts"] for r in h["nfqueue_rules"])
        assert {r["host"] for r in rules} == {"offhost", "drophost"}
        assert by["offhost"]["changed"] and rep["counts"]["changed"] == 2
        # the change is there
        assert "large-receive-offload: off" in sh(off["incident"], "ethtool -k eth0").stdout
        assert "-j NFQUEUE" not in sh(drp["incident"], "iptables-save -t mangle").stdout

        offload = by["offhost"]["results"][0]
        assert offload["action"] == "offload" and offload["backups"]
        rb = sh(off["incident"], offload["rollback_command"])
        assert rb.returncode == 0, rb.stderr
        assert sh(off["incident"], "cat " + ifcfg).stdout == ifcfg_before
        assert "large-receive-offload: on" in sh(off["incident"], "ethtool -k eth0").stdout

        drop = by["drophost"]["results"][0]
        assert drop["action"] == "drop" and drop["backups"]
        args = shlex.split(drop["rollback_command"])
        assert args[:2] == ["ansible-playbook", "kcrash.nfqueue.rollback"]
        res = run(tmp_path, [os.path.join(BIN, "ansible-playbook"), "-i", str(inv)] + args[1:])
        assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
        assert "changed=1" in res.stdout
        assert sh(drp["incident"], "iptables-save -t mangle | grep -- '-A PREROUTING'").stdout == rules_before


def test_every_planned_host_failing_still_replaces_the_last_report(tmp_path):
    """The apply fails on the only planned host (its backup directory cannot be created: /proc),
    so ansible-playbook stops after the apply play: the interim report, written after planning,
    replaces the previous run's latest report and says the apply failed."""
    with lab_hosts("krep-allfail", ("incident",)) as names:
        inv = tmp_path / "inv.yml"
        inv.write_text("all:\n  hosts:\n    failhost: {ansible_connection: containers.podman.podman, ansible_host: %s}\n"
                       % names["incident"])
        (tmp_path / "reports").mkdir()
        (tmp_path / "reports" / "remediation-apply.json").write_text('{"counts": {"outcome": {"remediated": 1}}}')
        res = run(tmp_path, [os.path.join(BIN, "ansible-playbook"), "-i", str(inv), "kcrash.nfqueue.remediate",
                             "-e", "kcrash_confirm=true", "-e", "kcrash_offload_backup_dir=/proc/kcrash-backup",
                             "-e", "kcrash_report_dir=%s" % (tmp_path / "reports")])
        assert res.returncode != 0
        assert "large-receive-offload: on" in sh(names["incident"], "ethtool -k eth0").stdout, "host left as it was"
        with open(str(tmp_path / "reports" / "remediation-apply.json")) as f:
            rep = validate(json.load(f))
        assert rep["complete"] is False and rep["counts"]["outcome"] == {"apply_failed": 1}
        assert rep["hosts"][0]["verdict"] == "exposed" and rep["hosts"][0]["after_source"] == "none"
