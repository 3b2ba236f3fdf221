# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every strategy variable checked the way its action checks it, on the controller, before
any host is touched (``playbooks/remediate.yml`` runs :func:`host_errors` for every host of
the play first). The argument specs check types and choices; this checks values: kernel
release, window, backup paths (character set), interface names, drop options and the drop and
kernel numeric limits."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import reboot_schedule
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel_upgrade import plan as kernel_plan
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import check_features
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import validate_abs_path, validate_ifname


def _interfaces(value):
    if value in ("auto", ["auto"]):
        return
    words = value.replace(",", " ").split() if isinstance(value, str) else value
    for name in words:
        validate_ifname(name, "kcrash_offload_interfaces")


def _limit(name):
    low, high = drop_options.LIMITS[name]

    def check(value):
        if not low <= int(value) <= high:
            raise ValueError("must be %d..%d" % (low, high))
    return check


def _kernel_limit(name):
    return lambda value: kernel_plan.validate_limit(name, value)


_DROP_OPTIONS = ("target", "families", "tables", "chains", "queue_nums", "comment_regex", "ssh_port",
                 "controller_address")

CHECKS = (
    ("kcrash_kernel_target", kernel_plan.validate_target),
    ("kcrash_kernel_window", lambda v: reboot_schedule.validate_time(str(v).strip())),
    ("kcrash_kernel_backup_dir", validate_abs_path),
    ("kcrash_offload_backup_dir", validate_abs_path),
    ("kcrash_offload_features", lambda v: check_features(list(v), "kcrash_offload_features")),
    ("kcrash_offload_interfaces", _interfaces),
    ("kcrash_drop_backup_root", validate_abs_path),
) + tuple(("kcrash_drop_" + name, _limit(name)) for name in sorted(drop_options.LIMITS)) \
    + tuple(("kcrash_kernel_" + name, _kernel_limit(name)) for name in sorted(kernel_plan.LIMITS))


def host_errors(get):
    """``["<variable>: <why>", ...]`` for the variables ``get(name)`` returns (None: not set,
    the role default applies, which is valid)."""
    errors = []
    for name, check in CHECKS:
        value = get(name)
        if value is None or value == "" or value == []:
            continue
        try:
            check(value)
        except (KcrashError, ValueError, TypeError) as e:
            errors.append("%s: %s" % (name, e))
    drop = {}
    for key in _DROP_OPTIONS:
        value = get("kcrash_drop_" + key)
        if value not in (None, "", [], 0):
            drop[key] = value
    try:
        drop_options.Options(**drop)
    except (KcrashError, ValueError, TypeError) as e:
        errors.append("kcrash_drop_*: %s" % e)
    return errors
