# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which hosts the detect role fails at its end, and why: the detection failed, the host was
unreachable, or its exposure level is one of ``kcrash_detect_fail_levels``.

Pure: the registered result of ``kcrash.nfqueue.exposure_facts`` in, the failure message out.
The role's fail task (``roles/detect/tasks/fail.yml``) and the playbook's choice of the hosts
to fail (``roles/detect/tasks/defer_fail.yml``, one task on the controller instead of one per
host) use the same rule, through the filters of ``plugins/filter/detect_failure.py``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping


def _true(value):
    return value is True or (isinstance(value, str) and value.lower() in ("true", "yes", "1"))


def _exposure(result):
    facts = result.get("ansible_facts")
    facts = facts.get("kcrash_nfqueue") if isinstance(facts, Mapping) else None
    exposure = facts.get("exposure") if isinstance(facts, Mapping) else None
    return exposure if isinstance(exposure, Mapping) else None


def message(result, fail_levels):
    """``''`` when the host passes; else the message it fails with. ``result``: the registered
    result (None or not a mapping: the detection did not run on the host, nothing to fail);
    ``fail_levels``: the levels that fail a host (``kcrash_detect_fail_levels``)."""
    if not isinstance(result, Mapping):
        return ""
    unreachable = _true(result.get("unreachable"))
    if unreachable or _true(result.get("failed")):
        return "detection %s: %s" % ("unreachable" if unreachable else "failed", result.get("msg") or "")
    exposure = _exposure(result)
    if not fail_levels or exposure is None or exposure.get("level") not in fail_levels:
        return ""
    reasons = exposure.get("reasons") or []
    return "%s: %s" % (exposure.get("level"), "; ".join(str(r) for r in reasons))


def failed_hosts(hosts, result_of, levels_of):
    """The hosts of ``hosts`` (in order) whose :func:`message` is not empty;
    ``result_of(host)`` / ``levels_of(host)`` give each host's result and fail levels."""
    return [h for h in hosts or [] if message(result_of(h), levels_of(h))]
