# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""execution-environment.yml and meta/execution-environment.yml, checked with the real tools.

`ansible-builder create` only renders a build context (no network, no container engine), so
it runs for real here. The image build itself (scripts/build-ee.sh build --local-base, on a
base made from Debian packages: no registry is reachable here) and jobs run in it are
tests/unit/awx/test_runner_ee.py.
"""

import os
import re
import subprocess
import tarfile

import pytest
import yaml

from conftest import python_tool

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def load(rel):
    with open(os.path.join(REPO, rel)) as f:
        return yaml.safe_load(f)


def pins():
    out = {}
    with open(os.path.join(REPO, "requirements", "constraints.txt")) as f:
        for line in f:
            m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
            if m:
                out[m.group(1).lower()] = m.group(2)
    return out


@pytest.fixture(scope="module")
def collection_tarball(tmp_path_factory):
    """Build the collection the way scripts/build-ee.sh does (into .build/ee/)."""
    outdir = os.path.join(REPO, ".build", "ee")
    os.makedirs(outdir, exist_ok=True)
    version = load("galaxy.yml")["version"]
    res = subprocess.run([python_tool("ansible-galaxy"), "collection", "build", "--force",
                          "--output-path", outdir, REPO],
                         capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    path = os.path.join(outdir, "kcrash-nfqueue-%s.tar.gz" % version)
    assert os.path.exists(path)
    return path


def test_definition_is_v3_with_pinned_core_and_our_collections():
    ee = load("execution-environment.yml")
    assert ee["version"] == 3
    assert ee["images"]["base_image"]["name"]
    deps = ee["dependencies"]
    p = pins()
    assert deps["ansible_core"]["package_pip"] == "ansible-core==%s" % p["ansible-core"]
    assert deps["ansible_runner"]["package_pip"].startswith("ansible-runner==")
    # a file the collection tarball carries too (meta/execution-environment.yml names it)
    assert deps["python"] == "meta/ee-requirements.txt"
    assert os.path.exists(os.path.join(REPO, deps["python"]))
    # ansible-core 2.19 needs Python >= 3.11: never the base image's default python3
    assert deps["python_interpreter"]["python_path"] == "/usr/bin/python3.11"
    assert "system" not in deps, "targets and controller need no system packages"
    names = [c["name"] for c in deps["galaxy"]["collections"]]
    version = load("galaxy.yml")["version"]
    assert "collections/kcrash-nfqueue-%s.tar.gz" % version in names, "tarball name follows galaxy.yml"
    assert names == ["collections/kcrash-nfqueue-%s.tar.gz" % version], "nothing from Galaxy"
    for unwanted in ("awx.awx", "containers.podman", "community.general", "ansible.posix"):
        assert unwanted not in names


def test_python_requirements_are_pinned_to_constraints():
    p = pins()
    with open(os.path.join(REPO, load("execution-environment.yml")["dependencies"]["python"])) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)$", line)
            assert m, "unpinned EE requirement: %s" % line
            assert p.get(m.group(1).lower()) == m.group(2), line


def test_ansible_builder_create_renders_the_context(tmp_path, collection_tarball):
    ctx = tmp_path / "context"
    res = subprocess.run([python_tool("ansible-builder"), "create", "-f",
                          os.path.join(REPO, "execution-environment.yml"), "-c", str(ctx)],
                         capture_output=True, text=True, timeout=300, cwd=str(tmp_path), check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "No matches" not in res.stdout + res.stderr, "collection tarball not picked up"
    containerfile = (ctx / "Containerfile").read_text()
    assert 'ARG EE_BASE_IMAGE="%s"' % load("execution-environment.yml")["images"]["base_image"]["name"] \
        in containerfile
    assert "ansible-core==2.19.14" in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    assert "ansible-galaxy collection install" in containerfile
    # no system packages asked for: the bindep step has nothing of ours to install
    assert not (ctx / "_build" / "bindep.txt").exists()
    reqs = yaml.safe_load((ctx / "_build" / "requirements.yml").read_text())
    names = [c["name"] for c in reqs["collections"]]
    assert names[0].startswith("collections/kcrash-nfqueue-")
    # the collection tarball is in the context where the requirement points (WORKDIR /build)
    copied = ctx / "_build" / names[0]
    assert copied.exists()
    with open(collection_tarball, "rb") as a, open(str(copied), "rb") as b:
        assert a.read() == b.read()
    assert (ctx / "_build" / "requirements.txt").read_text() == open(
        os.path.join(REPO, "meta", "ee-requirements.txt")).read()


def test_tarball_carries_ee_metadata_and_no_dev_trees(collection_tarball):
    with tarfile.open(collection_tarball) as t:
        members = set(t.getnames())
    for needed in ("meta/execution-environment.yml", "meta/ee-requirements.txt",
                   "meta/ee-bindep.txt", "meta/runtime.yml"):
        assert needed in members
    assert not any(m.startswith((".venv", ".build", "lab/", "bench/", ".git/")) for m in members)


def test_introspect_reads_collection_metadata(tmp_path, collection_tarball):
    """What the EE build's introspection step does, run locally on the installed tarball."""
    cols = tmp_path / "cols"
    # --force: under scripts/test.sh ANSIBLE_CONFIG points at the checkout's collections path,
    # where kcrash.nfqueue is already "installed" (a link), and galaxy would skip the install.
    res = subprocess.run([python_tool("ansible-galaxy"), "collection", "install", "--offline", "--force",
                          collection_tarball, "-p", str(cols)],
                         capture_output=True, text=True, timeout=300, cwd=str(tmp_path), check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    meta = cols / "ansible_collections" / "kcrash" / "nfqueue" / "meta" / "execution-environment.yml"
    data = yaml.safe_load(meta.read_text())
    for kind in ("python", "system"):
        assert (cols / "ansible_collections" / "kcrash" / "nfqueue" / data["dependencies"][kind]).exists()
    res = subprocess.run([python_tool("ansible-builder"), "introspect", str(cols)],
                         capture_output=True, text=True, timeout=300, cwd=str(tmp_path), check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    deps = yaml.safe_load(res.stdout.split("\n", 1)[1])
    assert deps == {"python": [], "system": []}
    # a dependency declared in the metadata would show up: the check can fail
    (cols / "ansible_collections" / "kcrash" / "nfqueue" / "meta" / "ee-bindep.txt").write_text(
        "iptables [platform:rpm]\n")
    res = subprocess.run([python_tool("ansible-builder"), "introspect", str(cols)],
                         capture_output=True, text=True, timeout=300, cwd=str(tmp_path), check=False)
    assert "iptables" in res.stdout
