# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest plugin shared by every molecule scenario's testinfra tests (loaded with -p).

Molecule's testinfra verifier uses testinfra's ansible backend; for a connection it does not
know (podman) that backend runs every command through the ansible `shell` module, which needs
Python on the target. The lab's `bare` host has none, and one module per command is slow. This
plugin makes hosts whose ansible_connection is podman use testinfra's podman backend
(`podman exec <container> /bin/sh -c <command>`) instead, so `host.run`, `host.file`, ...
work on every lab host. `host.ansible(...)` still runs real ansible modules.

It also holds what several scenarios' tests need: :func:`restart_container` (a reboot of a
lab host, waited for until its init has run again).
"""

import os
import subprocess
import time

import testinfra
from testinfra.utils import ansible_runner

PODMAN_CONNECTIONS = ("podman", "containers.podman.podman")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

_original_get_host = ansible_runner.AnsibleRunner.get_host


def _get_host(self, host, **kwargs):
    hostvars = self.get_variables(host)
    if hostvars.get("ansible_connection") in PODMAN_CONNECTIONS:
        cache = self._host_cache
        if host not in cache:
            container = hostvars.get("ansible_host") or hostvars.get("inventory_hostname") or host
            cache[host] = testinfra.get_host("podman://" + container)
        return cache[host]
    return _original_get_host(self, host, **kwargs)


ansible_runner.AnsibleRunner.get_host = _get_host


def restart_container(host, name):
    """Restart lab container ``name`` (its "reboot") and wait until the lab init marked it
    ready again; AssertionError when it does not."""
    env = dict(os.environ, CONTAINERS_CONF=os.path.join(REPO, "lab", "containers.conf"))
    # /run survives `podman restart`: drop the last boot's marker first, or the wait below
    # could see it before the new init has removed it
    host.run("rm -f /run/kcrash-lab/ready /run/kcrash-lab/failed")
    subprocess.run(["podman", "restart", "-t", "1", name], check=True, env=env, capture_output=True)
    for dummy in range(60):
        if host.run("test -e /run/kcrash-lab/ready").rc == 0:
            return
        time.sleep(0.5)
    raise AssertionError("lab init did not finish after restart")
