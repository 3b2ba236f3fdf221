# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Wall time of detection (kcrash.nfqueue.detect) over N lab hosts vs the `raw: true` floor.

Prints figures; asserts nothing about time. Needs root, podman and the lab images
(scripts/lab.sh build). Starts its own containers (det-bench-<image>-<i>, label
io.kcrash.detect.bench=1), spread round-robin over the lab images (incident, modern, bare,
clean), and removes them at the end (unless --keep).

Per round, in the same run, same inventory, same forks, alternating to cancel drift:
  floor   a play with one `raw: true` per host (ansible-playbook start-up + one round trip)
  detect  playbooks/detect.yml (one probe per host; report writing off, so only detection)
  action  a play with the kcrash.nfqueue.exposure_facts task alone (no role bookkeeping)
The ratios are median(detect) / median(floor) and median(action) / median(floor), and the same
with the best (minimum) time of each series, which other load on the machine disturbs less;
target <= 1.3.

  sudo .venv/bin/python bench/detect_bench.py [--hosts 12] [--rounds 5] [--forks N]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import lab_fleet  # bench/lab_fleet.py (the script's own directory is on sys.path)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LABEL = "io.kcrash.detect.bench=1"
IMAGES = ("incident", "modern", "bare", "clean")

FLOOR = """---
- name: floor - one raw true per host
  hosts: all
  gather_facts: false
  tasks:
    - name: "raw true"
      ansible.builtin.raw: "true"
      args:
        executable: /bin/sh
      changed_when: false
"""

ACTION = """---
- name: the exposure_facts action alone
  hosts: all
  gather_facts: false
  tasks:
    - name: detect
      kcrash.nfqueue.exposure_facts:
"""


def start(hosts):
    plan = []
    for i in range(hosts):
        image = IMAGES[i % len(IMAGES)]
        plan.append((image, "det-bench-%s-%d" % (image, i // len(IMAGES) + 1), image))
    lab_fleet.start(plan, LABEL)
    return plan


def timed(cmd, env):
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    dt = time.time() - t
    if p.returncode != 0:
        sys.stderr.write(p.stdout[-3000:] + p.stderr[-2000:])
        raise SystemExit("command failed: %s" % " ".join(cmd))
    return dt, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--forks", type=int, default=0, help="default: one fork per host")
    ap.add_argument("--keep", action="store_true", help="leave the containers running")
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args()
    if a.hosts < 10:
        raise SystemExit("use at least 10 hosts")
    forks = a.forks or a.hosts
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", os.path.join(REPO, "lab", "containers.conf"))
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(REPO, ".build", "collections") + os.pathsep + env.get(
        "ANSIBLE_COLLECTIONS_PATH", "")
    env["ANSIBLE_FORKS"] = str(forks)
    env["ANSIBLE_GATHERING"] = "explicit"
    env["ANSIBLE_HOST_KEY_CHECKING"] = "false"
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    if not os.path.exists(playbook):
        playbook = "ansible-playbook"
    tmp = tempfile.mkdtemp(prefix="kcrash-detect-bench-")
    env["ANSIBLE_CONFIG"] = os.path.join(tmp, "ansible.cfg")
    with open(env["ANSIBLE_CONFIG"], "w") as f:
        f.write("[defaults]\nforks = %d\ngathering = explicit\n" % forks)
    floor_yml = os.path.join(tmp, "floor.yml")
    with open(floor_yml, "w") as f:
        f.write(FLOOR)
    action_yml = os.path.join(tmp, "action.yml")
    with open(action_yml, "w") as f:
        f.write(ACTION)
    plan = start(a.hosts)
    containers = [name for dummy, name, dummy2 in plan]
    try:
        inv = os.path.join(tmp, "inventory.yml")
        lab_fleet.write_inventory(inv, containers)
        floor_cmd = [playbook, "-i", inv, floor_yml]
        detect_cmd = [playbook, "-i", inv, "kcrash.nfqueue.detect", "-e", "kcrash_detect_report=false"]
        timed(floor_cmd, env)          # warm-up (imports, podman exec caches)
        _unused, out = timed(detect_cmd, env)
        action_cmd = [playbook, "-i", inv, action_yml]
        floors, detects, actions = [], [], []
        for _unused in range(a.rounds):
            floors.append(timed(floor_cmd, env)[0])
            detects.append(timed(detect_cmd, env)[0])
            actions.append(timed(action_cmd, env)[0])
        fm, dm, am = statistics.median(floors), statistics.median(detects), statistics.median(actions)
        res = {
            "hosts": a.hosts, "forks": forks, "rounds": a.rounds,
            "images": sorted(set(image for image, dummy, dummy2 in plan)),
            "floor_s": [round(x, 3) for x in floors], "detect_s": [round(x, 3) for x in detects],
            "action_s": [round(x, 3) for x in actions],
            "floor_median_s": round(fm, 3), "detect_median_s": round(dm, 3), "action_median_s": round(am, 3),
            "ratio": round(dm / fm, 3), "ratio_action": round(am / fm, 3),
            "ratio_min": round(min(detects) / min(floors), 3), "ratio_action_min": round(min(actions) / min(floors), 3),
            "load_average": os.getloadavg(),
        }
        print("detect bench: %d lab hosts (%s), forks %d, %d rounds" % (
            a.hosts, ", ".join(res["images"]), forks, a.rounds))
        print("  raw: true floor  median %.2f s  (%s)" % (fm, ", ".join("%.2f" % x for x in floors)))
        print("  kcrash.nfqueue.detect  median %.2f s  (%s)" % (dm, ", ".join("%.2f" % x for x in detects)))
        print("  exposure_facts alone   median %.2f s  (%s)" % (am, ", ".join("%.2f" % x for x in actions)))
        print("  ratio detect/floor = %.2f, action/floor = %.2f  (target <= 1.3)" % (dm / fm, am / fm))
        print("  best-of-%d ratios (less sensitive to other load): detect/floor = %.2f, action/floor = %.2f" % (
            a.rounds, min(detects) / min(floors), min(actions) / min(floors)))
        print("  load average at the end: %.1f %.1f %.1f on %d CPUs" % (os.getloadavg() + (os.cpu_count(),)))
        if a.json:
            with open(a.json, "w") as f:
                json.dump(res, f, indent=2)
    finally:
        if not a.keep:
            lab_fleet.remove(containers)


if __name__ == "__main__":
    main()
