# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter ``kcrash.nfqueue.option_errors``: the strategy variables of every host of a play
checked on the controller (module_utils/options.py), before any host is touched."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from jinja2 import Undefined

from ansible_collections.kcrash.nfqueue.plugins.module_utils.options import host_errors


def _option_errors(hosts, hostvars):
    """``ansible_play_hosts_all | kcrash.nfqueue.option_errors(hostvars)`` -> ["host: var: why"]."""
    out = []
    for host in hosts or []:
        try:
            hv = hostvars[host]
        except (KeyError, TypeError):
            continue

        def get(name, hv=hv):
            try:
                value = hv[name]
            except (KeyError, TypeError):
                return None
            return None if isinstance(value, Undefined) else value
        out.extend("%s: %s" % (host, e) for e in host_errors(get))
    return out


class FilterModule(object):
    def filters(self):
        return {"option_errors": _option_errors}
