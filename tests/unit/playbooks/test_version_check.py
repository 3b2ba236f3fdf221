# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Playbooks refuse to run with another version of the collection (AWX: playbooks from the
project, roles and plugins from the execution environment)."""

import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.collection_meta import collection_info
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError

from conftest import COLLECTIONS

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.dirname(sys.executable)

with open(os.path.join(REPO, "galaxy.yml")) as _f:
    GALAXY = yaml.safe_load(_f)


def project(tmp_path, version):
    """A project checkout (as AWX has it) whose galaxy.yml says ``version``."""
    proj = tmp_path / "project"
    shutil.copytree(os.path.join(REPO, "playbooks"), str(proj / "playbooks"))
    (proj / "galaxy.yml").write_text(yaml.safe_dump(dict(GALAXY, version=version)))
    return proj


def run_smoke(proj, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    env.pop("ANSIBLE_CONFIG", None)
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=%s" % sys.executable, str(proj / "playbooks" / "smoke.yml")]
    return subprocess.run(cmd + list(extra), cwd=str(proj), env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_other_version_is_refused_before_any_host(tmp_path):
    res = run_smoke(project(tmp_path, "0.0.9"))
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "kcrash.nfqueue version mismatch" in out and "version 0.0.9" in out
    assert "version %s" % GALAXY["version"] in out
    assert "Read the kernel release" not in out, "no host task may run"


def test_other_version_is_refused_under_a_limit(tmp_path):
    """--limit would skip a play on localhost alone; the check runs on the limited hosts."""
    res = run_smoke(project(tmp_path, "0.0.9"), "--limit", "localhost,")
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "kcrash.nfqueue version mismatch" in out
    inv = tmp_path / "inv.ini"
    inv.write_text("web1 ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    res = run_smoke(project(tmp_path / "b", "0.0.9"), "-i", str(inv), "--limit", "web1")
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "kcrash.nfqueue version mismatch" in out
    assert "Read the kernel release" not in out


def test_same_version_runs(tmp_path):
    res = run_smoke(project(tmp_path, GALAXY["version"]))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Read the kernel release" in res.stdout


def test_check_can_be_switched_off(tmp_path):
    res = run_smoke(project(tmp_path, "0.0.9"), "-e", "kcrash_version_check=false")
    assert res.returncode == 0, res.stdout + res.stderr


def test_version_of_a_built_collection_from_its_manifest(tmp_path):
    """MANIFEST.json as ansible-galaxy writes it (what an EE has installed)."""
    res = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path",
                          str(tmp_path), REPO], capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    tarball = [p for p in os.listdir(str(tmp_path)) if p.endswith(".tar.gz")][0]
    with tarfile.open(str(tmp_path / tarball)) as t:
        t.extract("MANIFEST.json", str(tmp_path / "installed"))
    assert collection_info(str(tmp_path / "installed"))["version"] == GALAXY["version"]


@pytest.mark.parametrize("files", [{}, {"galaxy.yml": "namespace: other\nname: nfqueue\nversion: 1.0.0\n"},
                                   {"galaxy.yml": "namespace: kcrash\nname: nfqueue\n"},
                                   {"MANIFEST.json": "{not json"}])
def test_unknown_version_is_an_error_naming_the_place(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(KcrashInputError) as e:
        collection_info(str(tmp_path))
    assert str(tmp_path) in str(e.value)
