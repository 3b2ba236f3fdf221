# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin plugins/action/kernel_upgrade.py
# over a plain POSIX shell (no Python on the target).

DOCUMENTATION = r"""
module: kernel_upgrade
short_description: Install a kernel that carries the nf_queue NULL-check fix, make it the boot default, reboot now, in a window or never
description:
  - Strategy "kernel" against the el6 nf_queue() NULL-pointer panic (LRO-aggregated packet + NFQUEUE target).
  - One read round trip probes the running kernel, OS identity, package manager, the kernel packages the
    repositories offer, free space in /boot, installed kernels vs C(installonly_limit), kdump, the boot loader
    (grubby, grub.cfg, grubenv, BLS entries, /etc/default/grub, el6 grub.conf) and already scheduled reboots.
  - The target is the catalog's documented fixed release for the kernel family (today only el7, from
    C(3.10.0-1160.el7)), or the release given in O(target). Where the catalog knows no fixed release (el6,
    Debian/Ubuntu, upstream) and no O(target) is given, nothing is planned and the result says
    C(no documented fixed kernel for <family>; use offload or drop). A user target the catalog does not judge
    fixed is installed but reported as not a documented fix (RV(documented_fix) false and a warning).
  - Installs with the host's own package manager (yum on el5-el7, dnf on el8+, apt-get on Debian/Ubuntu),
    makes the target the default boot entry (C(grubby --set-default), or C(GRUB_DEFAULT=saved) in
    /etc/default/grub written atomically with a backup, C(update-grub)/C(grub2-mkconfig) and
    C(grub-set-default)/C(grub2-set-default)), then reads the boot loader back and fails unless it will start
    the target.
  - Reboot O(reboot=now) requests a reboot and waits for a new boot id, then fails unless the running kernel
    is the target (use the playbook's C(serial) for rolling batches); O(reboot=window) schedules a marked reboot
    with at, shutdown or a systemd timer (see M(kcrash.nfqueue.reboot_schedule)); O(reboot=none) leaves it to the
    operator and reports RV(pending_reboot).
  - Check mode reports what would be installed, which boot entry and when the reboot would happen, and changes
    nothing. C(--diff) shows the /etc/default/grub change when one is needed.
version_added: 1.0.0
author: kcrash.nfqueue maintainers (@kcrash-nfqueue)
extends_documentation_fragment:
  - kcrash.nfqueue.attributes
options:
  target:
    description: Kernel release to install, in C(uname -r) form (e.g. C(3.10.0-1160.119.1.el7.x86_64),
      C(6.1.0-13-amd64)). Default is the catalog's documented fixed release for the family.
    type: str
  prefer:
    description: Which catalog target when several available releases are at or above the documented fixed
      release. C(newest) takes the newest, C(documented) the exact documented release when the repositories have it.
    type: str
    choices: [newest, documented]
    default: newest
  reboot:
    description: C(now), C(window) (at O(window)) or C(none).
    type: str
    choices: [now, window, none]
    default: none
  window:
    description: Reboot time C(HH:MM) (24 h, host local time, next occurrence) for O(reboot=window).
    type: str
  reboot_method:
    description: How a window reboot is scheduled; C(auto) takes at when atd answers, else shutdown, else
      systemd-run.
    type: str
    choices: [auto, at, shutdown, systemd-run]
    default: auto
  reboot_timeout:
    description: Seconds (1..86400) to wait for the host to come back with a new boot id after O(reboot=now).
    type: int
    default: 900
  reboot_command:
    description: Command an at job runs at the window.
    type: str
    default: shutdown -r now
  min_boot_free_mb:
    description: Free MiB (0..1048576) /boot must have before a kernel is installed.
    type: int
    default: 100
  set_default:
    description: Make the target the default boot entry and verify it.
    type: bool
    default: true
  require_kdump:
    description: Fail the pre-checks when kdump is not loaded (otherwise it is a warning).
    type: bool
    default: false
  refresh_cache:
    description: Run C(apt-get update) before looking for a user-named target on apt hosts.
    type: bool
    default: true
  backup_dir:
    description: Directory on the host for backups of files changed (/etc/default/grub).
    type: str
    default: /var/backups/kcrash-nfqueue
notes:
  - No Python is needed on the target; gather_facts is not needed.
  - Round trips - 1 (read; check mode, nothing to do) up to 4 (read, install, boot default, reboot schedule).
attributes:
  check_mode:
    description: Reports what would be installed, which boot entry and when the reboot would happen; changes nothing.
  diff_mode:
    description: Shows the /etc/default/grub change when one is needed (the package install and the boot default are in the result).
    support: partial
"""

EXAMPLES = r"""
- name: Plan only
  kcrash.nfqueue.kernel_upgrade:
    reboot: window
    window: "02:30"
  check_mode: true

- name: Install the documented fix and reboot tonight
  kcrash.nfqueue.kernel_upgrade:
    reboot: window
    window: "02:30"

- name: A named kernel on a Debian host, reboot now (use serial in the play)
  kcrash.nfqueue.kernel_upgrade:
    target: 6.1.0-13-amd64
    reboot: now
"""

RETURN = r"""
status:
  description: C(no_target), C(not_needed) (running kernel judged not code-vulnerable), C(running_target),
    C(planned) or C(precheck_failed).
  returned: always
  type: str
msg:
  description: What was (or in check mode would be) done, or why nothing is done.
  returned: always
  type: str
family:
  description: Kernel family of the running kernel (el5..el9, debian, ubuntu, upstream).
  returned: always
  type: str
running:
  description: Running kernel release (C(uname -r)).
  returned: always
  type: str
running_verdict:
  description: "{code_vulnerable, confidence, reason, fixed_by} of the running kernel (catalog)."
  returned: always
  type: dict
target:
  description: Release to install and boot, or null when there is none.
  returned: always
  type: str
target_source:
  description: C(catalog) or C(user).
  returned: always
  type: str
documented_fix:
  description: Whether the catalog judges the target not code-vulnerable.
  returned: always
  type: bool
target_verdict:
  description: "{family, code_vulnerable, confidence, reason, fixed_by} of the target."
  returned: always
  type: dict
package_manager:
  description: yum, dnf, apt or null.
  returned: always
  type: str
prechecks:
  description: "List of {name, ok, message}: package_source, boot_space, installonly_limit, kdump."
  returned: always
  type: list
  elements: dict
warnings:
  description: Non-fatal findings (kdump missing, installonly removal, not a documented fix).
  returned: always
  type: list
  elements: str
install:
  description: "{package, command} or null when the target is installed already."
  returned: always
  type: dict
set_default:
  description: "{method, needed, commands, describe, ...} for the boot default, or null."
  returned: always
  type: dict
boot_default:
  description: "What the boot loader will start {method, spec, kernel, release, next_entry}; before the run,
    replaced by the verified read-back after a change."
  returned: always
  type: dict
verify_msg:
  description: Result of the read-back verification of the boot default.
  returned: when the boot default was set or checked after install
  type: str
reboot:
  description: "{mode, ...}; for window {time, method, changed, message, cancel, already}."
  returned: always
  type: dict
pending_reboot:
  description: True when the target is installed and default but not running yet.
  returned: always
  type: bool
scheduled:
  description: Marked reboots scheduled on the host after the run (see reboot_schedule).
  returned: when a window reboot was scheduled
  type: list
  elements: dict
running_after:
  description: Kernel release running after O(reboot=now).
  returned: after a reboot
  type: str
rebooted:
  description: Whether the host came back on a new boot after O(reboot=now).
  returned: when reboot=now ran
  type: bool
install_output:
  description: Tail of the package manager output.
  returned: when a package was installed
  type: str
installed_kernels:
  description: Installed kernel releases found by the probe.
  returned: always
  type: list
  elements: str
diff:
  description: /etc/default/grub before/after, with --diff.
  returned: when that file changes and diff mode is on
  type: list
  elements: dict
round_trips:
  description: Shell executions on the host.
  returned: always
  type: int
seconds:
  description: Wall time of the task on the controller.
  returned: always
  type: float
"""
