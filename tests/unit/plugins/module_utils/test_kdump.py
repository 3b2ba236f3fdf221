# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one kdump section/parser (kdump.py), shared by the detection probe, the sosreport
reader and the kernel_upgrade read trip (the os-release parser: test_os_release.py)."""

import json
import os
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import kdump, probe, shell
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade import apply, boot, plan, read

from conftest import FIXTURES


def _recorded(name):
    with open(os.path.join(FIXTURES, "kernel", name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def test_one_kdump_section_in_both_trips():
    assert dict(probe._sections("@@KCDATA:x:"))["kdump"] == kdump.script()
    assert dict(read.probe_sections([]))["kdump"] == kdump.script()
    for stage in (probe, read, boot, plan, apply):
        assert not hasattr(stage, "parse_kdump")
        assert not hasattr(stage, "parse_os") and not hasattr(stage, "parse_os_release")


def test_recorded_incident_host_is_configured_not_loaded():
    """Recorded on the lab's el6 replica (/etc/kdump.conf present, no crash kernel in a container)."""
    info = kdump.parse(_recorded("incident-el6")["kdump"]["stdout"])
    assert info["state"] == "configured_not_loaded"
    assert info["conf"] == ["/etc/kdump.conf"] and info["kdump_conf"] is True
    assert info["crash_kernel_loaded"] is None and info["service_manager"] == "none"
    assert kdump.parse(_recorded("apt-before")["kdump"]["stdout"])["state"] == "not_configured"


def test_kernel_plan_reports_the_same_kdump_facts_as_detection():
    rec = _recorded("incident-el6")
    pkgs = rec.pop("_recorded")["apt_packages"]
    facts = read.parse_probe(dict((n, shell.Section(n, v["stdout"], v["stderr"], v["rc"])) for n, v in rec.items()), pkgs)
    assert facts["kdump"] == kdump.parse(rec["kdump"]["stdout"])
    assert facts["kdump"]["state"] == "configured_not_loaded"
    assert (facts["os"]["id"], facts["os"]["version_id"], facts["os"]["family"]) == ("rhel", "6.4", "redhat")


@pytest.mark.parametrize("status,active", [
    ("Kdump is operational", True), ("Kdump is not operational", False), ("kdump (pid 1234) is running...", True),
    ("kdump is stopped", False),
])
def test_sysv_status_lines(status, active):
    info = kdump.parse("kexec_crash_loaded=1\nmanager=sysv\nservice.kdump=%s\n" % status)
    assert info["service_active"] is active and info["state"] == "loaded"


def test_script_runs_in_real_sh():
    p = subprocess.run(["/bin/sh", "-c", kdump.script()], capture_output=True, text=True, check=False)
    assert p.returncode == 0
    info = kdump.parse(p.stdout)
    assert info["state"] in kdump.STATES
    assert info["kdump_conf"] == os.path.exists("/etc/kdump.conf")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_kdump_parse_never_raises(text):
    assert kdump.parse(text)["state"] in kdump.STATES
