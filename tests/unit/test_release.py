# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The release tarball: what `ansible-galaxy collection build` puts in it, and the license
headers. The installed tarball runs on the lab in the `galaxy` gate of scripts/test.sh."""

import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

from conftest import REPO

GALAXY = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
# top-level entries a user's collection needs; everything else in the checkout is tooling
SHIPPED_TOP = {"README.md", "COPYING", "MANIFEST.json", "FILES.json", "meta", "plugins", "roles", "playbooks",
               "docs", "changelogs", "awx", "execution-environment.yml", "tests", "CHANGELOG.rst",
               "CHANGELOG.rst.license"}
REQUIRED = {"README.md", "COPYING", "MANIFEST.json", "FILES.json", "meta/runtime.yml", "changelogs/changelog.yaml",
            "changelogs/config.yaml", "playbooks/detect.yml", "playbooks/remediate.yml", "playbooks/rollback.yml",
            "plugins/module_utils/shell.py", "plugins/action/exposure_facts.py",
            "roles/remediate/meta/argument_specs.yml"}
# what a checkout accumulates and must never ship (planted into the build copy below)
JUNK = ["kcrash-report/kcrash-exposure.json", "reports/remediation-apply.json", ".build/lab/x", ".venv/bin/python",
        ".venv-own/bin/python", ".cache/x", "tests/output/junit.xml", ".pytest_cache/v", ".hypothesis/x",
        "plugins/module_utils/__pycache__/shell.cpython-311.pyc", "changelogs/fragments/x.yml",
        "lab/images/base/packages", "kcrash-nfqueue-0.9.0.tar.gz", ".ansible/collections/x"]


def git_files():
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                         capture_output=True, check=True).stdout.decode()
    return sorted(f for f in out.split("\0") if f and os.path.isfile(os.path.join(REPO, f)))


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """The collection built from a copy of the git files plus JUNK."""
    if not os.path.exists(GALAXY):
        pytest.fail("ansible-galaxy not next to %s" % sys.executable)
    src = tmp_path_factory.mktemp("build") / "nfqueue"
    for f in git_files() + JUNK:
        dst = src / f
        dst.parent.mkdir(parents=True, exist_ok=True)
        if f in JUNK:
            dst.write_text("junk\n")
        else:
            shutil.copy2(os.path.join(REPO, f), str(dst))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([GALAXY, "collection", "build", "--output-path", str(out), str(src)], check=True,
                   capture_output=True, env=dict(os.environ, ANSIBLE_CONFIG=""))
    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as f:
        version = yaml.safe_load(f)["version"]
    path = out / ("kcrash-nfqueue-%s.tar.gz" % version)
    with tarfile.open(str(path)) as tar:
        return [m.name for m in tar.getmembers() if m.isfile()]


def test_tarball_has_every_file_a_user_needs(tarball):
    missing = REQUIRED - set(tarball)
    assert not missing, missing
    shipped = [f for f in git_files() if f.split("/")[0] in SHIPPED_TOP
               and not f.startswith(("tests/unit/", "changelogs/fragments/"))]
    assert sorted(set(shipped) - set(tarball)) == []


def test_tarball_has_nothing_else(tarball):
    unexpected = sorted(f for f in tarball if f.split("/")[0] not in SHIPPED_TOP
                        or f.startswith(("tests/unit/", "tests/output/", "changelogs/fragments/"))
                        or "__pycache__" in f or f.endswith((".pyc", ".tar.gz")))
    assert unexpected == []
    assert not set(JUNK) & set(tarball)
    built = {"MANIFEST.json", "FILES.json"}
    assert sorted(set(tarball) - set(git_files()) - built) == []


def test_galaxy_yml_has_release_metadata():
    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as f:
        text = f.read()
    meta = yaml.safe_load(text)
    assert meta["version"] == "1.0.0"
    assert "example.invalid" not in text
    assert meta["license"] == ["GPL-3.0-or-later"]


def test_copying_is_the_gpl3_text():
    with open(os.path.join(REPO, "COPYING"), encoding="utf-8") as f:
        text = f.read()
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 3, 29 June 2007" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_every_python_file_has_the_spdx_header():
    """community.crypto convention: the GNU line, then the SPDX identifier, in the first lines.
    Empty files are exempt: ansible-test's empty-init requires the test packages'
    ``__init__.py`` to be empty (0 bytes), and they hold nothing to license."""
    bad = []
    for f in git_files():
        if not f.endswith(".py") or os.path.getsize(os.path.join(REPO, f)) == 0:
            continue
        with open(os.path.join(REPO, f), encoding="utf-8") as fh:
            head = [next(fh, "") for dummy in range(8)]
        if "# SPDX-License-Identifier: GPL-3.0-or-later\n" not in head or not any(
                line.startswith("# GNU General Public License v3.0+") for line in head):
            bad.append(f)
    assert bad == []


SPDX = "SPDX-License-Identifier: GPL-3.0-or-later"
# the license text itself, and what ansible-galaxy writes into the tarball
NO_HEADER = {"COPYING", "MANIFEST.json", "FILES.json"}


def test_every_shipped_file_carries_the_spdx_identifier(tarball):
    """community.crypto convention (its tests/sanity/extra/licenses.py): every file of the
    collection names its license, in a comment or, for a file that cannot hold one (generated
    changelog, JSON schema, image), in a ``<file>.license`` next to it."""
    bad = []
    for f in tarball:
        if f in NO_HEADER or f.endswith(".license"):
            continue
        path = os.path.join(REPO, f)
        holder = path + ".license" if os.path.exists(path + ".license") else path
        with open(holder, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
        if SPDX not in text or "GNU General Public License v3.0+" not in text:
            bad.append(f)
    assert bad == []
