# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""options.host_errors: every strategy variable checked the way its action checks it (the
remediate play runs it for every host before detection; the playbook itself is tested in
tests/unit/playbooks/test_remediate_playbook.py)."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import options


def errors(**values):
    return options.host_errors(values.get)


def test_role_defaults_and_unset_values_pass():
    assert errors() == []
    assert errors(kcrash_kernel_reboot_timeout=900, kcrash_kernel_min_boot_free_mb=100,
                  kcrash_drop_watchdog_timeout=60, kcrash_offload_interfaces="auto",
                  kcrash_drop_backup_root="/var/backups/kcrash-nfqueue/drop") == []


@pytest.mark.parametrize("name,value", [
    ("kcrash_kernel_reboot_timeout", -1), ("kcrash_kernel_reboot_timeout", 0), ("kcrash_kernel_reboot_timeout", "x"),
    ("kcrash_kernel_min_boot_free_mb", -5),
    ("kcrash_kernel_target", "3.10.0;reboot"), ("kcrash_kernel_window", "25:00"),
    ("kcrash_offload_backup_dir", "/tmp/x'$(id)'"), ("kcrash_drop_backup_root", "relative"),
    ("kcrash_offload_interfaces", "eth0, eth0:1"), ("kcrash_drop_watchdog_timeout", 1),
])
def test_each_bad_value_is_named(name, value):
    got = errors(**{name: value})
    assert len(got) == 1 and got[0].startswith(name + ":"), got


@pytest.mark.parametrize("chains", [["$(reboot)"], ["a;b"], ["`id`"]])
def test_drop_options_with_shell_text_are_refused(chains):
    got = errors(kcrash_drop_chains=chains)
    assert len(got) == 1 and got[0].startswith("kcrash_drop_*:") and "chains" in got[0], got
