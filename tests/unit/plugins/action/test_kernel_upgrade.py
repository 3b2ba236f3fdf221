# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kernel_upgrade action through ansible-playbook against lab hosts: kernel-dnf (real dnf
and rpm, a createrepo_c repository holding the el7 kernels; `grubby` and `uname` are lab
STAND-INS) and incident (el6 identity). What the host holds afterwards is read with its own
rpm and grubby, not with the collection's parsers. The full apply with reboots (window, now)
and the apt host run in molecule/kernel."""

import pytest

from conftest import bundled_collections, lab_hosts, podman, run_play_json

TARGET = "3.10.0-1160.119.1.el7.x86_64"


@pytest.fixture(scope="module")
def lab():
    with lab_hosts("kernel-upgrade-test", ("kernel-dnf", "incident")) as names:
        yield names


def play(tmp_path, name, args, check=False):
    inv = tmp_path / "inv.yml"
    inv.write_text("all:\n  hosts:\n    labhost:\n      ansible_connection: containers.podman.podman\n"
                   "      ansible_host: %s\n" % name)
    rc, out = run_play_json(tmp_path, [{"name": "kernel", "kcrash.nfqueue.kernel_upgrade": args}],
                            inventory=str(inv), extra=["--check", "--diff"] if check else [],
                            collections=bundled_collections())
    return rc, out["plays"][0]["tasks"][0]["hosts"]["labhost"]


def kernels(name):
    return sorted(podman("exec", name, "rpm", "-q", "kernel").stdout.split())


def default_kernel(name):
    return podman("exec", name, "grubby", "--default-kernel").stdout.strip()


def test_el6_host_has_no_documented_target_and_is_left_alone(tmp_path, lab):
    rc, r = play(tmp_path, lab["incident"], {})
    assert rc == 0 and r["changed"] is False and r["status"] == "no_target"
    assert r["msg"] == "no documented fixed kernel for el6; use offload or drop"
    assert r["round_trips"] == 1


def test_bad_target_fails_before_the_host_is_touched(tmp_path, lab):
    rc, r = play(tmp_path, lab["kernel-dnf"], {"target": "3.10.0; reboot"})
    assert rc != 0 and r["failed"] is True
    assert r["msg"].startswith("host labhost:") and "not a kernel release" in r["msg"]


def test_check_mode_plans_then_real_run_installs_and_is_idempotent(tmp_path, lab):
    name = lab["kernel-dnf"]
    before = kernels(name)
    assert before == ["kernel-3.10.0-957.el7.x86_64"]

    rc, r = play(tmp_path, name, {}, check=True)
    assert rc == 0 and r["status"] == "planned" and r["changed"] is True
    assert r["target"] == TARGET and r["target_source"] == "catalog" and r["documented_fix"] is True
    assert r["msg"].startswith("would install kernel-%s" % TARGET)
    assert kernels(name) == before and default_kernel(name) == "/boot/vmlinuz-3.10.0-957.el7.x86_64"

    rc, r = play(tmp_path, name, {"reboot": "none", "refresh_cache": False})
    assert rc == 0 and r["changed"] is True and not r.get("failed"), r.get("msg")
    assert r["pending_reboot"] is True and r["boot_default"]["release"] == TARGET
    assert kernels(name) == sorted(before + ["kernel-" + TARGET])
    assert default_kernel(name) == "/boot/vmlinuz-" + TARGET

    rc, r = play(tmp_path, name, {"reboot": "none"})
    assert rc == 0 and r["changed"] is False and r["install"] is None
    assert r["set_default"]["needed"] is False
