# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline analysis filters (captured outputs, sosreports): the same pure core as
``kcrash.nfqueue.exposure_facts``. Each filter is documented in ``<name>.yml`` beside this file.

- ``ethtool_features``: ``ethtool -k`` text (any generation) -> features
- ``nfqueue_rules``: iptables-save text, nft text or nft JSON -> NFQUEUE/queue rules
- ``nfqueue_evidence``: the same text -> {rules, partial, reasons, verdict}
- ``oops_signature``: oops / dmesg / vmcore-dmesg / crash ``bt`` text -> signatures
- ``kernel_verdict``: a ``uname -r`` release -> the catalog's verdict
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool, iptables_save, nft, oops
from ansible_collections.kcrash.nfqueue.plugins.module_utils import partial as partial_mod
from ansible_collections.kcrash.nfqueue.plugins.module_utils import kernel
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError

FORMATS = ("auto", "iptables-save", "nft", "nft-json")


def _text(value, name):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise AnsibleFilterError("%s expects text, got %s" % (name, type(value).__name__))
    return value


def ethtool_features(text, short=False, partial=True):
    """``partial`` (default: this is offline text): lines ethtool never prints (a note) are
    trimmed or skipped and the answer says ``partial: true`` with ``partial_reasons``."""
    try:
        if partial:
            parsed, reasons = partial_mod.ethtool_k(_text(text, "ethtool_features"))
        else:
            parsed, reasons = ethtool.parse(_text(text, "ethtool_features")), []
    except KcrashError as e:
        raise AnsibleFilterError(str(e))
    out = ethtool.summary(parsed) if short else parsed
    out = dict(out, partial=bool(reasons), partial_reasons=reasons)
    return out


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


def _queue_rules(text, family, backend, format, partial, name):
    """(rules, reasons) of the text; reasons non-empty when it was read as partial."""
    text = _text(text, name)
    if format not in FORMATS:
        raise AnsibleFilterError("%s: format must be one of %s" % (name, ", ".join(FORMATS)))
    fmt = detect_format(text) if format == "auto" else format
    try:
        if fmt == "iptables-save":
            if partial:
                return partial_mod.iptables_nfqueue_rules(text, family, backend)[::2]
            return iptables_save.nfqueue_rules(iptables_save.parse(text), family=family, backend=backend), []
        if fmt == "nft" and partial:
            return partial_mod.nft_queue_rules(text)[::2]
        rs = nft.parse_json(text) if fmt == "nft-json" else nft.parse_text(text)
        return nft.queue_rules(rs), []
    except KcrashError as e:
        raise AnsibleFilterError(str(e))


def nfqueue_rules(text, family="ipv4", backend="legacy", format="auto", partial=True):
    return _queue_rules(text, family, backend, format, partial, "nfqueue_rules")[0]


def nfqueue_evidence(text, family="ipv4", backend="legacy", format="auto", partial=True):
    rules, reasons = _queue_rules(text, family, backend, format, partial, "nfqueue_evidence")
    if rules:
        verdict = "present"
        caveat = "NFQUEUE rules seen" + (" in partial text (others may be in the part not shown)" if reasons else "")
    elif reasons:
        verdict, caveat = "unknown", "no NFQUEUE rule in the part shown; the text is partial, so one may be missing"
    else:
        verdict, caveat = "absent", "no NFQUEUE/QUEUE rule in the whole ruleset"
    return {"rules": rules, "partial": bool(reasons), "reasons": reasons, "verdict": verdict, "caveat": caveat}


def oops_signature(text):
    return oops.scan(_text(text, "oops_signature"))


def kernel_verdict(release, os_info=None, installed_kernels=None):
    try:
        return kernel.kernel_verdict(_text(release, "kernel_verdict").strip(), os_info, installed_kernels)
    except KcrashError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {
            "ethtool_features": ethtool_features,
            "nfqueue_rules": nfqueue_rules,
            "nfqueue_evidence": nfqueue_evidence,
            "oops_signature": oops_signature,
            "kernel_verdict": kernel_verdict,
        }
