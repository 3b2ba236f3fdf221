# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""GRUB's files: ``grub.cfg`` (GRUB 2 menu), el6's legacy ``/boot/grub/grub.conf``,
``grubenv`` and ``/etc/default/grub``; the one parser of each, and the one writer of
``GRUB_DEFAULT=saved``. Pure functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re


def parse_grubenv(text):
    env = {}
    for line in text.splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        env[k.strip()] = v.rstrip("\n")
    return env


def parse_default_grub(text):
    env = {}
    for line in text.splitlines():
        m = re.match(r"^\s*(GRUB_[A-Z_]+)=(.*)$", line)
        if m:
            v = m.group(2).strip()
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
                v = v[1:-1]
            env[m.group(1)] = v
    return env


_QUOTED = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)""")


def _words(line):
    out = []
    for m in _QUOTED.finditer(line):
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(re.sub(r"\\(.)", r"\1", m.group(2)))
        else:
            out.append(m.group(3))
    return out


def parse_grub_cfg(text):
    """grub.cfg -> flat list of menu entries ``{title, id, path, index, kernel, release}``.

    ``path`` is the ``>``-joined title path (``Advanced options for X>X, with Linux R``) and
    ``index`` the ``>``-joined numeric path (``1>2``), the two forms GRUB_DEFAULT and
    saved_entry take.
    """
    entries = []
    stack = []  # [(kind, title, id, index_path, counter_list)]
    counters = [0]
    depth_kinds = []
    cur = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        w = _words(line)
        if w and w[0] in ("menuentry", "submenu") and line.endswith("{"):
            title = w[1] if len(w) > 1 else ""
            ident = None
            for k, tok in enumerate(w):
                if tok in ("$menuentry_id_option", "--id") and k + 1 < len(w):
                    ident = w[k + 1]
            idx = counters[-1]
            counters[-1] += 1
            titles = [s[1] for s in stack] + [title]
            ids = [s[2] or s[1] for s in stack] + [ident or title]
            indexes = [str(s[3]) for s in stack] + [str(idx)]
            if w[0] == "submenu":
                stack.append(("submenu", title, ident, idx))
                counters.append(0)
                depth_kinds.append("submenu")
            else:
                cur = {"title": title, "id": ident, "path": ">".join(titles), "id_path": ">".join(ids),
                       "index": ">".join(indexes), "kernel": None, "release": None}
                depth_kinds.append("menuentry")
            continue
        if line == "}" or line.startswith("}"):
            if depth_kinds:
                kind = depth_kinds.pop()
                if kind == "menuentry" and cur is not None:
                    entries.append(cur)
                    cur = None
                elif kind == "submenu":
                    stack.pop()
                    counters.pop()
            continue
        if line.endswith("{") and not (w and w[0] in ("menuentry", "submenu")):
            depth_kinds.append("block")
            continue
        if cur is not None and w and w[0] in ("linux", "linux16", "linuxefi", "kernel") and len(w) > 1:
            cur["kernel"] = w[1]
            cur["release"] = release_of(w[1])
    return entries


def parse_grub_legacy(text):
    """el6 /boot/grub/grub.conf -> {default, entries[{title, index, kernel, release}]}."""
    res = {"default": None, "entries": []}
    cur = None
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.match(r"^default\s*=?\s*(\S+)", s)
        if m and cur is None:
            res["default"] = m.group(1)
            continue
        m = re.match(r"^title\s+(.*)$", s)
        if m:
            cur = {"title": m.group(1), "index": str(len(res["entries"])), "kernel": None, "release": None}
            res["entries"].append(cur)
            continue
        m = re.match(r"^kernel\s+(\S+)", s)
        if m and cur is not None:
            cur["kernel"] = m.group(1)
            cur["release"] = release_of(m.group(1))
    return res


def release_of(kernel_path):
    """``/boot/vmlinuz-<release>`` (or ``vmlinux-``) -> ``<release>``; None for anything else."""
    base = posixpath.basename(kernel_path or "")
    if base.startswith("vmlinuz-"):
        return base[len("vmlinuz-"):]
    if base.startswith("vmlinux-"):
        return base[len("vmlinux-"):]
    return None


def set_grub_default_saved(text):
    """/etc/default/grub content with ``GRUB_DEFAULT=saved`` (replacing or appending)."""
    lines = text.splitlines(True)
    out = []
    done = False
    for line in lines:
        if re.match(r"^\s*GRUB_DEFAULT=", line):
            if not done:
                out.append("GRUB_DEFAULT=saved\n")
                done = True
            continue
        out.append(line)
    if not done:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out.append("GRUB_DEFAULT=saved\n")
    return "".join(out)
