# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""molecule/ssh: every README command over SSH as `ops` with `-b`, pipelining on and off.

The playbooks run with ansible-playbook against the SSH inventory prepare.yml wrote (the
containers' addresses on the scenario's podman network, ansible.builtin.ssh, user `ops`, the
image's become settings); nothing in that inventory sets `ansible_become`, so `-b` is what
escalates. Host state is read as root with `podman exec` (the lab's side door), never through
the collection. The detection verdicts are compared with the same containers' verdicts over the
podman connection (molecule's own inventory), in the same pass.

The tests run once each per pipelining mode (module-scoped parametrized fixture: every test
with pipelining on, then every test with it off), in file order. Stand-in: the incident-derived
hosts' LRO state is the lab's `ethtool` stand-in (a veth cannot have LRO on).
"""

import json
import os
import re
import subprocess

import pytest

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
SSH_INVENTORY = os.path.join(EPHEMERAL, "ssh-inventory.yml")
REPORTS = os.path.join(EPHEMERAL, "ssh-reports")
# hosts derived from the incident image (the seed host: exposed, crashed before)
INCIDENT_HOSTS = ("ssh-incident", "ssh-sudo-password", "ssh-port2222", "ssh-su")
ALL_HOSTS = INCIDENT_HOSTS + ("ssh-bare",)
SEED_MATCH = re.compile(r"--dports 80,443 -m set --match-set lee src -m string --string \"?t\.test\.com\"?")
MARKER = "kcrash-ssh-added-after-rollback"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# the verdict of a host in the detection report; `errors` (diagnostics) and `host` left out
VERDICT_KEYS = ("status", "verdict", "crashed_before", "legs", "kernel", "nics", "nfqueue_rules",
                "crash_evidence", "reasons", "recommended")


def podman_inventory():
    inv = os.environ.get("MOLECULE_INVENTORY_FILE")
    if inv:
        return os.path.dirname(inv)
    return os.path.join(EPHEMERAL, "inventory")


def podman(name, command):
    res = subprocess.run(["podman", "exec", name, "/bin/sh", "-c", command],
                         capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, (name, command, res.stdout, res.stderr)
    return res.stdout


def playbook(name, *args, inventory=SSH_INVENTORY, pipelining=True):
    """ansible-playbook -i INVENTORY kcrash.nfqueue.NAME ARGS; returns (rc, output)."""
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
               ANSIBLE_PIPELINING=str(bool(pipelining)))
    res = subprocess.run(["ansible-playbook", "-i", inventory, "kcrash.nfqueue." + name] + list(args),
                         capture_output=True, text=True, timeout=900, env=env, check=False)
    return res.returncode, ANSI.sub("", res.stdout) + res.stderr


def ok_playbook(name, *args, **kwargs):
    rc, out = playbook(name, *args, **kwargs)
    assert rc == 0, out[-8000:]
    counts = recap(out)
    assert set(ALL_HOSTS) <= set(counts), out[-4000:]
    return out, counts


def recap(stdout):
    out = {}
    for m in re.finditer(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                         stdout, re.M):
        out[m.group(1)] = {"changed": int(m.group(3)), "unreachable": int(m.group(4)),
                           "failed": int(m.group(5))}
    return out


def read_json(path):
    """A report of a lab run, validated against docs/schema/report-v1.json."""
    import jsonschema
    with open(path) as f:
        rep = json.load(f)
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "schema", "report-v1.json")) as f:
        jsonschema.validate(rep, json.load(f))
    return rep


def live_mangle(name):
    """The live mangle table (no save-time comments, no chain counters)."""
    return podman(name, "iptables-save -t mangle | grep -v '^#' | sed 's/ \\[[0-9]*:[0-9]*\\]$//'")


def lro(name):
    return re.search(r"large-receive-offload: (\w+)", podman(name, "ethtool -k eth0")).group(1)


@pytest.fixture(scope="module", params=[True, False], ids=["pipelining-on", "pipelining-off"])
def pipelining(request):
    """One pass of the README commands; each pass starts from exposed incident hosts (LRO on
    through the stand-in; the seed rule is live again after the previous pass's rollback)."""
    for name in INCIDENT_HOSTS:
        podman(name, "ethtool -K eth0 lro on")
    return request.param


def report_dir(pipelining, what):
    return os.path.join(REPORTS, "%s-%s" % (what, "on" if pipelining else "off"))


# ------------------------------------------------------------------------- the lab is what it claims

def test_ssh_hosts_are_what_the_issue_asks_for():
    """No Python on any PATH, /tmp noexec, sshd answering as `ops` with the lab key, and the
    escalation each host is declared with (read as root inside the containers)."""
    with open(SSH_INVENTORY) as f:
        inventory = f.read()
    assert "ansible_connection: ansible.builtin.ssh" in inventory and "ansible_become:" not in inventory
    for host in ALL_HOSTS:
        assert podman(host, "for p in python3 python python2 python2.6; do "
                            "for d in $(echo \"$PATH:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin\" | tr : ' '); do "
                            "[ -e $d/$p ] && echo $d/$p; done; done; true") == "", host
        assert "noexec" in podman(host, "grep ' /tmp ' /proc/mounts"), host
        assert podman(host, "test -s /home/ops/.ssh/authorized_keys && id -u ops").strip() != "0"
    sudoers = podman("ssh-incident", "cat /etc/sudoers.d/ops")
    assert "Defaults requiretty" in sudoers and "NOPASSWD" in sudoers
    assert "NOPASSWD" not in podman("ssh-sudo-password", "cat /etc/sudoers.d/ops")
    assert podman("ssh-su", "test -e /etc/sudoers.d/ops && echo sudo || echo none").strip() == "none"
    assert "port 2222" in podman("ssh-port2222", "mkdir -p /run/sshd; /usr/sbin/sshd -T | grep -x 'port [0-9]*'")
    assert podman("ssh-bare", "readlink -f /bin/sh; getent passwd ops | cut -d: -f7; readlink -f /usr/local/bin/last").split() == [
        "/usr/bin/busybox", "/bin/sh", "/usr/bin/busybox"]


# ------------------------------------------------------------------------- the README, in order

def test_detect_over_ssh_equals_the_podman_connection(pipelining):
    """`detect -b` over SSH and detect over podman (as root) give the same verdict per host."""
    ssh_dir, podman_dir = report_dir(pipelining, "detect-ssh"), report_dir(pipelining, "detect-podman")
    ok_playbook("detect", "-b", "-e", "kcrash_detect_report_dir=" + ssh_dir, pipelining=pipelining)
    ok_playbook("detect", "-e", "kcrash_detect_report_dir=" + podman_dir, inventory=podman_inventory())
    over_ssh = {h["host"]: h for h in read_json(os.path.join(ssh_dir, "kcrash-exposure.json"))["hosts"]}
    over_podman = {h["host"]: h for h in read_json(os.path.join(podman_dir, "kcrash-exposure.json"))["hosts"]}
    assert set(over_ssh) == set(over_podman) == set(ALL_HOSTS)
    for host in ALL_HOSTS:
        for key in VERDICT_KEYS:
            assert over_ssh[host].get(key) == over_podman[host].get(key), (host, key, over_ssh[host], over_podman[host])
    # what the images are (lab/README.md), not what the code says
    for host in INCIDENT_HOSTS:
        assert over_ssh[host]["verdict"] == "exposed", over_ssh[host]
        assert over_ssh[host]["legs"] == {"kernel": "live", "lro": "live", "rules": "live"}, over_ssh[host]
    assert over_ssh["ssh-bare"]["verdict"] != "exposed"


def test_check_diff_shows_the_drift_and_changes_nothing(pipelining):
    out, counts = ok_playbook("remediate", "-b", "--check", "--diff",
                              "-e", "kcrash_report_dir=" + report_dir(pipelining, "check1"), pipelining=pipelining)
    for host in INCIDENT_HOSTS:
        assert counts[host]["changed"] >= 1 and counts[host]["failed"] == 0, (host, counts)
    assert counts["ssh-bare"]["changed"] == 0, counts
    assert re.search(r"^-lro: on$", out, re.M) and re.search(r"^\+lro: off$", out, re.M), out[-5000:]
    rep = read_json(os.path.join(report_dir(pipelining, "check1"), "remediation-check.json"))
    assert {h["host"] for h in rep["hosts"] if h["outcome"] == "drift"} == set(INCIDENT_HOSTS), rep
    for host in INCIDENT_HOSTS:
        assert lro(host) == "on"
        assert SEED_MATCH.search(live_mangle(host)) and "-j NFQUEUE" in live_mangle(host)


def test_remediate_auto_turns_lro_off_now_and_at_boot(pipelining):
    dest = report_dir(pipelining, "apply-auto")
    out, counts = ok_playbook("remediate", "-b", "-e", "kcrash_confirm=true", "-e", "kcrash_report_dir=" + dest,
                              pipelining=pipelining)
    for host in INCIDENT_HOSTS:
        assert counts[host]["changed"] >= 1 and counts[host]["failed"] == 0, (host, counts)
        assert lro(host) == "off"
        ifcfg = podman(host, "cat /etc/sysconfig/network-scripts/ifcfg-eth0")
        assert re.search(r'^ETHTOOL_OPTS="-G eth0 rx 4096; -K eth0 lro off"$', ifcfg, re.M), (host, ifcfg)
        assert "-j NFQUEUE" in live_mangle(host)      # offload leaves the firewall alone
    rep = read_json(os.path.join(dest, "remediation-apply.json"))
    by = {h["host"]: h for h in rep["hosts"]}
    for host in INCIDENT_HOSTS:
        assert (by[host]["verdict"], by[host]["verdict_after"]) == ("exposed", "not_exposed"), by[host]


def test_second_check_has_zero_drift(pipelining):
    dest = report_dir(pipelining, "check2")
    out, counts = ok_playbook("remediate", "-b", "--check", "--diff", "-e", "kcrash_report_dir=" + dest,
                              pipelining=pipelining)
    assert all(c["changed"] == 0 and c["failed"] == 0 for c in counts.values()), counts
    assert read_json(os.path.join(dest, "remediation-check.json"))["drift"] == 0


def test_remediate_drop_replaces_the_nfqueue_target_live_and_saved(pipelining):
    # exposed again (LRO back on: the stand-in), so the drop strategy has work to do
    for host in INCIDENT_HOSTS:
        podman(host, "ethtool -K eth0 lro on")
    dest = report_dir(pipelining, "apply-drop")
    out, counts = ok_playbook("remediate", "-b", "-e", "kcrash_confirm=true", "-e", "kcrash_strategy=drop",
                              "-e", "kcrash_report_dir=" + dest, pipelining=pipelining)
    for host in INCIDENT_HOSTS:
        assert counts[host]["changed"] >= 1 and counts[host]["failed"] == 0, (host, counts)
        live = live_mangle(host)
        assert "-j NFQUEUE" not in live, (host, live)
        assert re.search(SEED_MATCH.pattern + r".* -j DROP", live), (host, live)
        saved = podman(host, "cat /etc/sysconfig/iptables")
        assert "-j NFQUEUE" not in saved and "-j DROP" in saved, (host, saved)
        assert lro(host) == "on"                       # drop leaves the NIC alone
    check_dest = report_dir(pipelining, "check3")
    out, counts = ok_playbook("remediate", "-b", "--check", "--diff", "-e", "kcrash_strategy=drop",
                              "-e", "kcrash_report_dir=" + check_dest, pipelining=pipelining)
    assert all(c["changed"] == 0 and c["failed"] == 0 for c in counts.values()), counts


def test_rollback_restores_the_drop_backup(pipelining):
    out, counts = ok_playbook("rollback", "-b", pipelining=pipelining)
    for host in INCIDENT_HOSTS:
        live = live_mangle(host)
        assert SEED_MATCH.search(live) and "-j NFQUEUE" in live and "-j DROP" not in live, (host, out[-3000:], live)
        saved = podman(host, "cat /etc/sysconfig/iptables")
        assert "-j NFQUEUE" in saved, (host, saved)
        # a rule added after the rollback, which a second rollback must not wipe
        podman(host, "iptables -t mangle -A PREROUTING -p tcp --dport 9 -m comment --comment %s -j ACCEPT" % MARKER)


def test_second_rollback_restores_nothing_again(pipelining):
    out, counts = ok_playbook("rollback", "-b", pipelining=pipelining)
    for host in INCIDENT_HOSTS:
        live = live_mangle(host)
        assert MARKER in live, (host, out[-3000:], live)
        assert live.count("-j NFQUEUE") == 1, (host, live)
        assert counts[host]["changed"] == 0, (host, counts)
        podman(host, "iptables -t mangle -D PREROUTING -p tcp --dport 9 -m comment --comment %s -j ACCEPT" % MARKER)


def test_reboot_cancel_runs_and_changes_nothing(pipelining):
    before = {host: live_mangle(host) for host in INCIDENT_HOSTS}
    out, counts = ok_playbook("reboot_cancel", "-b", pipelining=pipelining)
    assert all(c["failed"] == 0 and c["unreachable"] == 0 for c in counts.values()), counts
    for host in INCIDENT_HOSTS:
        assert live_mangle(host) == before[host]
