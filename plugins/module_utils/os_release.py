# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which OS a host runs: the one parser of ``/etc/os-release`` and the release files.

:func:`parse` reads os-release(5) text (``KEY=value`` lines, values quoted the shell way,
comments and blank lines ignored); :func:`os_facts` turns it plus ``/etc/redhat-release``
(el5/el6 have no os-release), ``/etc/system-release`` and ``/etc/debian_version`` into the
facts the detection probe, the sosreport reader and the kernel_upgrade read trip report.
Pure functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_LINE_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
REDHAT_IDS = ("rhel", "centos", "fedora", "ol", "scientific", "rocky", "almalinux")


def _value(raw):
    """One shell word as os-release(5) allows it: 'single', "double" (backslash escapes
    \\" \\\\ \\$ \\`), unquoted with backslash escapes; unbalanced quotes: taken as written."""
    raw = raw.strip()
    out = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == "'":
            end = raw.find("'", i + 1)
            if end < 0:
                return raw
            out.append(raw[i + 1:end])
            i = end + 1
        elif c == '"':
            i += 1
            while i < n and raw[i] != '"':
                if raw[i] == "\\" and i + 1 < n and raw[i + 1] in '"\\$`':
                    i += 1
                out.append(raw[i])
                i += 1
            if i >= n:
                return raw
            i += 1
        elif c == "\\" and i + 1 < n:
            out.append(raw[i + 1])
            i += 2
        elif c in " \t":
            break  # a second word: not a valid value, the rest is ignored
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse(text):
    """os-release text -> ``{key (lower case): value}`` (quotes and escapes removed)."""
    out = {}
    for line in (text or "").split("\n"):
        m = _LINE_RE.match(line.strip())
        if m:
            out[m.group(1).lower()] = _value(m.group(2))
    return out


def _first_line(text):
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def os_facts(texts):
    """``texts``: {"os-release": str|None, "redhat-release": ..., "system-release": ...,
    "debian_version": ...} -> ``{id, version_id, name, pretty_name, id_like (list),
    redhat_release, debian_version, family}`` (None where unknown)."""
    osr = parse(texts.get("os-release"))
    info = {
        "id": osr.get("id") or None, "version_id": osr.get("version_id") or None,
        "name": osr.get("name") or None, "pretty_name": osr.get("pretty_name") or None,
        "id_like": (osr.get("id_like") or "").split(),
        "redhat_release": None, "debian_version": None, "family": None,
    }
    rh = _first_line(texts.get("redhat-release") or texts.get("system-release"))
    if rh:
        info["redhat_release"] = rh
        if not info["id"]:
            low = rh.lower()
            info["id"] = next((i for w, i in (("centos", "centos"), ("oracle", "ol"), ("scientific", "scientific"),
                                              ("fedora", "fedora")) if w in low), "rhel")
            m = re.search(r"release\s+(\d+(?:\.\d+)*)", rh)
            if m:
                info["version_id"] = m.group(1)
            info["name"] = info["name"] or rh
    dv = _first_line(texts.get("debian_version"))
    if dv:
        info["debian_version"] = dv
        if not info["id"]:
            info["id"] = "debian"
            info["version_id"] = dv
    ids = [info["id"] or ""] + list(info["id_like"])
    if any(i in REDHAT_IDS for i in ids):
        info["family"] = "redhat"
    elif any(i in ("debian", "ubuntu") for i in ids):
        info["family"] = "debian"
    elif info["id"]:
        info["family"] = info["id"]
    return info
