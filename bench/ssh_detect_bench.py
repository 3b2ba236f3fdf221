# -*- coding: utf-8 -*-
"""Wall time of detection over SSH (`kcrash.nfqueue.detect -b`, ControlPersist on) on N SSH lab
hosts vs the `raw: true` floor over the same SSH hosts, in the same run.

Prints figures; asserts nothing about time. Needs root, podman and the SSH lab images
(scripts/lab.sh build). Starts its own containers (<prefix>-<image>-<i>, default prefix ssh-bench, label
io.kcrash.ssh.bench=1) on the lab network, round-robin over the SSH lab images (ssh-incident,
ssh-sudo-password, ssh-bare, ssh-port2222, ssh-su: sudo NOPASSWD with requiretty, sudo with a
password, busybox, port 2222, su), reached with ansible.builtin.ssh as `ops` (the inventory
`scripts/lab.sh ssh-inventory` writes), and removes them at the end (unless --keep).

Per round, alternating: floor = a play with one `raw: true` per host, escalated with `-b` like
the detection (ansible-playbook start-up + one round trip through sudo/su); detect =
playbooks/detect.yml with `-b` (one probe per host; report writing off); action = a play with the
kcrash.nfqueue.exposure_facts task alone, `-b` (no role bookkeeping). A warm-up run opens
the ControlPersist masters first, so both series reuse them. Ratio = median(detect) /
median(floor), and best-of-N; target <= 1.3.

  sudo .venv/bin/python bench/ssh_detect_bench.py [--hosts 10] [--rounds 5] [--pipelining]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile

import lab_fleet  # bench/lab_fleet.py (the script's own directory is on sys.path)
from detect_bench import ACTION, FLOOR, timed

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LABEL = "io.kcrash.ssh.bench=1"
NETWORK = os.environ.get("KCRASH_LAB_NETWORK", "kcrash-lab")
IMAGES = ("ssh-incident", "ssh-sudo-password", "ssh-bare", "ssh-port2222", "ssh-su")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pipelining", action="store_true", help="ANSIBLE_PIPELINING on (default off)")
    ap.add_argument("--prefix", default="ssh-bench", help="container names <prefix>-<image>-<i>")
    ap.add_argument("--keep", action="store_true", help="leave the containers running")
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args()
    if a.hosts < 10:
        raise SystemExit("use at least 10 hosts")
    tmp = tempfile.mkdtemp(prefix="kcrash-ssh-bench-")
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", os.path.join(REPO, "lab", "containers.conf"))
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(REPO, ".build", "collections")
    env["ANSIBLE_CONFIG"] = os.path.join(tmp, "ansible.cfg")
    with open(env["ANSIBLE_CONFIG"], "w") as f:
        f.write("[defaults]\nforks = %d\ngathering = explicit\nhost_key_checking = False\n"
                "[ssh_connection]\nssh_args = -C -o ControlMaster=auto -o ControlPersist=300s\n"
                "control_path_dir = %s\npipelining = %s\n" % (a.hosts, os.path.join(tmp, "cp"), a.pipelining))
    floor_yml, action_yml = os.path.join(tmp, "floor.yml"), os.path.join(tmp, "action.yml")
    for path, text in ((floor_yml, FLOOR), (action_yml, ACTION)):
        with open(path, "w") as f:
            f.write(text)
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    plan = [(IMAGES[i % len(IMAGES)], "%s-%s-%d" % (a.prefix, IMAGES[i % len(IMAGES)], i // len(IMAGES) + 1),
             "%s-%d" % (IMAGES[i % len(IMAGES)], i // len(IMAGES) + 1)) for i in range(a.hosts)]
    containers = [name for dummy, name, dummy2 in plan]
    lab_fleet.start(plan, LABEL, network=NETWORK)
    try:
        inv = lab_fleet.write_ssh_inventory(os.path.join(tmp, "ssh-inventory.yml"), containers, NETWORK)
        floor_cmd = [playbook, "-i", inv, floor_yml, "-b"]
        detect_cmd = [playbook, "-i", inv, "kcrash.nfqueue.detect", "-b", "-e", "kcrash_detect_report=false"]
        timed(floor_cmd, env)          # warm-up: imports, ControlPersist masters
        action_cmd = [playbook, "-i", inv, action_yml, "-b"]
        timed(detect_cmd, env)
        floors, detects, actions = [], [], []
        for dummy in range(a.rounds):
            floors.append(timed(floor_cmd, env)[0])
            detects.append(timed(detect_cmd, env)[0])
            actions.append(timed(action_cmd, env)[0])
        fm, dm, am = statistics.median(floors), statistics.median(detects), statistics.median(actions)
        res = {"hosts": a.hosts, "rounds": a.rounds, "pipelining": a.pipelining, "images": list(IMAGES),
               "floor_s": [round(x, 3) for x in floors], "detect_s": [round(x, 3) for x in detects],
               "action_s": [round(x, 3) for x in actions], "action_median_s": round(am, 3),
               "ratio_action": round(am / fm, 3), "ratio_action_min": round(min(actions) / min(floors), 3),
               "floor_median_s": round(fm, 3), "detect_median_s": round(dm, 3), "ratio": round(dm / fm, 3),
               "ratio_min": round(min(detects) / min(floors), 3), "load_average": os.getloadavg()}
        print("ssh detect bench: %d SSH lab hosts (%s), ansible.builtin.ssh as ops with -b, ControlPersist on, "
              "pipelining %s, forks %d, %d rounds" % (a.hosts, ", ".join(IMAGES), "on" if a.pipelining else "off",
                                                      a.hosts, a.rounds))
        print("  raw: true floor (-b)      median %.2f s  (%s)" % (fm, ", ".join("%.2f" % x for x in floors)))
        print("  kcrash.nfqueue.detect -b  median %.2f s  (%s)" % (dm, ", ".join("%.2f" % x for x in detects)))
        print("  exposure_facts -b alone   median %.2f s  (%s)" % (am, ", ".join("%.2f" % x for x in actions)))
        print("  ratio detect/floor = %.2f, action/floor = %.2f  (target <= 1.3)" % (dm / fm, am / fm))
        print("  best-of-%d ratios: detect/floor = %.2f, action/floor = %.2f" % (
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
