# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""exposure.py: the three legs and the verdict table of issue 3."""

import itertools

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import exposure, netdev

RULE = {"family": "ipv4", "backend": "legacy", "table": "mangle", "chain": "PREROUTING", "position": 1,
        "rule": "-A PREROUTING -p tcp -j NFQUEUE", "handle": None, "queue": {"num": None},
        "reachable_from": ["PREROUTING"]}
SAVED = dict(RULE, backend="file", position=None, reachable_from=None, file="/etc/sysconfig/iptables", line=12)


def _feat(active, fixed=False, requested=None):
    return {"active": active, "fixed": fixed, "requested": active if requested is None else requested}


def _nic(lro, kind="physical", driver="ixgbe", persistence=None, master=None):
    return {"kind": kind, "physical": kind != "virtual", "virtual_type": None, "driver": driver, "master": master,
            "lower": [], "upper": [], "features": {"lro": lro, "gro": _feat(True), "gso": _feat(True), "tso": _feat(True)},
            "feature_format": "features", "ethtool_error": None, "persistence": persistence or []}


def facts(kernel=True, rules=(RULE,), saved=(), nics=None, readable=True, crash=None):
    return {
        "kernel": {"release": "2.6.32-358.el6.x86_64", "family": "el6", "code_vulnerable": kernel,
                   "reason": "el6", "fixed_by": None, "fixed_installed": []},
        "nfqueue_rules": list(rules),
        "saved_nfqueue_rules": list(saved),
        "firewall": {"rules_readable": readable},
        "interfaces": nics if nics is not None else {"eth0": _nic(_feat(True))},
        "crash_evidence": crash or {},
    }


def test_all_legs_live_is_exposed():
    e = exposure.assess(facts())
    assert e["level"] == "exposed"
    assert e["legs"] == {"kernel": "live", "rules": "live", "lro": "live"}
    assert any(r.startswith("rules: live NFQUEUE rule ipv4/legacy mangle PREROUTING #1") for r in e["reasons"])
    assert any(r.startswith("lro: eth0 (physical, ixgbe) has large-receive-offload on") for r in e["reasons"])
    assert e["interfaces"] == ["eth0"]


def test_fixed_kernel_is_not_exposed_but_rules_listed():
    e = exposure.assess(facts(kernel=False))
    assert e["level"] == "not_exposed"
    assert e["legs"]["rules"] == "live"
    assert e["rules"]


def test_saved_only_rule_is_at_risk():
    e = exposure.assess(facts(rules=(), saved=(SAVED,)))
    assert e["level"] == "at_risk" and e["legs"]["rules"] == "potential"
    assert any("/etc/sysconfig/iptables:12" in r for r in e["reasons"])


def test_lro_off_but_persisted_on_is_at_risk():
    hint = {"file": "/etc/sysconfig/network-scripts/ifcfg-eth0", "line": 15, "text": 'ETHTOOL_OPTS="-K eth0 lro on"',
            "interface": "eth0", "lro": True}
    e = exposure.assess(facts(nics={"eth0": _nic(_feat(False), persistence=[hint])}))
    assert e["level"] == "at_risk" and e["legs"]["lro"] == "potential"
    assert any("ifcfg-eth0:15" in r for r in e["reasons"])


def test_lro_off_on_lro_driver_is_potential_but_off_on_other_driver_is_none():
    assert exposure.assess(facts(nics={"eth0": _nic(_feat(False), driver="ixgbe")}))["legs"]["lro"] == "potential"
    assert exposure.assess(facts(nics={"eth0": _nic(_feat(False), driver="e1000e")}))["legs"]["lro"] == "none"
    assert exposure.assess(facts(nics={"eth0": _nic(_feat(False, fixed=True), driver="ixgbe")}))["legs"]["lro"] == "none"


def test_bond_on_top_never_counts_only_slaves():
    nics = {
        "bond0": dict(_nic(_feat(True), kind="bond", driver="bonding"), lower=["eth0", "eth1"]),
        "eth0": _nic(_feat(False, fixed=True), kind="bond_slave", master="bond0"),
        "eth1": _nic(_feat(False, fixed=True), kind="bond_slave", master="bond0"),
    }
    assert netdev.candidate_nics({"interfaces": nics}) == ["eth0", "eth1"]
    assert exposure.assess(facts(nics=nics))["legs"]["lro"] == "none"
    nics["eth1"]["features"]["lro"] = _feat(True)
    e = exposure.assess(facts(nics=nics))
    assert e["level"] == "exposed" and e["interfaces"] == ["eth1"]


def test_unknown_when_data_missing():
    e = exposure.assess(facts(kernel=None))
    assert e["level"] == "unknown" and e["legs"]["kernel"] == "unknown"
    e = exposure.assess(facts(rules=(), readable=False))
    assert e["level"] == "unknown" and e["legs"]["rules"] == "unknown"
    nic = _nic(None)
    nic["features"] = None
    nic["ethtool_error"] = "exit 127"
    e = exposure.assess(facts(nics={"eth0": nic}))
    assert e["level"] == "unknown" and e["legs"]["lro"] == "unknown"


def test_a_missing_leg_wins_over_unknown():
    e = exposure.assess(facts(kernel=None, rules=()))
    assert e["level"] == "not_exposed"


def test_output_only_rule_does_not_feed():
    out_rule = dict(RULE, table="filter", chain="OUTPUT", reachable_from=["OUTPUT"])
    assert exposure.assess(facts(rules=(out_rule,)))["legs"]["rules"] == "none"
    unreachable = dict(RULE, chain="QUEUEME", reachable_from=[])
    assert exposure.assess(facts(rules=(unreachable,)))["legs"]["rules"] == "potential"


def test_crash_history_flags_whatever_the_verdict():
    crash = {"vmcore": [{"signature": "rip-nf_queue+0x98", "rip": "nf_queue+0x98/0x1e0", "bug_id": "el6-nf_queue-gso-null",
                         "strength": "strong", "line": "IP: ...", "path": "/var/crash/x/vmcore-dmesg.txt"}],
             "wtmp_crashes": [{"line": "root pts/0 ... - crash (18:42)", "crash": True}]}
    e = exposure.assess(facts(kernel=False, crash=crash))
    assert e["level"] == "not_exposed" and e["flagged"] is True
    assert any("nf_queue+0x98" in r and "/var/crash/x" in r for r in e["reasons"])
    assert any("last -x shows 1 crash" in r for r in e["reasons"])
    generic = {"vmcore": [dict(crash["vmcore"][0], signature="null-deref")]}
    assert exposure.assess(facts(crash=generic))["flagged"] is False


LEG_VALUES = {
    "kernel": [True, False, None],
    "rules": ["live", "saved", "none", "unreadable"],
    "lro": ["on", "persisted", "off", "unknown"],
}


def _build(k, r, l):
    rules, saved, readable = (), (), True
    if r == "live":
        rules = (RULE,)
    elif r == "saved":
        saved = (SAVED,)
    elif r == "unreadable":
        readable = False
    if l == "on":
        nic = _nic(_feat(True))
    elif l == "persisted":
        nic = _nic(_feat(False), persistence=[{"file": "f", "line": 1, "text": "lro on", "interface": "eth0", "lro": True}])
    elif l == "off":
        nic = _nic(_feat(False, fixed=True))
    else:
        nic = _nic(None)
        nic["features"] = None
    return facts(kernel=k, rules=rules, saved=saved, readable=readable, nics={"eth0": nic})


@pytest.mark.parametrize("k,r,l", list(itertools.product(*LEG_VALUES.values())))
def test_verdict_table(k, r, l):
    e = exposure.assess(_build(k, r, l))
    legs = e["legs"]
    if k is False or r == "none" or l == "off":
        want = "not_exposed"
    elif k is None or r == "unreadable" or l == "unknown":
        want = "unknown"
    elif k is True and r == "live" and l == "on":
        want = "exposed"
    else:
        want = "at_risk"
    assert e["level"] == want, (legs, e["reasons"])
    assert all(any(x.startswith(leg + ":") for x in e["reasons"]) for leg in ("kernel", "rules", "lro"))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["kernel", "nfqueue_rules", "interfaces", "crash_evidence", "firewall"]),
                       st.one_of(st.none(), st.just({}), st.just([]))))
def test_assess_tolerates_sparse_facts(f):
    assert exposure.assess(f)["level"] in exposure.LEVELS


def test_lro_off_but_requested_on_is_at_risk():
    """`large-receive-offload: off [requested on]` (real ethtool 6.1 output, recorded on a
    macvlan in a netns; a virtio NIC prints the same when its host side refuses LRO): the
    kernel holds LRO off for now but someone asked for it, so it returns when the lower device
    allows it. That is at_risk, never not_exposed, whatever the driver."""
    from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool
    from conftest import read_fixture
    parsed = ethtool.parse(read_fixture("ethtool", "netns_macvlan_lro-requested-on_ethtool-k.txt"))
    lro = ethtool.feature(parsed, "lro")
    assert (lro["active"], lro["fixed"], lro["requested"]) == (False, False, True)
    for driver in ("virtio_net", "e1000e", None):
        e = exposure.assess(facts(nics={"eth0": _nic(lro, driver=driver)}))
        assert e["level"] == "at_risk" and e["legs"]["lro"] == "potential", (driver, e)
        assert e["interfaces"] == ["eth0"]
        assert any(r.startswith("lro: eth0") and "requested on" in r for r in e["reasons"]), e["reasons"]
    # the same NIC with LRO off and nothing requested is not exposed
    off = dict(lro, requested=False)
    assert exposure.assess(facts(nics={"eth0": _nic(off, driver="virtio_net")}))["level"] == "not_exposed"


def test_rule_label_full_and_sparse():
    assert exposure.rule_label(RULE) == "ipv4/legacy mangle PREROUTING #1: -A PREROUTING -p tcp -j NFQUEUE"
    assert exposure.rule_label(SAVED) == ("ipv4/file mangle PREROUTING /etc/sysconfig/iptables:12: "
                                          "-A PREROUTING -p tcp -j NFQUEUE")
    assert exposure.rule_label({}) == "?/? ? ? : "
    assert exposure.rule_label({"file": "/f"}) == "?/? ? ? /f:?: "
    long = exposure.rule_label(dict(RULE, rule="-A X " + "a" * 300))
    assert long.endswith("a...") and len(long.split(": ", 1)[1]) == 160


def test_nft_output_hook_chain_sees_only_local_packets():
    nft_out = dict(RULE, family="inet", backend="nftables", table="t", chain="out", reachable_from=["output"])
    e = exposure.assess(facts(rules=(nft_out,)))
    assert e["legs"]["rules"] == "none" and e["level"] == "not_exposed"
    nft_in = dict(nft_out, reachable_from=["output", "input"])
    assert exposure.assess(facts(rules=(nft_in,)))["legs"]["rules"] == "live"


# ------------------------------------------------------------------ what the user reads
# The reasons and recommendations are the product's output: their text is specified here.

def _kernel(cv, release="3.10.0-1160.el7.x86_64", family="el7", reason="r", confidence="confirmed", **kw):
    return dict({"release": release, "family": family, "code_vulnerable": cv, "reason": reason,
                 "confidence": confidence, "fixed_by": None, "fixed_installed": []}, **kw)


def _facts_with_kernel(kernel, **kw):
    f = facts(**kw)
    f["kernel"] = kernel
    return f


def test_kernel_with_the_null_check_and_a_live_rule_says_nothing_to_do():
    e = exposure.assess(_facts_with_kernel(_kernel(False)))
    assert e["level"] == "not_exposed"
    assert e["reasons"][0] == "kernel: 3.10.0-1160.el7.x86_64 (el7) has the NULL check: r [confirmed]"
    assert e["recommended"] == ["nothing to do for this panic; NFQUEUE rules kept (the running kernel has the NULL check)"]
    assert e["rules"] == ["ipv4/legacy mangle PREROUTING #1: -A PREROUTING -p tcp -j NFQUEUE"]


def test_unknown_kernel_texts_and_recommendations():
    k = {"code_vulnerable": None, "confidence": "unknown"}
    e = exposure.assess(_facts_with_kernel(k))
    assert e["level"] == "unknown" and e["legs"]["kernel"] == "unknown"
    assert e["reasons"][0] == "kernel: ? (unknown family) is not known to carry or lack the NULL check"
    assert e["recommended"] == [
        "turn LRO off now and persistently on eth0 (kcrash.nfqueue.offload; ethtool -K <nic> lro off)",
        "replace the NFQUEUE target with DROP where queued packets are dropped anyway (kcrash.nfqueue.nfqueue_target)",
        "re-run detection with become (root) and ethtool/iptables available to settle the unknown leg",
    ]


def test_vulnerable_kernel_recommendations_with_fixes_known():
    k = _kernel(True, release="2.6.32-358.el6.x86_64", family="el6", reason=None, confidence=None,
                fixed_by="kernel-3.10.0-1160.el7", fixed_installed=["3.10.0-1160.el7.x86_64"])
    e = exposure.assess(_facts_with_kernel(k))
    assert e["level"] == "exposed"
    assert e["reasons"][0] == ("kernel: 2.6.32-358.el6.x86_64 (el6) carries the unchecked skb_gso_segment() result "
                               "in the queue path")
    assert e["recommended"][2:] == [
        "reboot into an installed kernel with the NULL check: 3.10.0-1160.el7.x86_64",
        "move to a kernel with the NULL check: kernel-3.10.0-1160.el7 (kcrash.nfqueue.kernel_upgrade)",
    ]
    e = exposure.assess(_facts_with_kernel(_kernel(True, confidence="likely")))
    assert e["reasons"][0].endswith(": r [likely]")
    assert e["recommended"][-1] == "no kernel of this family is documented to fix it: rely on LRO off or DROP"


def test_rules_that_see_no_received_packet():
    out_rule = dict(RULE, table="filter", chain="OUTPUT", reachable_from=["OUTPUT"])
    e = exposure.assess(facts(rules=(out_rule,)))
    assert e["legs"]["rules"] == "none" and e["recommended"] == []
    assert e["reasons"][1] == ("rules: NFQUEUE rule sees only locally generated packets: "
                               "ipv4/legacy filter OUTPUT #1: -A PREROUTING -p tcp -j NFQUEUE")
    orphan = dict(RULE, chain="QUEUEME", reachable_from=[])
    e = exposure.assess(facts(rules=(orphan,)))
    assert e["legs"]["rules"] == "potential" and e["level"] == "at_risk"
    assert e["reasons"][1] == ("rules: NFQUEUE rule in a chain no built-in chain reaches (yet): "
                               "ipv4/legacy mangle QUEUEME #1: -A PREROUTING -p tcp -j NFQUEUE")
    assert e["rules"] == ["ipv4/legacy mangle QUEUEME #1: -A PREROUTING -p tcp -j NFQUEUE"]
    e = exposure.assess(facts(rules=(), readable=False))
    assert e["legs"]["rules"] == "unknown"
    assert e["reasons"][1] == "rules: the live ruleset could not be read (see probe.errors)"
    e = exposure.assess(facts(rules=()))
    assert e["reasons"][1] == "rules: no NFQUEUE/QUEUE rule in any live ruleset or saved rule file"


def test_lro_leg_texts():
    lo = dict(_nic(_feat(False, fixed=True), kind="loopback", driver=None), physical=False)
    e = exposure.assess(facts(nics={}))
    assert (e["legs"]["lro"], e["reasons"][-1]) == ("unknown", "lro: no interface data")
    e = exposure.assess(facts(nics={"lo": lo}))
    assert (e["legs"]["lro"], e["reasons"][-1]) == (
        "none", "lro: no NIC that receives packets itself (only stacked/loopback devices)")
    blind = dict(_nic(None), features={}, ethtool_error="Cannot get device features: Operation not permitted")
    e = exposure.assess(facts(nics={"eth0": blind}))
    assert e["legs"]["lro"] == "unknown" and e["interfaces"] == ["eth0"]
    assert e["reasons"][-1] == ("lro: eth0 (physical, ixgbe): offload state unknown "
                                "(Cannot get device features: Operation not permitted)")
    e = exposure.assess(facts(nics={"eth0": dict(blind, ethtool_error=None)}))
    assert e["reasons"][-1] == "lro: eth0 (physical, ixgbe): offload state unknown (ethtool -k not available)"
    old = dict(_nic(None), feature_format="offload-space")
    old["features"] = {"gro": _feat(True)}
    e = exposure.assess(facts(nics={"eth0": old}))
    assert e["legs"]["lro"] == "unknown"
    assert e["reasons"][-1] == "lro: eth0 (physical, ixgbe): this ethtool does not report LRO"
    e = exposure.assess(facts(nics={"eth0": dict(old, feature_format="features")}))
    assert e["legs"]["lro"] == "none"
    e = exposure.assess(facts(nics={"eth0": _nic(_feat(False), driver="e1000e"),
                                    "eth1": _nic(_feat(False, fixed=True), driver="ixgbe")}))
    assert e["reasons"][-1] == "lro: LRO is off on every NIC that receives packets (eth0, eth1)"
    e = exposure.assess(facts(nics={"eth0": _nic(_feat(False), driver="ixgbe")}))
    assert e["reasons"][-1] == ("lro: eth0 (physical, ixgbe) has LRO off now; driver ixgbe can turn it back on "
                                "(reload, reboot, forwarding off)")


def test_crash_history_texts():
    vm = [{"path": "/var/crash/a/vmcore-dmesg.txt", "bug_id": "el6-nf_queue-gso-null", "signature": "rip-nf_queue+0x98",
           "rip": "nf_queue+0x98/0x1e0", "strength": "strong"},
          {"path": "/var/crash/a/vmcore-dmesg.txt", "bug_id": "CVE-2022-36946", "signature": "nfqnl_mangle",
           "rip": None, "strength": "supporting"},
          {"bug_id": "skb-warn-bad-offload", "signature": "caps", "rip": None}]
    ce = {"vmcore": vm,
          "dmesg": [{"bug_id": "skb-warn-bad-offload", "signature": "caps", "line": "eth0: caps=(0x1, 0x2)"}],
          "crash_dirs": [{"path": "/var/crash/b", "vmcore": True, "dmesg_files": []},
                         {"path": "/var/crash/a", "vmcore": True, "dmesg_files": ["vmcore-dmesg.txt"]},
                         {"path": "/var/crash/c", "vmcore": False, "dmesg_files": []}],
          "wtmp_crashes": [{"line": "root pts/0 10.20.30.5 Mon Oct 30 09:12 - crash (18:42)"}, {"line": "x"}]}
    flagged, reasons = exposure.crash_history({"crash_evidence": ce})
    assert flagged is True
    assert reasons == [
        "crash: /var/crash/a/vmcore-dmesg.txt shows this panic (rip-nf_queue+0x98; RIP nf_queue+0x98/0x1e0)",
        "crash: /var/crash/a/vmcore-dmesg.txt also matches related catalog signatures: CVE-2022-36946:nfqnl_mangle",
        "crash: vmcore-dmesg also matches related catalog signatures: skb-warn-bad-offload:caps",
        "crash: current dmesg matches skb-warn-bad-offload:caps: eth0: caps=(0x1, 0x2)",
        "crash: /var/crash/b holds a vmcore without vmcore-dmesg.txt (analyse it with crash)",
        "crash: last -x shows 2 crash record(s): root pts/0 10.20.30.5 Mon Oct 30 09:12 - crash (18:42)",
    ]
    e = exposure.assess(dict(facts(kernel=False), crash_evidence=ce))
    assert e["flagged"] and e["recommended"][0] == "this host already crashed this way: check the vmcore and mitigate first"
    # the panic only in the current dmesg flags the host too
    now = {"dmesg": [{"bug_id": "el6-nf_queue-gso-null", "signature": "rip-nf_queue+0x98", "line": "RIP ...",
                      "strength": "strong"}]}
    assert exposure.crash_history({"crash_evidence": now})[0] is True


def test_label_cut_at_160_characters():
    rule = "-A X " + "a" * 155
    assert exposure.rule_label(dict(RULE, rule=rule)).endswith(": " + rule)             # 160: kept
    cut = exposure.rule_label(dict(RULE, rule=rule + "b"))                              # 161: cut
    assert cut.endswith(": " + rule[:157] + "...")


def test_live_rule_with_unknown_reachability_feeds_received_packets():
    e = exposure.assess(facts(rules=(dict(RULE, reachable_from=None),)))
    assert e["legs"]["rules"] == "live"


def test_firewall_readability_defaults_to_readable():
    f = facts(rules=())
    del f["firewall"]
    assert exposure.assess(f)["legs"]["rules"] == "none"


def test_every_nic_is_looked_at():
    blind = dict(_nic(None), features={})
    nolro = dict(_nic(None), features={"gro": _feat(True)})
    live, warm = _nic(_feat(True)), _nic(_feat(False), driver="ixgbe")
    for first in (blind, nolro, live):
        e = exposure.assess(facts(nics={"eth0": first, "eth1": live, "eth2": warm}))
        assert e["level"] == "exposed" and "eth1" in e["interfaces"], e
        assert any(r.startswith("lro: eth1 (physical, ixgbe) has large-receive-offload on") for r in e["reasons"])
    e = exposure.assess(facts(nics={"eth0": live, "eth1": _nic(_feat(True))}))
    assert e["interfaces"] == ["eth0", "eth1"]
    assert e["recommended"][0] == ("turn LRO off now and persistently on eth0, eth1 "
                                   "(kcrash.nfqueue.offload; ethtool -K <nic> lro off)")


def test_fixed_off_lro_is_not_at_risk_whatever_was_asked():
    hint = {"file": "/etc/sysconfig/network-scripts/ifcfg-eth0", "line": 3, "text": "x", "interface": "eth0", "lro": True}
    for lro, nic in ((_feat(False, fixed=True), {"persistence": [hint]}),
                     (_feat(False, fixed=True, requested=True), {})):
        e = exposure.assess(facts(nics={"eth0": dict(_nic(lro, driver="e1000e"), **nic)}))
        assert e["legs"]["lro"] == "none" and e["level"] == "not_exposed", e


def test_unknown_nic_gets_no_lro_recommendation():
    blind = dict(_nic(None), features={})
    e = exposure.assess(facts(nics={"eth0": blind}))
    assert e["level"] == "unknown" and e["interfaces"] == ["eth0"]
    assert e["recommended"] == [
        "replace the NFQUEUE target with DROP where queued packets are dropped anyway (kcrash.nfqueue.nfqueue_target)",
        "no kernel of this family is documented to fix it: rely on LRO off or DROP",
        "re-run detection with become (root) and ethtool/iptables available to settle the unknown leg",
    ]


def test_crash_texts_list_several_items():
    p = "/var/crash/a/vmcore-dmesg.txt"
    vm = [{"path": p, "bug_id": "el6-nf_queue-gso-null", "signature": s, "rip": None, "strength": st}
          for s, st in (("rip-nf_queue+0x98", "strong"), ("null-deref", "supporting"))]
    vm += [{"path": p, "bug_id": b, "signature": "s"} for b in ("CVE-2022-36946", "skb-warn-bad-offload")]
    flagged, reasons = exposure.crash_history({"crash_evidence": {"vmcore": vm}})
    assert flagged and reasons == [
        "crash: %s shows this panic (null-deref, rip-nf_queue+0x98)" % p,
        "crash: %s also matches related catalog signatures: CVE-2022-36946:s, skb-warn-bad-offload:s" % p]
    k = _kernel(True, fixed_installed=["a", "b"])
    assert "reboot into an installed kernel with the NULL check: a, b" in exposure.assess(_facts_with_kernel(k))["recommended"]


def test_current_dmesg_lists_all_but_the_generic_lines_of_this_panic():
    prim = "el6-nf_queue-gso-null"
    dm = [{"bug_id": prim, "signature": "null-deref", "line": "BUG: unable to handle kernel NULL pointer"},
          {"bug_id": prim, "signature": "rip-nf_queue+0x98", "line": "RIP nf_queue+0x98", "strength": "strong"},
          {"bug_id": "skb-warn-bad-offload", "signature": "null-deref", "line": "w"}]
    flagged, reasons = exposure.crash_history({"crash_evidence": {"dmesg": dm}})
    assert flagged is True
    assert reasons == ["crash: current dmesg matches %s:rip-nf_queue+0x98: RIP nf_queue+0x98" % prim,
                       "crash: current dmesg matches skb-warn-bad-offload:null-deref: w"]
