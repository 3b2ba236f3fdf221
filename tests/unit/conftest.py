# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make this checkout importable as ``ansible_collections.kcrash.nfqueue`` under plain pytest.

The checkout is linked as ``.build/pytest-collections/ansible_collections/kcrash/nfqueue``
and Ansible's own collection finder is installed with that path first, the way
ansible-test does it, so action and filter plugins import exactly as under Ansible.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
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
COLLECTIONS = _ROOT     # ANSIBLE_COLLECTIONS_PATH of the tests that run ansible-playbook
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # noqa: E402

_AnsibleCollectionFinder._remove()
_AnsibleCollectionFinder(paths=[_ROOT])._install()

# A skip that tests/unit/allowed_skips.txt does not allow fails the run under the unit gate.
import skip_gate  # noqa: E402
from skip_gate import pytest_collectreport, pytest_runtest_logreport, pytest_sessionfinish, pytest_terminal_summary  # noqa: E402,F401 pylint: disable=unused-import,wrong-import-position


# ------------------------------------------------------------------ real tools

IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")


def require_tool(name, apt_package):
    """Path of the real tool ``name`` (PATH, then /usr/sbin and /sbin). Missing: under CI
    (``CI=true``) the test FAILS naming the tool, since scripts/setup.sh installs every tool a
    test uses (requirements/apt-packages.txt); elsewhere it skips with the install hint."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path:
        return path
    msg = "tool `%s` not installed: apt-get install -y %s (scripts/setup.sh installs it)" % (name, apt_package)
    if IN_CI:
        pytest.fail("CI=true: " + msg, pytrace=False)
    pytest.skip(msg)


def python_tool(name):
    """Path of the console script ``name`` of a Python package the project pins
    (requirements/controller.in): next to this interpreter, then in the worktree's own
    ``.venv-own``, then on PATH. Missing is a failure: every pin is installed for the tests."""
    for path in (os.path.join(os.path.dirname(sys.executable), name), os.path.join(REPO, ".venv-own", "bin", name),
                 shutil.which(name)):
        if path and os.path.exists(path):
            return path
    pytest.fail("%s is not installed (requirements/controller.in pins it)" % name)


def stand_ins(bindir, tools):
    """Write ``tools`` = {name: script text} as executables into ``bindir`` (a pathlib
    directory, made when missing): stand-ins a test puts before the real tools. Returns the
    PATH that finds them first, then this process's PATH."""
    bindir.mkdir(exist_ok=True)
    for name, text in tools.items():
        (bindir / name).write_text(text)
        (bindir / name).chmod(0o755)
    return "%s:%s" % (bindir, os.environ["PATH"])


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
# where the lab images are (scripts/lab.sh builds them there; same override variable)
LAB_PREFIX = os.environ.get("KCRASH_LAB_PREFIX", "localhost/kcrash-lab")
# prepended to the name of every container the tests start (lab_hosts, ssh_lab_hosts): two
# checkouts running the same tests on one machine then do not remove each other's hosts
TEST_NAME_PREFIX = os.environ.get("KCRASH_TEST_NAME_PREFIX", "")


def podman(*args, check=True):
    env = dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF)
    return subprocess.run(["podman"] + list(args), capture_output=True, text=True, env=env, check=check)


def wait_ready(name):
    """Wait until lab container ``name`` finished its init ("boot"); fail the test with the
    init log when the init failed or did not end within 60 s."""
    for dummy in range(120):
        if podman("exec", name, "test", "-e", "/run/kcrash-lab/ready", check=False).returncode == 0:
            return
        if podman("exec", name, "test", "-e", "/run/kcrash-lab/failed", check=False).returncode == 0:
            break
        time.sleep(0.5)
    log = podman("exec", name, "cat", "/var/log/kcrash-lab-init.log", check=False).stdout
    pytest.fail("%s: lab init failed or not ready after 60 s:\n%s" % (name, log[-2000:]))


def restart_lab_host(name):
    """`podman restart` (the lab's reboot: the init rebuilds live state from the files), then
    :func:`wait_ready`."""
    podman("exec", name, "rm", "-f", "/run/kcrash-lab/ready", "/run/kcrash-lab/failed", check=False)
    podman("restart", "-t", "1", name)
    wait_ready(name)


@contextlib.contextmanager
def lab_hosts(prefix, images):
    """Fresh containers of the lab ``images`` named ``<prefix>-<image>``, ready when the lab
    init says so; removed afterwards. Yields ``{image: container name}``. When podman or an
    image is missing the test fails under the unit gate / CI (the lab-build gate runs first)
    and skips with a hint elsewhere; a host whose init fails or never ends fails the test."""
    missing = pytest.fail if skip_gate.gate_active() else pytest.skip
    if not shutil.which("podman"):
        missing("podman not installed (scripts/setup.sh installs it)")
    for image in images:
        if podman("image", "exists", "%s/%s:latest" % (LAB_PREFIX, image), check=False).returncode != 0:
            missing("lab image %s not built (scripts/lab.sh build %s)" % (image, image))
    names = {}
    try:
        for image in images:
            name = "%s%s-%s" % (TEST_NAME_PREFIX, prefix, image)
            # twice: a leftover container whose processes were killed outside podman can
            # refuse the first rm ("container state improper") while podman catches up
            if podman("rm", "-f", "-t", "0", name, check=False).returncode != 0:
                podman("rm", "-f", "-t", "0", name, check=False)
            podman("run", "-d", "--name", name, "--hostname", image, "--cap-add", "NET_ADMIN",
                   "--cap-add", "NET_RAW", "%s/%s:latest" % (LAB_PREFIX, image))
            names[image] = name
        for name in names.values():
            wait_ready(name)
        yield names
    finally:
        for name in names.values():
            podman("rm", "-f", "-t", "0", name, check=False)


def bundled_collections():
    """COLLECTIONS plus the collections of the `ansible` package next to this python (the
    podman connection plugin)."""
    import ansible_collections.containers.podman as cp
    return COLLECTIONS + ":" + os.path.dirname(os.path.dirname(os.path.dirname(cp.__file__)))


def run_play_json(tmp_path, tasks, inventory="testhost,", extra=(), wrap=(), env=None, collections=None):
    """Run ``tasks`` (task dicts) as one play with the real ansible-playbook and the json
    callback; ``testhost,`` uses the local connection, ``wrap`` prefixes the command (e.g.
    ``ip netns exec NS``). Returns ``(rc, parsed output)``; output that is not JSON fails
    the test with the tail of stdout and stderr."""
    if not os.path.exists(ANSIBLE_PLAYBOOK):
        pytest.skip("ansible-playbook not next to this python")
    (tmp_path / "play.yml").write_text(json.dumps([{"hosts": "all", "gather_facts": False, "tasks": tasks}]))
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    full_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections or COLLECTIONS, ANSIBLE_STDOUT_CALLBACK="json",
                    ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "ltmp"),
                    ANSIBLE_REMOTE_TEMP=str(tmp_path / "rtmp"), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                    CONTAINERS_CONF=CONTAINERS_CONF)
    full_env.update(env or {})
    cmd = list(wrap) + [ANSIBLE_PLAYBOOK, "-i", inventory, str(tmp_path / "play.yml")] + list(extra)
    if inventory == "testhost,":
        cmd += ["-c", "local"]
    p = subprocess.run(cmd, capture_output=True, env=full_env, timeout=300, check=False)
    try:
        return p.returncode, json.loads(p.stdout.decode())
    except ValueError:
        raise AssertionError(p.stdout.decode()[-2000:] + p.stderr.decode()[-2000:])
