# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter ``kcrash.nfqueue.awx_artifacts`` (module_utils/awx_artifacts.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kcrash.nfqueue.plugins.module_utils.awx_artifacts import artifacts
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError


def awx_artifacts(report, max_hosts=100, paths=None):
    try:
        return artifacts(report, max_hosts=int(max_hosts) if isinstance(max_hosts, str) else max_hosts,
                         paths=paths)
    except (KcrashError, ValueError) as e:
        raise AnsibleFilterError("awx_artifacts: %s" % e)


class FilterModule(object):
    def filters(self):
        return {"awx_artifacts": awx_artifacts}
