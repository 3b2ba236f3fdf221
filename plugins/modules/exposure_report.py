# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin plugins/action/exposure_report.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: exposure_report
short_description: Write the fleet exposure report of detect.yml on the controller
description:
  - Runs on the controller only; contacts no host.
  - Builds the fleet report (schema C(docs/schema/report-v1.json)) from the registered
    C(kcrash.nfqueue.exposure_facts) results of every host, unreachable and failed hosts
    included, and writes C(<name>-<run id>.<ext>) plus the latest copy C(<name>.<ext>) for
    each format; the timestamped files of the newest O(keep) runs are kept.
  - Never reports C(changed) (detection changes no host; the report is the controller's output).
version_added: 1.0.0
author: kcrash.nfqueue maintainers (@kcrash-nfqueue)
extends_documentation_fragment:
  - kcrash.nfqueue.attributes.report
  - kcrash.nfqueue.report_files
options:
  dir:
    required: true
  name:
    description: Base name of the files.
    type: str
    default: kcrash-exposure
  results:
    description: Mapping host -> registered C(exposure_facts) result (None for a host where it did not run).
    type: dict
    required: true
  formats:
    description: Files to write; V(rules.csv) is one row per NFQUEUE rule.
    type: list
    elements: str
    choices: [csv, html, json, rules.csv]
    default: [json, csv, html]
"""

EXAMPLES = r"""
- name: Fleet report of this run
  kcrash.nfqueue.exposure_report:
    dir: /var/tmp/kcrash-report
    results: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
                 | map(attribute='kcrash_detect_result', default=None))) }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
paths:
  description: The latest copies written, by format.
  returned: success
  type: dict
history:
  description: The timestamped files of this run, by format.
  returned: success
  type: dict
removed:
  description: Timestamped files of older runs removed.
  returned: success
  type: list
  elements: str
counts:
  description: Hosts per status, verdict and action.
  returned: success
  type: dict
hosts_total:
  description: Number of hosts in the report.
  returned: success
  type: int
summary:
  description: Text summary, one line per host that needs attention.
  returned: success
  type: list
  elements: str
msg:
  description: One-line summary with the paths.
  returned: always
  type: str
"""
