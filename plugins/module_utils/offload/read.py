# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Strategy "offload", read stage: the one read round trip (:func:`build_read_script`) and
its parser (:func:`parse_read`). What is read for persistence comes from the back ends
(``persist.BACKENDS``): their files (``GLOBS``), version probes (``PROBE``) and extra read
sections (``read_script``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import netdev, persist
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Script, quote, split_sections

READ_COMMAND = "offload read probe"
MAX_FILE = 262144


def config_globs(backends=None):
    """Every file the read dumps: each back end's GLOBS."""
    out = []
    for b in persist.BACKENDS if backends is None else backends:
        out.extend(g for g in b.GLOBS if g not in out)
    return tuple(out)


def _dump_files_script(marker, globs=None):
    globs = " ".join(config_globs() if globs is None else globs)
    return (
        "M=%(m)s\n"
        "for f in %(globs)s; do\n"
        "  case \"$f\" in *'\n'*) continue;; esac\n"
        "  if [ -L \"$f\" ] && [ ! -e \"$f\" ]; then printf '%%sUNREADABLE %%s\\n' \"$M\" \"$f\"; "
        "printf 'dangling symbolic link\\n'; continue; fi\n"
        "  [ -f \"$f\" ] || continue\n"
        "  if [ ! -r \"$f\" ]; then printf '%%sUNREADABLE %%s\\n' \"$M\" \"$f\"; printf 'permission denied\\n'; continue; fi\n"
        "  kc_sz=$(wc -c < \"$f\" 2>/dev/null)\n"
        "  if [ $((${kc_sz:-0})) -gt %(max)d ]; then printf '%%sTOOBIG %%s\\n' \"$M\" \"$f\"; continue; fi\n"
        "  printf '%%sFILE %%s\\n' \"$M\" \"$f\"\n"
        "  if cat \"$f\" 2>\"$KC_T/ce\"; then printf '\\n%%sEOF\\n' \"$M\"; else "
        "printf '\\n%%sUNREADABLE %%s\\n' \"$M\" \"$f\"; head -c 300 \"$KC_T/ce\"; printf '\\n'; fi\n"
        "done\n"
        "exit 0"
    ) % {"m": quote(marker), "globs": globs, "max": MAX_FILE}


def _managers_script():
    # Builtins where they do (read, command -v): a tool that is not installed costs no process,
    # which on 2 cores shared by many hosts is most of this section's time.
    lines = [
        "kc_kv() { printf '%s=%s\\n' \"$1\" \"$2\"; }",
        "kc_line() { kc_v=''; [ -r \"$1\" ] && read -r kc_v < \"$1\"; kc_kv \"$2\" \"$kc_v\"; }",
        "kc_kv ethtool_path \"$(command -v ethtool 2>/dev/null)\"",
        "kc_line /etc/debian_version debian_version",
    ]
    for b in persist.BACKENDS:
        lines.extend(b.PROBE)
    lines += [
        "for d in /sys/class/net/*; do [ -r \"$d/address\" ] && kc_line \"$d/address\" \"mac.${d##*/}\"; done",
        "exit 0",
    ]
    return "\n".join(lines)


def build_read_script(nonce=None, walk=True):
    """``(script, nonce)`` of the single read round trip. ``walk=False`` leaves out the
    interface walk, for a read that rides with the detection probe (which walks already:
    :func:`parse_read` then gets the probe's walk)."""
    s = Script(nonce)
    marker = "@@KCOFF:%s:" % s.nonce
    # the detection probe's interface walk (kinds, drivers, ethtool -k of every device)
    if walk:
        s.section("interfaces", netdev.walk_script(marker))
    s.section("managers", _managers_script())
    for b in persist.BACKENDS:
        if b.read_script is not None:
            s.section(b.NAME, b.read_script(marker))
    s.section("files", _dump_files_script(marker))
    return s.render(), s.nonce


def _kv(text):
    out = {}
    for line in (text or "").splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def parse_files(text, marker):
    """``files`` section -> ({path: text}, {path: reason})."""
    files = {}
    bad = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.startswith(marker):
            continue
        tag = line[len(marker):]
        if tag.startswith("FILE "):
            path = tag[5:]
            buf = []
            closed = False
            while i < len(lines):
                l2 = lines[i]
                i += 1
                if l2 == marker + "EOF":
                    closed = True
                    break
                if l2.startswith(marker + "UNREADABLE "):
                    reason = lines[i] if i < len(lines) else ""
                    bad[path] = reason.strip() or "read error"
                    closed = None
                    break
                buf.append(l2)
            if closed is None:
                continue
            if not closed:
                raise KcrashParseError(READ_COMMAND, "output truncated inside %s" % path)
            # the script printed one newline of its own before the EOF marker, which the
            # split turned into the separator after the last content line
            files[path] = "\n".join(buf)
        elif tag.startswith("UNREADABLE "):
            reason = lines[i] if i < len(lines) else ""
            bad[tag[11:]] = reason.strip() or "unreadable"
        elif tag.startswith("TOOBIG "):
            bad[tag[7:]] = "larger than %d bytes" % MAX_FILE
    return files, bad


def parse_read(stdout, nonce, host=None, walk=None):
    """Everything the read trip saw, as data. ``walk`` = ``(text, marker)`` of the interface
    walk when the read left it out (``build_read_script(walk=False)``). Raises
    KcrashParseError (with host)."""
    try:
        secs = split_sections(stdout, nonce, READ_COMMAND)
        marker = "@@KCOFF:%s:" % nonce
        readers = [b for b in persist.BACKENDS if b.read_script is not None]
        for name in ("managers",) + tuple(b.NAME for b in readers) + ("files",) + (() if walk else ("interfaces",)):
            if name not in secs:
                raise KcrashParseError(READ_COMMAND, "section '%s' missing" % name)
        walk_text, walk_marker = walk or (secs["interfaces"].stdout, marker)
        raw, vlan_text, flags = netdev.parse_walk(walk_text, walk_marker)
        live = netdev.build_interfaces(raw, netdev.parse_vlan_config(vlan_text or ""))
        mgr = _kv(secs["managers"].stdout)
        files, unreadable = parse_files(secs["files"].stdout, marker)
        configured = dict((b.NAME, b.parse_read(secs[b.NAME].stdout, marker)) for b in readers)
    except KcrashParseError as e:
        raise e.with_host(host) if host else e
    macs = dict((k[4:], v) for k, v in mgr.items() if k.startswith("mac."))
    out = {
        "raw": dict((r["name"], r) for r in raw),
        "interfaces": live,
        "no_ethtool": flags.get("no_ethtool", False),
        "managers": mgr,
        "macs": macs,
        "files": files,
        "unreadable": unreadable,
    }
    # what a back end read through its own section (``nm``: the running NetworkManager)
    out.update(configured)
    return out
