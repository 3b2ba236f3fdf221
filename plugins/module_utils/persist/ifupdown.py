# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Debian ifupdown: ``/etc/network/interfaces`` and the files it sources.

* With the ethtool package's hook (``/etc/network/if-up.d/ethtool``, older releases
  ``if-pre-up.d``), the ``iface`` stanza gets ``offload-lro off`` style options: ifup
  exports them as ``IF_OFFLOAD_LRO`` and the hook runs ``ethtool --offload IFACE lro off``.
* Without the hook, one ``post-up <ethtool> -K IFACE lro off || true`` line does it.

Only the first ``iface IFACE ...`` stanza (in sourcing order) is edited: options are per
stanza and the first one brings the link up. Lines, comments and indentation outside
the lines this module owns stay byte for byte.

``host_info`` keys: ``ethtool_hook`` (bool), ``ethtool_path`` (default ``/sbin/ethtool``),
``path`` (for messages).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import posixpath
import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import (
    SUPPORTED_FEATURES,
    PersistError,
    check_features,
    split_lines,
)

NAME = "ifupdown"
MAIN = "/etc/network/interfaces"
HOOKS = ("/etc/network/if-up.d/ethtool", "/etc/network/if-pre-up.d/ethtool")
STANZA_WORDS = ("iface", "mapping", "auto", "source", "source-directory", "rename",
                "no-auto-down", "no-scripts")
_POSTUP_RE = re.compile(
    r"^(?P<indent>\s*)post-up\s+(?P<ethtool>/\S*ethtool)\s+-K\s+(?P<iface>\S+)"
    r"(?P<pairs>(?:\s+[a-z0-9-]+\s+(?:on|off))*)\s+\|\|\s+true\s*$")
_PATH_RE = re.compile(r"^/[A-Za-z0-9_./+-]+\Z")
_SOURCE_DIR_NAME = re.compile(r"^[a-zA-Z0-9_-]+\Z")


def _first_word(line):
    s = line.strip()
    return s.split(None, 1)[0] if s and not s.startswith("#") else ""


def _is_stanza_start(line):
    w = _first_word(line)
    return w in STANZA_WORDS or w.startswith("allow-")


def hook_present(text):
    """Does this if-up.d/if-pre-up.d ethtool hook handle offload options?"""
    return "OFFLOAD" in (text or "")


def sourced_order(files, main=MAIN):
    """Paths in the order ifupdown reads them, following ``source`` and
    ``source-directory`` (globs matched against the paths in ``files``)."""
    order = []

    def visit(path, depth):
        if path in order or depth > 8 or path not in files:
            return
        order.append(path)
        base = posixpath.dirname(path)
        for line in split_lines(files[path]):
            words = line.split()
            if len(words) < 2 or line.lstrip().startswith("#"):
                continue
            if words[0] == "source":
                pat = words[1] if words[1].startswith("/") else posixpath.join(base, words[1])
                for p in sorted(files):
                    if fnmatch.fnmatchcase(p, pat):
                        visit(p, depth + 1)
            elif words[0] == "source-directory":
                d = words[1] if words[1].startswith("/") else posixpath.join(base, words[1])
                for p in sorted(files):
                    if posixpath.dirname(p) == d.rstrip("/") and _SOURCE_DIR_NAME.match(posixpath.basename(p)):
                        visit(p, depth + 1)

    visit(main, 0)
    return order


def _stanza(lines, iface):
    """(start, end) line range of the first ``iface IFACE`` stanza, or None."""
    for i, line in enumerate(lines):
        words = line.split()
        if len(words) >= 2 and words[0] == "iface" and words[1] == iface:
            j = i + 1
            while j < len(lines) and not _is_stanza_start(lines[j]):
                j += 1
            return i, j
    return None


def manages(files, iface):
    """Path of the file holding the first ``iface IFACE`` stanza ifupdown reads, or None."""
    for path in sourced_order(files):
        if _stanza(split_lines(files[path]), iface):
            return path
    return None


def render(current_text, iface, features_off, host_info=None):
    features = check_features(features_off, NAME)
    info = host_info or {}
    path = info.get("path")
    ethtool = info.get("ethtool_path") or "/sbin/ethtool"
    if not _PATH_RE.match(ethtool):
        raise PersistError(NAME, path, "ethtool path %r is not a plain absolute path" % (ethtool,))
    lines = split_lines(current_text or "")
    rng = _stanza(lines, iface)
    if rng is None:
        raise PersistError(NAME, path, "no 'iface %s' stanza to edit" % iface)
    start, end = rng
    for k in range(start, end):
        if lines[k].rstrip("\r\n").endswith("\\"):
            raise PersistError(NAME, path, "line %d: continuation lines are not supported" % (k + 1))
    options = [k for k in range(start + 1, end) if _first_word(lines[k])]
    if options:
        indent = re.match(r"^\s*", lines[options[0]]).group(0)
    else:
        # a stanza without options: follow the file's own indentation habit
        indented = [l for l in lines if l[:1] in (" ", "\t") and _first_word(l) and not _is_stanza_start(l)]
        indent = re.match(r"^\s*", indented[0]).group(0) if indented else "    "
    changed = False
    new_lines = []
    if info.get("ethtool_hook"):
        todo = list(features)
        for k in options:
            words = lines[k].split()
            for f in features:
                if words[0] == "offload-%s" % f:
                    if f in todo:
                        todo.remove(f)
                    if len(words) < 2 or words[1] != "off":
                        raw = lines[k]
                        eol = raw[len(raw.rstrip("\r\n")):]
                        lead = re.match(r"^\s*", raw).group(0)
                        lines[k] = "%soffload-%s off%s" % (lead, f, eol)
                        changed = True
        new_lines = ["%soffload-%s off\n" % (indent, f) for f in todo]
    else:
        mine = None
        for k in options:
            m = _POSTUP_RE.match(lines[k].rstrip("\r\n"))
            if m and m.group("iface") == iface:
                mine = (k, m)
        if mine:
            k, m = mine
            words = m.group("pairs").split()
            have = [words[n] for n in range(0, len(words), 2) if words[n + 1] == "off"]
            if not all(f in have for f in features):
                merged = [f for f in SUPPORTED_FEATURES if f in have or f in features]
                raw = lines[k]
                eol = raw[len(raw.rstrip("\r\n")):]
                lines[k] = "%spost-up %s -K %s %s || true%s" % (
                    m.group("indent"), m.group("ethtool"), iface,
                    " ".join("%s off" % f for f in merged), eol)
                changed = True
        else:
            new_lines = ["%spost-up %s -K %s %s || true\n" % (
                indent, ethtool, iface, " ".join("%s off" % f for f in features))]
    if new_lines:
        at = (options[-1] if options else start) + 1
        if not lines[at - 1].endswith("\n"):
            lines[at - 1] += "\n"
        lines[at:at] = new_lines
        changed = True
    return "".join(lines) if changed else current_text
