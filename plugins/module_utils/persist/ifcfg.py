# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""initscripts ``ifcfg-*`` files: turn offloads off through ``ETHTOOL_OPTS``.

How initscripts uses the variable (read in the initscripts sources, see docs/offload.md):

* ``network-functions`` sources the ifcfg file with ``.`` (so quoting follows the shell:
  none, ``'single'``, ``"double"`` with ``\\"``-escapes and ``$VAR`` expansion, ``\\``
  escapes outside quotes) and, since initscripts 9.32 (Fedora) / 9.03.24 (RHEL 6.2) and
  in every el7 release, runs ``ethtool_set``: it splits ``$ETHTOOL_OPTS`` on ``;`` and
  runs each part as ``ethtool <part>`` when the part contains a ``-`` option, else as
  ``ethtool -s $REALDEVICE <part>``. So ``ETHTOOL_OPTS="-K eth0 lro off; -G eth0 rx 4096"``
  is two commands.
* Older initscripts (el5's 8.45, el6 before 9.03.24) only ran
  ``/sbin/ethtool -s ${REALDEVICE} $ETHTOOL_OPTS``: no ``-K`` can be expressed there at
  all, so :func:`supports_offload_opts` says no and the planner uses the udev fallback.

``host_info`` keys used here: ``initscripts_version`` (e.g. ``"9.03.38"``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool
from ansible_collections.kcrash.nfqueue.plugins.module_utils.versions import rpmvercmp
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import (
    Choice,
    PersistError,
    check_features,
    ensure_trailing_newline,
)

NAME = "ifcfg"
VARIABLE = "ETHTOOL_OPTS"
DIRECTORY = "/etc/sysconfig/network-scripts"

_ASSIGN_RE = re.compile(r"^(?P<lead>[ \t]*(?:export[ \t]+)?)(?P<name>[A-Za-z_][A-Za-z0-9_]*)=")
_VARNAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+")
# Files initscripts ignores (network-functions' __sed_discard_ignored_files).
_IGNORED_RE = re.compile(r"(~|\.bak|\.old|\.orig|\.rpmnew|\.rpmorig|\.rpmsave)$")


# --------------------------------------------------------------------------- versions

def supports_offload_opts(version):
    """True when this initscripts version runs ``-K`` commands from ETHTOOL_OPTS (with
    the ``;``-separated multi-command form). ``version`` is the rpm version (no release).

    RHEL 6 branch: 9.03.24 and later (RHEL 6.2+). Fedora line: 9.32 and later (every
    el7 release ships 9.49.x). el5 (8.45.x) and everything else: no. Compared as rpm does.
    """
    if not version:
        return False
    if rpmvercmp(version, "9.03.24") >= 0 and rpmvercmp(version, "9.04") < 0:
        return True
    return rpmvercmp(version, "9.32") >= 0


# ----------------------------------------------------------------------- shell values

class _Value(object):
    """A parsed shell assignment value: ``units`` is a list of ``("c", char)`` literal
    characters and ``("v", name, raw)`` parameter expansions; ``style`` is the quoting
    of the original (``none``, ``single``, ``double``, ``mixed``)."""

    __slots__ = ("units", "style", "end")

    def __init__(self, units, style, end):
        self.units = units
        self.style = style
        self.end = end


def _parse_value(line, start, path, lineno):
    """Parse the shell word starting at ``line[start]``; stops at unquoted white space."""
    units = []
    styles = set()
    i = start
    n = len(line)

    def fail(msg):
        raise PersistError(NAME, path, "line %d: %s" % (lineno, msg))

    def expansion(j, quoted):
        # line[j] == '$'
        if j + 1 < n and line[j + 1] == "{":
            close = line.find("}", j + 2)
            if close < 0:
                fail("unterminated ${...}")
            name = line[j + 2:close]
            if not _VARNAME_RE.match(name) or _VARNAME_RE.match(name).end() != len(name):
                fail("parameter expansion ${%s} is not supported" % name)
            return ("v", name, line[j:close + 1]), close + 1
        m = _VARNAME_RE.match(line, j + 1)
        if m:
            return ("v", m.group(0), line[j:m.end()]), m.end()
        if j + 1 < n and line[j + 1] in "(":
            fail("command substitution is not supported")
        # bash expands these too (positional and special parameters, $[...] arithmetic,
        # $'...' and $"..." quoting outside double quotes): not literal, not known here
        if j + 1 < n and line[j + 1] in "0123456789@*#?-$!":
            fail("special parameter $%s is not supported" % line[j + 1])
        if j + 1 < n and line[j + 1] == "[":
            fail("arithmetic expansion $[...] is not supported")
        if not quoted and j + 1 < n and line[j + 1] in "'\"":
            fail("$'...' and $\"...\" quoting are not supported")
        return ("c", "$"), j + 1

    while i < n:
        ch = line[i]
        if ch in " \t\n":
            break
        if ch == "'":
            close = line.find("'", i + 1)
            if close < 0:
                fail("unterminated single quote (multi-line values are not supported)")
            for c in line[i + 1:close]:
                units.append(("c", c))
            styles.add("single")
            i = close + 1
        elif ch == '"':
            styles.add("double")
            j = i + 1
            while True:
                if j >= n or line[j] == "\n":
                    fail("unterminated double quote (multi-line values are not supported)")
                c = line[j]
                if c == '"':
                    break
                if c == "\\" and j + 1 < n and line[j + 1] in '$`"\\':
                    units.append(("c", line[j + 1]))
                    j += 2
                elif c == "$":
                    u, j = expansion(j, True)
                    units.append(u)
                elif c == "`":
                    fail("command substitution is not supported")
                else:
                    units.append(("c", c))
                    j += 1
            i = j + 1
        elif ch == "\\":
            if i + 1 >= n or line[i + 1] == "\n":
                fail("line continuation is not supported")
            styles.add("escaped")
            units.append(("c", line[i + 1]))
            i += 2
        elif ch == "$":
            styles.add("none")
            u, i = expansion(i, False)
            units.append(u)
        elif ch == "`":
            fail("command substitution is not supported")
        elif ch in ";&|<>()":
            fail("shell syntax %r after an assignment is not supported" % ch)
        else:
            styles.add("none")
            units.append(("c", ch))
            i += 1
    # bash runs a second word: another assignment (A=1 B=2 sets both), or a command that
    # gets A in its environment only (A is then not set at all)
    if line[i:].lstrip(" \t")[:1] not in ("", "#", "\n"):
        fail("a second word after the assignment is not supported (one assignment a line)")
    if not styles:
        style = "none"
    elif len(styles) == 1:
        style = styles.pop()
    else:
        style = "mixed"
    return _Value(units, style, i)


def _expand(units, env, path):
    out = []
    for u in units:
        if u[0] == "c":
            out.append(u[1])
        else:
            if u[1] not in env:
                raise PersistError(NAME, path, "%s refers to $%s, which the file does not set"
                                   % (VARIABLE, u[1]))
            out.append(env[u[1]])
    return "".join(out)


def _serialise(units, style):
    has_var = any(u[0] == "v" for u in units)
    chars = "".join(u[1] for u in units if u[0] == "c")
    if style == "single" and not has_var and "'" not in chars:
        return "'" + chars + "'"
    # anything else in double quotes (an unquoted value cannot stay unquoted: every edit
    # leaves a blank between its words)
    out = ['"']
    for u in units:
        if u[0] == "v":
            out.append(u[2])
        elif u[1] in '"\\$`':
            out.append("\\" + u[1])
        else:
            out.append(u[1])
    out.append('"')
    return "".join(out)


class Assignment(object):
    __slots__ = ("index", "name", "lead", "value", "value_start", "rest")

    def __init__(self, index, name, lead, value, value_start, rest):
        self.index = index
        self.name = name
        self.lead = lead
        self.value = value
        self.value_start = value_start
        self.rest = rest


def parse(text, path=None):
    """Parse an ifcfg file. Returns ``(lines, assignments, env)``: ``env`` holds the
    variables as the shell would see them after sourcing (values that cannot be known
    are left out)."""
    lines = _LINE_RE.findall(text)     # bash ends a line at "\n" only (not at CR, VT, FF ...)
    assignments = []
    env = {}
    for idx, line in enumerate(lines):
        m = _ASSIGN_RE.match(line)
        if not m:
            continue
        value = _parse_value(line, m.end(), path, idx + 1)
        a = Assignment(idx, m.group("name"), line[:m.end()], value, m.end(), line[value.end:])
        assignments.append(a)
        try:
            env[a.name] = _expand(value.units, env, path)
        except PersistError:
            env.pop(a.name, None)
            if a.name == VARIABLE:
                raise
    return lines, assignments, env


def device_of(text, filename):
    """The device an ifcfg file configures: ``DEVICE=`` or the file name suffix."""
    try:
        env = parse(text, filename)[2]
    except PersistError:
        env = {}
    dev = env.get("DEVICE")
    if dev:
        return dev
    base = filename.rsplit("/", 1)[-1]
    return base[len("ifcfg-"):] if base.startswith("ifcfg-") else None


def manages(files, iface):
    """Path of the ifcfg file initscripts uses for ``iface`` among ``files``
    ({path: text}), or None. ``ifcfg-<iface>`` wins, then a file whose DEVICE= matches
    (initscripts' need_config order); alias (``:``) and ignored backup files are skipped."""
    preferred = "%s/ifcfg-%s" % (DIRECTORY, iface)
    if preferred in files:
        return preferred
    for path in sorted(files):
        base = path.rsplit("/", 1)[-1]
        if not base.startswith("ifcfg-") or ":" in base or _IGNORED_RE.search(base):
            continue
        if device_of(files[path], path) == iface:
            return path
    return None


def _segments(units):
    """Split units at literal ';' -> list of (start, end) index ranges."""
    segs = []
    start = 0
    for i, u in enumerate(units):
        if u == ("c", ";"):
            segs.append((start, i))
            start = i + 1
    segs.append((start, len(units)))
    return segs


def _tokens(units, start, end):
    """Word ranges (s, e) inside units[start:end], split at literal blanks."""
    toks = []
    s = None
    for i in range(start, end):
        u = units[i]
        blank = u[0] == "c" and u[1] in " \t"
        if blank:
            if s is not None:
                toks.append((s, i))
                s = None
        elif s is None:
            s = i
    if s is not None:
        toks.append((s, end))
    return toks


def commands(text, iface=None, path=None):
    """The ethtool commands ETHTOOL_OPTS expands to (each a list of words), for reports."""
    env = parse(text, path)[2]
    value = env.get(VARIABLE, "")
    return [c.split() for c in value.split(";") if c.strip()]


def render(current_text, iface, features_off, host_info=None):
    """Return the ifcfg text with ``-K <iface> <feature> off`` merged into ETHTOOL_OPTS."""
    features = check_features(features_off, NAME)
    path = (host_info or {}).get("path")
    lines, assignments, env = parse(current_text, path)
    target = None
    for a in assignments:
        if a.name == VARIABLE:
            target = a
    if target is None:
        words = ethtool.set_words(iface, features)
        return ensure_trailing_newline(current_text) + '%s="%s"\n' % (VARIABLE, words)

    units = list(target.value.units)
    local_env = {}
    # Expansions resolve against what was set before this line.
    for a in assignments:
        if a.index >= target.index:
            break
        try:
            local_env[a.name] = _expand(a.value.units, local_env, path)
        except PersistError:
            local_env.pop(a.name, None)

    def word(s, e):
        w = _expand(units[s:e], local_env, path)
        if any(c in w for c in " \t\n"):
            raise PersistError(NAME, path, "a variable inside %s expands to several words; "
                                           "edit it by hand or use backend=udev" % VARIABLE)
        return w

    # What initscripts runs: every ';' part is one ethtool command, applied in order; a
    # later setting of a feature overrides an earlier one. Only ``-K <iface>`` commands
    # whose arguments ethtool accepts (name/on|off pairs) change anything for iface.
    ours = []  # (start, end, tokens) of the valid offload commands for iface, in order
    for s, e in _segments(units):
        toks = _tokens(units, s, e)
        if len(toks) >= 2 and word(*toks[0]) in ethtool.SET_OPTIONS and word(*toks[1]) == iface:
            pairs = toks[2:]
            if len(pairs) % 2 == 0 and all(word(*pairs[k]) in ("on", "off")
                                           for k in range(1, len(pairs), 2)):
                ours.append((s, e, toks))
    edits = []  # (start, end, replacement units)
    append = []
    for f in features:
        last = None  # value token range of the setting applied last
        for s, e, toks in ours:
            pairs = toks[2:]
            for k in range(0, len(pairs), 2):
                if word(*pairs[k]) in ethtool.OFFLOAD_ALIASES[f]:
                    last = pairs[k + 1]
        if last is None:
            append.append(f)
        elif word(*last) != "off":
            edits.append((last[0], last[1], [("c", c) for c in "off"]))
    changed = False
    if append and not ours:
        new = [("c", c) for c in " ".join(["-K", iface] + ["%s off" % f for f in append])]
        meaningful = [u for u in units if not (u[0] == "c" and u[1] in " \t")]
        if not meaningful:
            units = new
        elif meaningful[-1] == ("c", ";"):
            units = units + [("c", " ")] + new
        else:
            last = max(i for i, u in enumerate(units) if not (u[0] == "c" and u[1] in " \t"))
            units = units[:last + 1] + [("c", ";"), ("c", " ")] + new + units[last + 1:]
        changed = True
    elif append:
        tail = ours[-1][2][-1][1]
        extra = []
        for f in append:
            extra += [("c", c) for c in " %s off" % f]
        edits.append((tail, tail, extra))
    for es, ee, rep in sorted(edits, key=lambda x: x[0], reverse=True):
        units = units[:es] + rep + units[ee:]
        changed = True
    if not changed:
        return current_text
    new_line = target.lead + _serialise(units, target.value.style) + target.rest
    lines[target.index] = new_line
    return "".join(lines)


# ====================================================================== back-end interface
# (see persist/__init__.py)

GLOBS = (DIRECTORY + "/ifcfg-*",)
DETECT_GLOBS = GLOBS + ("/etc/sysconfig/network/ifcfg-*",)      # SUSE's wicked reads these
FILE_MODE = "0644"
SECRETS = False
PROBE = (
    "kc_line /etc/redhat-release redhat_release",
    "if command -v rpm >/dev/null 2>&1; then",
    "  for p in initscripts network-scripts; do",
    "    v=$(rpm -q --qf '%{VERSION}' \"$p\" 2>/dev/null) && kc_kv \"rpm_$p\" \"$v\"",
    "  done",
    "fi",
    "[ -r %s/ifup-eth ] && kc_kv ifup_eth 1" % DIRECTORY,
)
read_script = None     # what is configured is read from GLOBS
parse_read = None


def initscripts_version(mgr):
    """``(version, how it is known)`` of initscripts from the read's ``managers`` values:
    the rpm answer, else inferred from /etc/redhat-release; ``(None, why)`` when unknown."""
    for key in ("rpm_network-scripts", "rpm_initscripts"):
        v = mgr.get(key)
        if v and re.match(r"^\d", v):
            return v, "rpm -q %s" % key[4:]
    rel = mgr.get("redhat_release") or ""
    m = re.search(r"release (\d+)(?:\.(\d+))?", rel)
    if m:
        major, minor = int(m.group(1)), int(m.group(2) or 0)
        # [I] RHEL 6.2 shipped the ETHTOOL_OPTS multi-command support (initscripts 9.03.27,
        # after the 9.03.24 fix of BZ#693583); el7+ ship 9.49+. See docs/offload.md.
        if major == 6:
            return ("9.03.27" if minor >= 2 else "9.03.17"), "inferred from %r (no rpm answer)" % rel
        if major >= 7:
            return "9.49", "inferred from %r (no rpm answer)" % rel
        return "8.45", "inferred from %r (no rpm answer)" % rel
    return None, "initscripts version unknown"


def owns(path):
    return path.startswith(DIRECTORY + "/ifcfg-")


def choose(read, iface, forced):
    """The ifcfg file that configures ``iface``, when initscripts runs ``-K`` commands from
    ETHTOOL_OPTS; older initscripts: None (the udev rule takes over) unless forced."""
    path = manages(dict((p, t) for p, t in read["files"].items() if owns(p)), iface)
    if not path:
        return None
    ver, src = initscripts_version(read["managers"])
    if supports_offload_opts(ver):
        return Choice(NAME, path, "ifcfg file %s configures %s; initscripts %s (%s) runs -K "
                      "commands from ETHTOOL_OPTS" % (path, iface, ver, src))
    if forced:
        raise PersistError(NAME, path, "initscripts %s (%s) only runs 'ethtool -s' from "
                           "ETHTOOL_OPTS; use backend=udev" % (ver, src))
    return None
