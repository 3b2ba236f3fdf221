# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`scripts/lab.sh up` on real podman: a lab host that still answers is reused, one that podman
records as running but whose processes are gone (conmon and the container's init killed from
outside podman, as when the session that started them is torn down) is recreated instead of
failing "did not become ready" (the CI of stop 19 failed that way in the galaxy gate).
`down` and `status` touch only the lab of their own KCRASH_LAB_NAME_PREFIX."""

import os
import subprocess

import pytest

from conftest import REPO, TEST_NAME_PREFIX, podman, require_tool

PREFIX = TEST_NAME_PREFIX + "ktst-labup"   # KCRASH_TEST_NAME_PREFIX: parallel checkouts
NAME = PREFIX + "-clean"


OTHER = TEST_NAME_PREFIX + "ktst-labother"   # a second lab under another prefix
OTHER_NAME = OTHER + "-clean"


def _lab(*args, prefix=PREFIX):
    env = dict(os.environ, KCRASH_LAB_NAME_PREFIX=prefix)
    return subprocess.run(["bash", os.path.join(REPO, "scripts", "lab.sh")] + list(args),
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def _lab_up():
    return _lab("up", "clean")


@pytest.fixture
def lab_clean():
    require_tool("podman", "podman")
    for name in (NAME, OTHER_NAME):
        podman("rm", "-f", "-t", "0", name, check=False)
    try:
        yield NAME
    finally:
        for name in (NAME, OTHER_NAME):
            podman("rm", "-f", "-t", "0", name, check=False)


def _answers(name):
    return podman("exec", name, "true", check=False).returncode == 0


def test_running_host_is_reused_and_a_dead_one_recreated(lab_clean):
    first = _lab_up()
    assert first.returncode == 0, first.stdout + first.stderr
    started = podman("inspect", "--format", "{{.Id}}", lab_clean).stdout.strip()

    again = _lab_up()
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already running the current image" in again.stdout + again.stderr
    assert podman("inspect", "--format", "{{.Id}}", lab_clean).stdout.strip() == started

    pids = podman("inspect", "--format", "{{.State.Pid}} {{.State.ConmonPid}}", lab_clean).stdout.split()
    for pid in reversed(pids):
        os.kill(int(pid), 9)
    assert podman("inspect", "--format", "{{.State.Status}}", lab_clean).stdout.strip() == "running"
    assert not _answers(lab_clean)

    healed = _lab_up()
    assert healed.returncode == 0, healed.stdout + healed.stderr
    assert "does not answer: recreating it" in healed.stdout + healed.stderr
    assert _answers(lab_clean)
    assert podman("exec", lab_clean, "test", "-e", "/run/kcrash-lab/ready", check=False).returncode == 0


def _exists(name):
    return podman("container", "exists", name, check=False).returncode == 0


def test_down_and_status_touch_only_their_own_prefix(lab_clean):
    for prefix in (PREFIX, OTHER):
        up = _lab("up", "clean", prefix=prefix)
        assert up.returncode == 0, up.stdout + up.stderr
    status = _lab("status", prefix=OTHER)
    assert OTHER_NAME in status.stdout and NAME not in status.stdout, status.stdout
    down = _lab("down", prefix=PREFIX)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "removed 1 lab container(s)" in down.stdout + down.stderr
    assert not _exists(NAME)
    assert _answers(OTHER_NAME)


def test_host_started_without_the_prefix_label_is_recreated(lab_clean):
    # a lab container started before `up` labelled its prefix: `down` would not see it, so
    # `up` replaces it rather than reusing it
    image = "localhost/kcrash-lab/clean:latest"
    podman("run", "-d", "--name", NAME, "--label", "io.kcrash.lab=demo", "--label", "io.kcrash.lab.host=clean",
           "--cap-add", "NET_ADMIN", image)
    old = podman("inspect", "--format", "{{.Id}}", NAME).stdout.strip()
    up = _lab_up()
    assert up.returncode == 0, up.stdout + up.stderr
    assert "already running" not in up.stdout + up.stderr
    assert podman("inspect", "--format", "{{.Id}}", NAME).stdout.strip() != old
    down = _lab("down")
    assert down.returncode == 0 and not _exists(NAME), down.stdout + down.stderr
