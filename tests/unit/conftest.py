"""Make this checkout importable as ``ansible_collections.kcrash.nfqueue`` under plain pytest.

The checkout is linked as ``.build/pytest-collections/ansible_collections/kcrash/nfqueue``
and Ansible's own collection finder is installed with that path first, the way
ansible-test does it, so action and filter plugins import exactly as under Ansible.
"""

import contextlib
import os
import shutil
import subprocess
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.abspath(os.path.join(REPO, "..", "shared"))
CORPUS = os.path.join(SHARED, "corpus")
FIXTURES = os.path.join(REPO, "tests", "unit", "fixtures")


def _link_collection():
    root = os.path.join(REPO, ".build", "pytest-collections")
    ns = os.path.join(root, "ansible_collections", "kcrash")
    link = os.path.join(ns, "nfqueue")
    os.makedirs(ns, exist_ok=True)
    if not os.path.islink(link) or os.path.realpath(link) != REPO:
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(REPO, link)
    return root


_ROOT = _link_collection()

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # noqa: E402

_AnsibleCollectionFinder._remove()
_AnsibleCollectionFinder(paths=[_ROOT])._install()


@pytest.fixture
def corpus():
    """Path to the shared public corpus (read in place, never copied)."""
    if not os.path.isdir(CORPUS):
        pytest.fail("shared corpus not found at %s" % CORPUS)
    return CORPUS


@pytest.fixture
def fixtures():
    return FIXTURES


def read_fixture(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


# ------------------------------------------------------------------ lab containers

CONTAINERS_CONF = os.path.join(REPO, "lab", "containers.conf")


def podman(*args, check=True):
    env = dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF)
    return subprocess.run(["podman"] + list(args), capture_output=True, text=True, env=env, check=check)


@contextlib.contextmanager
def lab_hosts(prefix, images):
    """Fresh containers of the lab ``images`` named ``<prefix>-<image>`` (skips the test when
    podman or an image is missing), ready when the lab init says so; removed afterwards.
    Yields ``{image: container name}``."""
    if not shutil.which("podman"):
        pytest.skip("podman not installed")
    for image in images:
        if podman("image", "exists", "localhost/kcrash-lab/%s:latest" % image, check=False).returncode != 0:
            pytest.skip("lab image %s not built (scripts/lab.sh build)" % image)
    names = {}
    try:
        for image in images:
            name = "%s-%s" % (prefix, image)
            podman("rm", "-f", "-t", "0", name, check=False)
            podman("run", "-d", "--name", name, "--hostname", image, "--cap-add", "NET_ADMIN",
                   "--cap-add", "NET_RAW", "localhost/kcrash-lab/%s:latest" % image)
            names[image] = name
        for name in names.values():
            for dummy in range(60):
                if podman("exec", name, "test", "-e", "/run/kcrash-lab/ready", check=False).returncode == 0:
                    break
                time.sleep(0.5)
        yield names
    finally:
        for name in names.values():
            podman("rm", "-f", "-t", "0", name, check=False)
