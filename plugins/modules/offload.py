# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin plugins/action/offload.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: offload
short_description: Turn LRO (and optionally GRO/GSO/TSO) off now and across reboots
description:
  - Mitigates the el6 C(nf_queue()) NULL-pointer panic (an LRO-aggregated packet reaching an
    iptables C(NFQUEUE) target) without a reboot and without changing the firewall.
  - Runs over a plain POSIX C(/bin/sh) on the host; no Python is needed there. One read round
    trip (C(ethtool -k) of every interface, the network configuration files, which managers
    exist), then, only when something must change, one apply round trip that writes the
    configuration files all-or-nothing (with a backup), runs C(ethtool -K), and verifies the
    result with a fresh C(ethtool -k). When the verification fails, the same trip puts runtime
    state, NetworkManager profiles and files back and the message says where the backup is.
  - A feature reported C(off [fixed]) is compliant. A feature C(on [fixed]) cannot be turned off
    by the driver; the task fails for that host and recommends another strategy. C(off
    [requested on]) (the kernel holding LRO off for forwarding or a bond) is reported and the
    request is switched off too.
  - "Persistence is chosen per interface from what configures it (precedence: NetworkManager,
    netplan, systemd-networkd C(.link), ifupdown, initscripts ifcfg, udev rule fallback). See
    docs/offload.md for what each file looks like afterwards."
  - Check mode runs only the read trip and reports per interface and per file what would change.
    With C(--diff) the file diffs and the features before/after are returned.
version_added: 1.0.0
author: kcrash.nfqueue maintainers (@kcrash-nfqueue)
extends_documentation_fragment:
  - kcrash.nfqueue.attributes
  - kcrash.nfqueue.carried_read
options:
  features:
    description:
      - Offload features to turn off, as C(ethtool -K) short names. C(lro) is the mitigation;
        C(gro), C(gso), C(tso) are optional hardening.
    type: list
    elements: str
    choices: [lro, gro, gso, tso]
    default: [lro]
  interfaces:
    description:
      - C(auto) or a list of interface names (a comma-separated string is accepted, as an AWX
        survey answer gives it).
      - C(auto) takes the NICs that can feed an NFQUEUE rule (physical NICs, bond/team slaves,
        bridge ports and virtual leaf devices, never the bond/VLAN on top) from
        C(ansible_facts.kcrash_nfqueue.interfaces) when M(kcrash.nfqueue.exposure_facts) ran,
        else from the live C(/sys/class/net) read in the same round trip.
      - Names are validated with the collection's one rule (1-15 characters from
        C(A-Z a-z 0-9 _ . + -), not starting with C(.), C(+) or C(-), a subset of what the kernel
        accepts); an alias label such as C(eth0:1) or an C(ip link) name with its C(@parent)
        suffix is refused with the device to use. An unknown interface fails the host before
        anything is changed.
    type: raw
    default: auto
  persist:
    description: Also make the change survive reboots and interface restarts.
    type: bool
    default: true
  backend:
    description:
      - Persistence back end. C(auto) picks, per interface, the one that configures it.
      - A forced back end that does not manage the interface fails the host.
    type: str
    choices: [auto, nm, netplan, networkd, ifupdown, ifcfg, udev]
    default: auto
  backup:
    description: Keep the copies of the replaced files after a successful run.
    type: bool
    default: true
  backup_dir:
    description:
      - Directory on the host under which each run keeps copies of the files it replaces
        (C(<backup_dir>/offload-<UTC timestamp>-<random>/<path with / turned into _>), unique
        per run).
      - "Limited to the characters C(A-Z a-z 0-9 _ @ % + = : , . / -)."
    type: str
    default: /var/backups/kcrash-nfqueue
  partial_ok:
    description:
      - What to do when the change fails its verification on some interfaces (for example
        C(ethtool -K) fails on one NIC). V(false) (all or nothing) puts everything back -
        runtime state, NetworkManager profiles and files of every interface.
      - V(true) keeps the safe part. Only the interfaces that failed are put back (their
        runtime state, their NetworkManager profiles, and every file that configures one of
        them, so a file shared with a failed interface goes back whole); the task still
        fails, with RV(partial) saying what was kept and what was put back.
    type: bool
    default: false
  detect:
    description:
      - When O(interfaces=auto) and the host has no C(kcrash_nfqueue) facts, carry the detection
        probe in the read trip (no extra trip), choose interfaces from its verdict and return
        the facts as C(ansible_facts.kcrash_nfqueue).
    type: bool
    default: true
  probe_after:
    description:
      - Carry the re-detection in the apply trip (after the change and its verification), for
        a following C(kcrash.nfqueue.exposure_facts) with
        O(kcrash.nfqueue.exposure_facts#module:reuse_probe=true), which then needs no trip.
      - When the plan came from the detection trip's answer (O(reuse_read)), only the probe
        sections offload changes are read again (the interface walk with C(ethtool -k), and the
        offload persistence hints); the re-detection puts them in place of the old ones in that
        answer of the same run (kernel, rules and crash evidence are not changed by offload)
        and says so in C(probe.source). Otherwise the whole probe is carried.
    type: bool
    default: false
attributes:
  check_mode:
    description: Runs the read round trip only and reports what would change.
  diff_mode:
    description: Returns file diffs and feature states before/after.
notes:
  - With O(reuse_read), a read that is seconds old is safe to apply from. Every file is replaced
    only if it still has the content planned from (else nothing is changed), C(ethtool -K ... off)
    is idempotent, and the result is verified from a fresh C(ethtool -k).
  - Runtime changes use the C(ethtool) found in the host's PATH extended with C(/usr/local/sbin),
    C(/usr/sbin) and C(/sbin); files written for boot time (udev rule, ifupdown C(post-up)) use
    its absolute path.
  - NetworkManager via C(nmcli) and netplan are golden-tested on files; the lab has no running
    NetworkManager or netplan (see docs/offload.md).
seealso:
  - module: kcrash.nfqueue.exposure_facts
"""

EXAMPLES = r"""
- name: Turn LRO off on every NIC that can feed an NFQUEUE rule, now and at boot
  kcrash.nfqueue.offload:

- name: Also GRO and GSO, on two named interfaces, persisted through a udev rule
  kcrash.nfqueue.offload:
    features: [lro, gro, gso]
    interfaces: [eth0, eth1]
    backend: udev

- name: Report what would change (no change made)
  kcrash.nfqueue.offload:
    features: [lro, gro]
  check_mode: true
  diff: true
"""

RETURN = r"""
changed:
  description: Whether runtime state, a file or a NetworkManager profile was (or, in check mode, would be) changed.
  returned: always
  type: bool
msg:
  description: One-line summary, or the reason of a failure (host named, what failed, where the backup is).
  returned: always
  type: str
interfaces:
  description: Per interface, what was found and done.
  returned: always
  type: dict
  contains:
    kind:
      description: Interface kind from /sys/class/net (physical, bond_slave, team_slave, bridge_port, virtual ...).
      type: str
    driver:
      description: Driver name when known.
      type: str
    format:
      description: C(ethtool -k) output format (features, offload-hyphen, offload-space).
      type: str
    status:
      description: C(ok) nothing to do at runtime, C(change) features turned off, C(not_remediable) a feature is on and fixed, C(error).
      type: str
    before:
      description: Per requested feature C({active, fixed, requested}) before the run (null when the driver does not report it).
      type: dict
    after:
      description: Same after the run (from the verifying C(ethtool -k); in check mode, the expected state).
      type: dict
    to_change:
      description: Features turned off at runtime.
      type: list
      elements: str
    fixed_off:
      description: Features off and fixed (compliant).
      type: list
      elements: str
    fixed_on:
      description: Features on and fixed (not remediable by this strategy).
      type: list
      elements: str
    requested_on:
      description: Features reported C(off [requested on]).
      type: list
      elements: str
    absent:
      description: Requested features the driver/ethtool does not report.
      type: list
      elements: str
    persist:
      description: C({backend, path, reason, change}) of the persistence chosen; backend null when nothing persists it (the reason says why).
      type: dict
interfaces_source:
  description: Where the interface list came from (task argument, facts, live /sys/class/net).
  returned: always
  type: str
files:
  description: Configuration files considered, with C(action) (create, update, none), C(backend) and, when changed, C(unified_diff).
  returned: always
  type: list
  elements: dict
runtime_commands:
  description: The C(ethtool -K) commands run (or that would run in check mode).
  returned: always
  type: list
  elements: str
nm_commands:
  description: The C(nmcli connection modify) commands run (or that would run).
  returned: always
  type: list
  elements: str
warnings_offload:
  description: Notes per interface (not persisted and why, C([requested on]) features).
  returned: always
  type: list
  elements: str
steps:
  description: Exit status and output of each apply step (files, nmcli, runtime).
  returned: when the apply trip ran
  type: dict
backup_dir:
  description: Directory holding the copies of the replaced files.
  returned: when files were changed and O(backup) is true
  type: str
partial:
  description:
    - With O(partial_ok), after a verification that failed on some interfaces -
      C(kept) (interfaces whose change stays), C(put_back) (interfaces restored) and
      C(files_put_back) (files restored from the backup).
  returned: when O(partial_ok) is true and some interfaces failed
  type: dict
read:
  description:
    - Where the read came from; C(source) is C(detection trip) (with C(age) in seconds) or
      C(own trip) (with C(why) the detection read was not used, and C(detection_carried)
      whether the trip also carried the detection probe).
  returned: always
  type: dict
ansible_facts:
  description:
    - C(kcrash_nfqueue_reads) (references to answers kept on the controller, see O(probe_after))
      and, when O(detect) carried the probe, C(kcrash_nfqueue) (the detection facts).
  returned: always
  type: dict
round_trips:
  description: Shell executions on the host (0 or 1 read, plus 1 apply when something changed; more only for scripts over 96 KiB).
  returned: always
  type: int
diff:
  description: With C(--diff), file diffs and feature before/after, as a list of C({before, after, before_header, after_header}).
  returned: when diff mode is on and something changes
  type: list
  elements: dict
"""
