# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A read that could not be done is `unknown`, never a lower verdict (issue 11, defects 3
and 6): the real detection probe run on lab containers as a non-root user (podman exec
--user nobody: iptables-save/ip6tables-save/nft are denied there as on a host reached by
SSH without become), and with busybox's real `last` (no `-x`) first in PATH."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import exposure, probe

from conftest import lab_hosts, podman


def _probe_in(container, user=None, path_prefix=None):
    script, nonce = probe.build_probe()
    if path_prefix:
        script = 'PATH=%s:"$PATH"; export PATH\n%s' % (path_prefix, script)
    args = ["exec"] + (["--user", user] if user else []) + [container, "/bin/sh", "-c", script]
    p = podman(*args, check=False)
    assert p.returncode == 0, p.stderr[-2000:]
    return probe.parse_probe(p.stdout, nonce, host=container)


@pytest.fixture(scope="module")
def hosts():
    with lab_hosts("kcore-unread", ["incident", "bare"]) as names:
        yield names


def test_denied_live_read_as_non_root_is_unknown_not_at_risk(hosts):
    ctr = hosts["incident"]
    facts = _probe_in(ctr, user="nobody")
    # the denial is real: the same probe as root sees the seed's live mangle rule
    assert facts["firewall"]["rules_readable"] is False
    assert any("iptables" in e["item"] for e in facts["probe"]["errors"]), facts["probe"]["errors"]
    verdict = exposure.assess(facts)
    assert verdict["legs"]["rules"] == exposure.UNKNOWN
    assert verdict["level"] == exposure.LEVEL_UNKNOWN
    assert any("could not be read" in r for r in verdict["reasons"])
    as_root = exposure.assess(_probe_in(ctr))
    assert as_root["legs"]["rules"] == exposure.LIVE


def test_unreadable_var_crash_is_reported_unread_not_empty(hosts):
    ctr = hosts["incident"]
    podman("exec", ctr, "chmod", "700", "/var/crash")
    facts = _probe_in(ctr, user="nobody")
    unread = {u["source"]: u["reason"] for u in facts["crash_evidence"]["unread"]}
    assert "permission denied" in unread.get("crash", ""), facts["crash_evidence"]
    assert any(r.startswith("crash: crash evidence unknown") for r in exposure.assess(facts)["reasons"])
    # root reads it: the oops recorded in the lab's vmcore-dmesg.txt is found
    as_root = _probe_in(ctr)
    unread_as_root = [u for u in as_root["crash_evidence"]["unread"] if u["source"] == "crash"]
    assert as_root["crash_evidence"]["vmcore"] and not unread_as_root


def test_busybox_last_without_x_degrades_to_unread(hosts):
    ctr = hosts["bare"]
    # real busybox `last` applet (no -x) first in PATH
    podman("exec", ctr, "/bin/sh", "-c", "mkdir -p /tmp/kcbb && ln -sf \"$(command -v busybox)\" /tmp/kcbb/last")
    check = podman("exec", ctr, "/bin/sh", "-c", "PATH=/tmp/kcbb:$PATH last -x", check=False)
    assert check.returncode != 0 and "Usage: last" in check.stdout + check.stderr
    facts = _probe_in(ctr, path_prefix="/tmp/kcbb")
    unread = {u["source"]: u["reason"] for u in facts["crash_evidence"]["unread"]}
    assert "no -x" in unread.get("wtmp", ""), facts["crash_evidence"]
    assert not [e for e in facts["probe"]["errors"] if e["item"] in ("wtmp", "last")]
    assert facts["crash_evidence"]["wtmp_crashes"] == []
    assert any("wtmp evidence unknown" in r for r in exposure.assess(facts)["reasons"])
