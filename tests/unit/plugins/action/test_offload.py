# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The offload action run by a real ansible-playbook: bad input gives a clear per-host
message and changes nothing.

Controller (local connection, check mode, read-only): unknown interface, shell
metacharacters in an inventory value, a feature fixed on (ethtool stand-in first in PATH).
Lab containers (podman; fail under the unit gate when the lab images are missing): ethtool missing (bare
image with ethtool removed) and an unreadable ifcfg (incident image, dangling symlink).
"""

import json
import os

import pytest

from conftest import bundled_collections, lab_hosts, podman, run_play_json, stand_ins


def play(tmp_path, args, inventory="testhost,", extra=(), path_prefix=None, check=True, collections=None):
    env = {"PATH": path_prefix + ":" + os.environ["PATH"]} if path_prefix else None
    rc, out = run_play_json(tmp_path, [{"name": "offload", "kcrash.nfqueue.offload": args}], inventory=inventory,
                            extra=list(extra) + (["--check"] if check else []), env=env, collections=collections)
    return rc, out["plays"][0]["tasks"][0]["hosts"]


# what a real run could change on this machine: live offloads of lo, persistence files, backups
_WATCHED = ("/etc/udev/rules.d", "/etc/systemd/network", "/etc/network", "/etc/NetworkManager",
            "/etc/sysconfig", "/etc/netplan", "/var/backups/kcrash-nfqueue")


def _machine_state():
    import subprocess
    state = {"ethtool -k lo": subprocess.run(["ethtool", "-k", "lo"], capture_output=True, text=True,
                                             check=False).stdout}
    for top in _WATCHED:
        for root, dirs, files in os.walk(top):
            for f in files + dirs:
                p = os.path.join(root, f)
                st = os.lstat(p)
                state[p] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return state


def test_check_mode_on_the_controller_reads_only(tmp_path):
    before = _machine_state()
    assert before["ethtool -k lo"], "ethtool -k lo printed nothing"
    rc, hosts = play(tmp_path, {"features": ["lro", "gro"], "interfaces": ["lo"]})
    res = hosts["testhost"]
    assert rc == 0, res
    assert res["round_trips"] == 1
    lo = res["interfaces"]["lo"]
    assert lo["kind"] == "loopback"
    # the run would change things (gro off, a udev rule), and check mode changed none of them
    assert res["changed"] is True and lo["before"]["gro"]["active"] is True and lo["after"]["gro"]["active"] is False
    assert lo["persist"]["change"] is True and lo["persist"]["path"].startswith("/etc/udev/rules.d/")
    assert _machine_state() == before


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
    stand_ins(stub, {"ethtool": FIXED_ON})
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


def test_ethtool_missing(tmp_path, lab):
    name = lab["bare"]
    _podman("exec", name, "sh", "-c", "rm -f $(command -v ethtool) /sbin/ethtool /usr/sbin/ethtool")
    rc, hosts = play(tmp_path, {}, inventory=_inventory(tmp_path, name), check=False, collections=bundled_collections())
    res = hosts["labhost"]
    assert rc != 0 and res["failed"] and not res["changed"]
    assert res["msg"] == ("host labhost: nothing changed: ethtool is not installed "
                          "(looked in PATH, /usr/local/sbin, /usr/sbin, /sbin)")


def test_unreadable_ifcfg_writes_nothing(tmp_path, lab):
    name = lab["incident"]
    cfg = "/etc/sysconfig/network-scripts/ifcfg-eth0"
    _podman("exec", name, "sh", "-c", "mv %s /root/ifcfg-eth0.saved && ln -s /nonexistent %s && mkdir -p /etc/udev/rules.d"
            % (cfg, cfg))
    rc, hosts = play(tmp_path, {}, inventory=_inventory(tmp_path, name), check=False, collections=bundled_collections())
    res = hosts["labhost"]
    assert rc != 0 and res["failed"] and not res["changed"]
    assert "cannot read it (dangling symbolic link)" in res["msg"] and cfg in res["msg"]
    left = _podman("exec", name, "sh", "-c",
                   "ls /etc/udev/rules.d; ls -d /var/backups/kcrash-nfqueue 2>&1; ethtool -k eth0 | grep large").stdout
    assert "70-kcrash" not in left and "No such file" in left
    assert "large-receive-offload: on" in left      # runtime untouched too
