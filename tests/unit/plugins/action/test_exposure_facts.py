# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The exposure_facts action, run by a real ansible-playbook (local connection, no gather_facts)."""

import json
import os
import subprocess
import sys

import pytest

from conftest import COLLECTIONS

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - name: detect
      kcrash.nfqueue.exposure_facts:
      register: det
    - name: dump
      ansible.builtin.copy:
        content: "{{ {'facts': ansible_facts.kcrash_nfqueue, 'result': det} | to_json }}"
        dest: "{{ out }}"
"""


def _play(tmp_path, play=PLAY, path_prefix=None):
    if not os.path.exists(ANSIBLE_PLAYBOOK):
        pytest.skip("ansible-playbook not next to this python")
    (tmp_path / "play.yml").write_text(play)
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ltmp"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "rtmp"),
        "ANSIBLE_STDOUT_CALLBACK": "json",
        "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    })
    if path_prefix:
        env["PATH"] = path_prefix + ":" + env["PATH"]
    p = subprocess.run([ANSIBLE_PLAYBOOK, "-i", "testhost,", "-c", "local", "-e", "out=%s" % (tmp_path / "out.json"),
                        str(tmp_path / "play.yml")], capture_output=True, env=env, timeout=300, check=False)
    return p


def test_action_returns_every_key(tmp_path):
    p = _play(tmp_path)
    assert p.returncode == 0, p.stdout.decode()[-3000:] + p.stderr.decode()[-2000:]
    data = json.loads((tmp_path / "out.json").read_text())
    f = data["facts"]
    for key in ("kernel", "os", "nfqueue_rules", "saved_nfqueue_rules", "interfaces", "forwarding",
                "crash_evidence", "exposure", "probe"):
        assert key in f, key
    assert f["probe"]["round_trips"] == 1
    assert f["probe"]["seconds"] >= 0
    assert set(("release", "family", "code_vulnerable", "evidence", "fixed_by")) <= set(f["kernel"])
    assert f["kernel"]["release"] == os.uname().release
    assert set(("vmcore", "wtmp_crashes", "kdump")) <= set(f["crash_evidence"])
    assert set(("level", "reasons", "recommended")) <= set(f["exposure"])
    assert data["result"]["changed"] is False
    assert data["result"]["exposure"] == f["exposure"]["level"]


def test_malformed_output_fails_naming_host_and_command(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    for tool in ("iptables-legacy-save", "iptables-save"):
        (fake / tool).write_text("#!/bin/sh\nprintf '*filter\\nthis is not iptables-save\\n'\n")
        os.chmod(str(fake / tool), 0o755)
    p = _play(tmp_path, path_prefix=str(fake))
    assert p.returncode != 0
    out = json.loads(p.stdout.decode())
    res = out["plays"][0]["tasks"][0]["hosts"]["testhost"]
    assert res["failed"] is True
    assert "host testhost" in res["msg"] and "iptables" in res["msg"], res["msg"]
    print(res["msg"])
    assert "Traceback" not in p.stdout.decode() + p.stderr.decode()
    assert "Traceback" not in res.get("exception", "")
