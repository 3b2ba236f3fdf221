# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lockout guard knows the SSH port from the connection's settings (issue 11, defect 4).

Option extraction is checked against the real OpenSSH client: ``ssh -G`` (prints the
configuration it would use, connects nowhere) with the same words is the oracle for which
value wins. The guard's decision uses the real planner on a rule set like the lab's
``ssh-port2222`` host (NFQUEUE on tcp 2222, sshd on 2222)."""

import subprocess

import pytest
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ssh_settings as S
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import lockout
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import management
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import read as drop_read
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.shell_action import ShellActionBase
from conftest import require_tool


@pytest.fixture
def needs_ssh():
    """The real OpenSSH client (scripts/setup.sh installs it): under CI a missing one fails."""
    return require_tool("ssh", "openssh-client")


CASES = [
    # (ssh_args, port, ssh_common_args, ssh_extra_args)
    ("-C -o ControlMaster=auto -o ControlPersist=60s", None, None, "-p 2222"),
    ("-C -o ControlMaster=auto -o ControlPersist=60s", None, None, "-p2222"),
    ("-C", None, "-o Port=2200", "-p 2222"),
    ("-C", "2022", None, "-p 2222"),
    ("-C", None, None, "-oPort=2223"),
    ("-C", None, None, "-o 'Port 2224'"),
    ("-o port=2225 -C", "22", None, None),
    ("-C", None, "-o StrictHostKeyChecking=no", None),
]


def _ssh_G_port(words):
    p = subprocess.run(["ssh", "-F", "/dev/null", "-G"] + words + ["el6.example"], capture_output=True, text=True,
                       check=True)
    return S.parse_ssh_G(p.stdout)["port"]


@pytest.mark.usefixtures("needs_ssh")
@pytest.mark.parametrize("ssh_args, port, common, extra", CASES)
def test_first_port_wins_as_in_openssh(ssh_args, port, common, extra):
    words, origin = S.option_words(ssh_args, port, common, extra)
    found = S.from_args(words, origin)
    real = _ssh_G_port(words)
    if found["port"] is None:
        assert real == 22  # nothing set: ssh_config (none here) or the default
    else:
        assert found["port"] == real
        assert found["port_from"]


@pytest.mark.usefixtures("needs_ssh")
def test_ssh_config_port_and_proxyjump_come_from_ssh_G(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text("Host el6.example\n  Port 2226\n  ProxyJump bastion.example\n")
    p = subprocess.run(["ssh", "-F", str(cfg), "-G", "el6.example"], capture_output=True, text=True, check=True)
    g = S.parse_ssh_G(p.stdout)
    assert g["port"] == 2226 and g["proxied"] and "bastion.example" in g["proxy"]
    assert S.from_args(["-J", "jump.example"])["proxied"]


def _action_for(**options):
    pc = PlayContext()
    pc.remote_addr = "el6.example"
    conn = connection_loader.get("ssh", pc)
    conn.set_options(direct=dict({"host": "el6.example"}, **options))

    class A(ShellActionBase):
        def __init__(self):  # pylint: disable=super-init-not-called
            self._connection = conn
            self._play_context = pc

        def run(self, tmp=None, task_vars=None):
            raise NotImplementedError
    return A()


@pytest.mark.usefixtures("needs_ssh")
def test_the_action_reads_the_real_ssh_plugin_settings():
    got = _action_for(ssh_extra_args="-p 2222").ssh_settings()
    assert got["port"] == 2222 and "ssh_extra_args" in got["port_from"]
    got = _action_for(port=2022, ssh_extra_args="-p 2222").ssh_settings()
    assert got["port"] == 2022 and "ansible_port" in got["port_from"]


def test_non_ssh_connections_keep_the_inventory_port():
    pc = PlayContext()

    class A(ShellActionBase):
        def __init__(self):  # pylint: disable=super-init-not-called
            self._connection = connection_loader.get("local", pc)
            self._play_context = pc

        def run(self, tmp=None, task_vars=None):
            raise NotImplementedError
    assert A().ssh_settings() is None
    assert management.management(None, drop_options.Options(), 2200).port == 2200
    assert management.management(None, drop_options.Options(), None).unknown is None


def test_guard_refuses_the_ssh_port_from_the_settings_under_sudo():
    # under sudo SSH_CONNECTION is empty: the settings say 2222
    m = management.management(None, drop_options.Options(), None, connection={"port": 2222, "port_from": "ansible_port (-o Port=2222)"})
    assert m.port == 2222 and m.unknown is None and "ansible_port" in m.source
    rule_2222 = {"backend": "legacy", "family": "ipv4", "table": "filter", "chain": "INPUT",
                 "reachable_from": ["INPUT"], "rule": "-A INPUT -p tcp -m tcp --dport 2222 -j NFQUEUE --queue-num 3"}
    rule_80 = dict(rule_2222, rule="-A INPUT -p tcp -m tcp --dport 80 -j NFQUEUE --queue-num 4")
    risky, why = lockout.lockout_risk(rule_2222, m)
    assert risky and "tcp port 2222" in why
    assert not lockout.lockout_risk(rule_80, m)[0]
    # what the guard did before: "port 22 from anywhere" let the 2222 rule through
    assert not lockout.lockout_risk(rule_2222, management.management(None, drop_options.Options(), None))[0]


def test_guard_refuses_everything_the_management_traffic_crosses_when_the_port_is_unknown():
    m = management.management(None, drop_options.Options(), None, connection={"port": None})
    assert m.unknown
    rule_80 = {"backend": "legacy", "family": "ipv4", "table": "filter", "chain": "INPUT",
               "reachable_from": ["INPUT"], "rule": "-A INPUT -p tcp -m tcp --dport 80 -j NFQUEUE --queue-num 4"}
    risky, why = lockout.lockout_risk(rule_80, m)
    assert risky and "unknown" in why and "ssh_port" in why and "force" in why
    fwd = dict(rule_80, chain="FORWARD", reachable_from=["FORWARD"])
    assert not lockout.lockout_risk(fwd, m)[0]
    # ssh_port given: known again; SSH_CONNECTION read on the host: known
    assert management.management(None, drop_options.Options(ssh_port=2222), None, connection={"port": None}).unknown is None
    seen = management.management("192.0.2.1 50000 192.0.2.9 22", drop_options.Options(), None, connection={"port": 2222})
    assert seen.port == 22 and seen.unknown is None and "2222" in seen.source


def test_read_finds_the_login_shells_ssh_connection_under_an_env_reset():
    """sudo's env_reset stands in as ``env -u``: the value comes from the parent's /proc
    environ, as root reads the login shell's under become."""
    p = subprocess.run(["sh", "-c", 'env -u SSH_CONNECTION sh -c "$0"; true', drop_read.SSH_CONNECTION_COMMAND],
                       env={"PATH": "/usr/bin:/bin", "SSH_CONNECTION": "192.0.2.1 50000 192.0.2.9 2222"},
                       capture_output=True, text=True, check=True)
    value, where = p.stdout.split("\n")[:2]
    assert value == "192.0.2.1 50000 192.0.2.9 2222" and where.startswith("process ")
    p = subprocess.run(["sh", "-c", drop_read.SSH_CONNECTION_COMMAND], env={"PATH": "/usr/bin:/bin"},
                       capture_output=True, text=True, check=True)
    assert p.stdout.split("\n")[:2] == ["", "none"]
