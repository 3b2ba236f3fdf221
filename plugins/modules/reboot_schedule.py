# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin plugins/action/reboot_schedule.py.

DOCUMENTATION = r"""
module: reboot_schedule
short_description: List, schedule or cancel marked reboots (at, shutdown, systemd timer) over plain sh
description:
  - Every reboot scheduled by this collection carries the marker C(KCRASH-NFQUEUE-REBOOT id=<id> time=<HH:MM>)
    so it can be listed and cancelled whichever tool scheduled it - an at job (C(atq)/C(at -c)/C(atrm)), a
    C(shutdown -r HH:MM) (systemd's scheduled file or a background sysvinit shutdown whose pid is kept in
    /run/kcrash-reboot.pid; cancelled with C(shutdown -c)), or a transient systemd timer
    C(kcrash-reboot-<id>.timer) (C(systemctl list-timers), C(systemctl stop)).
  - One read round trip; applying adds one. Check mode reports and changes nothing. No Python on the target.
  - A reboot scheduled by someone else (e.g. a plain C(shutdown -r) on systemd) is listed as C(foreign) and
    never cancelled.
version_added: 1.0.0
author: kcrash.nfqueue maintainers (@kcrash-nfqueue)
extends_documentation_fragment:
  - kcrash.nfqueue.attributes
options:
  state:
    description: C(list) the marked reboots, C(scheduled) (exactly one at O(time); others are replaced) or
      C(absent) (cancel all marked reboots).
    type: str
    choices: [scheduled, absent, list]
    default: list
  time:
    description: C(HH:MM) (24 h, host local time, next occurrence); required for C(scheduled).
    type: str
  method:
    description: C(auto) takes at when atd answers, else shutdown, else systemd-run.
    type: str
    choices: [auto, at, shutdown, systemd-run]
    default: auto
  id:
    description: Identifier stored in the marker (C(kernel) for reboots scheduled by kernel_upgrade).
    type: str
    default: manual
  kernel:
    description: Kernel release recorded in the marker (informational).
    type: str
  reboot_command:
    description: Command an at job runs.
    type: str
    default: shutdown -r now
attributes:
  check_mode:
    description: Lists the marked reboots and what would be scheduled or cancelled; changes nothing.
  diff_mode:
    description: No diff; the result lists what is cancelled and scheduled.
    support: none
"""

EXAMPLES = r"""
- name: List
  kcrash.nfqueue.reboot_schedule:
  register: r

- name: Cancel every reboot this collection scheduled
  kcrash.nfqueue.reboot_schedule:
    state: absent
"""

RETURN = r"""
scheduled:
  description: "Marked reboots on the host: list of {method, id, time, kernel, when, job|unit|pid}."
  returned: always
  type: list
  elements: dict
cancel:
  description: Entries cancelled (or that would be).
  returned: always
  type: list
  elements: dict
schedule:
  description: "{method, time, id, kernel} scheduled (or that would be), or null."
  returned: always
  type: dict
method:
  description: Method chosen for C(scheduled).
  returned: always
  type: str
msg:
  description: Summary.
  returned: always
  type: str
round_trips:
  description: Shell executions on the host.
  returned: always
  type: int
"""
