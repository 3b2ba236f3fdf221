# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The drop strategy's task options: the replacement target, the selection (families,
tables, chains, queue numbers, comment regex) and the numeric limits, validated up front.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    import ipaddress
except ImportError:  # pragma: no cover - Python 2 controllers are not supported
    ipaddress = None

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError, KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import validate_abs_path


TARGETS = ("DROP", "REJECT", "ACCEPT")


# ------------------------------------------------------------------------ options

#: Ranges of the action's numeric options (checked by the action and, before any host is
#: touched, by module_utils/options.py for remediate.yml).
LIMITS = {"watchdog_timeout": (5, 86400), "backup_keep": (1, 1000), "max_attempts": (1, 10),
          "read_max_age": (0, 86400)}


class Options(object):
    """Validated task options of the nfqueue_target action."""

    def __init__(self, target="DROP", families=None, tables=None, chains=None, queue_nums=None,
                 comment_regex=None, force=False, ssh_port=None, controller_address=None,
                 persist=True, include_nft=True):
        target = str(target or "DROP").upper()
        if target not in TARGETS:
            raise KcrashInputError("target", "%r is not one of %s" % (target, ", ".join(TARGETS)))
        self.target = target
        self.families = _str_list(families, "families", r"^(ipv4|ipv6|ip|ip6|inet|arp|bridge|netdev)\Z")
        self.tables = _str_list(tables, "tables", r"^[A-Za-z0-9_.-]{1,32}\Z")
        # chain names of real rule sets (DOCKER-USER, f2b-sshd, KUBE-SVC-..., ufw-before-input,
        # nft's input): no shell text in an option, as for every other one
        self.chains = _str_list(chains, "chains", r"^[A-Za-z0-9_@%+=:,.-]{1,64}\Z")
        self.queue_nums = None
        if queue_nums is not None:
            if not isinstance(queue_nums, (list, tuple)):
                queue_nums = [queue_nums]
            try:
                self.queue_nums = [int(q) for q in queue_nums]
            except (TypeError, ValueError):
                raise KcrashInputError("queue_nums", "must be a list of integers")
            if any(q < 0 or q > 65535 for q in self.queue_nums):
                raise KcrashInputError("queue_nums", "queue numbers are 0..65535")
        self.comment_re = None
        if comment_regex:
            try:
                self.comment_re = re.compile(comment_regex)
            except (re.error, TypeError) as e:
                raise KcrashInputError("comment_regex", "not a valid regular expression: %s" % e)
        self.force = bool(force)
        self.ssh_port = None
        if ssh_port is not None:
            try:
                self.ssh_port = int(ssh_port)
            except (TypeError, ValueError):
                raise KcrashInputError("ssh_port", "must be a port number")
            if not 0 < self.ssh_port < 65536:
                raise KcrashInputError("ssh_port", "must be 1..65535")
        self.controller_address = None
        if controller_address:
            self.controller_address = parse_ip(controller_address)
            if self.controller_address is None:
                raise KcrashInputError("controller_address", "%r is not an IP address" % (controller_address,))
        self.persist = bool(persist)
        self.include_nft = bool(include_nft)


def _str_list(value, name, pattern):
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise KcrashInputError(name, "must be a list of strings")
    out = []
    for v in value:
        if not isinstance(v, str) or not re.match(pattern, v):
            raise KcrashInputError(name, "%r is not acceptable" % (v,))
        out.append(v)
    return out


def parse_ip(text):
    try:
        return ipaddress.ip_address(str(text).strip().split("%", 1)[0])
    except ValueError:
        return None


def from_args(args):
    """:class:`Options` from the action's validated arguments, after checking
    ``backup_root`` and the :data:`LIMITS` of the numeric ones. Raises KcrashError."""
    options = Options(
        target=args["target"], families=args["families"], tables=args["tables"], chains=args["chains"],
        queue_nums=args["queue_nums"], comment_regex=args["comment_regex"], force=args["force"],
        ssh_port=args["ssh_port"], controller_address=args["controller_address"],
        persist=args["persist"], include_nft=args["include_nft"])
    validate_abs_path(args["backup_root"], "backup_root")
    for name, (low, high) in sorted(LIMITS.items()):
        if not low <= args[name] <= high:
            raise KcrashError("%s must be %d..%d" % (name, low, high))
    return options
