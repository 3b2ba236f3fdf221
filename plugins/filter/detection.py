# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline analysis filters (captured outputs, sosreports): the same pure core as
``kcrash.nfqueue.exposure_facts``. Each filter is documented in ``<name>.yml`` beside this file.

- ``ethtool_features``: ``ethtool -k`` text (any generation) -> features
- ``nfqueue_rules``: iptables-save text, nft text or nft JSON -> NFQUEUE/queue rules
- ``oops_signature``: oops / dmesg / vmcore-dmesg / crash ``bt`` text -> signatures
- ``kernel_verdict``: a ``uname -r`` release -> the catalog's verdict
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool, iptables_save, nft, oops
from ansible_collections.kcrash.nfqueue.plugins.module_utils import kernel as kernel_mod
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError

FORMATS = ("auto", "iptables-save", "nft", "nft-json")


def _text(value, name):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise AnsibleFilterError("%s expects text, got %s" % (name, type(value).__name__))
    return value


def ethtool_features(text, short=False):
    try:
        parsed = ethtool.parse(_text(text, "ethtool_features"))
    except KcrashError as e:
        raise AnsibleFilterError(str(e))
    if short:
        return ethtool.summary(parsed)
    return parsed


def detect_format(text):
    s = text.lstrip()
    if s.startswith("{"):
        return "nft-json"
    for line in text.splitlines():
        t = line.strip()
        if not t or t.startswith("#"):
            continue
        if t.startswith("*") or t.startswith(":") or t.startswith("-A "):
            return "iptables-save"
        if t.startswith("table ") or t.startswith("flush ") or t.startswith("add ") or t.startswith("define "):
            return "nft"
    return "iptables-save"


def nfqueue_rules(text, family="ipv4", backend="legacy", format="auto"):
    text = _text(text, "nfqueue_rules")
    if format not in FORMATS:
        raise AnsibleFilterError("nfqueue_rules: format must be one of %s" % ", ".join(FORMATS))
    fmt = detect_format(text) if format == "auto" else format
    try:
        if fmt == "iptables-save":
            return iptables_save.nfqueue_rules(iptables_save.parse(text), family=family, backend=backend)
        rs = nft.parse_json(text) if fmt == "nft-json" else nft.parse_text(text)
        return nft.queue_rules(rs)
    except KcrashError as e:
        raise AnsibleFilterError(str(e))


def oops_signature(text):
    return oops.scan(_text(text, "oops_signature"))


def kernel_verdict(release, os_info=None, installed_kernels=None):
    try:
        return kernel_mod.kernel_verdict(_text(release, "kernel_verdict").strip(), os_info, installed_kernels)
    except KcrashError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {
            "ethtool_features": ethtool_features,
            "nfqueue_rules": nfqueue_rules,
            "oops_signature": oops_signature,
            "kernel_verdict": kernel_verdict,
        }
