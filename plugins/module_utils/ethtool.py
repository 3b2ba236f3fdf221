# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parse ``ethtool -k`` output of every ethtool generation into one shape.

Formats (see docs/detection.md for where each comes from):

``features``        ethtool >= 3.4 (el6.4+, every modern distro)::

                        Features for eth0:
                        rx-checksumming: on [fixed]
                        tcp-segmentation-offload: on
                        \\ttx-tcp-segmentation: on            (indented sub-feature)
                        generic-segmentation-offload: off [requested on]
                        large-receive-offload: off [fixed]

``offload-hyphen``  ethtool 2.6.33 .. 3.3 (el6.0 - el6.3)::

                        Offload parameters for eth0:
                        large-receive-offload: off

``offload-space``   ethtool <= 2.6.32 (el5): same header, some names with spaces::

                        Offload parameters for eth0:
                        tcp segmentation offload: on
                        large receive offload: off

``changes``         the "Actual changes:" block ``ethtool -K`` prints when the kernel did
                    not do exactly what was asked (kernel feature names such as ``rx-lro``).

Every name is normalised to the modern long name (``large-receive-offload``). Each
feature becomes ``{"active": bool, "fixed": bool, "requested": bool|None}``:

* ``active``    the state the kernel reports now;
* ``fixed``     the driver cannot change it (`` [fixed]``);
* ``requested`` what was asked for: the ``[requested on|off]`` value when printed, the
  active state when the ``features`` format prints no suffix (ethtool prints the
  suffix only when they differ), ``None`` when the format cannot tell (old formats,
  fixed features, ``[not requested]``).

Pure functions; the only exception raised is KcrashParseError.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError

FORMAT_FEATURES = "features"
FORMAT_OFFLOAD_HYPHEN = "offload-hyphen"
FORMAT_OFFLOAD_SPACE = "offload-space"
FORMAT_CHANGES = "changes"
FORMATS = (FORMAT_FEATURES, FORMAT_OFFLOAD_HYPHEN, FORMAT_OFFLOAD_SPACE, FORMAT_CHANGES)

LRO = "large-receive-offload"
GRO = "generic-receive-offload"
GSO = "generic-segmentation-offload"
TSO = "tcp-segmentation-offload"

# ``ethtool -K`` short names (the legacy offload set) -> long names.
SHORT = {
    "rx": "rx-checksumming",
    "tx": "tx-checksumming",
    "sg": "scatter-gather",
    "tso": TSO,
    "ufo": "udp-fragmentation-offload",
    "gso": GSO,
    "gro": GRO,
    "lro": LRO,
    "rxvlan": "rx-vlan-offload",
    "txvlan": "tx-vlan-offload",
    "ntuple": "ntuple-filters",
    "rxhash": "receive-hashing",
}
LONG_TO_SHORT = dict((v, k) for k, v in SHORT.items())

# Names printed by ethtool <= 2.6.32 (el5) with spaces, and the modern long name.
SPACE_NAMES = {
    "rx checksumming": "rx-checksumming",
    "tx checksumming": "tx-checksumming",
    "scatter gather": "scatter-gather",
    "tcp segmentation offload": TSO,
    "udp fragmentation offload": "udp-fragmentation-offload",
    "generic segmentation offload": GSO,
    "generic receive offload": GRO,
    "large receive offload": LRO,
    "rx vlan offload": "rx-vlan-offload",
    "tx vlan offload": "tx-vlan-offload",
    "ntuple filters": "ntuple-filters",
    "receive hashing": "receive-hashing",
}

# Kernel netdev feature strings that ``ethtool -K`` prints under "Actual changes:"
# for the legacy features (``ethtool -k`` shows these under their long names).
KERNEL_NAMES = {
    "rx-lro": LRO,
    "rx-gro": GRO,
    "tx-generic-segmentation": GSO,
    "rx-checksum": "rx-checksumming",
    "rx-vlan-hw-parse": "rx-vlan-offload",
    "tx-vlan-hw-insert": "tx-vlan-offload",
    "rx-ntuple-filter": "ntuple-filters",
    "rx-hashing": "receive-hashing",
}

_HEADER_RE = re.compile(r"^(Features|Offload parameters) for (\S{1,64}):\s*$")
_CHANGES_RE = re.compile(r"^Actual changes:\s*$")
_LINE_RE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<name>[A-Za-z0-9][A-Za-z0-9_ .-]{0,63}?):[ \t]+"
    r"(?P<state>on|off)"
    r"(?:[ \t]+\[(?P<flag>fixed|requested on|requested off|not requested)\])?[ \t]*$"
)
# Lines ethtool (or a sosreport that merged stderr) may carry besides features.
_NOTE_RE = re.compile(
    r"^(Cannot |Could not |no offload info available|netlink error|"
    r"no feature info available|Operation not supported)"
)

MAX_LINES = 2000


def normalise_name(name):
    """Modern long name of a feature as any ethtool generation prints it, or a short
    ``-K`` name. Unknown names come back lower-cased with spaces turned into '-'."""
    n = re.sub(r"\s+", " ", name.strip()).lower()
    if n in SHORT:
        return SHORT[n]
    if n in SPACE_NAMES:
        return SPACE_NAMES[n]
    return n.replace(" ", "-")


def _text(text, command):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        raise KcrashParseError(command, "expected text, got %s" % type(text).__name__)
    return text


def parse(text, command="ethtool -k"):
    """Parse ``ethtool -k IFACE`` stdout (or an ``ethtool -K`` "Actual changes:" block).

    Returns ``{"interface": str|None, "format": str, "features": {long_name: {...}},
    "sub_features": {sub_name: parent_long_name}, "notes": [str]}``.
    Raises KcrashParseError naming ``command`` for anything that is not ethtool output.
    """
    text = _text(text, command)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) > MAX_LINES:
        raise KcrashParseError(command, "%d lines is not ethtool -k output" % len(lines))
    interface = None
    fmt = None
    features = {}
    sub = {}
    notes = []
    parent = None
    seen_header = False
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if not seen_header:
            m = _HEADER_RE.match(line.strip())
            if m:
                seen_header = True
                interface = m.group(2)
                fmt = FORMAT_FEATURES if m.group(1) == "Features" else FORMAT_OFFLOAD_HYPHEN
                continue
            if _CHANGES_RE.match(line.strip()):
                seen_header = True
                fmt = FORMAT_CHANGES
                continue
            if _NOTE_RE.match(line.strip()):
                notes.append(line.strip())
                continue
            raise KcrashParseError(
                command, "expected 'Features for IFACE:' or 'Offload parameters for IFACE:', got %r" % line[:80],
                line=lineno,
            )
        m = _LINE_RE.match(line)
        if not m:
            if _NOTE_RE.match(line.strip()):
                notes.append(line.strip())
                continue
            raise KcrashParseError(command, "unexpected line %r" % line[:80], line=lineno)
        raw_name = m.group("name")
        indented = bool(m.group("indent"))
        if " " in raw_name.strip():
            if fmt != FORMAT_OFFLOAD_HYPHEN and fmt != FORMAT_OFFLOAD_SPACE:
                raise KcrashParseError(command, "feature name with spaces %r in %s format" % (raw_name, fmt), line=lineno)
            fmt = FORMAT_OFFLOAD_SPACE
        if indented and fmt != FORMAT_FEATURES:
            raise KcrashParseError(command, "indented line %r in %s format" % (line[:80], fmt), line=lineno)
        name = normalise_name(raw_name)
        if fmt == FORMAT_CHANGES:
            name = KERNEL_NAMES.get(name, name)
        if fmt in (FORMAT_OFFLOAD_HYPHEN, FORMAT_OFFLOAD_SPACE) and name in KERNEL_NAMES:
            name = KERNEL_NAMES[name]
        active = m.group("state") == "on"
        flag = m.group("flag")
        fixed = flag == "fixed"
        if flag == "requested on":
            requested = True
        elif flag == "requested off":
            requested = False
        elif flag in ("fixed", "not requested"):
            requested = None
        elif fmt in (FORMAT_FEATURES, FORMAT_CHANGES):
            requested = active
        else:
            requested = None
        if name in features:
            raise KcrashParseError(command, "feature %r listed twice" % name, line=lineno)
        features[name] = {"active": active, "fixed": fixed, "requested": requested}
        if indented:
            if parent is None:
                raise KcrashParseError(command, "indented feature %r has no parent" % name, line=lineno)
            sub[name] = parent
        else:
            parent = name
    if not seen_header:
        if notes:
            raise KcrashParseError(command, "no feature list: %s" % "; ".join(notes)[:200])
        raise KcrashParseError(command, "empty output")
    return {"interface": interface, "format": fmt, "features": features, "sub_features": sub, "notes": notes}


def feature(parsed, name):
    """The feature dict for a long or short name, or None when the output lacks it."""
    return parsed["features"].get(normalise_name(name))


def is_on(parsed, name):
    """True / False when known, None when the output does not list the feature."""
    f = feature(parsed, name)
    return None if f is None else f["active"]


def summary(parsed, names=("lro", "gro", "gso", "tso")):
    """``{short: feature-dict|None}`` for the offloads the exposure logic looks at."""
    out = {}
    for n in names:
        out[n] = feature(parsed, n)
    return out


# ------------------------------------------------------------ offload vocabulary (-K)
# The one place that knows which offloads the ``offload`` strategy turns off, every name
# ``ethtool -K`` takes for each (short, long, kernel netdev string), and how the ``-K``
# command is written. The planner, the apply trip, the report and the persistence back
# ends all take them from here.

# The offloads this collection turns off, as ``ethtool -K`` short names, canonical order.
OFFLOAD_FEATURES = ("lro", "gro", "gso", "tso")

# every word ``ethtool -K`` accepts for one of OFFLOAD_FEATURES
OFFLOAD_ALIASES = {
    "lro": ("lro", "large-receive-offload", "rx-lro"),
    "gro": ("gro", "generic-receive-offload", "rx-gro"),
    "gso": ("gso", "generic-segmentation-offload", "tx-generic-segmentation"),
    "tso": ("tso", "tcp-segmentation-offload"),
}

# the options that make ethtool set features (``-K`` and its long spellings)
SET_OPTIONS = ("-K", "--features", "--offload")


def unsupported_offloads(features):
    """The names in ``features`` that are not one of OFFLOAD_FEATURES (sorted, as text)."""
    return sorted(set(str(f) for f in features if f not in OFFLOAD_FEATURES))


def canonical_offloads(features):
    """``features`` de-duplicated in the canonical order (unsupported names dropped: check
    them with :func:`unsupported_offloads` first)."""
    return [f for f in OFFLOAD_FEATURES if f in features]


def set_words(device, features, value="off"):
    """``-K <device> lro off gro off``: the one writer of the ``-K`` arguments. ``device``
    goes in as given: the caller quotes it for a shell."""
    return "-K %s %s" % (device, " ".join("%s %s" % (f, value) for f in features))


def set_command(device, features, value="off", program="ethtool"):
    """``<program> -K <device> lro off gro off`` (see :func:`set_words`)."""
    return "%s %s" % (program, set_words(device, features, value))


def label(fmt, short):
    """The name ``ethtool -k`` prints for the short feature name ``short`` in format ``fmt``."""
    long_name = SHORT[short]
    if fmt == FORMAT_OFFLOAD_SPACE:
        for k, v in SPACE_NAMES.items():
            if v == long_name:
                return k
    return long_name
