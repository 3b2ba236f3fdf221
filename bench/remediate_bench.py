# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Wall time of playbooks/remediate.yml over N lab hosts vs the `raw: true` floor.

Prints figures; asserts nothing about time. Needs root, podman and the lab images
(scripts/lab.sh build). Starts its own containers (rem-bench-<image>-<i>, label
io.kcrash.remediate.bench=1) and removes them at the end.

For every round, on a freshly created fleet (every host exposed, like the incident host):
  floor   one `raw: true` per host (ansible-playbook start-up + one round trip)
  check   remediate.yml --check --diff  (drift on every host; changes nothing)
  apply   remediate.yml -e kcrash_confirm=true (detect, offload, re-detect, report)
  check2  remediate.yml --check --diff after the apply (zero drift)
  apply2  remediate.yml again (idempotent, nothing to do)
Each run is paired with a floor run made right before it; the ratio printed is the median
over the rounds of (run / its floor), which keeps a changing machine load out of the ratio.
Targets: check <= 2x, apply <= 3x.

  sudo .venv/bin/python bench/remediate_bench.py [--hosts 10] [--rounds 3] [--image incident]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import lab_fleet  # bench/lab_fleet.py (the script's own directory is on sys.path)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LABEL = "io.kcrash.remediate.bench=1"


def names(image, n):
    return ["rem-bench-%s-%d" % (image, i) for i in range(1, n + 1)]


def start_fleet(image, n):
    containers = names(image, n)
    lab_fleet.start([(image, c, c) for c in containers], LABEL)
    return containers


def ansible_env(tmp):
    cols = os.path.join(tmp, "collections")
    ns = os.path.join(cols, "ansible_collections", "kcrash")
    os.makedirs(ns, exist_ok=True)
    if not os.path.exists(os.path.join(ns, "nfqueue")):
        os.symlink(REPO, os.path.join(ns, "nfqueue"))
    env = dict(os.environ)
    env.update({
        "CONTAINERS_CONF": os.path.join(REPO, "lab", "containers.conf"),
        "ANSIBLE_CONFIG": os.path.join(REPO, "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": cols,
        "ANSIBLE_FORKS": str(max(10, 1)),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_STDOUT_CALLBACK": "default",
    })
    return env


def timed(cmd, env, tmp):
    t0 = time.monotonic()
    res = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, check=False)
    dt = time.monotonic() - t0
    if res.returncode != 0:
        sys.stderr.write(res.stdout[-4000:] + res.stderr[-4000:])
        raise SystemExit("failed (%d): %s" % (res.returncode, " ".join(cmd)))
    return dt, res.stdout


def recap_changed(stdout):
    total = 0
    for line in stdout.splitlines():
        if " changed=" in line and " ok=" in line:
            total += int(line.split(" changed=")[1].split()[0])
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--image", default="incident")
    ap.add_argument("--forks", type=int, default=10)
    ap.add_argument("--keep", action="store_true", help="leave the containers running")
    args = ap.parse_args()
    if shutil.which("podman") is None:
        raise SystemExit("podman not found (scripts/setup.sh installs it)")
    bindir = os.path.dirname(sys.executable)
    playbook_bin = os.path.join(bindir, "ansible-playbook")
    tmp = tempfile.mkdtemp(prefix="rem-bench-")
    env = ansible_env(tmp)
    env["ANSIBLE_FORKS"] = str(args.forks)
    floor_pb = os.path.join(tmp, "floor.yml")
    with open(floor_pb, "w") as f:
        f.write("- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.raw: 'true'\n")
    remediate = os.path.join(REPO, "playbooks", "remediate.yml")
    times = {k: [] for k in ("floor", "check", "apply", "check2", "apply2")}
    changed = {k: [] for k in times}
    ratios = {k: [] for k in ("check", "apply", "check2", "apply2")}
    load_before = os.getloadavg()
    containers = []
    try:
        for r in range(args.rounds):
            containers = start_fleet(args.image, args.hosts)
            inv = lab_fleet.write_inventory(os.path.join(tmp, "inventory.yml"), containers)
            report = os.path.join(tmp, "reports")
            base = [playbook_bin, "-i", inv]
            rem = base + [remediate, "-e", "kcrash_report_dir=%s" % report]
            steps = [
                ("check", rem + ["--check", "--diff"]),
                ("apply", rem + ["-e", "kcrash_confirm=true"]),
                ("check2", rem + ["--check", "--diff"]),
                ("apply2", rem + ["-e", "kcrash_confirm=true"]),
            ]
            # each step right after its own floor run: the ratio of the pair is robust to the
            # machine's load drifting during the benchmark
            for key, cmd in steps:
                fdt, fout = timed(base + [floor_pb], env, tmp)
                times["floor"].append(fdt)
                changed["floor"].append(recap_changed(fout))
                dt, out = timed(cmd, env, tmp)
                times[key].append(dt)
                changed[key].append(recap_changed(out))
                ratios[key].append(dt / fdt)
            print("round %d: %s" % (r + 1, "  ".join("%s %.2fs (floor %.2fs, x%.2f)" % (
                k, times[k][-1], times["floor"][-4 + i], ratios[k][-1])
                for i, k in enumerate(("check", "apply", "check2", "apply2")))), flush=True)
            if not args.keep:
                lab_fleet.remove(containers)
    finally:
        if not args.keep:
            lab_fleet.remove(containers)
        shutil.rmtree(tmp, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    rmed = {k: statistics.median(v) for k, v in ratios.items()}
    load_after = os.getloadavg()
    print()
    print("remediate.yml over %d %s hosts, forks %d, %d round(s); load average %.1f before, "
          "%.1f after (2 cores)" % (args.hosts, args.image, args.forks, args.rounds,
                                    load_before[0], load_after[0]))
    print("| run | median wall (s) | median x floor (paired) | changed (recap, per round) | target |")
    print("|---|---|---|---|---|")
    targets = {"check": "<= 2x", "apply": "<= 3x", "check2": "<= 2x", "apply2": "<= 3x"}
    labels = {"floor": "`raw: true` floor", "check": "check --diff, drift on every host",
              "apply": "apply (detect, offload, re-detect, report)",
              "check2": "check --diff after apply (zero drift)", "apply2": "apply again (no-op)"}
    for k in ("floor", "check", "apply", "check2", "apply2"):
        print("| %s | %.2f | %s | %s | %s |" % (
            labels[k], med[k], "1.00" if k == "floor" else "%.2f" % rmed[k],
            "/".join(str(c) for c in changed[k]) if k != "floor" else "-", targets.get(k, "")))
    print()
    print("ratio check/floor = %.2f (target <= 2), apply/floor = %.2f (target <= 3)"
          % (rmed["check"], rmed["apply"]))


if __name__ == "__main__":
    main()
