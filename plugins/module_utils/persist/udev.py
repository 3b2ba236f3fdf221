# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""udev rule fallback: works on any host running udev (el6 included).

The collection owns one file, ``/etc/udev/rules.d/70-kcrash-nfqueue-offload.rules``,
with one rule line per interface::

    ACTION=="add", SUBSYSTEM=="net", KERNEL=="eth0", RUN+="/sbin/ethtool -K eth0 lro off"

Lines for other interfaces and anything an administrator added (comments included) are
kept byte for byte; the line for ``iface`` keeps the features it already turned off and
gains the requested ones.

``host_info`` keys: ``ethtool_path`` (absolute path of ethtool on the host; default
``/sbin/ethtool``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import (
    Choice,
    PersistError,
    check_features,
    ensure_trailing_newline,
    split_lines,
)

NAME = "udev"
PATH = "/etc/udev/rules.d/70-kcrash-nfqueue-offload.rules"
HEADER = (
    "# Managed by the kcrash.nfqueue collection (offload): keeps offloads off on the\n"
    "# interfaces below when they appear (el6 nf_queue() NULL-pointer panic mitigation).\n"
)
_RULE_RE = re.compile(
    r'^ACTION=="add", SUBSYSTEM=="net", KERNEL=="(?P<iface>[^"]+)", '
    r'RUN\+="(?P<ethtool>/[^" ]+) -K (?P=iface)(?P<pairs>(?: [a-z0-9-]+ (?:on|off))*)"\s*$'
)
_PATH_RE = re.compile(r"^/[A-Za-z0-9_./+-]+\Z")


def rule(iface, features, ethtool_path="/sbin/ethtool"):
    return 'ACTION=="add", SUBSYSTEM=="net", KERNEL=="%s", RUN+="%s"\n' % (
        iface, ethtool.set_command(iface, features, program=ethtool_path))


def parse_rules(text):
    """{iface: [features turned off]} for the rule lines this module writes."""
    out = {}
    for line in split_lines(text or ""):
        m = _RULE_RE.match(line.rstrip("\n"))
        if m:
            words = m.group("pairs").split()
            out[m.group("iface")] = [words[i] for i in range(0, len(words), 2) if words[i + 1] == "off"]
    return out


def manages(text, iface):
    """True when the rules file already carries a line for ``iface``."""
    return iface in parse_rules(text)


def render(current_text, iface, features_off, host_info=None):
    features = check_features(features_off, NAME)
    program = (host_info or {}).get("ethtool_path") or "/sbin/ethtool"
    if not _PATH_RE.match(program):
        raise PersistError(NAME, PATH, "ethtool path %r is not a plain absolute path" % (program,))
    text = current_text or ""
    lines = split_lines(text)
    for i, line in enumerate(lines):
        m = _RULE_RE.match(line.rstrip("\n"))
        if not m or m.group("iface") != iface:
            continue
        words = m.group("pairs").split()
        state = {}      # ethtool -K: any of a feature's names, the last value given wins
        for name, value in zip(words[::2], words[1::2]):
            state.update((f, value) for f, names in ethtool.OFFLOAD_ALIASES.items() if name in names)
        if all(state.get(f) == "off" for f in features):
            return current_text
        have = [words[k] for k in range(0, len(words), 2) if words[k + 1] == "off"
                and not any(words[k] in names for names in ethtool.OFFLOAD_ALIASES.values())]
        merged = [f for f in ethtool.OFFLOAD_FEATURES if state.get(f) == "off" or f in features]
        merged += [f for f in have if f not in merged]
        lines[i] = rule(iface, merged, m.group("ethtool"))
        return "".join(lines)
    if not text:
        text = HEADER
    return ensure_trailing_newline(text) + rule(iface, features, program)


# ====================================================================== back-end interface
# (see persist/__init__.py)

GLOBS = (PATH,)
DETECT_GLOBS = ("/etc/udev/rules.d/*.rules",)
FILE_MODE = "0644"
SECRETS = False
PROBE = (
    "[ -d /etc/udev/rules.d ] && kc_kv udev_rules_d 1",
    "command -v udevadm >/dev/null 2>&1 && kc_kv udevadm 1",
)
read_script = None     # what is configured is read from GLOBS
parse_read = None


def owns(path):
    return path.startswith(PATH)


def choose(read, iface, forced):
    """The fallback: the collection's own rule file, wherever udev runs (or forced)."""
    mgr = read["managers"]
    if not (forced or mgr.get("udev_rules_d") or mgr.get("udevadm")):
        return None
    return Choice(NAME, PATH, "udev rule (fallback: nothing else on this host that "
                  "can carry ethtool settings manages %s)" % iface,
                  info={"ethtool_path": mgr.get("ethtool_path") or "/sbin/ethtool"})
