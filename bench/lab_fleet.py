# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throwaway fleets of lab containers for the benchmarks (bench/*_bench.py).

Containers are started from the lab images (`scripts/lab.sh build`) with the same options as
`scripts/lab.sh up` (capabilities, the image's `run-args` file), labelled so a bench can find
its own, and waited for until the lab init has marked them ready.
"""

import contextlib
import json
import os
import resource
import statistics
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


class HostCpu(object):
    """CPU time the containers ``names`` used (their cgroups: v1 ``cpuacct.usage`` or v2
    ``cpu.stat`` ``usage_usec``), i.e. the hosts' side of a run: on the lab the hosts share
    the controller's cores, on a real fleet each host pays it on its own CPUs."""

    def __init__(self, names):
        self.files = []
        for name in names:
            pid = subprocess.run(["podman", "inspect", "-f", "{{.State.Pid}}", name], capture_output=True,
                                 text=True, check=True).stdout.strip()
            with open("/proc/%s/cgroup" % pid) as f:
                lines = [line.rstrip("\n").split(":", 2) for line in f]
            path = None
            for dummy, controllers, rel in lines:
                if "cpuacct" in controllers.split(","):
                    path = ("v1", "/sys/fs/cgroup/%s%s/cpuacct.usage" % (controllers, rel))
                    if not os.path.exists(path[1]):
                        path = ("v1", "/sys/fs/cgroup/cpuacct%s/cpuacct.usage" % rel)
            if path is None:
                rel = [r for dummy, c, r in lines if c == ""][0]
                path = ("v2", "/sys/fs/cgroup%s/cpu.stat" % rel)
            self.files.append(path)

    def seconds(self):
        total = 0.0
        for kind, path in self.files:
            with open(path) as f:
                text = f.read()
            if kind == "v1":
                total += int(text.strip()) / 1e9
            else:
                total += int(dict(line.split() for line in text.splitlines())["usage_usec"]) / 1e6
        return total


def children_cpu_seconds():
    """User + system CPU of this process's waited-for children (the controller's side of a run)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


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


def alternate(series, rounds, run):
    """Time ``series`` = [(key, label, command), ...] ``rounds`` times, alternating (so drift in
    the machine's load hits every series alike); ``run(command)`` returns seconds.
    Returns {key: [seconds, ...]}."""
    times = dict((key, []) for key, dummy, dummy2 in series)
    for dummy in range(rounds):
        for key, dummy2, command in series:
            times[key].append(run(command))
    return times


def figures(series, times, target=1.3):
    """Figures of :func:`alternate`'s ``times``; the first series is the floor. Returns
    (dict for --json, printable lines): each series' times and median, and each other series'
    ratio to the floor by median and by best time."""
    floor = series[0][0]
    fm, fmin = statistics.median(times[floor]), min(times[floor])
    res, lines, ratios = {}, [], []
    for key, label, dummy in series:
        med = statistics.median(times[key])
        res[key + "_s"] = [round(x, 3) for x in times[key]]
        res[key + "_median_s"] = round(med, 3)
        lines.append("  %-28s median %.2f s  (%s)" % (label, med, ", ".join("%.2f" % x for x in times[key])))
        if key != floor:
            res["ratio_" + key] = round(med / fm, 3)
            res["ratio_" + key + "_min"] = round(min(times[key]) / fmin, 3)
            ratios.append("%s/%s = %.2f (best of %d: %.2f)" % (key, floor, med / fm, len(times[key]),
                                                               min(times[key]) / fmin))
    lines.append("  ratios: %s  (target <= %s)" % (", ".join(ratios), target))
    lines.append("  load average at the end: %.1f %.1f %.1f on %d CPUs" % (os.getloadavg() + (os.cpu_count(),)))
    res["load_average"] = os.getloadavg()
    return res, lines


@contextlib.contextmanager
def fleet(plan, label, network=None, keep=False):
    """:func:`start` ``plan``; yields the container names; removes them afterwards unless ``keep``."""
    names = [name for dummy, name, dummy2 in plan]
    start(plan, label, network=network)
    try:
        yield names
    finally:
        if not keep:
            remove(names)


def write_json(path, figures_dict):
    """The figures as JSON at ``path`` (a bench's --json), when a path is given."""
    if path:
        with open(path, "w") as f:
            json.dump(figures_dict, f, indent=2)
