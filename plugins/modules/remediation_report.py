# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin plugins/action/remediation_report.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: remediation_report
short_description: Write the fleet report of remediate.yml (before / after per host)
description:
  - Runs on the controller only; contacts no host.
  - Reads, for each host in O(hosts), the plan and the C(kcrash_nfqueue) facts before the
    change from the controller variable C(kcrash_remediation) (set by
    C(kcrash.nfqueue.choose_strategies) in C(playbooks/remediate.yml)), and the facts after
    re-detection from the host's registered C(kcrash_redetect), and writes the report (schema
    C(docs/schema/report-v1.json)) as C(<prefix>-<mode>-<run id>.{json,csv,rules.csv,html}) and
    the latest copies C(<prefix>-<mode>.{json,csv,rules.csv,html}), with V(check) or V(apply)
    as mode; each file is written atomically, and the timestamped files of the newest O(keep)
    runs are kept.
  - "Outcome per host: V(still_exposed) (an immediate fix did not take), V(not_detected),
    V(apply_failed), V(blocked) (the strategy cannot fix it, e.g. no documented fixed kernel),
    V(unchanged) (planned, but the strategy found nothing to change), V(drift) (check mode:
    would be changed), V(report_only), V(unknown), V(remediated), V(pending) (changed, still
    at risk or waiting for a kernel reboot), V(compliant)."
  - Also reads the results the strategy roles register (C(kcrash_offload_result),
    C(kcrash_drop_result), C(kcrash_kernel_result)) and shows their messages per host.
  - The files are written in check mode too (they are the drift report, not managed state);
    the task never reports C(changed).
version_added: 1.0.0
author: kcrash.nfqueue maintainers (@kcrash-nfqueue)
extends_documentation_fragment:
  - kcrash.nfqueue.attributes.report
  - kcrash.nfqueue.report_files
options:
  dir:
    default: reports
  hosts:
    description: Host names to report on (normally every host the run targeted).
    type: list
    elements: str
    required: true
  prefix:
    description: File name prefix.
    type: str
    default: remediation
  check_mode:
    description: Report as check mode (drift) or real run; default is the task's own check mode.
    type: bool
  plans:
    description: The plans by host (C(kcrash_remediation)); default is the task variable C(kcrash_remediation).
    type: dict
  complete:
    description: V(false) marks an interim report, written before the run ends.
    type: bool
    default: true
attributes:
  check_mode:
    description: Writes the drift report; changes nothing on any host.
"""

EXAMPLES = r"""
- name: Fleet report of this run
  kcrash.nfqueue.remediation_report:
    dir: /var/tmp/kcrash-reports
    hosts: "{{ ansible_play_hosts_all }}"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
paths:
  description: The files written, by format.
  returned: success
  type: dict
  sample: {html: /srv/reports/remediation-check.html, json: /srv/reports/remediation-check.json,
           csv: /srv/reports/remediation-check.csv}
mode:
  description: V(check) or V(apply).
  returned: success
  type: str
drift:
  description: In check mode, the number of hosts that differ from the remediated state; null in a real run.
  returned: success
  type: int
outcomes:
  description: Number of hosts per outcome (only outcomes that occur).
  returned: success
  type: dict
  sample: {drift: 1, compliant: 3}
history:
  description: The timestamped files of this run, by format.
  returned: success
  type: dict
removed:
  description: Timestamped files of older runs removed (beyond O(keep) runs).
  returned: success
  type: list
  elements: str
counts:
  description: The report's counts (per status, verdict, verdict after, action, outcome).
  returned: success
  type: dict
hosts_total:
  description: Number of hosts in the report.
  returned: success
  type: int
msg:
  description: One-line summary with the HTML path.
  returned: always
  type: str
"""
