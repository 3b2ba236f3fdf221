# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netplan (>= 0.104, networkd renderer): ``large-receive-offload: false`` and friends in
the ``network: ethernets: <iface>:`` mapping.

The YAML is edited line by line so the administrator's file keeps its comments, order
and layout: only the offload keys of one interface are set or inserted. Anything this
minimal editor cannot follow with certainty (tabs, flow style ``{...}``, anchors and
aliases, several documents, the interface selected through ``match:``) is refused with
a message instead of guessed at. ``netplan apply`` is not run: the runtime change is
made with ``ethtool -K`` and the file takes effect at the next ``netplan apply``/boot.

``host_info`` keys: ``path`` (for messages).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import (
    Choice,
    PersistError,
    check_features,
    effective_files as _effective_files,
    split_lines,
)

NAME = "netplan"
# netplan(5): a file in /run/netplan shadows the same name in /etc/netplan, either shadows
# one in /lib/netplan (effective_files: the earlier directory wins)
DIRS = ("/run/netplan", "/etc/netplan", "/lib/netplan")
MIN_VERSION = (0, 104)
KEYS = {
    "lro": "large-receive-offload",
    "gro": "generic-receive-offload",
    "gso": "generic-segmentation-offload",
    "tso": "tcp-segmentation-offload",
}
_FALSE = ("false", "no", "off", "n")
_KEYLINE_RE = re.compile(
    r"^(?P<indent> *)(?P<q>[\"']?)(?P<key>[A-Za-z0-9_.:@+-]+)(?P=q):(?P<sep>[ ]*)"
    r"(?P<value>[^#]*?)(?P<trail>[ ]*(?:#.*)?)$"
)


def _is_blank_or_comment(line):
    s = line.strip()
    return not s or s.startswith("#")


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _check_supported(lines, path):
    docs = 0
    for n, line in enumerate(lines, 1):
        body = line.rstrip("\r\n")
        if body.startswith("---"):
            docs += 1
            if docs > 1 or n != 1 and any(not _is_blank_or_comment(x) for x in lines[:n - 1]):
                raise PersistError(NAME, path, "several YAML documents are not supported")
            continue
        if _is_blank_or_comment(body):
            continue
        if "\t" in body[:_indent(body) + 1]:
            raise PersistError(NAME, path, "line %d: tab indentation is not supported" % n)
        code = body.split(" #", 1)[0]
        if re.search(r"(^|[\s:])[&*][A-Za-z0-9_-]", code) or "<<:" in code:
            raise PersistError(NAME, path, "line %d: YAML anchors/aliases are not supported; "
                                           "edit the file by hand" % n)


def _children(lines, parent_idx, parent_indent, end):
    """Key lines directly under the mapping at ``parent_idx``: [(idx, match)], and the
    index one past the block."""
    out = []
    child_indent = None
    i = parent_idx + 1
    last = parent_idx
    while i < end:
        line = lines[i].rstrip("\r\n")
        if _is_blank_or_comment(line):
            i += 1
            continue
        ind = _indent(line)
        if ind <= parent_indent:
            break
        if child_indent is None:
            child_indent = ind
        if ind == child_indent:
            m = _KEYLINE_RE.match(line)
            if m:
                out.append((i, m))
            elif line.lstrip().startswith("- "):
                pass
        last = i
        i += 1
    return out, last + 1, child_indent


def _find(lines, path, iface):
    """(iface_idx, iface_match, block_end) of ``network: ethernets: <iface>:`` or None."""
    top = [(i, _KEYLINE_RE.match(l.rstrip("\r\n"))) for i, l in enumerate(lines)
           if not _is_blank_or_comment(l) and _indent(l) == 0 and not l.startswith("---")]
    net = [(i, m) for i, m in top if m and m.group("key") == "network"]
    if not net:
        return None
    ni, nm_ = net[-1]
    if nm_.group("value").strip():
        raise PersistError(NAME, path, "'network:' in flow style is not supported")
    nkeys, nend = _children(lines, ni, 0, len(lines))[:2]
    for i, m in nkeys:
        if m.group("key") == "renderer" and _unquoted(m.group("value").strip()) not in ("networkd", ""):
            raise PersistError(NAME, path, "renderer %s: netplan only passes offload keys to "
                                           "networkd here; use backend=nm" % m.group("value").strip())
    eth = [(i, m) for i, m in nkeys if m.group("key") == "ethernets"]
    if not eth:
        return None
    ei, em = eth[-1]
    if em.group("value").strip():
        raise PersistError(NAME, path, "'ethernets:' in flow style is not supported")
    ekeys, eend = _children(lines, ei, _indent(lines[ei]), nend)[:2]
    for pos, (i, m) in enumerate(ekeys):
        if m.group("key") != iface:
            continue
        if m.group("value").strip():
            raise PersistError(NAME, path, "'%s:' in flow style is not supported" % iface)
        block_end = ekeys[pos + 1][0] if pos + 1 < len(ekeys) else eend
        # the block proper ends at its last non-blank line
        last = i
        for j in range(i + 1, block_end):
            if not _is_blank_or_comment(lines[j]) and _indent(lines[j]) > _indent(lines[i]):
                last = j
        ikeys = _children(lines, i, _indent(lines[i]), last + 1)[0]
        for km in (pair[1] for pair in ikeys):
            if km.group("key") in ("match", "set-name"):
                raise PersistError(NAME, path, "%s uses match:/set-name:; edit it by hand" % iface)
            if km.group("key") == "renderer" and _unquoted(km.group("value").strip()) not in ("networkd", ""):
                raise PersistError(NAME, path, "%s uses renderer %s; use backend=nm"
                                   % (iface, km.group("value").strip()))
        return i, m, last + 1
    return None


def defines(text, iface, path=None):
    """True when this file has ``network: ethernets: <iface>:``."""
    lines = split_lines(text or "")
    _check_supported(lines, path)
    return _find(lines, path, iface) is not None


def effective_files(files):
    """Visible netplan files: {basename: path}, earlier directory in DIRS wins."""
    return _effective_files(files, DIRS, ".yaml")


def manages(files, iface):
    """Path of the netplan file whose definition of ``iface`` takes effect (the last one
    by file name; later files override earlier ones), or None."""
    eff = effective_files(files)
    found = None
    for base in sorted(eff):
        if defines(files[eff[base]], iface, eff[base]):
            found = eff[base]
    return found


def parse_version(text):
    m = re.search(r"(\d+)\.(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def _unquoted(value):
    """A YAML scalar without its quotes ('no' and "no" are the string no to netplan too)."""
    if len(value) >= 2 and value[0] in "'\"" and value[-1] == value[0]:
        return value[1:-1]
    return value


def render(current_text, iface, features_off, host_info=None):
    features = check_features(features_off, NAME)
    path = (host_info or {}).get("path")
    lines = split_lines(current_text or "")
    _check_supported(lines, path)
    found = _find(lines, path, iface)
    if found is None:
        raise PersistError(NAME, path, "no 'network: ethernets: %s:' mapping to edit" % iface)
    idx, m, end = found
    ikeys, child_indent = _children(lines, idx, _indent(lines[idx]), end)[0::2]
    if child_indent is None:
        child_indent = _indent(lines[idx]) + 2
    changed = False
    todo = list(features)
    last = {}   # a key given twice: netplan takes the last one
    for i, km in ikeys:
        for f in features:
            if km.group("key") == KEYS[f]:
                last[f] = (i, km)
    for f in features:
        if f not in last:
            continue
        todo.remove(f)
        i, km = last[f]
        if not km.group("value").strip():
            raise PersistError(NAME, path, "line %d: %s: without a value on the same line is not "
                                           "supported; edit it by hand" % (i + 1, KEYS[f]))
        if _unquoted(km.group("value").strip()).lower() not in _FALSE:
            raw = lines[i]
            eol = raw[len(raw.rstrip("\r\n")):]
            sep = km.group("sep") or " "
            lines[i] = (km.group("indent") + km.group("q") + km.group("key") + km.group("q")
                        + ":" + sep + "false" + km.group("trail") + eol)
            changed = True
    if todo:
        last = end - 1
        if not lines[last].endswith("\n"):
            lines[last] += "\n"
        lines[end:end] = ["%s%s: false\n" % (" " * child_indent, KEYS[f]) for f in todo]
        changed = True
    return "".join(lines) if changed else current_text


# ====================================================================== back-end interface
# (see persist/__init__.py)

GLOBS = tuple(d + "/*.yaml" for d in DIRS)
DETECT_GLOBS = ("/etc/netplan/*.yaml",)
FILE_MODE = "0644"
SECRETS = False
PROBE = (
    "kc_a=''",
    "command -v dpkg-query >/dev/null 2>&1 && kc_a=$(dpkg-query -W -f='${Version}' netplan.io 2>/dev/null)",
    "kc_kv netplan_version \"$kc_a\"",
    "command -v netplan >/dev/null 2>&1 && kc_kv netplan 1",
)
read_script = None     # what is configured is read from GLOBS
parse_read = None


def package_version(text):
    """The ``netplan.io`` package version (``[epoch:]major.minor...``) -> (major, minor) or None."""
    m = re.match(r"(?:\d+:)?(\d+)\.(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def owns(path):
    return path.startswith(tuple(d + "/" for d in DIRS))


def choose(read, iface, forced):
    """The netplan file that defines ``iface``, when netplan is installed (or forced)."""
    mgr = read["managers"]
    if not mgr.get("netplan") and not forced:
        return None
    path = manages(dict((p, t) for p, t in read["files"].items() if owns(p) and p.endswith(".yaml")), iface)
    if not path:
        return None
    ver = package_version(mgr.get("netplan_version"))
    if ver is not None and ver < MIN_VERSION:
        raise PersistError(NAME, path, "netplan %s is older than 0.104 (no offload keys); "
                           "use backend=networkd or udev" % mgr.get("netplan_version"))
    return Choice(NAME, path, "netplan file %s defines %s" % (path, iface))
