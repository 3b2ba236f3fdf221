# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The detect playbook checks its variables once (roles/detect's first task, run_once) instead
of Ansible's validation task per host: a bad value set on any host of the play, not only on the
first, stops the run before any host is probed. Real ansible-playbook, local connection (the
probe would run on the controller if the check let it through)."""

import os
import subprocess

from conftest import ANSIBLE_PLAYBOOK, COLLECTIONS

INVENTORY = """all:
  vars:
    ansible_connection: local
  hosts:
    good1: {}
    bad2:
      kcrash_detect_fail_levels: [exposed, bogus-level]
"""


def run(tmp_path, *extra):
    inv = tmp_path / "inventory.yml"
    inv.write_text(INVENTORY)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.pop("ANSIBLE_CONFIG", None)
    return subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(inv), "kcrash.nfqueue.detect", "-e", "kcrash_detect_report=false"]
                          + list(extra), cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def test_a_bad_value_on_a_later_host_stops_the_run_before_any_probe(tmp_path):
    p = run(tmp_path)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert "bogus-level" in out and "kcrash_detect_fail_levels" in out, out
    assert "TASK [kcrash.nfqueue.detect : Detect exposure" not in out, "the check must come before the probe"
    # once for the play, not Ansible's per-host validation task
    assert "Validating arguments against arg spec" not in out, out


def test_a_bad_report_setting_stops_the_run_before_any_probe(tmp_path):
    p = run(tmp_path, "-l", "good1", "-e", "kcrash_report_keep=many")
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert "kcrash_report_keep" in out, out
    assert "TASK [kcrash.nfqueue.detect : Detect exposure" not in out, out
