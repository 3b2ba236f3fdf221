# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Throwaway fleets of lab containers for the benchmarks (bench/*_bench.py).

Containers are started from the lab images (`scripts/lab.sh build`) with the same options as
`scripts/lab.sh up` (capabilities, the image's `run-args` file), labelled so a bench can find
its own, and waited for until the lab init has marked them ready.
"""

import os
import subprocess
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
IMAGE_PREFIX = "localhost/kcrash-lab"
CAPS = ["--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW"]


def run_args(image):
    """Extra `podman run` arguments an image asks for (lab/images/<image>/run-args)."""
    path = os.path.join(REPO, "lab", "images", image, "run-args")
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    out.append(line)
    return out


def remove(names):
    if names:
        subprocess.run(["podman", "rm", "-f", "-t", "0"] + list(names), capture_output=True, check=False)


def start(plan, label, timeout=60, network=None):
    """Start ``plan`` = [(image, name, hostname), ...] fresh (on podman ``network`` if given, as
    `scripts/lab.sh up` does for SSH hosts) and wait until each is ready."""
    remove([name for dummy, name, dummy2 in plan])
    net = ["--network", network] if network else []
    if network and subprocess.run(["podman", "network", "exists", network], check=False).returncode != 0:
        subprocess.run(["podman", "network", "create", network], check=True, capture_output=True)
    for image, name, hostname in plan:
        subprocess.run(["podman", "run", "-d", "--name", name, "--hostname", hostname, "--label", label] + CAPS
                       + net + run_args(image) + ["%s/%s:latest" % (IMAGE_PREFIX, image)],
                       check=True, capture_output=True, text=True)
    deadline = time.time() + timeout
    for dummy, name, dummy2 in plan:
        while True:
            if subprocess.run(["podman", "exec", name, "test", "-e", "/run/kcrash-lab/ready"],
                              capture_output=True, check=False).returncode == 0:
                break
            if time.time() > deadline:
                raise SystemExit("%s did not become ready" % name)
            time.sleep(0.3)


def write_ssh_inventory(path, names, network):
    """The SSH inventory of SSH lab containers ``names`` (scripts/lab.sh ssh-inventory: their
    addresses on ``network``, user ops, the lab key, each image's become settings)."""
    subprocess.run([os.path.join(REPO, "scripts", "lab.sh"), "ssh-inventory", "--network", network, "--out", path]
                   + list(names), check=True, capture_output=True, text=True)
    return path


def write_inventory(path, names):
    """A static inventory of ``names`` with the podman connection."""
    with open(path, "w") as f:
        f.write("all:\n  vars:\n    ansible_connection: containers.podman.podman\n  hosts:\n")
        for name in names:
            f.write("    %s:\n      ansible_host: %s\n" % (name, name))
    return path
