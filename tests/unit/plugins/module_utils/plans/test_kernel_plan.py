# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plans/kernel.py on probe answers recorded from the lab hosts (kernel-dnf: real dnf,
rpm and a createrepo_c repository; kernel-apt: real apt and dpkg; incident: el6 identity).
The hosts carry LAB STAND-INS: `uname` (every one: a container runs the machine's kernel),
`grubby` (kernel-dnf), `update-grub` (kernel-apt), `shutdown`/`reboot`; so the boot-loader
and running-kernel answers in these recordings come from stand-ins, the package answers from
the real tools. Recorded with tests/unit/fixtures/kernel/record_probe.py."""

import json
import os

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError, KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.plans import kernel as K
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Section

from conftest import FIXTURES

APT_PKG = "linux-image-6.1.0-99-amd64"


def load(name):
    with open(os.path.join(FIXTURES, "kernel", name)) as f:
        data = json.load(f)
    rec = data.pop("_recorded")
    return {n: Section(n, v["stdout"], v["stderr"], v["rc"]) for n, v in data.items()}, rec["apt_packages"]


def facts_of(name, edit=None):
    secs, pkgs = load(name)
    if edit:
        edit(secs)
    return K.parse_probe(secs, pkgs)


# ------------------------------------------------------------------ el6: no target

def test_el6_without_target_plans_nothing_and_says_so():
    f = facts_of("incident-el6.json")
    assert f["family"] == "el6" and f["running"] == "2.6.32-358.el6.x86_64"
    p = K.plan(f)
    assert p["status"] == "no_target"
    assert p["message"] == "no documented fixed kernel for el6; use offload or drop"
    assert p["changed"] is False and p["install"] is None and p["reboot"] is None


def test_el6_user_target_is_not_reported_as_a_fix():
    f = facts_of("incident-el6.json")
    p = K.plan(f, target="2.6.32-754.35.1.el6.x86_64")
    assert p["documented_fix"] is False
    assert any("not a documented fix" in w for w in p["warnings"])
    # the incident host has no yum/dnf/apt: the package source pre-check fails, clearly
    assert p["failed"] and p["status"] == "precheck_failed"
    assert "no supported package manager" in p["message"]


# ------------------------------------------------------------------ dnf host (el7 identity)

def test_dnf_host_facts():
    f = facts_of("dnf-el7-before.json")
    assert f["package_manager"] == "dnf" and f["family"] == "el7"
    assert f["installed"] == ["3.10.0-957.el7.x86_64"]
    assert [a["release"] for a in f["available_rpm"]] == ["3.10.0-1160.el7.x86_64", "3.10.0-1160.119.1.el7.x86_64"]
    assert f["installonly"] == {"limit": 3, "source": "/etc/dnf/dnf.conf"}
    assert f["boot"]["grubby_default"] == "/boot/vmlinuz-3.10.0-957.el7.x86_64"
    assert K.boot_default(f["boot"])["release"] == "3.10.0-957.el7.x86_64"
    assert f["kdump"]["state"] == "not_configured"
    assert f["reboot"]["atd"] is True and "at" in f["reboot"]["tools"]


def test_dnf_catalog_target_newest_and_documented():
    f = facts_of("dnf-el7-before.json")
    p = K.plan(f, reboot="window", window="23:30")
    assert p["target"] == "3.10.0-1160.119.1.el7.x86_64" and p["target_source"] == "catalog"
    assert p["documented_fix"] is True and p["target_verdict"]["confidence"] == "inferred"
    assert p["install"]["command"] == "dnf -y install kernel-3.10.0-1160.119.1.el7.x86_64"
    assert p["set_default"]["commands"] == ["grubby --set-default /boot/vmlinuz-3.10.0-1160.119.1.el7.x86_64"]
    assert p["reboot"]["plan"]["method"] == "at" and p["changed"] is True
    d = K.plan(f, prefer="documented")
    assert d["target"] == "3.10.0-1160.el7.x86_64" and d["target_verdict"]["confidence"] == "confirmed"
    assert d["pending_reboot"] is True and d["reboot"] == {"mode": "none"}


def test_dnf_after_install_is_idempotent():
    f = facts_of("dnf-el7-after.json")
    assert "3.10.0-1160.119.1.el7.x86_64" in f["installed"]
    p = K.plan(f, reboot="window", window="23:30")
    assert p["install"] is None and p["set_default"]["needed"] is False
    assert p["reboot"]["plan"]["changed"] is False  # the at job recorded in the fixture
    assert p["changed"] is False
    moved = K.plan(f, reboot="window", window="22:00")
    assert moved["changed"] and moved["reboot"]["plan"]["cancel"][0]["method"] == "at"


def test_dnf_prechecks_fail_clearly():
    def no_repo(secs):
        secs["available_rpm"] = Section("available_rpm", "", "Error: Failed to download metadata for repo 'x'", 1)
    p = K.plan(facts_of("dnf-el7-before.json", no_repo), target="3.10.0-1160.el7.x86_64")
    assert p["failed"] and "cannot list kernels" in p["message"] and "Failed to download metadata" in p["message"]

    def small_boot(secs):
        s = secs["boot_df"]
        secs["boot_df"] = Section("boot_df", "Filesystem 1024-blocks Used Available Capacity Mounted on\n"
                                  "/dev/sda1 508588 470000 38588 93% /boot\n", "", 0)
        del s
    p = K.plan(facts_of("dnf-el7-before.json", small_boot))
    assert p["failed"] and "37 MiB free on /boot (need 100 MiB)" in p["message"]

    p = K.plan(facts_of("dnf-el7-before.json"), target="3.10.0-1062.el7.x86_64")
    assert p["failed"] and "cannot see kernel 3.10.0-1062.el7.x86_64" in p["message"]

    p = K.plan(facts_of("dnf-el7-before.json"), require_kdump=True)
    assert p["failed"] and "kdump is not configured" in p["message"]


def test_installonly_limit_warning():
    def limit2(secs):
        secs["dnf_conf"] = Section("dnf_conf", "[main]\ninstallonly_limit=2\n", "", 0)
        secs["rpm_kernels"] = Section("rpm_kernels", "kernel 3.10.0-957.el7.x86_64\nkernel 3.10.0-862.el7.x86_64\n", "", 0)
    p = K.plan(facts_of("dnf-el7-before.json", limit2))
    assert any("will remove the oldest non-running kernel (3.10.0-862.el7.x86_64)" in w for w in p["warnings"])


# ------------------------------------------------------------------ apt host (no Python)

def test_apt_no_catalog_target_then_user_target():
    f = facts_of("apt-before.json")
    assert f["family"] == "debian" and f["package_manager"] == "apt"
    p = K.plan(f)
    assert p["status"] == "no_target" and p["message"] == "no documented fixed kernel for debian; use offload or drop"
    p = K.plan(f, target="6.1.0-99-amd64", reboot="window", window="01:15", reboot_method="shutdown")
    assert p["install"]["command"] == "DEBIAN_FRONTEND=noninteractive apt-get -y -q install linux-image-6.1.0-99-amd64"
    sd = p["set_default"]
    assert sd["method"] == "grub" and sd["spec"] == "@after-install" and sd["files"][0]["path"] == "/etc/default/grub"
    assert "GRUB_DEFAULT=saved\n" in sd["files"][0]["content"] and "GRUB_DEFAULT=0" not in sd["files"][0]["content"]
    assert p["reboot"]["plan"]["method"] == "shutdown"


def test_apt_after_install_resolves_entry_and_is_idempotent():
    f = facts_of("apt-after.json")
    d = K.boot_default(f["boot"])
    assert d["spec"] == "Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-99-amd64"
    assert d["release"] == "6.1.0-99-amd64"
    p = K.plan(f, target="6.1.0-99-amd64")
    assert p["install"] is None and p["set_default"]["needed"] is False and p["changed"] is False
    before = facts_of("apt-before.json")
    step = K.plan(before, target="6.1.0-99-amd64")["set_default"]
    step = K.resolve_after_install(step, f["boot"], "6.1.0-99-amd64")
    assert step["commands"][-1] == ("grub-set-default 'Advanced options for Debian GNU/Linux>"
                                    "Debian GNU/Linux, with Linux 6.1.0-99-amd64'")
    ok, _d, msg = K.verify_default(f["boot"], "6.1.0-99-amd64")
    assert ok, msg
    ok, _d, msg = K.verify_default(f["boot"], "3.16.0-6-amd64")
    assert not ok and "not the target 3.16.0-6-amd64" in msg


def test_verify_running():
    assert K.verify_running("a", "a")[0]
    ok, msg = K.verify_running("3.10.0-957.el7.x86_64", "3.10.0-1160.el7.x86_64")
    assert not ok and msg == "host came back on 3.10.0-957.el7.x86_64, not the target 3.10.0-1160.el7.x86_64"


# ------------------------------------------------------------------ parsers and inputs

def test_yum_list_wrapped_lines_and_garbage():
    text = ("Available Packages\n"
            "kernel.x86_64   3.10.0-1160.el7   base\n"
            "kernel.x86_64\n            3.10.0-1160.119.1.el7\n                        updates\n")
    rows = K.parse_yum_list(text)
    assert [r["release"] for r in rows] == ["3.10.0-1160.el7.x86_64", "3.10.0-1160.119.1.el7.x86_64"]
    assert rows[1]["repo"] == "updates"
    with pytest.raises(KcrashParseError):
        K.parse_yum_list("Available Packages\nsomething odd here\n")
    with pytest.raises(KcrashParseError):
        K.parse_yum_list("kernel.x86_64 3.10.0-1160.el7\n")


def test_apt_policy_unknown_and_wrong_package():
    assert K.parse_apt_policy("", "linux-image-x")["candidate"] is None
    with pytest.raises(KcrashParseError):
        K.parse_apt_policy("other:\n  Installed: (none)\n  Candidate: 1\n", "linux-image-x")


def test_grub_legacy_and_bls():
    legacy = ("default=1\ntimeout=5\ntitle Red Hat (2.6.32-754.el6.x86_64)\n\troot (hd0,0)\n"
              "\tkernel /vmlinuz-2.6.32-754.el6.x86_64 ro root=/dev/sda2\n"
              "title Red Hat (2.6.32-358.el6.x86_64)\n\tkernel /vmlinuz-2.6.32-358.el6.x86_64 ro\n")
    boot = {"grubby_default": None, "grub_entries": [], "grubenv": {}, "default_grub": {},
            "grub_legacy": K.parse_grub_legacy(legacy), "bls": []}
    d = K.boot_default(boot)
    assert d["method"] == "grub-legacy" and d["release"] == "2.6.32-358.el6.x86_64"
    step = K.default_entry_step(boot, "2.6.32-754.el6.x86_64", {})
    assert "grub legacy without grubby" in step["error"]


def test_set_grub_default_saved():
    assert K.set_grub_default_saved("A=1\nGRUB_DEFAULT=0\nB=2\n") == "A=1\nGRUB_DEFAULT=saved\nB=2\n"
    assert K.set_grub_default_saved("A=1") == "A=1\nGRUB_DEFAULT=saved\n"


@pytest.mark.parametrize("bad", ["3.10; reboot", "$(id)", "kernel", "", "1 2"])
def test_bad_targets_rejected(bad):
    with pytest.raises(KcrashInputError):
        K.plan(facts_of("dnf-el7-before.json"), target=bad)


def test_bad_options_rejected():
    f = facts_of("dnf-el7-before.json")
    with pytest.raises(KcrashInputError):
        K.plan(f, reboot="later")
    with pytest.raises(KcrashInputError):
        K.plan(f, reboot="window", window="25:00")
    with pytest.raises(KcrashInputError):
        K.probe_sections(["linux-image-x; rm -rf /"])


def test_truncated_uname_is_a_parse_error():
    def broken(secs):
        secs["uname"] = Section("uname", "", "sh: uname: not found", 127)
    with pytest.raises(KcrashParseError):
        facts_of("dnf-el7-before.json", broken)
