# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which hosts `kcrash.nfqueue.detect` fails, with the real ansible-playbook (no lab needed):
unreachable hosts and hosts whose level is in kcrash_detect_fail_levels fail after the report,
with the message saying why; a run where no host fails runs no fail task on any host (the
playbook fails the chosen hosts in its last play); the role used directly fails the same hosts.
Unreachable hosts: ssh to a closed port on 127.0.0.1; `here` is this controller over the local
connection (the detection probe is read-only)."""

import json
import re

import pytest

from test_report_outcomes import play, recap, report

LEVELS = ["exposed", "at_risk", "unknown", "not_exposed"]
FAIL_TASK = "TASK [kcrash.nfqueue.detect : Fail hosts whose detection failed"


def last_play(out):
    return out[out.rindex("PLAY ["):]


@pytest.mark.parametrize("mode", [[], ["--check"]], ids=["run", "check"])
def test_unreachable_host_fails_after_the_report_and_the_reachable_one_passes(tmp_path, mode):
    res, out = play(tmp_path, "kcrash.nfqueue.detect", "-l", "gone1,here", *mode)
    assert res.returncode == 2, out[-3000:]
    r = recap(out)
    assert r["gone1"]["failed"] == 1 and r["here"]["failed"] == 0 and r["here"]["unreachable"] == 0, out[-3000:]
    tail = last_play(out)
    assert re.search(r'fatal: \[gone1\]: FAILED! => .*"msg": "detection unreachable: ', tail), tail
    assert "[here]" not in tail, "only the failing host runs the last play"
    rep = report(tmp_path, "kcrash-exposure.json")
    assert dict((h["host"], h["status"]) for h in rep["hosts"]) == {"gone1": "unreachable", "here": "ok"}


def test_a_level_in_kcrash_detect_fail_levels_fails_the_host_with_level_and_reasons(tmp_path):
    res, out = play(tmp_path, "kcrash.nfqueue.detect", "-l", "here", "-e",
                    json.dumps({"kcrash_detect_fail_levels": LEVELS}))
    assert res.returncode == 2 and recap(out)["here"]["failed"] == 1, out[-3000:]
    host = report(tmp_path, "kcrash-exposure.json")["hosts"][0]
    level = host["verdict"]
    assert level in LEVELS, host
    m = re.search(r'fatal: \[here\]: FAILED! => .*"msg": "([^"]*)"', last_play(out))
    assert m and m.group(1).startswith(level + ": "), out[-3000:]


def test_a_level_not_in_kcrash_detect_fail_levels_passes(tmp_path):
    res, out = play(tmp_path, "kcrash.nfqueue.detect", "-l", "here")
    level = report(tmp_path, "kcrash-exposure.json")["hosts"][0]["verdict"]
    others = [lv for lv in LEVELS if lv != level]
    res, out = play(tmp_path, "kcrash.nfqueue.detect", "-l", "here", "-e",
                    json.dumps({"kcrash_detect_fail_levels": others}))
    assert res.returncode == 0 and recap(out)["here"]["failed"] == 0, out[-3000:]


def test_no_fail_task_runs_when_no_host_fails(tmp_path):
    res, out = play(tmp_path, "kcrash.nfqueue.detect", "-l", "here")
    assert res.returncode == 0, out[-3000:]
    assert FAIL_TASK not in out and "skipping: no hosts matched" in last_play(out), out[-3000:]
    assert recap(out)["here"] == {"changed": 0, "unreachable": 0, "failed": 0}


def test_the_role_used_directly_fails_the_same_hosts(tmp_path):
    (tmp_path / "role.yml").write_text(
        "- hosts: all\n  gather_facts: false\n  roles:\n    - role: kcrash.nfqueue.detect\n")
    res, out = play(tmp_path, str(tmp_path / "role.yml"), "-l", "gone1,here")
    assert res.returncode == 2, out[-3000:]
    r = recap(out)
    assert r["gone1"]["failed"] == 1 and r["here"]["failed"] == 0, out[-3000:]
    assert re.search(r'fatal: \[gone1\]: FAILED! => .*"msg": "detection unreachable: ', out), out[-3000:]
    assert re.search(r"skipping: \[here\]", out[out.index(FAIL_TASK):]), "the role fails per host"
