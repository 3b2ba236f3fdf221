# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`scripts/lab.sh up` on real podman: a lab host that still answers is reused, one that podman
records as running but whose processes are gone (conmon and the container's init killed from
outside podman, as when the session that started them is torn down) is recreated instead of
failing "did not become ready" (the CI of stop 19 failed that way in the galaxy gate)."""

import os
import subprocess

import pytest

from conftest import REPO, TEST_NAME_PREFIX, podman, require_tool

PREFIX = TEST_NAME_PREFIX + "ktst-labup"   # KCRASH_TEST_NAME_PREFIX: parallel checkouts
NAME = PREFIX + "-clean"


def _lab_up():
    env = dict(os.environ, KCRASH_LAB_NAME_PREFIX=PREFIX)
    return subprocess.run(["bash", os.path.join(REPO, "scripts", "lab.sh"), "up", "clean"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.fixture
def lab_clean():
    require_tool("podman", "podman")
    podman("rm", "-f", "-t", "0", NAME, check=False)
    try:
        yield NAME
    finally:
        podman("rm", "-f", "-t", "0", NAME, check=False)


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
