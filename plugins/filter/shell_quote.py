# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter ``kcrash.nfqueue.shell_quote``: the collection's one shell quoting function
(module_utils/shell.quote) for the few playbook tasks that build shell text themselves."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import quote


def shell_quote(value):
    try:
        return quote(value)
    except KcrashError as e:
        raise AnsibleFilterError("shell_quote: %s" % e)


class FilterModule(object):
    def filters(self):
        return {"shell_quote": shell_quote}
