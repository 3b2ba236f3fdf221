# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SSH lab hosts for tests: fresh containers of the SSH lab images (lab/README.md, "SSH hosts")
on the lab's own podman network, and the inventory `scripts/lab.sh ssh-inventory` writes for
them (ansible.builtin.ssh to each container's address as `ops`, the lab key, the image's become
settings; never `ansible_become`, so `-b` is what escalates).

A missing image or podman is a failure, not a skip (CI builds every lab image first).
"""

import contextlib
import json
import os
import re
import subprocess
import time

import pytest

from conftest import ANSIBLE_PLAYBOOK, COLLECTIONS, CONTAINERS_CONF, REPO, TEST_NAME_PREFIX, podman

LAB_NETWORK = os.environ.get("KCRASH_LAB_NETWORK", "kcrash-lab")
LAB_SH = os.path.join(REPO, "scripts", "lab.sh")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_args(image):
    """The image's own `podman run` arguments (lab/images/<image>/run-args)."""
    path = os.path.join(REPO, "lab", "images", image, "run-args")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.split("#", 1)[0].strip() for line in f if line.split("#", 1)[0].strip()]


@contextlib.contextmanager
def ssh_lab_hosts(tmp_dir, prefix, plan):
    """Start ``plan`` = {key: image} as containers ``<prefix>-<key>`` on the lab network, wait
    for their lab init (sshd up), write their SSH inventory into ``tmp_dir``. Yields
    ``(inventory path, {key: inventory host / container name})``; removes them afterwards."""
    names = {}
    try:
        for key, image in plan.items():
            if podman("image", "exists", "localhost/kcrash-lab/%s:latest" % image, check=False).returncode != 0:
                pytest.fail("lab image %s not built: run scripts/lab.sh build" % image)
        if podman("network", "exists", LAB_NETWORK, check=False).returncode != 0:
            podman("network", "create", LAB_NETWORK, check=False)
        for key, image in plan.items():
            name = "%s%s-%s" % (TEST_NAME_PREFIX, prefix, key)
            podman("rm", "-f", "-t", "0", name, check=False)
            podman(*(["run", "-d", "--name", name, "--hostname", key, "--network", LAB_NETWORK,
                      "--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW"] + run_args(image)
                     + ["localhost/kcrash-lab/%s:latest" % image]))
            names[key] = name
        for name in names.values():
            for dummy in range(120):
                if podman("exec", name, "test", "-e", "/run/kcrash-lab/ready", check=False).returncode == 0:
                    break
                if podman("exec", name, "test", "-e", "/run/kcrash-lab/failed", check=False).returncode == 0:
                    pytest.fail("lab init failed in %s" % name)
                time.sleep(0.5)
            else:
                pytest.fail("lab init of %s did not finish in 60 s" % name)
        inventory = os.path.join(str(tmp_dir), "ssh-inventory.yml")
        env = dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF)
        subprocess.run([LAB_SH, "ssh-inventory", "--network", LAB_NETWORK, "--out", inventory]
                       + list(names.values()), check=True, capture_output=True, env=env)
        yield inventory, names
    finally:
        for name in names.values():
            podman("rm", "-f", "-t", "0", name, check=False)


def sh(name, command, check=True):
    """Run ``command`` as root in container ``name`` (the lab's side door, not the collection)."""
    p = podman("exec", name, "/bin/sh", "-c", command, check=False)
    if check:
        assert p.returncode == 0, (name, command, p.stdout[-2000:], p.stderr[-2000:])
    return p.stdout


def put_text(name, path, text):
    """Write ``text`` to ``path`` in container ``name`` (as root)."""
    subprocess.run(["podman", "exec", "-i", name, "/bin/sh", "-c", 'cat >"$1"', "sh", path], input=text,
                   text=True, check=True, capture_output=True, env=dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF))


def playbook(tmp_dir, inventory, name, *args, pipelining=False, timeout=600):
    """``ansible-playbook -i INVENTORY NAME ARGS`` (NAME a playbook FQCN or path) with the json
    callback, the checkout as kcrash.nfqueue and nothing from the project's ansible.cfg.
    Returns ``(rc, parsed output, raw text)``."""
    tmp_dir = str(tmp_dir)
    cfg = os.path.join(tmp_dir, "ansible.cfg")
    if not os.path.exists(cfg):
        with open(cfg, "w") as f:
            f.write("[defaults]\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_CONFIG=cfg, ANSIBLE_LOCAL_TEMP=os.path.join(tmp_dir, "ltmp"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_PIPELINING=str(bool(pipelining)),
               ANSIBLE_GATHERING="explicit", CONTAINERS_CONF=CONTAINERS_CONF)
    p = subprocess.run([ANSIBLE_PLAYBOOK, "-i", inventory, name] + list(args), capture_output=True,
                       text=True, env=env, timeout=timeout, check=False)
    text = ANSI.sub("", p.stdout) + p.stderr
    try:
        out = json.loads(p.stdout[p.stdout.index("{"):])
    except ValueError:
        raise AssertionError(text[-4000:])
    return p.returncode, out, text


def host_results(out, host):
    """Every task result of ``host`` in a json-callback output, in order: (task name, result)."""
    res = []
    for play in out.get("plays", []):
        for task in play.get("tasks", []):
            if host in task.get("hosts", {}):
                res.append((task["task"]["name"], task["hosts"][host]))
    return res


def failures(out, host):
    return [(name, r) for name, r in host_results(out, host)
            if (r.get("failed") or r.get("unreachable")) and not r.get("ignore_errors")
            and not r.get("skipped")]
