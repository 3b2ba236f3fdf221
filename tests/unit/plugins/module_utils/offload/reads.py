# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reads, fixtures and a shell runner shared by the offload stage tests (not a test module)."""

import os
import subprocess

FIX = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures"))


def fixture(*parts):
    with open(os.path.join(FIX, *parts), encoding="utf-8", newline="") as f:
        return f.read()


IXGBE = fixture("ethtool", "rhel64_ixgbe_ethtool-3.5_k.txt")          # LRO on (RHEL 6.4 ixgbe)
VETH = fixture("ethtool", "netns_veth_ethtool-k.txt")                 # lro off [fixed], gro/gso on
IFCFG = fixture("persist", "ifcfg", "incident-ring.in")


def fixed_on(text):
    return text.replace("large-receive-offload: on", "large-receive-offload: on [fixed]")


def make_read(ifaces, files=None, managers=None, unreadable=None, nm_state=None, no_ethtool=False):
    raw = {}
    interfaces = {}
    for name, (kind, text) in ifaces.items():
        raw[name] = {"name": name, "attrs": {"type": "1"}, "ethtool_k": text, "ethtool_rc": 0 if text else 1,
                     "ethtool_err": "" if text else "Cannot get device feature info"}
        interfaces[name] = {"kind": kind, "driver": "ixgbe" if kind == "physical" else "veth", "lower": []}
    mgr = {"ethtool_path": "/sbin/ethtool"}
    mgr.update(managers or {})
    return {"raw": raw, "interfaces": interfaces, "no_ethtool": no_ethtool, "managers": mgr,
            "macs": dict((n, "90:e2:ba:4c:1a:30") for n in ifaces), "files": files or {},
            "unreadable": unreadable or {}, "nm": nm_state}


EL64 = {"redhat_release": "Red Hat Enterprise Linux Server release 6.4 (Santiago)"}
IFCFG_PATH = "/etc/sysconfig/network-scripts/ifcfg-eth0"


def run_sh(script, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, env=e, check=False)
