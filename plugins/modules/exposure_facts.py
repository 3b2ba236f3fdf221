# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This file only documents the action plugin plugins/action/exposure_facts.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: exposure_facts
short_description: Detect exposure to the NFQUEUE/LRO kernel panic with one shell round trip
version_added: 1.0.0
author: kcrash.nfqueue maintainers (@kcrash-nfqueue)
description:
  - Runs ONE POSIX C(/bin/sh) probe per host through the connection's low-level exec (no
    Python on the target; C(gather_facts) is not needed) and returns
    C(ansible_facts.kcrash_nfqueue).
  - "The probe reads: the kernel release (C(uname -r)), C(/etc/os-release),
    C(/etc/redhat-release), C(/etc/system-release), C(/etc/debian_version), installed kernel
    packages (rpm or dpkg-query), C(iptables --version), the output of
    C(iptables-legacy-save), C(iptables-nft-save), C(ip6tables-legacy-save),
    C(ip6tables-nft-save) (the plain C(iptables-save)/C(ip6tables-save) only when neither
    variant exists), C(nft -a list ruleset), the NFQUEUE/queue lines and table headers of the
    saved rule files C(/etc/sysconfig/iptables), C(/etc/sysconfig/ip6tables),
    C(/etc/iptables/rules.v4), C(/etc/iptables/rules.v6), C(/etc/nftables.conf),
    C(/etc/sysconfig/nftables.conf), every interface of C(/sys/class/net) (kind, lower and
    upper devices, driver, C(ethtool -k)), C(/proc/net/vlan/config), IPv4/IPv6 forwarding,
    the lines of C(/var/crash/*/vmcore-dmesg.txt) (and kdump-tools C(dmesg.*)) and of the
    current C(dmesg) that carry crash signature words, C(last -x) crash/reboot records,
    kdump state and offload persistence hints (C(ETHTOOL_OPTS), ifupdown C(offload-*),
    NetworkManager C(feature-lro), systemd C(.link), netplan, udev, rc.local)."
  - Every file read is bounded in size. Tools are also looked up in C(/sbin), C(/usr/sbin)
    and C(/usr/local/sbin). A missing tool or a permission problem is reported per item in
    C(probe.missing_tools) / C(probe.errors); it never fails the task.
  - Parsing and the verdict happen on the controller (pure code in
    C(plugins/module_utils/probe.py), C(exposure.py)). Output that cannot be understood
    fails the task with a message naming the host and the command.
  - Use C(become) where the remote user is not root (iptables-save and the crash directory
    need it).
extends_documentation_fragment:
  - kcrash.nfqueue.attributes.facts
options:
  include_raw:
    description:
      - Also return the probe's raw framed output as C(probe_stdout) (for debugging parsers).
    type: bool
    default: false
  strategy_reads:
    description:
      - Strategies whose read script rides along in the same round trip (still one trip).
        The answers stay on the controller, in the run's private temporary directory (never in
        facts, so fact caches and AWX job events do not get file contents), for the
        strategy's task of the same run (C(kcrash.nfqueue.offload) O(kcrash.nfqueue.offload#module:reuse_read)).
        Facts get references only, in C(ansible_facts.kcrash_nfqueue_reads).
    type: list
    elements: str
    choices: [drop, offload]
    default: []
  reuse_probe:
    description:
      - Use the probe answer that a strategy's apply trip carried earlier in this run
        (C(kcrash.nfqueue.offload) O(kcrash.nfqueue.offload#module:probe_after=true)) instead
        of a new trip, when there is one for this host and it is at most O(reuse_max_age)
        seconds old; it is used once. Without one the probe runs as usual.
      - When the apply trip re-read only the sections its strategy changes, they replace the
        old ones in this run's detection answer; C(probe.source) names them and the ages.
    type: bool
    default: false
  reuse_max_age:
    description: Oldest carried probe answer (seconds) that O(reuse_probe) accepts.
    type: int
    default: 300
notes:
  - The verdict logic is described in C(docs/detection.md) of the collection.
"""

EXAMPLES = r"""
- name: Detect exposure without Python on the hosts
  hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: One probe per host
      kcrash.nfqueue.exposure_facts:

    - name: Show the verdict
      ansible.builtin.debug:
        msg: "{{ ansible_facts.kcrash_nfqueue.exposure.level }}: {{ ansible_facts.kcrash_nfqueue.exposure.reasons }}"
"""

RETURN = r"""
exposure:
  description: The exposure level, also in C(ansible_facts.kcrash_nfqueue.exposure.level).
  returned: success
  type: str
  sample: exposed
msg:
  description: The host name and its exposure level.
  returned: always
  type: str
probe_stdout:
  description: The raw framed probe output.
  returned: when O(include_raw=true)
  type: str
probe_stderr:
  description: The probe's stderr (first 2000 characters) when its output could not be parsed.
  returned: failure
  type: str
ansible_facts:
  description: Facts set on the host.
  returned: success
  type: dict
  contains:
    kcrash_nfqueue_reads:
      description:
        - References (C(id), C(kind), C(taken) epoch seconds) to answers kept on the controller
          for later tasks of this run, by kind (C(offload), C(drop); C(probe) is set by a
          strategy's O(kcrash.nfqueue.offload#module:probe_after)). Empty when nothing is kept.
      type: dict
    kcrash_nfqueue:
      description: Everything the probe found and the verdict.
      type: dict
      contains:
        host:
          description: The host's node name (C(uname -n)).
          type: str
        kernel:
          description: The running kernel and the catalog's verdict on it (C(kernel.kernel_verdict)).
          type: dict
          contains:
            release:
              description: C(uname -r).
              type: str
              sample: 2.6.32-358.el6.x86_64
            family:
              description: Kernel family (V(el5) .. V(el9), V(debian), V(ubuntu), V(upstream)) or V(null).
              type: str
            variant:
              description: Kernel variant when the family has several (e.g. UEK), else V(null).
              type: str
            upstream_base:
              description: The upstream version the release is based on.
              type: str
            code_vulnerable:
              description: >-
                V(true) when the code dereferences a NULL C(skb_gso_segment()) result in the queue path, V(false) when it has the check, V(null)
                when unknown.
              type: bool
            confidence:
              description: V(confirmed), V(inferred) or V(unknown).
              type: str
            reason:
              description: Why, in words.
              type: str
            evidence:
              description: Sources the verdict rests on.
              type: list
              elements: dict
              contains:
                source:
                  description: Where it was read.
                  type: str
                confirmed:
                  description: Whether the source was read (V(true)) or is inference (V(false)).
                  type: bool
                note:
                  description: What the source says.
                  type: str
            fixed_by:
              description: The documented first fixed release of the family, or V(null) (none documented, e.g. el6).
              type: str
            bug:
              description: The catalog id of the bug judged.
              type: str
              sample: el6-nf_queue-gso-null
            installed:
              description: Verdict per installed kernel package (C(release), C(family), C(code_vulnerable), C(confidence)).
              type: list
              elements: dict
            fixed_installed:
              description: Installed releases that have the NULL check (a reboot into one is a fix).
              type: list
              elements: str
            packages:
              description: Installed kernel packages (C(name), C(version), C(release) as C(uname -r) would print it).
              type: list
              elements: dict
            package_manager:
              description: V(rpm), V(dpkg) or V(null).
              type: str
        os:
          description: OS identity from C(/etc/os-release), C(/etc/redhat-release), C(/etc/debian_version).
          type: dict
          contains:
            id:
              description: C(ID) (or derived from redhat-release / debian_version).
              type: str
            version_id:
              description: C(VERSION_ID) or the release number.
              type: str
            name:
              description: C(NAME).
              type: str
            pretty_name:
              description: C(PRETTY_NAME).
              type: str
            id_like:
              description: C(ID_LIKE) words.
              type: list
              elements: str
            redhat_release:
              description: First line of C(/etc/redhat-release) or C(/etc/system-release).
              type: str
            debian_version:
              description: C(/etc/debian_version).
              type: str
            family:
              description: V(redhat), V(debian) or the OS id.
              type: str
        nfqueue_rules:
          description: >-
            Live NFQUEUE/QUEUE rules (iptables, ip6tables, each back end) and nft C(queue) statements (those of tables iptables-nft owns are listed
            once, from iptables-nft-save).
          type: list
          elements: dict
          contains:
            family:
              description: V(ipv4), V(ipv6) for iptables; the nft table family (V(ip), V(ip6), V(inet) ...) for native nft.
              type: str
            backend:
              description: V(legacy), V(nft) (iptables-nft) or V(nftables) (native nft).
              type: str
            table:
              description: Table name.
              type: str
            chain:
              description: Chain name.
              type: str
            position:
              description: 1-based position in the chain when read.
              type: int
            rule:
              description: The rule as read, its C(-A CHAIN ...) line without counters, or the nft rule text.
              type: str
            handle:
              description: nft rule handle (native nft), else V(null).
              type: int
            queue:
              description: The queue target, C(num), C(balance) ([first, last]), C(bypass), C(fanout).
              type: dict
            reachable_from:
              description: Built-in chains (or nft base chains) from which the rule's chain is reached.
              type: list
              elements: str
            counters:
              description: Packet/byte counters when the dump had them.
              type: dict
        saved_nfqueue_rules:
          description: >-
            NFQUEUE rules found in saved rule files (loaded at the next restore or boot). Same shape with C(backend=file), C(position=null), plus
            C(file) and C(line).
          type: list
          elements: dict
        saved_rule_files:
          description: Saved rule files that exist on the host.
          type: list
          elements: str
        firewall:
          description: Which firewall tools answered.
          type: dict
          contains:
            iptables_version:
              description: C(iptables --version) / C(ip6tables --version) per family.
              type: dict
            iptables_default_backend:
              description: Back end of the plain C(iptables) name per family (V(legacy), V(nft)).
              type: dict
            backends:
              description: One entry per save tool that ran (C(tool), C(family), C(backend), C(tables), C(nfqueue_rules) count).
              type: list
              elements: dict
            nft:
              description: C(present), C(tables), C(queue_rules) (native queue statements counted).
              type: dict
            rules_readable:
              description: Whether every live ruleset could be read.
              type: bool
        interfaces:
          description: Every interface of C(/sys/class/net), by name.
          type: dict
          contains:
            kind:
              description: V(loopback), V(physical), V(bond), V(bond_slave), V(team), V(team_slave), V(bridge), V(bridge_port), V(vlan) or V(virtual).
              type: str
            physical:
              description: Whether sysfs shows a device behind it.
              type: bool
            virtual_type:
              description: For virtual devices, V(veth), V(tun), V(macvlan), V(vxlan) ... when known.
              type: str
            driver:
              description: Driver name (C(ethtool -i) or the sysfs device link).
              type: str
            master:
              description: Bond, team or bridge the interface belongs to.
              type: str
            lower:
              description: Devices below (bond/team slaves, a VLAN's or macvlan's parent, bridge ports).
              type: list
              elements: str
            upper:
              description: Devices stacked on it.
              type: list
              elements: str
            operstate:
              description: C(operstate).
              type: str
            mtu:
              description: MTU.
              type: int
            features:
              description: >-
                C(lro), C(gro), C(gso), C(tso) each V(null) (not reported) or C(active), C(fixed), C(requested); V(null) when C(ethtool -k) did not
                answer.
              type: dict
            feature_format:
              description: The C(ethtool -k) output generation (V(features), V(offload-hyphen), V(offload-space)).
              type: str
            ethtool_error:
              description: Why C(ethtool -k) gave nothing, or V(null).
              type: str
            persistence:
              description: Configuration lines that set offloads for this interface (C(file), C(line), C(text), C(interface), C(lro)).
              type: list
              elements: dict
        forwarding:
          description: C(ipv4) and C(ipv6) forwarding (V(true), V(false), V(null) unknown).
          type: dict
        crash_evidence:
          description: Evidence of past crashes.
          type: dict
          contains:
            vmcore:
              description: Signatures found in C(/var/crash/*/vmcore-dmesg.txt) (C(path), C(signature), C(rip), C(bug_id), C(strength), C(line)).
              type: list
              elements: dict
            crash_dirs:
              description: C(/var/crash) directories (C(path), C(vmcore) files, C(dmesg_files)).
              type: list
              elements: dict
            dmesg:
              description: Signatures in the current C(dmesg) (same shape, no C(path)).
              type: list
              elements: dict
            wtmp_crashes:
              description: C(last -x) sessions that ended in C(crash) (C(user), C(tty), C(start), C(end), C(line)).
              type: list
              elements: dict
            kdump:
              description: >-
                C(crash_kernel_loaded), C(crash_kernel_size), C(kdump_conf), C(kdump_tools_conf), C(conf) (the
                configuration files present), C(crashkernel), C(service_manager), C(services), C(service_active), C(state)
                (V(loaded), V(configured_not_loaded) or V(not_configured), as the kernel_upgrade pre-check reports it).
              type: dict
            unread:
              description: >-
                Evidence sources that could not be read (C(source) one of V(crash), V(dmesg), V(wtmp); C(reason)), e.g. an unreadable
                C(/var/crash) without become, C(dmesg) restricted, or busybox C(last) that has no C(-x). No evidence from them is not evidence of
                no crash; the verdict's reasons name them.
              type: list
              elements: dict
        exposure:
          description: The verdict.
          type: dict
          contains:
            level:
              description: >-
                V(exposed) (kernel code vulnerable, a live NFQUEUE rule, LRO on a NIC that feeds it), V(at_risk) (each leg live or able to appear,
                not all live), V(not_exposed) (a leg is absent), V(unknown) (data missing).
              type: str
            legs:
              description: C(kernel), C(rules), C(lro) each V(live), V(potential), V(none) or V(unknown).
              type: dict
            reasons:
              description: One line per finding, prefixed by its leg (C(kernel:), C(rules:), C(lro:), C(crash:)), naming the interface or rule.
              type: list
              elements: str
            recommended:
              description: What to do, naming the collection's roles/actions.
              type: list
              elements: str
            flagged:
              description: V(true) when crash evidence carries this panic's signature, whatever the level.
              type: bool
            interfaces:
              description: The interfaces behind the C(lro) leg.
              type: list
              elements: str
            rules:
              description: Labels of the rules behind the C(rules) leg.
              type: list
              elements: str
        probe:
          description: How the probe went.
          type: dict
          contains:
            round_trips:
              description: Remote executions used (1; 3 when the script had to be transferred; 0 when O(reuse_probe) used a carried answer).
              type: int
            source:
              description: C(probe trip), or where the carried answer came from (O(reuse_probe)).
              type: str
            seconds:
              description: Wall time of the remote part.
              type: float
            missing_tools:
              description: Tools not installed on the host.
              type: list
              elements: str
            errors:
              description: Per-item problems (C(item), C(message)), e.g. permission denied.
              type: list
              elements: dict
            sections:
              description: Number of framed sections that came back.
              type: int
"""
