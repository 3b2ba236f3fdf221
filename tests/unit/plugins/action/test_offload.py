"""The offload action run by a real ansible-playbook: bad input gives a clear per-host
message and changes nothing.

Controller (local connection, check mode, read-only): unknown interface, shell
metacharacters in an inventory value, a feature fixed on (ethtool stand-in first in PATH).
Lab containers (podman, skipped when the lab images are not built): ethtool missing (bare
image with ethtool removed) and an unreadable ifcfg (incident image, dangling symlink).
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import CONTAINERS_CONF, REPO, lab_hosts, podman

COLLECTIONS = os.path.join(REPO, ".build", "pytest-collections")
BIN = os.path.dirname(sys.executable)
ANSIBLE_PLAYBOOK = os.path.join(BIN, "ansible-playbook")

PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - name: offload
      kcrash.nfqueue.offload: {args}
"""


def play(tmp_path, args, inventory="testhost,", extra=(), path_prefix=None, check=True, collections=COLLECTIONS):
    if not os.path.exists(ANSIBLE_PLAYBOOK):
        pytest.skip("ansible-playbook not next to this python")
    (tmp_path / "play.yml").write_text(PLAY.format(args=json.dumps(args)))
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ltmp"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "rtmp"),
        "ANSIBLE_STDOUT_CALLBACK": "json",
        "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "CONTAINERS_CONF": CONTAINERS_CONF,
    })
    if path_prefix:
        env["PATH"] = path_prefix + ":" + env["PATH"]
    cmd = [ANSIBLE_PLAYBOOK, "-i", inventory, str(tmp_path / "play.yml")] + list(extra)
    if inventory == "testhost,":
        cmd += ["-c", "local"]
    if check:
        cmd.append("--check")
    p = subprocess.run(cmd, capture_output=True, env=env, timeout=300, check=False)
    try:
        out = json.loads(p.stdout.decode())
    except ValueError:
        raise AssertionError(p.stdout.decode()[-2000:] + p.stderr.decode()[-2000:])
    hosts = out["plays"][0]["tasks"][0]["hosts"]
    return p.returncode, hosts


def test_check_mode_on_the_controller_reads_only(tmp_path):
    rc, hosts = play(tmp_path, {"features": ["lro", "gro"], "interfaces": ["lo"]})
    res = hosts["testhost"]
    assert rc == 0, res
    assert res["round_trips"] == 1
    assert res["interfaces"]["lo"]["kind"] == "loopback"


def test_comma_separated_string(tmp_path):
    rc, hosts = play(tmp_path, {"interfaces": "lo, nosuch1"})
    assert rc != 0 and "interface nosuch1 does not exist" in hosts["testhost"]["msg"]


def test_unknown_interface(tmp_path):
    rc, hosts = play(tmp_path, {"interfaces": ["nosuch0"]})
    res = hosts["testhost"]
    assert rc != 0 and res["failed"]
    assert res["msg"].startswith("host testhost: nothing changed: interface nosuch0 does not exist")


def test_shell_metacharacters_from_inventory(tmp_path):
    marker = tmp_path / "pwned"
    rc, hosts = play(tmp_path, {"interfaces": "{{ nic }}"},
                     extra=["-e", json.dumps({"nic": ["eth0;touch %s" % marker]})])
    res = hosts["testhost"]
    assert rc != 0 and res["failed"]
    assert "is not a valid interface name" in res["msg"] and "host testhost" in res["msg"]
    assert not marker.exists()


FIXED_ON = r'''#!/bin/sh
case "$1" in
-k) printf 'Features for %s:\nlarge-receive-offload: on [fixed]\ngeneric-receive-offload: on\n' "$2" ;;
-i) printf 'driver: stub\n' ;;
*) exit 1 ;;
esac
'''


def test_feature_fixed_on(tmp_path):
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "ethtool").write_text(FIXED_ON)
    (stub / "ethtool").chmod(0o755)
    rc, hosts = play(tmp_path, {"interfaces": ["lo"]}, path_prefix=str(stub), check=False)
    res = hosts["testhost"]
    assert rc != 0 and res["failed"] and res["changed"] is False
    assert "lro (large-receive-offload) is on and [fixed]" in res["msg"] and "nfqueue_drop" in res["msg"]
    assert res["interfaces"]["lo"]["status"] == "not_remediable"
    assert res["round_trips"] == 1


# ------------------------------------------------------------------ lab containers

_podman = podman


@pytest.fixture(scope="module")
def lab():
    with lab_hosts("offload-test", ("bare", "incident")) as names:
        yield names


def _inventory(tmp_path, name):
    inv = tmp_path / "inv.yml"
    inv.write_text("all:\n  hosts:\n    labhost:\n      ansible_connection: containers.podman.podman\n"
                   "      ansible_host: %s\n" % name)
    return str(inv)


def _collections():
    # the podman connection plugin ships with the `ansible` package next to this python
    import ansible_collections.containers.podman as cp  # noqa: F401
    bundled = os.path.dirname(os.path.dirname(os.path.dirname(cp.__file__)))
    return COLLECTIONS + ":" + bundled


def test_ethtool_missing(tmp_path, lab):
    name = lab["bare"]
    _podman("exec", name, "sh", "-c", "rm -f $(command -v ethtool) /sbin/ethtool /usr/sbin/ethtool")
    rc, hosts = play(tmp_path, {}, inventory=_inventory(tmp_path, name), check=False, collections=_collections())
    res = hosts["labhost"]
    assert rc != 0 and res["failed"] and not res["changed"]
    assert res["msg"] == ("host labhost: nothing changed: ethtool is not installed "
                          "(looked in PATH, /usr/local/sbin, /usr/sbin, /sbin)")


def test_unreadable_ifcfg_writes_nothing(tmp_path, lab):
    name = lab["incident"]
    cfg = "/etc/sysconfig/network-scripts/ifcfg-eth0"
    _podman("exec", name, "sh", "-c", "mv %s /root/ifcfg-eth0.saved && ln -s /nonexistent %s && mkdir -p /etc/udev/rules.d"
            % (cfg, cfg))
    rc, hosts = play(tmp_path, {}, inventory=_inventory(tmp_path, name), check=False, collections=_collections())
    res = hosts["labhost"]
    assert rc != 0 and res["failed"] and not res["changed"]
    assert "cannot read it (dangling symbolic link)" in res["msg"] and cfg in res["msg"]
    left = _podman("exec", name, "sh", "-c",
                   "ls /etc/udev/rules.d; ls -d /var/backups/kcrash-nfqueue 2>&1; ethtool -k eth0 | grep large").stdout
    assert "70-kcrash" not in left and "No such file" in left
    assert "large-receive-offload: on" in left      # runtime untouched too
