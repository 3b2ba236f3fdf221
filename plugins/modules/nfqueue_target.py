# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin plugins/action/nfqueue_target.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: nfqueue_target
short_description: Replace NFQUEUE targets by DROP (or REJECT/ACCEPT), live and persistently, behind a rollback watchdog
description:
  - The C(drop) workaround of the el6 C(nf_queue()) NULL-pointer panic. Packets that an
    C(NFQUEUE) (or the old C(QUEUE)) rule would hand to user space are dropped instead, with
    every match of the rule kept exactly.
  - Runs over a plain POSIX C(/bin/sh) on the host; no Python is needed there.
  - "Round trips: one read (every C(iptables-save)/C(ip6tables-save) back end present: C(-legacy),
    C(-nft) or the plain name on el6/el7; C(nft -a list ruleset); the saved rule files;
    C(nftables.conf) with its includes; C(iptables --version); C($SSH_CONNECTION)); the plan is
    made on the controller; one apply (backup + check + rollback timer + transactions + fresh
    listings for verification); one confirm. Check mode runs the read trip only."
  - Live iptables rules are changed with one C(<tool>-restore --noflush) transaction per table
    that holds only C(-R CHAIN N <rule with -j DROP>) lines, so no other rule, its position or
    its counters is touched. The apply trip first saves the table (the backup) and compares a
    checksum of the affected chains with the one computed from the read; if another process
    changed them in between, nothing is applied and the action reads and plans again (up to
    O(max_attempts) times). Rules added elsewhere in the meantime survive.
  - Native nftables C(queue) statements are replaced with C(nft -f) in one transaction by rule
    handle (C(replace rule ... handle N)). Rules in tables that iptables-nft owns are changed
    through C(iptables-nft-restore), never with nft.
  - "Persistence: every selected rule in C(/etc/sysconfig/iptables), C(/etc/sysconfig/ip6tables),
    C(/etc/iptables/rules.v4), C(/etc/iptables/rules.v6), C(/etc/nftables.conf),
    C(/etc/sysconfig/nftables.conf) and the files they include is rewritten the same way; every
    other byte of those files stays as it was (atomic replace, mode and owner kept). A live rule
    that no saved file contains is reported with C(persisted=false) and the reason (it comes
    from a script, an IDS package, firewalld ...). firewalld direct rules are reported, not edited."
  - "Lockout guard: a rule that management traffic crosses (reached from INPUT/PREROUTING, or
    OUTPUT/POSTROUTING for the answers; nft base chains on those hooks) and that none of its
    matches provably keeps away from the management connection (tcp, the SSH port, the
    controller's address) is refused unless O(force=true). See docs/drop.md for the exact logic."
  - "Rollback watchdog: before changing anything the apply trip saves the live tables and the
    files under O(backup_root) (mode 0600, one timestamped directory per run, O(backup_keep)
    kept) and starts a detached timer (C(setsid) or C(nohup), POSIX sh) that restores them
    after O(watchdog_timeout) seconds unless the controller reconnects and confirms. A failed
    transaction or a failed verification restores at once. Roll back later with the
    C(kcrash.nfqueue.rollback) playbook."
version_added: 1.0.0
author: kcrash.nfqueue maintainers (@kcrash-nfqueue)
extends_documentation_fragment:
  - kcrash.nfqueue.attributes
  - kcrash.nfqueue.carried_read
options:
  target:
    description:
      - The new target. C(DROP) is the mitigation. C(ACCEPT) fails open (traffic passes
        uninspected). C(REJECT) is valid only in the filter table's INPUT/FORWARD/OUTPUT paths;
        elsewhere the rule is refused.
    type: str
    choices: [DROP, REJECT, ACCEPT, drop, reject, accept]
    default: DROP
  families:
    description:
      - Only rules of these families. C(ipv4)/C(ipv6) select iptables/ip6tables and the nft
        C(ip)/C(ip6) tables; nft families (C(inet), C(ip), C(ip6), C(bridge), C(netdev), C(arp))
        select native nft tables. Default all.
    type: list
    elements: str
  tables:
    description: Only rules in these tables (C(filter), C(mangle), ..., or nft table names). Default all.
    type: list
    elements: str
  chains:
    description: "Only rules in these chains (names of the characters C(A-Z a-z 0-9 _ @ % + = : , . -)). Default all."
    type: list
    elements: str
  queue_nums:
    description:
      - Only rules that queue to one of these numbers (a C(--queue-balance a:b) range matches
        every number in it; C(QUEUE) and C(NFQUEUE) without C(--queue-num) are queue 0).
    type: list
    elements: int
  comment_regex:
    description: Only rules whose C(-m comment --comment) (nft C(comment "...")) matches this Python regular expression.
    type: str
  force:
    description: Replace rules the lockout guard refuses.
    type: bool
    default: false
  on_refused:
    description:
      - C(fail) (default) changes nothing on a host where a selected rule was refused (by the
        lockout guard, or because the target is not valid in its table) and fails it, listing
        the rules. C(skip) changes the other rules and reports the refused ones.
    type: str
    choices: [fail, skip]
    default: fail
  persist:
    description: Also rewrite the saved rule files.
    type: bool
    default: true
  include_nft:
    description: Also replace native nftables C(queue) statements.
    type: bool
    default: true
  ssh_port:
    description:
      - Port of the management connection on the host, for the lockout guard. Default the
        server port of C($SSH_CONNECTION) as the host saw it (under become, where sudo's
        C(env_reset) drops it, that of the login shell, read from C(/proc)); else, over
        C(ansible.builtin.ssh), the port of the connection's settings (C(ansible_port), C(-p N) or
        C(-o Port=N) in C(ansible_ssh_args)/C(ansible_ssh_common_args)/C(ansible_ssh_extra_args),
        the first one winning as in OpenSSH, then C(ssh_config) through C(ssh -G)); over other
        connections (podman, local) C(ansible_port), else 22.
      - When none of these tells the port of an SSH connection, every rule the management traffic
        crosses is refused by the lockout guard; give O(ssh_port) (and O(controller_address)), or
        O(force).
    type: int
  controller_address:
    description:
      - Address the host sees the controller connect from, for the lockout guard. Default the
        client address of C($SSH_CONNECTION); unknown otherwise (then only port and protocol
        matches can exclude a rule).
    type: str
  watchdog_timeout:
    description: Seconds after which the timer restores the backup unless the run was confirmed (5..86400).
    type: int
    default: 120
  confirm:
    description:
      - Confirm after a verified apply. V(false) leaves the timer armed so that it restores the
        backup after O(watchdog_timeout) seconds (a dry run of the safety net; tests use it).
    type: bool
    default: true
  test_first:
    description:
      - Run C(<tool>-restore --test --noflush) on every transaction (and C(nft -c -f) on the
        native one) before the first change; they run in the background next to the backup
        saves, so they cost little time. One that fails stops the whole apply with nothing
        changed (all or nothing across tables). With V(false) each restore is still atomic
        per table, and a failing one puts back every table and file already changed.
    type: bool
    default: true
  verify:
    description:
      - Save every changed table again after the restores and compare its affected chains
        with the planned result (a failure puts everything back at once). Off by default -
        the apply trip already compares the affected chains with the plan right before the
        atomic restores, which then give the planned result; the remaining window is the
        time between that backup save and the restore reading the table (tens of ms on
        legacy, about a second on a 100,000-rule iptables-nft table). Costs one more full
        save per table (0.16 s legacy, 1.3-1.5 s iptables-nft for 100,000 rules). See
        docs/drop.md.
    type: bool
    default: false
  probe_after:
    description:
      - Carry the re-detection in the confirmation trip (so it sees the rules as they stay), for
        a following C(kcrash.nfqueue.exposure_facts) with
        O(kcrash.nfqueue.exposure_facts#module:reuse_probe=true), which then needs no trip.
        When the plan came from the detection trip's answer, only the probe sections of the
        rules are read again (the iptables saves, C(nft list ruleset), the saved rule files)
        and completed with that answer; otherwise the whole probe is carried. Nothing is
        carried with O(confirm=false).
    type: bool
    default: false
  backup_root:
    description: Directory on the host that holds one backup directory per run.
    type: str
    default: /var/backups/kcrash-nfqueue/drop
  backup_keep:
    description: Backup directories kept under O(backup_root) (the oldest are removed after a confirmed run).
    type: int
    default: 10
  max_attempts:
    description: How many times to read and plan again when the rules changed between read and apply.
    type: int
    default: 3
  rollback:
    description:
      - Instead of replacing anything, put back a backup (live tables with their counters, and
        the saved files) in one round trip. V(latest) or a backup directory name under
        O(backup_root). The C(kcrash.nfqueue.rollback) playbook uses V(latest). In check mode
        only the backup that would be used is reported.
      - The restore replaces the whole tables that were backed up, so rules added to those
        tables after the backup are removed.
      - When O(backup_root) cannot be read (a run without become), the task fails saying so; it
        never reports "no backup" for backups it could not look at.
      - The exit codes of the host script (no backup, already rolled back, incomplete backup,
        backup root not readable) are listed in docs/drop.md, "Exit codes of the host script".
      - V(latest) is the newest backup that is complete (every file matches its manifest) and
        was applied; a backup left by a failed apply is never used. When that backup was
        already rolled back, nothing is restored again (V(changed=false), the message names
        it); name it to restore it once more.
    type: str
attributes:
  check_mode:
    description: Runs the read round trip only and lists each rule and file that would change.
  diff_mode:
    description: Returns the before/after rule lines per table and the saved files before/after.
notes:
  - With O(reuse_read), a read that is seconds old is safe to apply from. The apply trip compares
    the affected chains with the ones planned from right before the restores, and reads again
    when they differ (O(max_attempts)).
  - Needs root on the host (C(become)) for iptables-save/restore and nft.
  - Works on el6 (iptables 1.4.7, no C(-w) for restore), el7, el8+, Debian/Ubuntu, with the
    legacy and the nf_tables back end side by side, and on hosts without Python.
  - Native nft C(queue) statements can only be replaced where the kernel has them
    (C(CONFIG_NFT_QUEUE)).
seealso:
  - module: kcrash.nfqueue.exposure_facts
"""

EXAMPLES = r"""
- name: Replace every NFQUEUE target by DROP (the seed's workaround)
  kcrash.nfqueue.nfqueue_target:
  become: true

- name: Only the IDS queue 0-3 in FORWARD, fail open, no persistence, see the diff
  kcrash.nfqueue.nfqueue_target:
    chains: [FORWARD]
    queue_nums: [0, 1, 2, 3]
    target: ACCEPT
    persist: false
  diff: true

- name: A catch-all INPUT rule on a host managed over a separate interface
  kcrash.nfqueue.nfqueue_target:
    chains: [INPUT]
    force: true
    watchdog_timeout: 300
"""

RETURN = r"""
changed:
  description: Whether a rule or a file was (check mode - would be) changed.
  returned: always
  type: bool
msg:
  description: Summary of what was (or would be) done.
  returned: always
  type: str
changes:
  description: The rules replaced (check mode - to replace), in the shared rule shape plus C(new_rule), persistence and guard details.
  returned: always
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
    handle:
      description: nft rule handle (native nft), else V(null).
      type: int
    rule:
      description: The rule as read, its C(-A CHAIN ...) line without counters, or the nft rule text.
      type: str
    new_rule:
      description: The rule after the change.
      type: str
    statement:
      description: The normalised nft queue statement (native nft only).
      type: str
    queue:
      description: The queue target, C(num), C(balance) ([first, last]), C(bypass), C(fanout).
      type: dict
    reachable_from:
      description: Built-in chains (or nft base chains) from which the rule's chain is reached.
      type: list
      elements: str
    persisted:
      description: Whether a saved rule file holds this rule (and is rewritten).
      type: bool
    persisted_in:
      description: The saved files rewritten for this rule.
      type: list
      elements: str
    persist_reason:
      description: Why the rule is or is not persisted (e.g. it comes from a script).
      type: str
    lockout:
      description: What the lockout guard concluded and why.
      type: str
refused:
  description: Selected rules left alone, each with C(reason) (lockout guard, target not valid in that table, no nft handle).
  returned: always
  type: list
  elements: dict
files:
  description: "Saved rule files rewritten: C({path, kind, count})."
  returned: always
  type: list
  elements: dict
transactions:
  description: "The exact restore / nft input per table: C({tool, table, text})."
  returned: always
  type: list
  elements: dict
management:
  description: >-
    What the lockout guard assumed of the management connection: C({port, client, server, source, unknown}); C(source) says
    where the port came from (C(SSH_CONNECTION), the login shell's under become, the connection settings, an option);
    C(unknown) says why the port is not known (C(port) is then V(null) and every rule the management traffic crosses is
    refused), else V(null).
  returned: always
  type: dict
backends:
  description: "The iptables save tools read: C({tool, family, backend})."
  returned: always
  type: list
  elements: dict
iptables_version:
  description: Version from C(iptables --version), decides C(-w).
  returned: always
  type: str
backup_dir:
  description: The backup directory of this run on the host (live tables, files, restore.sh, watchdog state).
  returned: when something was applied
  type: str
verify:
  description: >-
    Result of the post-apply comparison: C({checked, ok, problems, moved}). With C(verify: false)
    C(checked) is false and C(ok) null (nothing was compared after the restores).
  returned: when something was applied
  type: dict
watchdog:
  description: "C({armed, timeout, confirmed})."
  returned: when something was applied
  type: dict
attempts:
  description: Apply attempts (more than one when the rules changed between read and apply).
  returned: when something was applied
  type: int
round_trips:
  description: Connection round trips used on this host (0 for a check-mode run planned from the detection trip's read).
  returned: always
  type: int
read:
  description:
    - Where the read came from; C(source) is C(detection trip) (with C(age) in seconds) or
      C(own trip) (with C(why) the detection read was not used).
  returned: unless O(rollback) is set
  type: dict
ansible_facts:
  description: C(kcrash_nfqueue_reads), references to answers kept on the controller (see O(probe_after)).
  returned: unless O(rollback) is set
  type: dict
timings:
  description: Seconds spent per phase (read, plan, apply, confirm, total).
  returned: when the run got past the read
  type: dict
diff:
  description: Per table and per file C({before, after, before_header, after_header}) with C(--diff).
  returned: when diff mode is on and something changes
  type: list
  elements: dict
"""
