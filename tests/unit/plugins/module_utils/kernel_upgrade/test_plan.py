# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kernel_upgrade/plan.py on probe answers recorded from the lab hosts (see recorded.py):
targets, pre-checks, steps, idempotence, refused options."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade import plan, read
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Section

from .recorded import facts_of


def test_el6_without_target_plans_nothing_and_says_so():
    f = facts_of("incident-el6.json")
    assert f["family"] == "el6" and f["running"] == "2.6.32-358.el6.x86_64"
    p = plan.plan(f)
    assert p["status"] == "no_target"
    assert p["message"] == "no documented fixed kernel for el6; use offload or drop"
    assert p["changed"] is False and p["install"] is None and p["reboot"] is None


def test_el6_user_target_is_not_reported_as_a_fix():
    f = facts_of("incident-el6.json")
    p = plan.plan(f, target="2.6.32-754.35.1.el6.x86_64")
    assert p["documented_fix"] is False
    assert any("not a documented fix" in w for w in p["warnings"])
    # the incident host has no yum/dnf/apt: the package source pre-check fails, clearly
    assert p["failed"] and p["status"] == "precheck_failed"
    assert "no supported package manager" in p["message"]


def test_dnf_catalog_target_newest_and_documented():
    f = facts_of("dnf-el7-before.json")
    p = plan.plan(f, reboot="window", window="23:30")
    assert p["target"] == "3.10.0-1160.119.1.el7.x86_64" and p["target_source"] == "catalog"
    assert p["documented_fix"] is True and p["target_verdict"]["confidence"] == "inferred"
    assert p["install"]["command"] == "dnf -y install kernel-3.10.0-1160.119.1.el7.x86_64"
    assert p["set_default"]["commands"] == ["grubby --set-default /boot/vmlinuz-3.10.0-1160.119.1.el7.x86_64"]
    assert p["reboot"]["plan"]["method"] == "at" and p["changed"] is True
    d = plan.plan(f, prefer="documented")
    assert d["target"] == "3.10.0-1160.el7.x86_64" and d["target_verdict"]["confidence"] == "confirmed"
    assert d["pending_reboot"] is True and d["reboot"] == {"mode": "none"}


def test_dnf_after_install_is_idempotent():
    f = facts_of("dnf-el7-after.json")
    assert "3.10.0-1160.119.1.el7.x86_64" in f["installed"]
    p = plan.plan(f, reboot="window", window="23:30")
    assert p["install"] is None and p["set_default"]["needed"] is False
    assert p["reboot"]["plan"]["changed"] is False  # the at job recorded in the fixture
    assert p["changed"] is False
    moved = plan.plan(f, reboot="window", window="22:00")
    assert moved["changed"] and moved["reboot"]["plan"]["cancel"][0]["method"] == "at"


def test_dnf_prechecks_fail_clearly():
    def no_repo(secs):
        secs["available_rpm"] = Section("available_rpm", "", "Error: Failed to download metadata for repo 'x'", 1)
    p = plan.plan(facts_of("dnf-el7-before.json", no_repo), target="3.10.0-1160.el7.x86_64")
    assert p["failed"] and "cannot list kernels" in p["message"] and "Failed to download metadata" in p["message"]

    def small_boot(secs):
        s = secs["boot_df"]
        secs["boot_df"] = Section("boot_df", "Filesystem 1024-blocks Used Available Capacity Mounted on\n"
                                  "/dev/sda1 508588 470000 38588 93% /boot\n", "", 0)
        del s
    p = plan.plan(facts_of("dnf-el7-before.json", small_boot))
    assert p["failed"] and "37 MiB free on /boot (need 100 MiB)" in p["message"]

    p = plan.plan(facts_of("dnf-el7-before.json"), target="3.10.0-1062.el7.x86_64")
    assert p["failed"] and "cannot see kernel 3.10.0-1062.el7.x86_64" in p["message"]

    p = plan.plan(facts_of("dnf-el7-before.json"), require_kdump=True)
    assert p["failed"] and "kdump is not configured" in p["message"]


def test_installonly_limit_warning():
    def limit2(secs):
        secs["dnf_conf"] = Section("dnf_conf", "[main]\ninstallonly_limit=2\n", "", 0)
        secs["rpm_kernels"] = Section("rpm_kernels", "kernel 3.10.0-957.el7.x86_64\nkernel 3.10.0-862.el7.x86_64\n", "", 0)
    p = plan.plan(facts_of("dnf-el7-before.json", limit2))
    assert any("will remove the oldest non-running kernel (3.10.0-862.el7.x86_64)" in w for w in p["warnings"])


def test_apt_no_catalog_target_then_user_target():
    f = facts_of("apt-before.json")
    assert f["family"] == "debian" and f["package_manager"] == "apt"
    p = plan.plan(f)
    assert p["status"] == "no_target" and p["message"] == "no documented fixed kernel for debian; use offload or drop"
    p = plan.plan(f, target="6.1.0-99-amd64", reboot="window", window="01:15", reboot_method="shutdown")
    assert p["install"]["command"] == "DEBIAN_FRONTEND=noninteractive apt-get -y -q install linux-image-6.1.0-99-amd64"
    sd = p["set_default"]
    assert sd["method"] == "grub" and sd["spec"] == "@after-install" and sd["files"][0]["path"] == "/etc/default/grub"
    assert "GRUB_DEFAULT=saved\n" in sd["files"][0]["content"] and "GRUB_DEFAULT=0" not in sd["files"][0]["content"]
    assert p["reboot"]["plan"]["method"] == "shutdown"


@pytest.mark.parametrize("bad", ["3.10; reboot", "$(id)", "kernel", "", "1 2"])
def test_bad_targets_rejected(bad):
    with pytest.raises(KcrashInputError):
        plan.plan(facts_of("dnf-el7-before.json"), target=bad)


def test_bad_options_rejected():
    f = facts_of("dnf-el7-before.json")
    with pytest.raises(KcrashInputError):
        plan.plan(f, reboot="later")
    with pytest.raises(KcrashInputError):
        plan.plan(f, reboot="window", window="25:00")
    with pytest.raises(KcrashInputError):
        read.probe_sections(["linux-image-x; rm -rf /"])


@pytest.mark.parametrize("name,value", [
    ("reboot_timeout", -1), ("reboot_timeout", 0), ("reboot_timeout", 86401), ("reboot_timeout", "soon"),
    ("reboot_timeout", True), ("reboot_timeout", 1.5), ("reboot_timeout", None),
    ("min_boot_free_mb", -5), ("min_boot_free_mb", "100MB"),
])
def test_numeric_options_out_of_range_are_refused(name, value):
    """Issue 16 item 5: a negative reboot_timeout passed every check and raised in
    time.sleep once the host was already rebooting."""
    with pytest.raises(KcrashInputError) as e:
        plan.validate_limit(name, value)
    assert name in str(e.value)


@pytest.mark.parametrize("name,value,want", [
    ("reboot_timeout", 900, 900), ("reboot_timeout", "1", 1), ("reboot_timeout", 86400, 86400),
    ("min_boot_free_mb", 0, 0), ("min_boot_free_mb", "100", 100),
])
def test_numeric_options_in_range_pass(name, value, want):
    assert plan.validate_limit(name, value) == want
