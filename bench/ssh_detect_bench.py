# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
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
median(floor), and best-of-N; target <= 1.3. With --baseline, the detect and action series of
another copy of the collection (e.g. `git archive` of an earlier commit) run in the same rounds.

  sudo .venv/bin/python bench/ssh_detect_bench.py [--hosts 10] [--rounds 5] [--pipelining] [--baseline DIR]
"""

import argparse
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
    ap.add_argument("--baseline", metavar="COLLECTIONS_PATH",
                    help="also time, interleaved in the same rounds, the detect playbook and the action of the "
                         "kcrash.nfqueue collection found under this collections path (e.g. an export of an "
                         "earlier commit): a before/after comparison that the machine's load hits alike")
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
    with lab_fleet.fleet(plan, LABEL, network=NETWORK, keep=a.keep) as containers:
        inv = lab_fleet.write_ssh_inventory(os.path.join(tmp, "ssh-inventory.yml"), containers, NETWORK)
        floor_cmd = [playbook, "-i", inv, floor_yml, "-b"]
        detect_cmd = [playbook, "-i", inv, "kcrash.nfqueue.detect", "-b", "-e", "kcrash_detect_report=false"]
        timed(floor_cmd, env)          # warm-up: imports, ControlPersist masters
        timed(detect_cmd, env)
        action_cmd = [playbook, "-i", inv, action_yml, "-b"]
        series = [("floor", "raw: true floor (-b)", (floor_cmd, env)),
                  ("detect", "kcrash.nfqueue.detect -b", (detect_cmd, env)),
                  ("action", "exposure_facts -b alone", (action_cmd, env))]
        if a.baseline:
            base_env = dict(env, ANSIBLE_COLLECTIONS_PATH=os.path.abspath(a.baseline))
            timed(detect_cmd, base_env)
            series += [("detect_base", "detect -b (baseline)", (detect_cmd, base_env)),
                       ("action_base", "exposure_facts (baseline)", (action_cmd, base_env))]
        host_cpu = lab_fleet.HostCpu(containers)
        cpu = dict((key, []) for key, dummy, dummy2 in series)

        def run(key_cmd_env):
            key, (cmd, cmd_env) = key_cmd_env
            c0, h0 = lab_fleet.children_cpu_seconds(), host_cpu.seconds()
            wall = timed(cmd, cmd_env)[0]
            cpu[key].append((lab_fleet.children_cpu_seconds() - c0, host_cpu.seconds() - h0))
            return wall

        times = lab_fleet.alternate([(key, label, (key, cmd)) for key, label, cmd in series], a.rounds, run)
    res, lines = lab_fleet.figures(series, times)
    floor_wall = res["floor_median_s"]
    lines.append("  CPU per run (median; controller = ansible-playbook and its workers and ssh clients, "
                 "hosts = the %d containers' cgroups):" % a.hosts)
    for key, label, dummy in series:
        ctl = statistics.median(c for c, dummy2 in cpu[key])
        hst = statistics.median(h for dummy2, h in cpu[key])
        res[key + "_cpu_controller_s"], res[key + "_cpu_hosts_s"] = round(ctl, 3), round(hst, 3)
        lines.append("    %-28s controller %.2f CPU-s, hosts %.2f CPU-s" % (label, ctl, hst))
    budget = (1.3 - 1) * floor_wall * (os.cpu_count() or 1)
    lines.append("  1.3x the floor leaves %.2f s of wall time = %.2f CPU-s on this machine's %d cores for all "
                 "the work detection adds (controller and hosts)" % ((1.3 - 1) * floor_wall, budget, os.cpu_count()))
    res.update(hosts=a.hosts, rounds=a.rounds, pipelining=a.pipelining, images=list(IMAGES), baseline=a.baseline)
    print("ssh detect bench: %d SSH lab hosts (%s), ansible.builtin.ssh as ops with -b, ControlPersist on, "
          "pipelining %s, forks %d, %d rounds" % (a.hosts, ", ".join(IMAGES), "on" if a.pipelining else "off",
                                                  a.hosts, a.rounds))
    print("\n".join(lines))
    lab_fleet.write_json(a.json, res)


if __name__ == "__main__":
    main()
