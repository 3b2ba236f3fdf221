# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""drop/lockout.py (pure): the lockout guard (which queue rules could match the management
connection) and the plan's refusals because of it."""

import os
import subprocess
import sys
import uuid

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import lockout
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import management
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options

from conftest import require_tool

from .drop_rules import MG, plan_of, table


def _risk(rule, chain="INPUT", mgmt=MG, reach=None):
    d = {"backend": "legacy", "rule": "-A %s %s" % (chain, rule), "reachable_from": reach or [chain]}
    return lockout.lockout_risk(d, mgmt)


@pytest.mark.parametrize("rule", [
    "-j NFQUEUE",
    "-p tcp -j NFQUEUE",
    "-p tcp -m tcp --dport 22 -j NFQUEUE",
    "-p tcp -m multiport --dports 20:30 -j NFQUEUE",
    "-m conntrack --ctstate NEW -j NFQUEUE",
    "-m set --match-set mgmt src -j NFQUEUE",
    "-p tcp -m string --string ssh --algo bm -j NFQUEUE",
    "-p tcp -m tcp ! --dport 80 -j NFQUEUE",
    "-i eth0 -j NFQUEUE",
    "-s 10.0.0.0/8 -j NFQUEUE",          # controller address unknown: cannot prove
    "-p tcp -m tcp --sport 1024:65535 -j NFQUEUE",
    '-m comment --comment "--dport 80" -j NFQUEUE',
    "! -i lo -j NFQUEUE",                 # every interface but loopback: SSH included
    "! --in-interface lo -p tcp -j NFQUEUE",
    "! -i eth9 -j NFQUEUE",
])
def test_guard_refuses_rules_that_could_match(rule):
    risky, reason = _risk(rule)
    assert risky, reason
    assert "tcp port 22" in reason


@pytest.mark.parametrize("rule,why", [
    ("-p udp -j NFQUEUE", "-p udp"),
    ("! -p tcp -j NFQUEUE", "! -p tcp"),
    ("-p tcp -m multiport --dports 80,443 -m set --match-set lee src -j NFQUEUE", "--dports 80,443"),
    ("-p tcp -m tcp --dport 1000:2000 -j NFQUEUE", "--dport 1000:2000"),
    ("-p tcp -m tcp ! --dport 22 -j NFQUEUE", "! --dport 22"),
    ("-p tcp -m tcp --sport 53 -j NFQUEUE", "--sport 53"),
    ("-i lo -j NFQUEUE", "-i lo"),
    ("-m state --state INVALID -j NFQUEUE", "--state INVALID"),
    ("-f -j NFQUEUE", "-f"),
])
def test_guard_accepts_rules_that_exclude_management(rule, why):
    risky, reason = _risk(rule)
    assert not risky, reason
    assert why in reason


def test_guard_uses_the_controller_and_host_addresses():
    m = management.management("192.0.2.10 51000 198.51.100.5 2222", drop_options.Options())
    assert (m.port, str(m.client), str(m.server)) == (2222, "192.0.2.10", "198.51.100.5")
    assert not _risk("-s 10.0.0.0/8 -j NFQUEUE", mgmt=m)[0]
    assert _risk("-s 192.0.2.0/24 -j NFQUEUE", mgmt=m)[0]
    assert not _risk("! -s 192.0.2.0/24 -j NFQUEUE", mgmt=m)[0]
    assert not _risk("-d 203.0.113.1 -j NFQUEUE", mgmt=m)[0]
    assert not _risk("-p tcp --dport 22 -j NFQUEUE", mgmt=m)[0]  # ssh listens on 2222 here
    assert _risk("-p tcp --dport 2222 -j NFQUEUE", mgmt=m)[0]
    assert not _risk("-s 192.0.2.0/24 -j NFQUEUE", mgmt=m, chain="FORWARD")[0]
    # IPv6 controller vs IPv4 rule
    m6 = management.management("2001:db8::1 40000 2001:db8::2 22", drop_options.Options())
    assert not _risk("-s 10.0.0.0/8 -j NFQUEUE", mgmt=m6)[0]
    # options override
    mo = management.management(None, drop_options.Options(ssh_port=2200, controller_address="10.1.1.1"))
    assert (mo.port, str(mo.client)) == (2200, "10.1.1.1")


def test_guard_directions_and_chains():
    # FORWARD is never crossed by management traffic
    assert not _risk("-j NFQUEUE", chain="FORWARD")[0]
    # OUTPUT carries the answers: ssh is the *source* port there
    assert _risk("-j NFQUEUE", chain="OUTPUT")[0]
    assert not _risk("-p tcp --sport 80 -j NFQUEUE", chain="OUTPUT")[0]
    assert _risk("-p tcp --sport 22 -j NFQUEUE", chain="OUTPUT")[0]
    # a user chain reached from INPUT
    assert _risk("-j NFQUEUE", chain="IDS", reach=["INPUT"])[0]
    assert not _risk("-j NFQUEUE", chain="ORPHAN", reach=[])[0]


def test_guard_nft_rules():
    hooks = {"in": "input", "fwd": "forward"}

    def mk(text, chain="in"):
        return {"backend": "nftables", "rule": text, "reachable_from": [chain]}

    assert lockout.lockout_risk(mk("queue to 1"), MG, hooks)[0]
    assert not lockout.lockout_risk(mk("tcp dport { 80, 443 } queue to 1"), MG, hooks)[0]
    assert lockout.lockout_risk(mk("tcp dport { 22, 443 } queue to 1"), MG, hooks)[0]
    assert not lockout.lockout_risk(mk("meta l4proto udp queue to 1"), MG, hooks)[0]
    assert not lockout.lockout_risk(mk('iifname "lo" queue to 1'), MG, hooks)[0]
    assert not lockout.lockout_risk(mk("queue to 1", "fwd"), MG, hooks)[0]
    assert lockout.lockout_risk(mk("tcp dport != 80 queue to 1"), MG, hooks)[0]
    assert not lockout.lockout_risk(mk("tcp dport != 22 queue to 1"), MG, hooks)[0]


def test_guard_negated_loopback_match_is_not_a_loopback_match():
    """`! -i lo` queues everything that does NOT arrive on loopback, SSH included: the
    opposite of `-i lo`, which only loopback traffic can match."""
    assert not _risk("-i lo -j NFQUEUE")[0]
    risky, reason = _risk("! -i lo -j NFQUEUE")
    assert risky and "tcp port 22" in reason, reason
    text = table(["-A INPUT ! -i lo -j NFQUEUE", "-A INPUT -i lo -j NFQUEUE"])
    p = plan_of(text)
    assert [r["position"] for r in p["refused"]] == [1] and [c["position"] for c in p["changes"]] == [2]
    assert p["refused"][0]["reason"].startswith("lockout guard")
    assert [c["position"] for c in plan_of(text, drop_options.Options(force=True))["changes"]] == [1, 2]
    # OUTPUT: `! -o lo` carries the SSH answers
    assert _risk("! -o lo -j NFQUEUE", chain="OUTPUT")[0]
    assert not _risk("-o lo -j NFQUEUE", chain="OUTPUT")[0]
    # nft: iifname != "lo"
    hooks = {"in": "input"}

    def mk(text):
        return {"backend": "nftables", "rule": text, "reachable_from": ["in"]}

    assert lockout.lockout_risk(mk('iifname != "lo" queue to 1'), MG, hooks)[0]
    assert not lockout.lockout_risk(mk('iifname "lo" queue to 1'), MG, hooks)[0]


# ------------------------------------------------------------------ every spelling a rule file may use

# controller 192.0.2.10 (ephemeral port 51000) -> host 198.51.100.5, SSH on port 22
KNOWN = management.management("192.0.2.10 51000 198.51.100.5 22", drop_options.Options())

SPARED = [
    # (chain, rule): each provably never matches the management connection. iptables-save
    # prints the short forms; hand-written iptables-restore files may use the long ones.
    ("INPUT", "-p tcp -m tcp --dport 80 -j NFQUEUE"),
    ("INPUT", "-p tcp -m tcp --destination-port 80 -j NFQUEUE"),
    ("INPUT", "-p tcp -m multiport --dports 80,443 -j NFQUEUE"),
    ("INPUT", "-p tcp -m multiport --destination-ports 80,443 -j NFQUEUE"),
    ("INPUT", "-p tcp -m tcp --sport 53 -j NFQUEUE"),
    ("INPUT", "-p tcp -m tcp --source-port 53 -j NFQUEUE"),
    ("INPUT", "-p tcp -m multiport --sports 53,123 -j NFQUEUE"),
    ("INPUT", "-p tcp -m multiport --source-ports 53,123 -j NFQUEUE"),
    ("INPUT", "-p tcp -m tcp --sport 1023 -j NFQUEUE"),     # the highest port that is not ephemeral
    ("INPUT", "-p tcp -m multiport --ports 80,443 -j NFQUEUE"),
    ("OUTPUT", "-p tcp -m tcp --sport 80 -j NFQUEUE"),
    ("OUTPUT", "-p tcp -m tcp --source-port 80 -j NFQUEUE"),
    ("OUTPUT", "-p tcp -m multiport --sports 80,443 -j NFQUEUE"),
    ("OUTPUT", "-p tcp -m multiport --source-ports 80,443 -j NFQUEUE"),
    ("OUTPUT", "-p tcp -m tcp --dport 53 -j NFQUEUE"),
    ("OUTPUT", "-p tcp -m tcp --destination-port 53 -j NFQUEUE"),
    ("OUTPUT", "-p tcp -m multiport --dports 53,123 -j NFQUEUE"),
    ("OUTPUT", "-p tcp -m multiport --destination-ports 53,123 -j NFQUEUE"),
    ("INPUT", "-m state --state INVALID -j NFQUEUE"),
    ("INPUT", "-m conntrack --ctstate INVALID -j NFQUEUE"),
    ("INPUT", "-m conntrack --ctstate RELATED -j NFQUEUE"),
    ("INPUT", "-m conntrack --ctstate INVALID,RELATED -j NFQUEUE"),
    # the controller's address: source inbound, destination outbound
    ("INPUT", "-s 10.0.0.0/8 -j NFQUEUE"),
    ("INPUT", "--source 10.0.0.0/8 -j NFQUEUE"),
    ("INPUT", "-m iprange --src-range 192.0.2.1-192.0.2.9 -j NFQUEUE"),
    ("INPUT", "-m iprange --src-range 192.0.2.11-192.0.2.20 -j NFQUEUE"),
    ("OUTPUT", "-d 10.0.0.0/8 -j NFQUEUE"),
    ("OUTPUT", "--destination 10.0.0.0/8 -j NFQUEUE"),
    ("OUTPUT", "-m iprange --dst-range 192.0.2.1-192.0.2.9 -j NFQUEUE"),
    # the host's own address: destination inbound, source outbound
    ("INPUT", "-d 203.0.113.1 -j NFQUEUE"),
    ("INPUT", "--destination 203.0.113.1 -j NFQUEUE"),
    ("INPUT", "-m iprange --dst-range 203.0.113.1-203.0.113.9 -j NFQUEUE"),
    ("OUTPUT", "-s 203.0.113.1 -j NFQUEUE"),
    ("OUTPUT", "--source 203.0.113.1 -j NFQUEUE"),
    ("OUTPUT", "-m iprange --src-range 203.0.113.1-203.0.113.9 -j NFQUEUE"),
    # a network written with host bits, as iptables itself accepts it (-s 10.0.0.1/8)
    ("INPUT", "-s 10.0.0.1/8 -j NFQUEUE"),
    # comma lists: none holds the controller
    ("INPUT", "-s 10.0.0.0/8,172.16.0.0/12 -j NFQUEUE"),
    ("INPUT", "-s 2001:db8::/32,10.0.0.0/8 -j NFQUEUE"),
    ("PREROUTING", "-p udp -j NFQUEUE"),
    ("POSTROUTING", "-p udp -j NFQUEUE"),
]

AT_RISK = [
    # (chain, rule): each could match the management connection
    ("PREROUTING", "-j NFQUEUE"),
    ("POSTROUTING", "-j NFQUEUE"),
    ("INPUT", "-p tcp -m tcp --sport 1024 -j NFQUEUE"),      # 1024 may be the controller's port
    ("INPUT", "-p tcp -m tcp --sport 1024: -j NFQUEUE"),     # open range: up to 65535
    ("INPUT", "-p tcp -m tcp --dport :22 -j NFQUEUE"),       # open range: from 0
    ("INPUT", "-p tcp -m tcp --dport 1:2:3 -j NFQUEUE"),     # not a port range: unknown
    ("INPUT", "-p tcp -m multiport --ports 22,80 -j NFQUEUE"),
    ("INPUT", "-p tcp -m multiport --ports 80,1000:2000 -j NFQUEUE"),
    ("INPUT", "-m conntrack --ctstate NEW -j NFQUEUE"),
    ("INPUT", "-m conntrack --ctstate INVALID,ESTABLISHED -j NFQUEUE"),
    # states a management packet is in when the host untracks SSH (raw table CT --notrack) or
    # reaches it through a REDIRECT/DNAT or a nat INPUT SNAT (test_guard_states_on_a_real_kernel)
    ("INPUT", "-m conntrack --ctstate UNTRACKED -j NFQUEUE"),
    ("INPUT", "-m conntrack --ctstate SNAT -j NFQUEUE"),
    ("INPUT", "-m conntrack --ctstate DNAT -j NFQUEUE"),
    ("INPUT", "-m state --state UNTRACKED -j NFQUEUE"),
    ("INPUT", "-m conntrack --ctstate INVALID,RELATED,UNTRACKED,SNAT,DNAT -j NFQUEUE"),
    ("INPUT", "-m iprange --src-range 192.0.2.10-192.0.2.20 -j NFQUEUE"),    # both ends included
    ("INPUT", "-m iprange --src-range 192.0.2.1-192.0.2.10 -j NFQUEUE"),
    ("INPUT", "-m iprange --src-range 192.0.2.1-192.0.2.5,192.0.2.10 -j NFQUEUE"),
    ("INPUT", "-m iprange --src-range 2001:db8::1-2001:db8::9 -j NFQUEUE"),  # other family: unknown
    ("INPUT", "-m iprange --src-range gw-192.0.2.9 -j NFQUEUE"),             # not an address: unknown
    ("INPUT", "-m iprange --src-range 192.0.2.1-gw -j NFQUEUE"),
    ("INPUT", "-m iprange --src-range 192.0.2.1-192.0.2.5-192.0.2.9 -j NFQUEUE"),  # not a range: unknown
    ("INPUT", "-s 2001:db8::/32,192.0.2.0/24 -j NFQUEUE"),
    ("INPUT", "-s 10.0.0.0/8,192.0.2.0/24 -j NFQUEUE"),
    ("INPUT", "-s gateway.example -j NFQUEUE"),                              # a name: unknown
    ("OUTPUT", "-d 192.0.2.0/24 -j NFQUEUE"),
    ("OUTPUT", "-s 198.51.100.5 -j NFQUEUE"),
]


@pytest.mark.parametrize("chain,rule", SPARED)
def test_guard_spares_rules_that_exclude_management_in_any_spelling(chain, rule):
    risky, reason = _risk(rule, chain=chain, mgmt=KNOWN)
    assert not risky, reason
    assert reason.startswith("excluded from the management connection by ")


@pytest.mark.parametrize("chain,rule", AT_RISK)
def test_guard_refuses_rules_that_may_match_in_any_spelling(chain, rule):
    risky, reason = _risk(rule, chain=chain, mgmt=KNOWN)
    assert risky, reason
    assert reason == ("could match the management connection (tcp port 22 from 192.0.2.10, %s): no match "
                      "excludes it" % ("inbound" if chain in ("INPUT", "PREROUTING") else "outbound"))


@pytest.mark.parametrize("hook,risky", [("prerouting", True), ("input", True), ("ingress", True),
                                        ("output", True), ("postrouting", True), ("egress", True),
                                        ("forward", False), (None, False)])
def test_guard_nft_base_chain_hooks(hook, risky):
    rule = {"backend": "nftables", "rule": "queue to 1", "reachable_from": ["c"]}
    got, reason = lockout.lockout_risk(rule, MG, {"c": hook})
    assert got is risky, reason


SPARED_MORE = [
    ("INPUT", "-p tcp -m tcp --dport ! 22 -j NFQUEUE"),     # iptables 1.4.7's own negation syntax
    ("INPUT", "-p tcp -m tcp --dport ! 80 -s 10.0.0.0/8 -j NFQUEUE"),   # the next match is still read
    ("INPUT", '-m comment --comment "mgmt" -s 10.0.0.0/8 -j NFQUEUE'),  # so it is after a quoted word
    # every match is read, also right after one that excludes nothing
    ("INPUT", "-p tcp -s 10.0.0.0/8 -j NFQUEUE"),
    ("INPUT", "-p tcp --dport 22 -s 10.0.0.0/8 -j NFQUEUE"),
    ("INPUT", "-p tcp --sport 1024: -s 10.0.0.0/8 -j NFQUEUE"),
    ("INPUT", "-p tcp -m multiport --ports 22 -s 10.0.0.0/8 -j NFQUEUE"),
    ("INPUT", "-s 192.0.2.0/24 -p udp -j NFQUEUE"),
    ("INPUT", "-d 198.51.100.5 -p udp -j NFQUEUE"),
    ("INPUT", "-i eth0 -p udp -j NFQUEUE"),
    ("INPUT", "-m state --state NEW -p udp -j NFQUEUE"),
    ("INPUT", "! -f -p udp -j NFQUEUE"),
    ("INPUT", "--protocol udp -j NFQUEUE"),
    ("INPUT", "-p 17 -j NFQUEUE"),
    ("INPUT", "! -p 6 -j NFQUEUE"),
    ("INPUT", "--fragment -j NFQUEUE"),
    ("INPUT", "--in-interface lo -j NFQUEUE"),
    ("OUTPUT", "-o lo -j NFQUEUE"),
    ("OUTPUT", "--out-interface lo -j NFQUEUE"),
]

AT_RISK_MORE = [
    ("INPUT", "-p tcp -m tcp --dport ! 80 -j NFQUEUE"),
    ("INPUT", "-p 6 -j NFQUEUE"),
    ("INPUT", "-p all -j NFQUEUE"),
    ("INPUT", "-p 0 -j NFQUEUE"),
    ("INPUT", "-p TCP -j NFQUEUE"),
    ("INPUT", "! -p udp -j NFQUEUE"),
    ("INPUT", "! -f -j NFQUEUE"),
    ("INPUT", "-o lo -j NFQUEUE"),            # an output match says nothing of what comes in
    ("OUTPUT", "-i lo -j NFQUEUE"),
    ("INPUT", "-p tcp -m tcp ! --sport 53 -j NFQUEUE"),
    ("INPUT", "-p tcp -m multiport ! --ports 80 -j NFQUEUE"),
    ("INPUT", "-m state ! --state INVALID -j NFQUEUE"),
]


@pytest.mark.parametrize("chain,rule", SPARED_MORE)
def test_guard_spares_more(chain, rule):
    risky, reason = _risk(rule, chain=chain, mgmt=KNOWN)
    assert not risky, reason


@pytest.mark.parametrize("chain,rule", AT_RISK_MORE)
def test_guard_refuses_more(chain, rule):
    risky, reason = _risk(rule, chain=chain, mgmt=KNOWN)
    assert risky, reason


def test_guard_loopback_match_is_no_exclusion_when_the_controller_is_local():
    local = management.management("127.0.0.1 51000 127.0.0.1 22", drop_options.Options())
    assert _risk("-i lo -j NFQUEUE", mgmt=local)[0]
    assert _risk("-o lo -j NFQUEUE", chain="OUTPUT", mgmt=local)[0]
    hooks = {"in": "input"}
    assert lockout.lockout_risk({"backend": "nftables", "rule": 'iifname "lo" queue', "reachable_from": ["in"]},
                                local, hooks)[0]


@pytest.mark.parametrize("chain,rule,reason", [
    ("INPUT", "-p udp -j NFQUEUE", "inbound: -p udp (management is tcp)"),
    ("INPUT", "! -p tcp -j NFQUEUE", "inbound: ! -p tcp (management is tcp)"),
    ("INPUT", "-p tcp --dport 80 -j NFQUEUE", "inbound: --dport 80 (SSH port 22 not in it)"),
    ("INPUT", "-p tcp ! --dport 22 -j NFQUEUE", "inbound: ! --dport 22 (SSH port 22 in it)"),
    ("INPUT", "-p tcp --sport 53 -j NFQUEUE", "inbound: --sport 53 (the controller's ephemeral port is >= 1024)"),
    ("INPUT", "-p tcp -m multiport --ports 80 -j NFQUEUE",
     "inbound: --ports 80 (neither the SSH port nor an ephemeral port)"),
    ("INPUT", "-s 10.0.0.0/8 -j NFQUEUE", "inbound: -s 10.0.0.0/8 (controller 192.0.2.10)"),
    ("INPUT", "! -s 192.0.2.0/24 -j NFQUEUE", "inbound: ! -s 192.0.2.0/24 (controller 192.0.2.10)"),
    ("INPUT", "-d 203.0.113.1 -j NFQUEUE", "inbound: -d 203.0.113.1 (host address 198.51.100.5)"),
    ("INPUT", "! -d 198.51.100.5 -j NFQUEUE", "inbound: ! -d 198.51.100.5 (host address 198.51.100.5)"),
    ("INPUT", "-i lo -j NFQUEUE", "inbound: -i lo (management does not use loopback)"),
    ("INPUT", "-m state --state INVALID -j NFQUEUE",
     "inbound: --state INVALID (management packets are NEW/ESTABLISHED)"),
    ("INPUT", "-f -j NFQUEUE", "inbound: -f (management packets are not fragments)"),
    ("INPUT", "-p udp --dport 80 -j NFQUEUE",
     "inbound: -p udp (management is tcp); --dport 80 (SSH port 22 not in it)"),
])
def test_guard_says_which_match_excludes_management(chain, rule, reason):
    risky, why = _risk(rule, chain=chain, mgmt=KNOWN)
    assert not risky
    assert why == "excluded from the management connection by " + reason


def test_guard_reasons_per_direction_and_where_it_never_looks():
    risky, why = _risk("-p udp -j NFQUEUE", chain="IDS", mgmt=KNOWN, reach=["INPUT", "OUTPUT"])
    assert not risky and why == ("excluded from the management connection by inbound: -p udp (management is tcp)"
                                 " | outbound: -p udp (management is tcp)")
    # one direction is enough to refuse
    risky, why = _risk("-i lo -j NFQUEUE", chain="IDS", mgmt=KNOWN, reach=["INPUT", "OUTPUT"])
    assert risky and why.endswith("outbound): no match excludes it")
    assert _risk("-j NFQUEUE", chain="FORWARD") == (
        False, "reached only from FORWARD: management traffic never crosses it")
    assert lockout.lockout_risk({"backend": "legacy", "rule": "-A ORPHAN -j NFQUEUE", "reachable_from": []}, MG) == (
        False, "reached only from no built-in chain: management traffic never crosses it")
    unknown = management.Management(22, None, None, unknown="no port known")
    assert _risk("-p udp -j NFQUEUE", mgmt=unknown) == (
        True, "the management connection is unknown (no port known): nothing can prove this rule spares it; "
              "give ssh_port (and controller_address), or force")
    assert not _risk("-p udp -j NFQUEUE", chain="FORWARD", mgmt=unknown)[0]


NFT_SPARED = [
    ("input", "udp dport 53 queue to 1"),
    ("input", "sctp dport 22 queue to 1"),
    ("input", "dccp dport 22 queue to 1"),
    ("input", "udplite dport 22 queue to 1"),
    ("input", "th dport 80 queue to 1"),
    ("input", "tcp dport 1000-2000 queue to 1"),
    ("input", "tcp dport { 80, 443 } queue to 1"),
    ("input", "tcp dport != 22 queue to 1"),
    ("input", "tcp sport 53 queue to 1"),
    ("input", "tcp sport { 53, 123 } queue to 1"),
    ("output", "tcp sport 80 queue to 1"),
    ("output", "tcp dport 53 queue to 1"),
    ("input", "ip saddr 10.0.0.0/8 queue to 1"),
    ("input", "ip saddr != 192.0.2.0/24 queue to 1"),
    ("input", "ip saddr { 10.0.0.0/8, 172.16.0.0/12 } queue to 1"),
    ("input", "ip6 saddr 2001:db8::/32 queue to 1"),   # an IPv6 match never holds the IPv4 controller
    ("input", "ip daddr 203.0.113.1 queue to 1"),
    ("output", "ip daddr 10.0.0.0/8 queue to 1"),
    ("output", "ip saddr 203.0.113.1 queue to 1"),
    ("input", "meta l4proto != tcp queue to 1"),
    ("input", "meta l4proto { udp, icmp } queue to 1"),
    ("input", "ip protocol 17 queue to 1"),
    ("input", "iif lo queue to 1"),
    ("output", 'oifname "lo" queue to 1'),
    ("output", "oif lo queue to 1"),
    ("input", "ct state invalid queue to 1"),
    ("input", "ct state { invalid, related } queue to 1"),
    ("input", "ct state invalid,related queue to 1"),
    # every match is read, also right after one that excludes nothing
    ("input", "tcp dport 22 ip saddr 10.0.0.0/8 queue to 1"),
    ("input", "tcp sport 1024-65535 ip saddr 10.0.0.0/8 queue to 1"),
    ("input", "ip saddr 192.0.2.0/24 meta l4proto udp queue to 1"),
    ("input", "meta l4proto tcp ip saddr 10.0.0.0/8 queue to 1"),
    ("input", 'iifname "eth0" ip saddr 10.0.0.0/8 queue to 1'),
    ("input", "ct state new ip saddr 10.0.0.0/8 queue to 1"),
]

NFT_AT_RISK = [
    ("input", "th dport 22 queue to 1"),
    ("input", "tcp dport 1-1000 queue to 1"),
    ("input", "tcp dport @ports queue to 1"),        # a named set: cannot tell
    ("input", "tcp dport $SSH queue to 1"),
    ("input", "tcp sport 1024-65535 queue to 1"),
    ("input", "tcp sport != 53 queue to 1"),
    ("input", "ip saddr 192.0.2.0/24 queue to 1"),
    ("input", "ip saddr @admins queue to 1"),
    ("input", "ip daddr 198.51.100.5 queue to 1"),
    ("output", "ip daddr 192.0.2.10 queue to 1"),
    ("input", "meta l4proto tcp queue to 1"),
    ("input", "ip protocol 6 queue to 1"),
    ("input", "meta l4proto != udp queue to 1"),
    ("output", 'iifname "lo" queue to 1'),
    ("input", 'oifname "lo" queue to 1'),
    ("input", 'iifname "eth0" queue to 1'),
    ("input", "ct state new queue to 1"),
    ("input", "ct state established,related queue to 1"),
    ("input", "ct state @st queue to 1"),
    ("input", "ct state untracked queue to 1"),
    ("input", "ct state { invalid, untracked } queue to 1"),
    ("input", "queue to 1 comment \"tcp dport 80\""),
]


def _nft_risk(hook, text, mgmt=KNOWN):
    return lockout.lockout_risk({"backend": "nftables", "rule": text, "reachable_from": ["c"]}, mgmt, {"c": hook})


@pytest.mark.parametrize("hook,text", NFT_SPARED)
def test_guard_spares_nft_rules_that_exclude_management(hook, text):
    risky, reason = _nft_risk(hook, text)
    assert not risky, reason


@pytest.mark.parametrize("hook,text", NFT_AT_RISK)
def test_guard_refuses_nft_rules_that_may_match(hook, text):
    risky, reason = _nft_risk(hook, text)
    assert risky, reason


@pytest.mark.parametrize("hook,text,reason", [
    ("input", "udp dport 53 queue to 1", "inbound: udp dport (management is tcp)"),
    ("input", "tcp dport 80 queue to 1", "inbound: tcp dport 80 (SSH port 22 not in it)"),
    ("input", "tcp dport != 22 queue to 1", "inbound: tcp dport != 22 (SSH port 22 in it)"),
    ("input", "tcp sport 53 queue to 1", "inbound: tcp sport 53 (the controller's ephemeral port is >= 1024)"),
    ("input", "ip saddr 10.0.0.0/8 queue to 1", "inbound: ip saddr 10.0.0.0/8 (controller 192.0.2.10)"),
    ("input", "ip daddr 203.0.113.1 queue to 1", "inbound: ip daddr 203.0.113.1 (host address 198.51.100.5)"),
    ("input", "meta l4proto udp queue to 1", "inbound: meta l4proto udp (management is tcp)"),
    ("input", 'iifname "lo" queue to 1', "inbound: iifname lo (management does not use loopback)"),
    ("input", "ct state invalid queue to 1", "inbound: ct state invalid (management packets are new/established)"),
])
def test_guard_says_which_nft_match_excludes_management(hook, text, reason):
    risky, why = _nft_risk(hook, text)
    assert not risky
    assert why == "excluded from the management connection by " + reason


# ------------------------------------------------- issue 17: what the mutation run left alive

@pytest.mark.parametrize("hook,text,risky", [
    # a range on the controller's side: only low ports exclude its ephemeral port
    ("input", "tcp sport 1-1023 queue to 1", False),
    ("output", "tcp dport 1-1023 queue to 1", False),
    ("input", "tcp sport 1000-1100 queue to 1", True),
    ("input", "tcp sport { 53, 100-200 } queue to 1", False),
    # a port match after another match is read too (and the one after it)
    ("input", "ip saddr 192.0.2.0/24 tcp dport 80 queue to 1", False),
    ("input", "ip saddr 192.0.2.0/24 tcp dport 22 meta l4proto udp queue to 1", False),
    # only meta l4proto / ip protocol say which protocol: other meta and ip matches exclude nothing
    ("input", "meta mark 0x00000001 queue to 1", True),
    ("input", "meta nfproto ipv4 queue to 1", True),
    ("input", "ip dscp cs1 queue to 1", True),
    ("input", "ip length 100-200 queue to 1", True),
    # the rule ends at its queue verdict: text after it is no match of the rule (nft 1.0.6
    # refuses to load a statement after a terminal one, the kernel would never evaluate it)
    ("input", "queue to 1 tcp dport 80", True),
    ("input", "queue num 1 meta l4proto udp", True),
    # every match is read wherever it stands
    ("input", 'meta l4proto tcp iifname "lo" queue to 1', False),
    ("input", "meta l4proto tcp ct state invalid queue to 1", False),
    # a set written with blanks around its commas (nft accepts it in a file)
    ("input", "tcp dport { 80 , 443 } queue to 1", False),
    ("input", "meta l4proto { udp , icmp } queue to 1", False),
    # a named set or a variable of a file: its members are unknown here
    ("input", "meta l4proto @protos queue to 1", True),
    ("input", "meta l4proto $PROTOS queue to 1", True),
    ("input", "meta l4proto != @protos queue to 1", True),
    # a conntrack tuple is no header match: the reply tuple of inbound SSH has the host as its
    # source, the original tuple of the answers the controller (nft 1.0.6 in a netns counted
    # every packet of a real connection in both)
    ("input", "ct reply ip saddr 198.51.100.5 queue to 1", True),
    ("output", "ct original ip saddr 192.0.2.10 queue to 1", True),
    ("input", "ct reply saddr 198.51.100.5 queue to 1", True),
    ("input", "ct reply ip saddr 198.51.100.5 meta l4proto udp queue to 1", False),
])
def test_guard_nft_ranges_order_and_other_matches(hook, text, risky):
    got, reason = _nft_risk(hook, text)
    assert got is risky, reason


@pytest.mark.parametrize("hook,text,reason", [
    ("input", "ip saddr { 10.0.0.0/8, 172.16.0.0/12 } queue to 1",
     "inbound: ip saddr 10.0.0.0/8 172.16.0.0/12 (controller 192.0.2.10)"),
    ("output", "ip saddr { 203.0.113.1, 203.0.113.2 } queue to 1",
     "outbound: ip saddr 203.0.113.1 203.0.113.2 (host address 198.51.100.5)"),
    ("input", "meta l4proto { udp, icmp } queue to 1", "inbound: meta l4proto udp icmp (management is tcp)"),
    ("input", "tcp sport 1-1023 queue to 1",
     "inbound: tcp sport 1-1023 (the controller's ephemeral port is >= 1024)"),
    ("input", "ct state invalid,related queue to 1",
     "inbound: ct state invalid,related (management packets are new/established)"),
])
def test_guard_says_which_nft_set_excludes_management(hook, text, reason):
    risky, why = _nft_risk(hook, text)
    assert not risky
    assert why == "excluded from the management connection by " + reason


def test_guard_names_each_direction_once_and_every_chain():
    """Two inbound base chains (prerouting and input) are one direction: its reasons once."""
    rule = {"backend": "nftables", "rule": "udp dport 53 queue to 1", "reachable_from": ["pre", "in", "out", "post"]}
    hooks = {"pre": "prerouting", "in": "input", "out": "output", "post": "postrouting"}
    assert lockout.lockout_risk(rule, KNOWN, hooks) == (
        False, "excluded from the management connection by inbound: udp dport (management is tcp)"
               " | outbound: udp dport (management is tcp)")
    rule = {"backend": "legacy", "rule": "-A FWD -j NFQUEUE", "reachable_from": ["FORWARD", "FWD"]}
    assert lockout.lockout_risk(rule, KNOWN) == (
        False, "reached only from FORWARD, FWD: management traffic never crosses it")


# ------------------------------------------------------------------ the kernel as the oracle

_LISTENER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.51.100.5", 22)); s.listen(1); print("ready", flush=True)
c, a = s.accept(); c.recv(64); c.sendall(b"SSH-2.0-OpenSSH_5.3\\r\\n"); c.recv(64); c.close()
"""
_CLIENT = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("%s", 51000)); s.settimeout(5); s.connect(("198.51.100.5", %d))
s.sendall(b"SSH-2.0-OpenSSH_9.2\\r\\n"); s.recv(64); s.close()
"""
# (name, port the controller connects to, how the host handles the SSH connection)
_SCENARIOS = [
    ("plain", 22, []),
    ("redirect", 2222, ["-t nat -A PREROUTING -p tcp --dport 2222 -j REDIRECT --to-ports 22"]),
    ("notrack", 22, ["-t raw -A PREROUTING -p tcp --dport 22 -j CT --notrack",
                     "-t raw -A OUTPUT -p tcp --sport 22 -j CT --notrack"]),
    ("nat-input-snat", 22, ["-t nat -A INPUT -p tcp --dport 22 -j SNAT --to-source 198.51.100.77"]),
]
_STATE_RULES = ["-m conntrack --ctstate %s" % s for s in (
    "INVALID", "RELATED", "UNTRACKED", "SNAT", "DNAT", "NEW", "ESTABLISHED", "INVALID,RELATED",
    "INVALID,RELATED,UNTRACKED,SNAT,DNAT")] + ["-m state --state %s" % s for s in ("INVALID", "UNTRACKED", "RELATED")]


def _ssh_through_the_kernel(scenario, port, setup, rules):
    """Packets of one TCP connection 192.0.2.10:51000 -> 198.51.100.5:22 (the SSH banner
    exchange) that each ``(chain, rule)`` counted, in a pair of real network namespaces with
    iptables-legacy; rules that iptables refuses count None."""
    ipt = require_tool("iptables-legacy", "iptables")
    require_tool("ip", "iproute2")
    tag = uuid.uuid4().hex[:6]
    host, client = "km-lk-h-" + tag, "km-lk-c-" + tag

    def run(ns, *cmd, check=False, timeout=None):
        return subprocess.run(["ip", "netns", "exec", ns] + list(cmd), capture_output=True, text=True, check=check,
                              timeout=timeout)

    subprocess.run(["ip", "netns", "add", host], check=True)
    subprocess.run(["ip", "netns", "add", client], check=True)
    try:
        subprocess.run(["ip", "link", "add", "v" + tag, "netns", host, "type", "veth", "peer", "name", "w" + tag,
                        "netns", client], check=True)
        for ns, dev, mine, peer in ((host, "v" + tag, "198.51.100.5", "192.0.2.10"),
                                    (client, "w" + tag, "192.0.2.10", "198.51.100.5")):
            for cmd in (["addr", "add", mine + "/32", "dev", dev], ["link", "set", dev, "up"],
                        ["link", "set", "lo", "up"], ["route", "add", peer + "/32", "dev", dev]):
                subprocess.run(["ip", "-n", ns] + cmd, check=True)
        # the host answers a connection it SNATed to 198.51.100.77 by routing to that address
        subprocess.run(["ip", "-n", host, "route", "add", "198.51.100.77/32", "dev", "v" + tag], check=True)
        for line in setup:
            run(host, ipt, *line.split(), check=True)
        loaded = []
        for chain, rule in rules:
            loaded.append(run(host, ipt, "-A", chain, *rule.split()).returncode == 0)
        listener = subprocess.Popen(["ip", "netns", "exec", host, sys.executable, "-c", _LISTENER],
                                    stdout=subprocess.PIPE, text=True)
        try:
            assert listener.stdout.readline().strip() == "ready"
            run(client, sys.executable, "-c", _CLIENT % ("192.0.2.10", port), check=True, timeout=20)
            listener.wait(timeout=20)
        finally:
            listener.kill()
            listener.wait()
        saved = run(host, ipt + "-save", "-c", "-t", "filter", check=True).stdout
    finally:
        subprocess.run(["ip", "netns", "del", host], check=False)
        subprocess.run(["ip", "netns", "del", client], check=False)
    counts = {}
    for line in saved.splitlines():
        if line.startswith("[") and " -A " in line:
            pkts, rest = line[1:].split(":", 1)
            chain = rest.split(" -A ", 1)[1].split()[0]
            counts.setdefault(chain, []).append(int(pkts))
    out, seen = [], {}
    for (chain, rule), ok in zip(rules, loaded):
        if not ok:
            out.append(None)
            continue
        out.append(counts[chain][seen.get(chain, 0)])
        seen[chain] = seen.get(chain, 0) + 1
    return out


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (ip netns)")
@pytest.mark.parametrize("scenario,port,setup", _SCENARIOS, ids=[s[0] for s in _SCENARIOS])
def test_guard_states_on_a_real_kernel(scenario, port, setup):
    """A state match the guard counts as an exclusion never sees a packet of a real SSH-like
    connection, however the host tracks it: plain, REDIRECTed from another port, untracked
    by the raw table, or SNATed in nat INPUT (the guard is told what sshd would see:
    SSH_CONNECTION names the local port 22 and, with SNAT, the rewritten source)."""
    rules = [(c, r) for r in _STATE_RULES for c in ("INPUT", "OUTPUT")]
    counted = _ssh_through_the_kernel(scenario, port, setup, rules)
    client = "198.51.100.77" if scenario == "nat-input-snat" else "192.0.2.10"
    mgmt = management.management("%s 51000 198.51.100.5 22" % client, drop_options.Options())
    matched = set()
    for (chain, rule), n in zip(rules, counted):
        assert n is not None, "iptables-legacy refused %s" % rule
        risky, why = _risk(rule + " -j NFQUEUE", chain=chain, mgmt=mgmt)
        if not risky:
            assert n == 0, "%s %s: the guard says %s, the kernel counted %d packets" % (chain, rule, why, n)
        if n:
            matched.add(rule)
    # the connection really crossed the chains, in the states each setup gives it
    assert "-m conntrack --ctstate %s" % ("UNTRACKED" if scenario == "notrack" else "ESTABLISHED") in matched
    want = {"redirect": "DNAT", "notrack": "UNTRACKED", "nat-input-snat": "SNAT"}.get(scenario)
    if want:
        assert "-m conntrack --ctstate %s" % want in matched


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (ip netns)")
def test_guard_spared_rules_see_no_packet_of_a_real_connection():
    """Every iptables rule of SPARED/SPARED_MORE the kernel accepts counts no packet of a real
    connection from the controller 192.0.2.10:51000 to the host's port 22 (the connection
    KNOWN describes), in the chain the rule is written for."""
    rules = [(c, r.replace(" -j NFQUEUE", "")) for c, r in SPARED + SPARED_MORE if c in ("INPUT", "OUTPUT")]
    counted = _ssh_through_the_kernel("plain", 22, [], rules)
    checked = 0
    for (chain, rule), n in zip(rules, counted):
        if n is None:
            continue  # e.g. a mixed-family address list: iptables refuses to load it
        assert n == 0, "%s %s: spared by the guard, the kernel counted %d packets" % (chain, rule, n)
        checked += 1
    assert checked >= len(rules) - 3, counted
    # the same connection is seen by a rule that does not exclude it
    seen = _ssh_through_the_kernel("plain", 22, [], [("INPUT", "-p tcp --dport 22"), ("OUTPUT", "-p tcp --sport 22")])
    assert all(seen), seen
