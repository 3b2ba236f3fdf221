# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters ``kcrash.nfqueue.detect_failure`` (one host's failure message) and
``kcrash.nfqueue.detect_failed_hosts`` (the hosts of a play that fail), one rule
(module_utils/detect_failure.py) for the detect role's fail task and for the playbook's choice
of the hosts to fail. Each filter is documented in ``<name>.yml`` beside this file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from jinja2 import Undefined

from ansible_collections.kcrash.nfqueue.plugins.module_utils import detect_failure


def _defined(value):
    return None if isinstance(value, Undefined) else value


def _detect_failure(result, fail_levels=None):
    """``kcrash_detect_result | kcrash.nfqueue.detect_failure(kcrash_detect_fail_levels)``."""
    return detect_failure.message(_defined(result), _defined(fail_levels) or [])


def _detect_failed_hosts(hosts, hostvars, fail_levels=None, result_var="kcrash_detect_result"):
    """``ansible_play_hosts_all | kcrash.nfqueue.detect_failed_hosts(hostvars, kcrash_detect_fail_levels)``."""
    default = _defined(fail_levels) or []

    def var(host, name):
        try:
            return _defined(hostvars[host][name])
        except (KeyError, TypeError):
            return None

    def levels(host):
        value = var(host, "kcrash_detect_fail_levels")
        return default if value is None else value

    return detect_failure.failed_hosts(hosts, lambda h: var(h, result_var), levels)


class FilterModule(object):
    def filters(self):
        return {"detect_failure": _detect_failure, "detect_failed_hosts": _detect_failed_hosts}
