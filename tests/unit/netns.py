# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A throwaway network namespace for the tests that run our shell text against real
interfaces (test_netdev.py: the interface walk; test_probe.py: the whole probe), and the set
of virtual devices both put in it. Needs root (``ip netns``)."""

import subprocess
import uuid


class NetNS(object):
    """``with NetNS("prefix") as ns``: a fresh namespace ``prefix-<random>``, removed on exit."""

    def __init__(self, prefix):
        self.name = "%s-%s" % (prefix, uuid.uuid4().hex[:8])

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        return self

    def x(self, *args, **kw):
        """Run ``args`` in the namespace (text output; ``check`` default True, ``env``)."""
        return subprocess.run(["ip", "netns", "exec", self.name] + list(args), check=kw.get("check", True),
                              capture_output=True, text=True, env=kw.get("env"))

    def __exit__(self, *a):
        subprocess.run(["ip", "netns", "del", self.name], check=False)


def add_virtual_devices(ns):
    """A veth pair vethA/vethB, bridge br0 over vethB, macvlan mv0 and vxlan vx0 on vethA, and
    the tap tap0: the kinds of link the walk must tell apart."""
    ns.x("ip", "link", "add", "vethA", "type", "veth", "peer", "name", "vethB")
    ns.x("ip", "link", "add", "br0", "type", "bridge")
    ns.x("ip", "link", "set", "vethB", "master", "br0")
    ns.x("ip", "link", "add", "mv0", "link", "vethA", "type", "macvlan", "mode", "bridge")
    ns.x("ip", "link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789", "dev", "vethA")
    ns.x("ip", "tuntap", "add", "dev", "tap0", "mode", "tap")
