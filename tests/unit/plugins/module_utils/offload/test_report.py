# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""offload/report.py: the task's interfaces input, the result keys and the one-line summary."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import report as REP


@pytest.mark.parametrize("value,expected", [
    ("auto", "auto"), ("", "auto"), (" auto ", "auto"), (["eth0"], ["eth0"]),
    ("eth0, eth1", ["eth0", "eth1"]), ("eth0 eth1", ["eth0", "eth1"]),
])
def test_interfaces_argument(value, expected):
    assert REP.interfaces_argument(value) == expected


@pytest.mark.parametrize("value", [[], 7, {"eth0": 1}, ["-eth0"], ["a/b"], "eth0, a/b"])
def test_interfaces_argument_refuses(value):
    with pytest.raises(KcrashError):
        REP.interfaces_argument(value)


PLAN = {
    "interfaces": {"eth0": {"kind": "physical", "status": "change", "secret_internal": 1, "persist": None}},
    "interfaces_source": "task argument",
    "files": [{"path": "/etc/x", "backend": "udev", "action": "create"},
              {"path": "/etc/y", "backend": "ifcfg", "action": "none"}],
    "runtime": [{"interface": "eth0", "features": ["lro", "gro"]}],
    "nm_commands": [{"uuid": "u-1", "args": ["connection", "modify", "uuid", "u-1", "ethtool.feature-lro", "off"]}],
    "warnings": ["w"],
}


def test_report_keys():
    r = REP.report(PLAN)
    assert r["runtime_commands"] == ["ethtool -K eth0 lro off gro off"]
    assert r["nm_commands"] == ["nmcli connection modify uuid u-1 ethtool.feature-lro off"]
    assert set(r["interfaces"]["eth0"]) == set(REP.PUBLIC_KEYS)
    assert r["interfaces"]["eth0"]["kind"] == "physical" and r["interfaces"]["eth0"]["driver"] is None
    assert r["files"] is PLAN["files"] and r["warnings_offload"] == ["w"]
    assert r["interfaces_source"] == "task argument"


def test_summary():
    assert REP.summary(PLAN, check=True) == ("would change runtime: eth0 lro/gro off; files: /etc/x; "
                                             "NetworkManager profiles: u-1")
    assert REP.summary(PLAN, check=False).startswith("changed runtime: eth0 lro/gro off")
    quiet = dict(PLAN, runtime=[], nm_commands=[], files=[PLAN["files"][1]])
    assert REP.summary(quiet, check=False) == "nothing to change: eth0"
    assert REP.summary(dict(quiet, interfaces={}), check=True) == "nothing to change: no candidate interface"
