# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The actions over real SSH as a non-root user with become (issue 11, defects 1-4), on
the lab's SSH hosts (``ssh-incident``: user ``ops``, key login, sudo NOPASSWD with
``Defaults requiretty``, no Python, ``/tmp`` noexec; ``ssh-port2222``: sshd on 2222; ``ssh-su``:
escalation by ``su`` with root's password) started as ``kcore-ssh-*`` containers by
tests/unit/ssh_lab.py (the image's run-args, the lab network, the lab key), reached with
``ansible.builtin.ssh`` at their address with the inventory variables the lab writes for them.

Host state is read with ``podman exec`` as root (the lab's side door); verdicts are compared
with the same probe run through ``podman exec`` as root."""

import pytest
import yaml

from ansible_collections.kcrash.nfqueue.plugins.module_utils import exposure, probe

from conftest import run_play_json
from ssh_lab import put_text, sh, ssh_lab_hosts

PREFIX = "kcore-ssh"
IMAGES = ("ssh-incident", "ssh-port2222", "ssh-su")


@pytest.fixture(scope="module")
def ssh_hosts(tmp_path_factory):
    """The lab's SSH hosts, one per image (inventory host = container name), and the variables
    of each in the inventory the lab wrote for them (group ``all`` vars, then the host's)."""
    tmp = tmp_path_factory.mktemp("over-ssh")
    with ssh_lab_hosts(tmp, PREFIX, dict((image, image) for image in IMAGES)) as (inventory, names):
        with open(inventory) as f:
            inv = yaml.safe_load(f)
        hosts = {}
        for group in inv["all"]["children"].values():
            hosts.update(group["hosts"])
        host_vars = {}
        for image, name in names.items():
            hv = dict(inv["all"]["vars"])
            hv.update(hosts[name])
            host_vars[image] = hv
        yield {"names": names, "vars": host_vars}


def _inventory(tmp_path, ssh, image, **extra):
    """A one-host inventory (host named after the image) with the lab's variables of that host,
    ``extra`` on top (a value of None removes the variable)."""
    hv = dict(ssh["vars"][image])
    hv.update(extra)
    hv = dict((k, v) for k, v in hv.items() if v is not None)
    path = tmp_path / ("inv-%s.yml" % image)
    path.write_text(yaml.safe_dump({"all": {"hosts": {image: hv}}}))
    return str(path)


def _task_result(out):
    return out["plays"][0]["tasks"][-1]["hosts"]


def sh_root(ssh, image, command):
    return sh(ssh["names"][image], command)


def _root_facts(ssh, image):
    script, nonce = probe.build_probe()
    out = sh_root(ssh, image, script)
    return probe.parse_probe(out, nonce)


def test_detection_over_ssh_tty_and_sudo_equals_root_read(tmp_path, ssh_hosts):
    """Defect 1: ssh -tt + sudo requiretty: every \\n arrives as \\r\\n."""
    inv = _inventory(tmp_path, ssh_hosts, "ssh-incident")
    rc, out = run_play_json(tmp_path, [{"kcrash.nfqueue.exposure_facts": {}}], inventory=inv, extra=["-b"])
    res = _task_result(out)["ssh-incident"]
    assert rc == 0 and not res.get("failed"), res.get("msg")
    facts = res["ansible_facts"]["kcrash_nfqueue"]
    root_facts = _root_facts(ssh_hosts, "ssh-incident")
    root = exposure.assess(root_facts)
    assert facts["exposure"]["level"] == root["level"] == "exposed"
    assert facts["exposure"]["legs"] == root["legs"]
    assert facts["nfqueue_rules"] == root_facts["nfqueue_rules"]
    assert facts["probe"]["errors"] == root_facts["probe"]["errors"]  # a container's dmesg is denied to root too


def test_detection_over_ssh_with_su_equals_root_read(tmp_path, ssh_hosts):
    inv = _inventory(tmp_path, ssh_hosts, "ssh-su", ansible_become_method="su",
                     ansible_become_password="kcrash-lab-root")
    rc, out = run_play_json(tmp_path, [{"kcrash.nfqueue.exposure_facts": {}}], inventory=inv, extra=["-b"])
    res = _task_result(out)["ssh-su"]
    assert rc == 0 and not res.get("failed"), res.get("msg")
    root_facts = _root_facts(ssh_hosts, "ssh-su")
    assert res["ansible_facts"]["kcrash_nfqueue"]["exposure"]["legs"] == exposure.assess(root_facts)["legs"]
    assert res["ansible_facts"]["kcrash_nfqueue"]["nfqueue_rules"] == root_facts["nfqueue_rules"]


def test_detection_without_become_says_unknown_not_a_lower_verdict(tmp_path, ssh_hosts):
    """Defect 3: as ops without -b iptables-save is denied: unknown, with the reason."""
    inv = _inventory(tmp_path, ssh_hosts, "ssh-incident")
    rc, out = run_play_json(tmp_path, [{"kcrash.nfqueue.exposure_facts": {}}], inventory=inv)
    facts = _task_result(out)["ssh-incident"]["ansible_facts"]["kcrash_nfqueue"]
    assert facts["exposure"]["level"] == "unknown"
    assert facts["exposure"]["legs"]["rules"] == "unknown"
    assert any("could not be read" in r for r in facts["exposure"]["reasons"])


def test_rollback_without_become_fails_instead_of_no_backup(tmp_path, ssh_hosts):
    sh_root(ssh_hosts, "ssh-incident", "umask 077; mkdir -p /var/backups/kcrash-nfqueue/drop")
    inv = _inventory(tmp_path, ssh_hosts, "ssh-incident")
    rc, out = run_play_json(tmp_path, [{"kcrash.nfqueue.nfqueue_target": {"rollback": "latest"}}], inventory=inv)
    res = _task_result(out)["ssh-incident"]
    assert res.get("failed") and "permission denied" in res["msg"] and "become" in res["msg"], res
    assert "no backup" not in res["msg"]


def _big_saved_file(ssh):
    """~80 KB of saved filter rules with ~2,700 apostrophes in comments, plus the seed's
    mangle table as the lab host has it."""
    saved = sh_root(ssh, "ssh-incident", "cat /etc/sysconfig/iptables")
    rules, n, i = [], 0, 0
    while sum(len(r) + 1 for r in rules) < 80 * 1024:
        words = "it's ops' team's" if n < 2700 else "ops team"
        n += words.count("'")
        rules.append("-A INPUT -s 10.%d.%d.0/24 -m comment --comment \"%s\" -j ACCEPT"
                     % (i // 250 % 250, i % 250, words))
        i += 1
    assert n >= 2700
    marker = "*filter\n"
    assert marker in saved
    at = saved.index("COMMIT", saved.index(marker))
    return saved[:at] + "\n".join(rules) + "\n" + saved[at:]


def test_drop_with_a_large_saved_file_full_of_apostrophes_under_sudo(tmp_path, ssh_hosts):
    """Defect 2: the apply embeds the whole saved file; under sudo each ' was 53 bytes."""
    big = _big_saved_file(ssh_hosts)
    put_text(ssh_hosts["names"]["ssh-incident"], "/etc/sysconfig/iptables", big)
    inv = _inventory(tmp_path, ssh_hosts, "ssh-incident")
    rc, out = run_play_json(tmp_path, [{"kcrash.nfqueue.nfqueue_target": {"watchdog_timeout": 60}}],
                            inventory=inv, extra=["-b"])
    res = _task_result(out)["ssh-incident"]
    assert rc == 0 and not res.get("failed"), res.get("msg")
    assert res["changed"] and res["watchdog"]["confirmed"]
    after = sh_root(ssh_hosts, "ssh-incident", "cat /etc/sysconfig/iptables")
    expected = big.split("\n")
    got = after.split("\n")
    assert len(got) == len(expected)
    diff = [(a, b) for a, b in zip(expected, got) if a != b]
    assert diff and all("NFQUEUE" in a and "NFQUEUE" not in b and "-j DROP" in b for a, b in diff), diff[:3]
    assert after.count("'") == big.count("'")
    live = sh_root(ssh_hosts, "ssh-incident", "iptables-save -t mangle")
    assert "NFQUEUE" not in live and "-j DROP" in live


@pytest.mark.parametrize("how", ["ansible_ssh_extra_args", "ansible_port"])
def test_guard_refuses_nfqueue_on_the_ssh_port_2222_under_sudo(tmp_path, ssh_hosts, how):
    """Defect 4: sshd on 2222, NFQUEUE on 2222 (--queue-bypass keeps the session alive
    should it be applied), the port given as users give it."""
    sh_root(ssh_hosts, "ssh-port2222",
            "iptables -C INPUT -p tcp --dport 2222 -j NFQUEUE --queue-num 7 --queue-bypass 2>/dev/null || "
            "iptables -I INPUT -p tcp --dport 2222 -j NFQUEUE --queue-num 7 --queue-bypass")
    # the port given one way only: the lab's inventory says ansible_port
    extra = ({"ansible_ssh_extra_args": "-p 2222", "ansible_port": None} if how == "ansible_ssh_extra_args"
             else {"ansible_port": 2222})
    inv = _inventory(tmp_path, ssh_hosts, "ssh-port2222", **extra)
    rc, out = run_play_json(tmp_path, [{"kcrash.nfqueue.nfqueue_target": {"chains": ["INPUT"]}}],
                            inventory=inv, extra=["-b"])
    res = _task_result(out)["ssh-port2222"]
    assert res.get("failed"), res
    assert "refused" in res["msg"] and "2222" in res["msg"] and "force" in res["msg"], res["msg"]
    assert res["management"]["port"] == 2222
    live = sh_root(ssh_hosts, "ssh-port2222", "iptables-save -t filter")
    assert "--dport 2222 -j NFQUEUE" in live


def test_drop_with_20000_saved_rules_goes_by_file_and_runs_with_noexec_tmp(tmp_path, ssh_hosts):
    """A command beyond one argument's limit: copied into Ansible's remote temp dir (the
    home of ops; /tmp is noexec there) and run as ``/bin/sh FILE`` under sudo."""
    sh_root(ssh_hosts, "ssh-incident", "iptables-save -t mangle | grep -q NFQUEUE || "
            "iptables -t mangle -I PREROUTING -p tcp --dport 443 -j NFQUEUE --queue-num 2 --queue-bypass")
    saved = sh_root(ssh_hosts, "ssh-incident", "cat /etc/sysconfig/iptables")
    rules = "".join("-A INPUT -s 10.%d.%d.%d/32 -m comment --comment \"host's %d\" -j ACCEPT\n"
                    % (i // 65536 % 256, i // 256 % 256, i % 256, i) for i in range(20000))
    at = saved.index("COMMIT", saved.index("*filter\n"))
    big = saved[:at] + rules + saved[at:]
    if "NFQUEUE" not in big:
        big = big.replace("*mangle\n", "*mangle\n-A PREROUTING -p tcp --dport 443 -j NFQUEUE --queue-num 2\n", 1)
    assert len(big) > 131072 and "NFQUEUE" in big
    put_text(ssh_hosts["names"]["ssh-incident"], "/etc/sysconfig/iptables", big)
    assert "noexec" in sh_root(ssh_hosts, "ssh-incident", "grep ' /tmp ' /proc/mounts")
    inv = _inventory(tmp_path, ssh_hosts, "ssh-incident")
    rc, out = run_play_json(tmp_path, [{"kcrash.nfqueue.nfqueue_target": {"watchdog_timeout": 60}}],
                            inventory=inv, extra=["-b"])
    res = _task_result(out)["ssh-incident"]
    assert rc == 0 and not res.get("failed"), res.get("msg")
    assert res["round_trips"] >= 4  # read, then the apply by file: temp dir, copy, run
    after = sh_root(ssh_hosts, "ssh-incident", "cat /etc/sysconfig/iptables")
    assert after.count("\n") == big.count("\n") and "NFQUEUE" not in after and rules in after
    assert sh_root(ssh_hosts, "ssh-incident", "ls -A /home/ops/.ansible/tmp 2>/dev/null | wc -l").strip() == "0"
