# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the "drop" strategy (kcrash.nfqueue.nfqueue_target) on real iptables.

For each back end (legacy, nft) a fresh network namespace gets a 100,000-rule filter table
(FORWARD) of which 1,000 rules are NFQUEUE. Printed, per back end:

* plan      controller time to parse the read answer and plan (target < 1 s)
* action    the whole action as it runs: read script, parse+plan, apply script (--test next
            to the backup save + digest check, watchdog, restore [, verification save]),
            controller verification (verify: true), confirm script - every script through
            /bin/sh in the namespace, the way ShellActionBase sends it (one exec per round
            trip); ansible's own process start-up is not included (--ansible). Three
            configurations: the defaults (test_first: true, verify: false), test_first:
            false, verify: true. Each figure is the best of --repeat runs on a fresh copy.
* pieces    each command of the read and apply trips timed alone (the breakdown)
* floor     one `<tool>-save` plus one bare `<tool>-restore --noflush` of the same transaction
            (target: action <= 1.5 x floor)
* one-by-one  `iptables -R CHAIN N ...` for 50 rules, extrapolated to 1,000

No assertion: the figures are printed (and are what docs/drop.md quotes). Needs root.
Usage: python3 bench/drop_bench.py [--rules 100000] [--queue 1000] [--backends legacy,nft]
       [--ansible]   (also time a real ansible-playbook run of the action, local connection)
"""

from __future__ import print_function

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


import checkout  # noqa: E402  bench/checkout.py (the script's own directory is on sys.path)

checkout.install()

from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import apply as drop_apply  # noqa: E402
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import digest  # noqa: E402
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import management  # noqa: E402
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options  # noqa: E402
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import plan as drop_plan  # noqa: E402
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import read as drop_read  # noqa: E402
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import verify as drop_verify  # noqa: E402


class NS(object):
    def __init__(self):
        self.name = "fw-bench-%s" % uuid.uuid4().hex[:6]
        subprocess.run(["ip", "netns", "add", self.name], check=True)

    def sh(self, script, stdin=None):
        p = subprocess.run(["ip", "netns", "exec", self.name, "/bin/sh", "-c", script], input=stdin,
                           capture_output=True, text=True, check=False)
        return p.returncode, p.stdout, p.stderr

    def timed(self, script, stdin=None):
        t0 = time.perf_counter()
        rc, out, err = self.sh(script, stdin)
        return time.perf_counter() - t0, rc, out, err

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name], check=False)


def ruleset(n, q):
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"]
    every = max(1, n // q)
    for i in range(n):
        a, b = divmod(i, 250)
        src = "10.%d.%d.%d/32" % (a // 250 % 256, a % 250, b + 1)
        if i % every == every // 2:
            lines.append("-A FORWARD -s %s -p tcp -m tcp --dport %d -j NFQUEUE --queue-num %d"
                         % (src, 1000 + i % 5000, i % 16))
        else:
            lines.append("-A FORWARD -s %s -p tcp -m tcp --dport %d -j ACCEPT" % (src, 1000 + i % 5000))
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"


def load(ns, backend, text):
    t, rc, out, err = ns.timed("iptables-%s-restore" % backend, stdin=text)
    if rc != 0:
        raise SystemExit("loading the rule set failed: %s" % err)
    return t


def run_action(ns, backend, broot, test_first=True, verify=False):
    """Everything nfqueue_target does, minus ansible: returns (timings, plan)."""
    tm = {}
    t0 = time.perf_counter()
    script, nonce = drop_read.read_script()
    tm["read"], rc, out, err = ns.timed(script)
    assert rc == 0, err
    t1 = time.perf_counter()
    rr = drop_read.parse_read(out, nonce)
    tm["parse"] = time.perf_counter() - t1
    opts = drop_options.Options()
    mgmt = management.management(rr.ssh_connection, opts)
    plan = drop_plan.plan(rr.dumps, opts, mgmt, rr.nft_text, rr.saved, rr.nft_saved, drop_read.restore_supports_wait(rr.version))
    tm["plan"] = time.perf_counter() - t1
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
    bdir = drop_apply.backup_dir(broot, stamp)
    script = drop_apply.apply_script(plan, bdir, seconds=600, test_first=test_first, wait=drop_read.restore_supports_wait(rr.version),
                                     verify=verify)
    tm["apply"], rc, out, err = ns.timed(script)
    assert rc == 0, err[-2000:]
    t2 = time.perf_counter()
    if verify:
        ver = drop_verify.verify(plan, drop_apply.split_verify(out))
        assert ver["ok"], ver
    tm["verify"] = time.perf_counter() - t2
    tm["confirm"], rc, out, err = ns.timed(drop_apply.confirm_script(bdir, broot, 3))
    assert rc == 0, err
    tm["total"] = time.perf_counter() - t0
    return tm, plan, rr


def pieces(ns, backend, plan, broot):
    """Each command of the read and apply trips timed alone, as the scripts send them."""
    tx = plan["iptables"][0]
    d = tempfile.mkdtemp(prefix="kcrash-bench-pieces-", dir=broot)
    with open(os.path.join(d, "tx.rules"), "w") as f:
        f.write(tx["text"])
    w = " -w" if tx["wait"] else ""
    steps = [
        ("read: iptables-%s-save" % backend, "iptables-%s-save > %s/s" % (backend, d)),
        ("read: the other 3 saves", "iptables-%s-save >/dev/null; ip6tables-legacy-save >/dev/null; "
         "ip6tables-nft-save >/dev/null" % ("nft" if backend == "legacy" else "legacy")),
        ("read: nft list flowtables (table names)", "nft list flowtables >/dev/null"),
        ("(not sent) nft list tables", "nft list tables >/dev/null"),
        ("apply: %s -c -t filter (backup)" % tx["save_tool"], "%s -c -t filter > %s/c" % (tx["save_tool"], d)),
        ("apply: digest alone (grep -F | cut | cksum)", digest.digest_command(tx["chains"], "%s/c" % d)),
        ("apply: backup save | tee | digest (as sent)", "%s -c -t filter | tee %s/c3 | %s"
         % (tx["save_tool"], d, digest.digest_command(tx["chains"]))),
        ("apply: %s --test --noflush" % tx["restore_tool"], "%s%s --test --noflush < %s/tx.rules" % (tx["restore_tool"], w, d)),
        ("apply: backup save + --test side by side", "( %s%s --test --noflush < %s/tx.rules ) & %s -c -t filter > %s/c2; wait"
         % (tx["restore_tool"], w, d, tx["save_tool"], d)),
        ("apply: %s --noflush" % tx["restore_tool"], "%s%s --noflush < %s/tx.rules" % (tx["restore_tool"], w, d)),
        ("(verify: true) post save -c -t filter", "%s -c -t filter > %s/p" % (tx["save_tool"], d)),
    ]
    out = []
    for name, cmd in steps:
        t, rc, _o, err = ns.timed(cmd)
        assert rc == 0, (cmd, err)
        out.append((name, t))
    subprocess.run(["rm", "-rf", d], check=False)
    return out


def fresh(backend, text):
    ns = NS()
    load(ns, backend, text)
    return ns


def best(runs, key="total"):
    return min(runs, key=lambda r: r[key])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=100000)
    ap.add_argument("--queue", type=int, default=1000)
    ap.add_argument("--backends", default="legacy,nft")
    ap.add_argument("--one-by-one", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=2, help="runs per figure (the best is printed)")
    ap.add_argument("--ansible", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root (network namespaces)")
    text = ruleset(a.rules, a.queue)
    print("drop_bench: %d-rule filter table, %d NFQUEUE rules; iptables %s; nft %s; kernel %s; best of %d" % (
        a.rules, text.count("NFQUEUE"),
        subprocess.run(["iptables", "--version"], capture_output=True, text=True, check=False).stdout.strip(),
        subprocess.run(["nft", "--version"], capture_output=True, text=True, check=False).stdout.strip(),
        os.uname().release, a.repeat))
    configs = [("default: test_first, no verify", True, False), ("test_first: false", False, False),
               ("verify: true", True, True)]
    for backend in a.backends.split(","):
        broot = tempfile.mkdtemp(prefix="kcrash-bench-")
        rows = []
        plan = None
        for label, test_first, verify in configs:
            runs = []
            for _i in range(a.repeat):
                ns = fresh(backend, text)
                try:
                    tm, plan, rr = run_action(ns, backend, broot, test_first, verify)
                    n = sum(t["count"] for t in plan["iptables"])
                    assert n == text.count("NFQUEUE"), n
                    runs.append(tm)
                finally:
                    ns.close()
            rows.append((label, best(runs)))
        floors = []
        for _i in range(a.repeat):
            ns2 = fresh(backend, text)
            try:
                tx = plan["iptables"][0]["text"]
                ts, rc, out, err = ns2.timed("iptables-%s-save >/dev/null" % backend)
                tr, rc, out, err = ns2.timed("iptables-%s-restore --noflush" % backend, stdin=tx)
                assert rc == 0, err
                floors.append({"save": ts, "restore": tr, "total": ts + tr})
            finally:
                ns2.close()
        floor = best(floors)
        ns2 = fresh(backend, text)
        try:
            parts = pieces(ns2, backend, plan, broot)
            # one by one: iptables -R for the first K planned rules, extrapolated
            load(ns2, backend, text)
            k = min(a.one_by_one, len(plan["changes"]))
            cmds = []
            for ch in plan["changes"][:k]:
                spec = ch["new_rule"][len("-A FORWARD "):]
                cmds.append("iptables-%s -R FORWARD %d %s" % (backend, ch["position"], spec))
            t1, rc, out, err = ns2.timed("\n".join(cmds))
            assert rc == 0, err
            one = t1 / k
        finally:
            ns2.close()
        fl = floor["total"]
        print("\n[%s] floor: save %.2f s + restore --noflush %.2f s = %.2f s (target: action <= %.2f s)"
              % (backend, floor["save"], floor["restore"], fl, 1.5 * fl))
        for label, tm in rows:
            print("[%s] action (%s): read %.2f + parse %.2f + plan %.2f + apply %.2f + verify %.2f + confirm %.2f"
                  " = %.2f s -> %.2f x floor" % (backend, label, tm["read"], tm["parse"], tm["plan"] - tm["parse"],
                                                 tm["apply"], tm["verify"], tm["confirm"], tm["total"], tm["total"] / fl))
        print("[%s] planning on the controller: %.3f s (parse %.3f + plan %.3f of %d rules)"
              % (backend, rows[0][1]["plan"], rows[0][1]["parse"], rows[0][1]["plan"] - rows[0][1]["parse"], a.rules))
        print("[%s] pieces, each alone:" % backend)
        for name, t in parts:
            print("[%s]   %-48s %.3f s" % (backend, name, t))
        print("[%s] one by one (iptables -R): %.3f s per rule (%d timed) -> %.0f s for %d rules"
              % (backend, one, a.one_by_one, one * text.count("NFQUEUE"), text.count("NFQUEUE")))
        subprocess.run(["rm", "-rf", broot], check=False)
    if a.ansible:
        ansible_run(text)


def ansible_run(text):
    """A real ansible-playbook run of the action (local connection inside the namespace)."""
    for backend in ("legacy", "nft"):
        ns = NS()
        try:
            load(ns, backend, text)
            d = tempfile.mkdtemp(prefix="kcrash-bench-pb-")
            pb = os.path.join(d, "pb.yml")
            with open(pb, "w") as f:
                f.write("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                        "    - kcrash.nfqueue.nfqueue_target:\n        backup_root: %s/b\n        persist: false\n"
                        "      register: r\n    - debug: var=r.timings\n" % d)
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"),
                       ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
            t0 = time.perf_counter()
            exe = os.path.join(REPO, ".venv", "bin", "ansible-playbook")
            if not os.path.exists(exe):
                exe = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
            p = subprocess.run(["ip", "netns", "exec", ns.name, exe, "-c", "local", "-i",
                                "localhost,", pb], capture_output=True, text=True, env=env, check=False)
            wall = time.perf_counter() - t0
            print("\n[%s] ansible-playbook wall %.2f s (rc %d), action timings:\n%s" % (
                backend, wall, p.returncode, "\n".join(l for l in p.stdout.splitlines() if ":" in l and
                                                       any(k in l for k in ("read", "plan", "apply", "confirm", "total")))))
            subprocess.run(["rm", "-rf", d], check=False)
        finally:
            ns.close()


if __name__ == "__main__":
    main()
