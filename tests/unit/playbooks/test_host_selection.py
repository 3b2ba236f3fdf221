# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every playbook that runs on the fleet selects its hosts with the same variable,
kcrash_hosts; detect's old kcrash_detect_hosts still works (deprecated)."""

import glob
import os
import re
import subprocess

import pytest
import yaml

from conftest import ANSIBLE_PLAYBOOK, COLLECTIONS, REPO

FLEET_PLAYBOOKS = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(REPO, "playbooks", "*.yml"))
                         if "kcrash_hosts" in open(p, encoding="utf-8").read() or os.path.basename(p) == "detect.yml")


def list_hosts(tmp_path, playbook, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CONFIG", None)
    p = subprocess.run([ANSIBLE_PLAYBOOK, "-i", "web1,web2,db1,", "kcrash.nfqueue.%s" % playbook, "--list-hosts"]
                       + list(extra), cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120,
                       check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    # the host list of the first play on the fleet (after the imported version check, which
    # runs once on the controller: playbooks/version_check.yml)
    plays = [b for b in p.stdout.split("play #")[1:] if "loaded collection are the same version" not in b]
    block = plays[0].split("hosts (", 1)[1].split("\n\n", 1)[0]
    return sorted(re.findall(r"^\s+(\S+)\s*$", block.split("\n", 1)[1], re.M))


def test_the_fleet_playbooks_all_use_kcrash_hosts():
    for name in FLEET_PLAYBOOKS:
        with open(os.path.join(REPO, "playbooks", name + ".yml"), encoding="utf-8") as f:
            first = [play for play in yaml.safe_load(f) if "import_playbook" not in play
                     and "ansible.builtin.import_playbook" not in play][0]
        assert re.match(r"\{\{ kcrash_hosts \| default\(", first["hosts"]), (name, first["hosts"])
    assert {"detect", "remediate", "rollback", "reboot_cancel", "kernel_upgrade"} <= set(FLEET_PLAYBOOKS)


@pytest.mark.parametrize("playbook", FLEET_PLAYBOOKS)
def test_kcrash_hosts_selects_the_hosts(tmp_path, playbook):
    assert list_hosts(tmp_path, playbook) == ["db1", "web1", "web2"]
    assert list_hosts(tmp_path, playbook, "-e", "kcrash_hosts=web*") == ["web1", "web2"]


def test_detect_keeps_the_deprecated_name(tmp_path):
    assert list_hosts(tmp_path, "detect", "-e", "kcrash_detect_hosts=db1") == ["db1"]
    assert list_hosts(tmp_path, "detect", "-e", "kcrash_detect_hosts=db1", "-e", "kcrash_hosts=web1") == ["web1"]
