# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 11 over real SSH: the collection's playbooks run with ansible.builtin.ssh as the
non-root user `ops` with `-b` (sudo NOPASSWD + `Defaults requiretty`, no Python, /tmp noexec)
on SSH lab containers (tests/unit/ssh_lab.py), as a user runs them.

Each test is a regression test of a defect of issue 11 (fails on the code before its fix):
  - a drop whose saved rules carry ~2,700 `'` in comments (~70 KB; defect 2: the become
    quoting made it a 138 KB argument, E2BIG) and one of 20,000+ rules;
  - the lockout guard on a host whose sshd is on 2222 with NFQUEUE on 2222 (defect 4: under
    sudo it planned with port 22 and cut the connection); the port given as ansible_port and as
    ansible_ssh_extra_args;
  - `detect -b` and `rollback -b` escalate (defect 3: the play/task `become:` keyword overrode
    the command line);
  - busybox `last` (no -x) first in PATH: the wtmp leg is reported unread, not an error
    (defect 6).
Every one of them also needs the pty framing fix (defect 1) to get past the first probe.
Host state is read as root with `podman exec`; expected values come from the lab images
(lab/README.md) and from iptables-save itself.
Stand-in: the incident-derived hosts' LRO state is the lab's `ethtool` stand-in.
"""

import json
import os
import re

import pytest

from report_fleet import validate
from ssh_lab import failures, host_results, playbook, put_text, sh, ssh_lab_hosts

SEED = ("-p tcp -m multiport --dports 80,443 -m set --match-set lee src "
        "-m string --string t.test.com --algo kmp --from 0 --to 1480 -j NFQUEUE")
DROP_ARGS = ("-b", "-e", "kcrash_confirm=true", "-e", "kcrash_strategy=drop",
             "-e", "kcrash_drop_watchdog_timeout=30")
# 3 apostrophes each: 2,700 `'` in ~70 KB of saved rules: the drop's script (which carries the
# new saved file) stays under the 96 KiB inline limit, while the command as sent (quoted again
# for sudo: a `'` costs 17 bytes, 53 inside embedded file text) is far over the 131,072-byte
# limit of one argument
QUOTE_RULES = 900
BIG_RULES = 20500


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ssh-become")
    plan = {"quotes": "ssh-incident", "big": "ssh-incident", "become": "ssh-incident",
            "port": "ssh-port2222", "busybox": "ssh-bare"}
    with ssh_lab_hosts(tmp, "kssh-become", plan) as (inventory, names):
        yield tmp, inventory, names


def _load_saved_filter(name, extra_rules):
    """Add ``extra_rules`` (iptables-save lines) to the filter table of the host's saved
    /etc/sysconfig/iptables (before its first INPUT REJECT), load the file live as `service
    iptables restart` would, and put the seed's rule back live (the lab init inserts it)."""
    put_text(name, "/root/extra.rules", "\n".join(extra_rules) + "\n")
    sh(name, "awk '/^-A INPUT -j REJECT/ && !done {while ((getline l < \"/root/extra.rules\") > 0) print l; done=1} {print}' "
             "/etc/sysconfig/iptables >/root/iptables.new && mv /root/iptables.new /etc/sysconfig/iptables")
    sh(name, "iptables-restore </etc/sysconfig/iptables && iptables -t mangle -F PREROUTING && "
             "iptables -t mangle -I PREROUTING " + SEED)


def _live_and_saved_rules(name):
    """The live mangle table and the saved /etc/sysconfig/iptables, read as root."""
    live = sh(name, "iptables-save -t mangle")
    saved = sh(name, "cat /etc/sysconfig/iptables")
    return live, saved


def _assert_dropped(name, text):
    live, saved = _live_and_saved_rules(name)
    assert "-j NFQUEUE" not in live and re.search(r"--string \"?t\.test\.com\"? .*-j DROP", live), (live, text[-3000:])
    assert "-j NFQUEUE" not in saved and "-j DROP" in saved, text[-3000:]


def test_drop_over_ssh_become_with_thousands_of_apostrophes_in_comments(lab):
    tmp, inventory, names = lab
    name = names["quotes"]
    rules = ['-A INPUT -s 10.%d.%d.1/32 -m comment --comment "it\'s Bob\'s #%d, don\'t touch" -j ACCEPT'
             % (i // 250, i % 250, i) for i in range(QUOTE_RULES)]
    _load_saved_filter(name, rules)
    saved_before = sh(name, "cat /etc/sysconfig/iptables")
    assert saved_before.count("'") == 3 * QUOTE_RULES and 60000 < len(saved_before) < 80000, len(saved_before)
    rc, out, text = playbook(tmp, inventory, "kcrash.nfqueue.remediate", "--limit", name, *DROP_ARGS)
    assert rc == 0 and not failures(out, name), text[-6000:]
    _assert_dropped(name, text)
    # every comment kept, byte for byte, live and saved
    saved_after = sh(name, "cat /etc/sysconfig/iptables")
    assert saved_after.count("'") == 3 * QUOTE_RULES
    before_lines = [l for l in saved_before.splitlines() if "don't touch" in l]
    assert [l for l in saved_after.splitlines() if "don't touch" in l] == before_lines
    # (iptables-save >= 1.6 prints the apostrophes of a comment as \')
    assert len(re.findall(r"don\\?'t touch", sh(name, "iptables-save -t filter"))) == QUOTE_RULES


def test_drop_over_ssh_become_on_a_firewall_of_20000_rules(lab):
    tmp, inventory, names = lab
    name = names["big"]
    rules = ["-A INPUT -s 10.%d.%d.%d/32 -p tcp -m tcp --dport 9000 -j ACCEPT" % (i // 62500, (i // 250) % 250, i % 250)
             for i in range(BIG_RULES)]
    _load_saved_filter(name, rules)
    assert sh(name, "iptables-save -t filter | grep -c -- '--dport 9000'").strip() == str(BIG_RULES)
    rc, out, text = playbook(tmp, inventory, "kcrash.nfqueue.remediate", "--limit", name, *DROP_ARGS, timeout=900)
    assert rc == 0 and not failures(out, name), text[-6000:]
    _assert_dropped(name, text)
    assert sh(name, "iptables-save -t filter | grep -c -- '--dport 9000'").strip() == str(BIG_RULES)
    assert sh(name, "grep -c -- '--dport 9000' /etc/sysconfig/iptables").strip() == str(BIG_RULES)


@pytest.mark.parametrize("port_setting", ["ansible_port", "ansible_ssh_extra_args"])
def test_lockout_guard_refuses_nfqueue_on_the_non_default_ssh_port(lab, port_setting):
    """sshd on 2222 only; NFQUEUE (with --queue-bypass, so SSH still flows) on 2222: turning it
    into DROP would cut the management connection. The drop must be refused, with a message,
    and the host must stay reachable with its rules as they were. The port given in
    ansible_ssh_extra_args is the defect-4 case (before the fix the drop cut the connection);
    ansible_port was already read and must stay so."""
    tmp, inventory, names = lab
    name = names["port"]
    inv = inventory
    if port_setting == "ansible_ssh_extra_args":
        with open(inventory) as f:
            text = f.read()
        assert "ansible_port: 2222" in text
        inv = os.path.join(str(tmp), "ssh-inventory-extra-args.yml")
        with open(inv, "w") as f:
            f.write(text.replace("ansible_port: 2222", "ansible_ssh_extra_args: -p 2222"))
    rule = "-p tcp -m tcp --dport 2222 -j NFQUEUE --queue-num 3 --queue-bypass"
    if "--dport 2222 -j NFQUEUE" not in sh(name, "iptables-save -t mangle"):
        sh(name, "iptables -t mangle -I PREROUTING " + rule)
    before = sh(name, "iptables-save -t mangle | grep -v '^#' | sed 's/ \\[[0-9]*:[0-9]*\\]$//'")
    rc, out, text = playbook(tmp, inv, "kcrash.nfqueue.remediate", "--limit", name, *DROP_ARGS)
    fails = failures(out, name)
    assert rc != 0 and fails, text[-6000:]
    assert not any(r.get("unreachable") for dummy, r in host_results(out, name)), text[-6000:]
    msg = " ".join(str(r.get("msg", "")) for dummy, r in fails)
    assert "2222" in msg and re.search(r"lock|management|ssh", msg, re.I), msg
    # nothing changed, and the host still answers over SSH on 2222
    after = sh(name, "iptables-save -t mangle | grep -v '^#' | sed 's/ \\[[0-9]*:[0-9]*\\]$//'")
    assert after == before
    with open(os.path.join(str(tmp), "ping.yml"), "w") as f:
        f.write("- hosts: all\n  gather_facts: false\n  tasks:\n"
                "    - ansible.builtin.raw: 'true'\n      changed_when: false\n")
    rc, out, text = playbook(tmp, inv, os.path.join(str(tmp), "ping.yml"), "--limit", name, "-b")
    assert rc == 0, text[-3000:]


def test_detect_and_rollback_honour_dash_b(lab):
    """`detect -b` reads the live rules as root (the seed rule is live: `exposed`, rules leg
    live, not `at_risk` from the saved file); `rollback -b` restores the drop backup."""
    tmp, inventory, names = lab
    name = names["become"]
    report = os.path.join(str(tmp), "detect-report")
    rc, out, text = playbook(tmp, inventory, "kcrash.nfqueue.detect", "--limit", name, "-b",
                             "-e", "kcrash_detect_report_dir=" + report)
    assert rc == 0, text[-6000:]
    with open(os.path.join(report, "kcrash-exposure.json")) as f:
        host = {h["host"]: h for h in validate(json.load(f))["hosts"]}[name]
    assert host["verdict"] == "exposed" and host["legs"]["rules"] == "live", host
    # drop, then `rollback -b` puts the NFQUEUE rule back, live and saved
    rc, out, text = playbook(tmp, inventory, "kcrash.nfqueue.remediate", "--limit", name, *DROP_ARGS)
    assert rc == 0, text[-6000:]
    _assert_dropped(name, text)
    rc, out, text = playbook(tmp, inventory, "kcrash.nfqueue.rollback", "--limit", name, "-b")
    assert rc == 0, text[-6000:]
    live, saved = _live_and_saved_rules(name)
    assert re.search(r"--string \"?t\.test\.com\"? .*-j NFQUEUE", live) and "-j DROP" not in live, (live, text[-3000:])
    assert "-j NFQUEUE" in saved


def test_busybox_last_without_x_is_unread_not_an_error(lab):
    """ssh-bare: busybox applets first in PATH (its `last` has no -x), a wtmp to read."""
    tmp, inventory, names = lab
    name = names["busybox"]
    assert sh(name, "su -s /bin/sh ops -c 'last -x' >/dev/null 2>&1 && echo accepted || echo refused") == "refused\n"
    with open(os.path.join(str(tmp), "facts.yml"), "w") as f:
        f.write("- hosts: all\n  gather_facts: false\n  tasks:\n"
                "    - kcrash.nfqueue.exposure_facts:\n")
    rc, out, text = playbook(tmp, inventory, os.path.join(str(tmp), "facts.yml"), "--limit", name, "-b")
    assert rc == 0, text[-6000:]
    facts = [r for dummy, r in host_results(out, name)][-1]["ansible_facts"]["kcrash_nfqueue"]
    unread = {u["source"]: u["reason"] for u in facts["crash_evidence"]["unread"]}
    assert "wtmp" in unread and unread["wtmp"], facts["crash_evidence"]
    assert not [e for e in facts["probe"]["errors"] if "last" in str(e)], facts["probe"]["errors"]
    # the detect playbook does not fail the host for it
    rc, out, text = playbook(tmp, inventory, "kcrash.nfqueue.detect", "--limit", name, "-b",
                             "-e", "kcrash_detect_report_dir=" + os.path.join(str(tmp), "bb-report"))
    assert rc == 0, text[-6000:]
