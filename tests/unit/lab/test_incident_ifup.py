# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The incident lab host's boot replay of ETHTOOL_OPTS, end to end: every ifcfg file the
ifcfg renderer writes for the golden cases is put on a real `incident` container, the
container is restarted (the lab's reboot: the NIC stand-in goes back to its recorded LRO-on
state, then the init replays ETHTOOL_OPTS), and LRO must come back off.

LAB STAND-INS here: the `ethtool` of the incident image (eth0 plays a recorded RHEL 6.4 ixgbe
with LRO on) and the replay itself (lab/images/incident/overlay/usr/local/lib/kcrash-lab/
ifup-ethtool.sh, reproducing initscripts 9.03.24's ethtool_set; checked against an independent
statement of that behaviour in persist/test_ifcfg.py). Real: bash sourcing the file, the files.
"""

import os
import sys

import pytest

from conftest import lab_hosts, podman, restart_lab_host

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "plugins", "module_utils", "persist"))
import persist_golden as golden  # noqa: E402

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import ifcfg  # noqa: E402

CFG = "/etc/sysconfig/network-scripts/ifcfg-eth0"
CASES = [c for c in golden.cases("ifcfg") if c[2]["iface"] == "eth0"]


@pytest.fixture(scope="module")
def incident():
    with lab_hosts("ktst-ifup-test", ("incident",)) as names:
        yield names["incident"]


def _lro(name):
    out = podman("exec", name, "ethtool", "-k", "eth0").stdout
    return [line for line in out.splitlines() if line.startswith("large-receive-offload:")]


def _boot_with(name, text):
    p = podman("exec", name, "sh", "-c", "printf '%%s' \"$1\" > %s" % CFG, "sh", text)
    assert p.returncode == 0, p.stderr
    restart_lab_host(name)


def test_reboot_resets_the_nic_to_lro_on(incident):
    _boot_with(incident, "DEVICE=eth0\nONBOOT=yes\nETHTOOL_OPTS=\"-G eth0 rx 4096\"\n")
    assert _lro(incident) == ["large-receive-offload: on"]


@pytest.mark.parametrize("key,text,case,info", CASES, ids=[c[0] for c in CASES])
def test_rendered_ifcfg_turns_lro_off_at_boot(incident, key, text, case, info):
    _boot_with(incident, ifcfg.render(text, "eth0", case["features"], info))
    assert _lro(incident) == ["large-receive-offload: off"], podman(
        "exec", incident, "tail", "-n", "20", "/var/log/kcrash-lab-init.log").stdout
