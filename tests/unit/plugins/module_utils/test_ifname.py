# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one interface-name rule (shell.validate_ifname), checked against the real kernel:
`ip link add name NAME type veth` in a private network namespace (unshare -n) is the oracle."""

import shutil
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import shell
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.strategy.fleet import interface_list
from ansible_collections.kcrash.nfqueue.plugins.module_utils.sosreport import parse_ip_link

from ansible_collections.kcrash.nfqueue.plugins.filter.interface_names import FilterModule

interface_problems = FilterModule().filters()["interface_problems"]

# Runs inside `unshare -n`: for each name (argv), does the kernel create a veth with it?
KERNEL_ORACLE = r'''
import subprocess, sys
for i, name in enumerate(sys.argv[1:]):
    r = subprocess.run(["ip", "link", "add", "name", name.encode("utf-8", "surrogateescape"), "type", "veth",
                        "peer", "name", "kvpeer%d" % i], capture_output=True)
    print("1" if r.returncode == 0 else "0")
    if r.returncode == 0:
        subprocess.run(["ip", "link", "del", "kvpeer%d" % i], capture_output=True)
'''


def kernel_accepts(names):
    if not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("unshare/ip missing")
    p = subprocess.run(["unshare", "-n", sys.executable, "-c", KERNEL_ORACLE] + list(names),
                       capture_output=True, text=True, check=False)
    if p.returncode != 0:
        pytest.skip("unshare -n not permitted here: %s" % p.stderr.strip())
    return [l == "1" for l in p.stdout.splitlines()]


@pytest.mark.parametrize("name", ["eth0", "enp3s0f1", "bond0.100", "eth0.100", "br-lan", "em1_2", "team0+",
                                  "wlp2s0", "a" * 15])
def test_valid(name):
    assert shell.validate_ifname(name) == name
    assert interface_list([name]) == [name]
    assert interface_problems([name]) == []


@pytest.mark.parametrize("name,msg", [
    ("eth0:1", "'eth0:1' is an alias label, not a netdev; use eth0"),
    ("bond0.100:db", "alias label, not a netdev; use bond0.100"),
    ("eth0.100@eth0", "carries the @parent suffix ip link prints; use eth0.100"),
    ("a" * 16, "16 bytes, the kernel allows at most 15"),
    ("\u00e9" * 8, "16 bytes"),
    ("eth 0", "white space"),
    ("ethà", "white space"),          # UTF-8 c3 a0: the kernel's isspace(0xa0)
    ("eth0/1", "'/'"),
    (".", "'.' and '..'"),
    ("..", "'.' and '..'"),
    ("-K", "starts with '-'"),
    ("eth\x01", "would misread"),
    ("veth%d", "would misread"),
    ("eth0;reboot", "would misread"),
    ("$(id)", "would misread"),
    ("ñic0", "would misread"),
    ("", "empty"),
    (None, "not a string"),
])
def test_invalid_says_why(name, msg):
    with pytest.raises(KcrashInputError) as e:
        shell.validate_ifname(name, "interfaces")
    assert msg in str(e.value)
    if name == "":
        return  # an empty item of a list or survey string is skipped, not an error
    with pytest.raises(KcrashInputError) as e:
        interface_list([name] if name is not None else [5])
    assert "kcrash_interfaces" in str(e.value)
    if isinstance(name, str):
        assert msg in " ".join(interface_problems(["eth1", name]))


def test_planning_refuses_alias_labels_up_front():
    """issue 13: the play-level check and strategy.interface_list used to accept eth0:1."""
    with pytest.raises(KcrashInputError) as e:
        interface_list("eth0, eth0:1")
    assert "alias label, not a netdev; use eth0" in str(e.value)
    assert interface_problems("eth0, eth0:1") == ["'eth0:1' is an alias label, not a netdev; use eth0"]
    assert interface_problems(5) and interface_problems("") == []


def test_ip_link_parent_suffix_is_stripped_by_the_parser():
    text = ("5: eth0.100@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\n"
            "    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n"
            "    vlan protocol 802.1Q id 100 <REORDER_HDR>\n")
    names = list(parse_ip_link(text))
    assert names == ["eth0.100"]
    assert shell.validate_ifname(names[0])


def test_named_examples_agree_with_the_kernel():
    names = ["eth0", "eth0.100", "a" * 15, "a" * 16, "eth0:1", "eth 0", "ethà", ".", "..", "eth0/1", "ñic0",
             "eth0;x", "\u00e9" * 8]
    for name, ok in zip(names, kernel_accepts(names)):
        assert ok == (shell.kernel_ifname_problem(name) is None), name


_NAME_CHARS = st.sampled_from(list("aeZ09_.-+:/@;$* \t\n\x01\x7f") + ["\u00e0", "\u00e9", "\u00a0", "\u2003", "\u00f1"])


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(_NAME_CHARS, min_size=1, max_size=17).map("".join), min_size=1, max_size=25))
def test_kernel_rule_is_the_kernels_and_accepted_names_are_a_subset(names):
    """kernel_ifname_problem() refuses exactly what the kernel refuses; every name the
    collection accepts is one the kernel accepts."""
    for name, ok in zip(names, kernel_accepts(names)):
        assert ok == (shell.kernel_ifname_problem(name) is None), name
        if shell.ifname_problem(name) is None:
            assert ok, name
