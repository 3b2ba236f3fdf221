# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Raw answers of one round trip kept on the controller for a later task of the same run.

A round trip can carry the scripts of two steps, so a play pays one trip where it would pay
two: the detection trip carries a strategy's read (``exposure_facts`` option
``strategy_reads``), and a strategy's apply trip carries the detection probe (``offload``
option ``probe_after``). The later task finds the answer here instead of going back to the
host.

Where: ``<DEFAULT_LOCAL_TMP>/kcrash-reads/<id>.json`` (mode 0600). ``DEFAULT_LOCAL_TMP`` is
the run's private controller directory that ansible creates (0700) when it starts and removes
when it exits, shared by its worker processes; nothing outlives the run. The answers (which
can hold configuration files and firewall rules) never go into facts, so fact caches and AWX
job events do not get them. Facts carry a reference only::

    kcrash_nfqueue_reads: {<kind>: {"id": "<32 hex>", "kind": "offload", "taken": <epoch s>}}

An answer is bound to the inventory host that produced it and has an age limit chosen by the
task that uses it. A task that changes the host discards the reference it used (one use).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import json
import os
import re
import time

from ansible import constants as C

FACT = "kcrash_nfqueue_reads"
KINDS = ("offload", "drop", "probe")
_ID_RE = re.compile(r"^[0-9a-f]{32}\Z")


def _dir(root=None):
    d = os.path.join(root or C.DEFAULT_LOCAL_TMP, "kcrash-reads")
    if not os.path.isdir(d):
        os.makedirs(d, 0o700)
    return d


def _path(ref_id, root=None):
    if not isinstance(ref_id, str) or not _ID_RE.match(ref_id):
        raise ValueError("not a read reference id: %r" % (ref_id,))
    return os.path.join(_dir(root), ref_id + ".json")


def store(host, kind, nonce, stdout, extra=None, root=None):
    """Keep ``stdout`` (answer of a script with ``nonce``) of ``host``, with ``extra`` data
    for its user (JSON-able); return the reference."""
    if kind not in KINDS:
        raise ValueError("unknown read kind %r" % (kind,))
    ref = {"id": binascii.hexlify(os.urandom(16)).decode(), "kind": kind, "taken": round(time.time(), 3)}
    fd = os.open(_path(ref["id"], root), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"host": host, "kind": kind, "nonce": nonce, "stdout": stdout, "taken": ref["taken"],
                   "extra": extra or {}}, f)
    return ref


def references(task_vars):
    """The ``kcrash_nfqueue_reads`` fact of the host (``{}`` when there is none)."""
    tv = task_vars or {}
    refs = tv.get(FACT)
    if refs is None:
        refs = (tv.get("ansible_facts") or {}).get(FACT)
    return dict(refs) if isinstance(refs, dict) else {}


def load(task_vars, host, kind, max_age, root=None):
    """``(kept, None)`` with ``kept`` = ``{"nonce", "stdout", "age", "extra"}`` of the host's
    kept answer of ``kind``, or ``(None, reason)`` when there is none to use (then the caller
    reads itself)."""
    ref = references(task_vars).get(kind)
    if not isinstance(ref, dict) or not ref.get("id"):
        return None, "no %s read was taken earlier in this run" % kind
    try:
        with open(_path(ref["id"], root)) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return None, "the %s read taken earlier is not available (%s)" % (kind, e)
    if data.get("host") != host or data.get("kind") != kind:
        return None, "the %s read reference belongs to another host" % kind
    # "taken" is rounded to the millisecond: a fresh answer can look a little younger than 0
    age = max(0.0, time.time() - float(data.get("taken") or 0))
    if age > max_age:
        return None, "the %s read taken earlier is %.0f s old (limit %d s)" % (kind, age, max_age)
    return {"nonce": data.get("nonce"), "stdout": data.get("stdout") or "", "age": age,
            "extra": data.get("extra") or {}}, None


def take(task_vars, host, kind, max_age, check_mode, root=None):
    """What a strategy action plans from: ``(kept, read, refs)``.

    ``kept`` is the host's answer of ``kind`` (see :func:`load`) or None; ``read`` is the
    action's ``read`` result key (``source`` detection trip with ``age``, or own trip with
    ``why``); ``refs`` is the fact value to return: without ``kind`` once a real run has
    used the answer (a change follows, so it is used once), unchanged in check mode."""
    refs = references(task_vars)
    kept, why = load(task_vars, host, kind, max_age, root=root)
    if kept is None:
        return None, {"source": "own trip", "why": why}, refs
    if not check_mode:
        refs = discard(task_vars, kind, root=root)
    return kept, {"source": "detection trip", "age": round(kept["age"], 1)}, refs


def discard(task_vars, kind, root=None):
    """Forget the host's kept answer of ``kind``; return the fact value without it."""
    refs = references(task_vars)
    ref = refs.pop(kind, None)
    if isinstance(ref, dict) and ref.get("id"):
        try:
            os.unlink(_path(ref["id"], root))
        except (OSError, ValueError):
            pass
    return refs


def carried_probe(kept, kind):
    """``(script, nonce, reread)``: the re-detection a strategy's trip carries (``probe_after``).

    When ``kept`` (the strategy's read kept from this run's detection trip) holds that trip's
    full probe answer, only the probe sections strategy ``kind`` changes are read again
    (``probe.REREAD[kind]``, same nonce) and ``reread`` names them; else the whole probe."""
    from ansible_collections.kcrash.nfqueue.plugins.module_utils import probe
    base_nonce = ((kept or {}).get("extra") or {}).get("probe_nonce")
    if base_nonce and kind in probe.REREAD:
        reread = probe.REREAD[kind]
        script, nonce = probe.build_probe(base_nonce, only=reread)
        return script, nonce, reread
    script, nonce = probe.build_probe()
    return script, nonce, None


def store_carried_probe(host, kept, nonce, reread, stdout):
    """Keep the answer of :func:`carried_probe` for ``exposure_facts`` ``reuse_probe``; a
    partial one is kept with the full answer it completes. Returns the reference."""
    if reread:
        return store(host, "probe", nonce, kept["stdout"], extra={
            "reread": {"sections": list(reread), "stdout": stdout, "base_age": round(kept["age"], 1)}})
    return store(host, "probe", nonce, stdout)
