# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""NetworkManager (>= 1.14, which added the ``ethtool`` setting): connection profiles.

* NM running and managing the device: ``nmcli connection modify <uuid>
  ethtool.feature-lro off ...`` (NM writes its own profile, whatever its format);
  :func:`nmcli_modify_args` builds the arguments, :func:`parse_nmcli_values` reads back
  ``nmcli -g ethtool.feature-lro,... connection show <uuid>``.
* NM installed but not running: the keyfile profile
  (``/etc/NetworkManager/system-connections/*.nmconnection`` or extension-less) whose
  ``[connection] interface-name=`` is the interface gets ``[ethtool] feature-lro=false``;
  :func:`render` does that edit (only the ``[ethtool]`` keys it needs change).

``host_info`` keys: none used by :func:`render`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import ini
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import (
    Choice,
    PersistError,
    check_features,
)
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import quote

NAME = "nm"
KEYFILE_DIRS = ("/etc/NetworkManager/system-connections",)
MIN_VERSION = (1, 14)

_KEY_RE = ini.key_line_re("A-Za-z0-9_.-")
_VERSION_RE = re.compile(r"version\s+(\d+)\.(\d+)(?:\.(\d+))?")
# what NetworkManager's keyfile reader takes as boolean false (GKeyFile: case-sensitive;
# "no", "off", "False" make it ignore the property, i.e. the feature is NOT turned off)
_KEYFILE_FALSE = ("false", "0")
# an integer as NetworkManager reads one (strtol with base 0: 0x.. hex, 0.. octal)
_INT_RE = re.compile(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\s*$")


def key(feature):
    return "feature-%s" % feature


def nmcli_property(feature):
    return "ethtool.feature-%s" % feature


def parse_version(text):
    """``nmcli --version`` -> (major, minor, micro) or None."""
    m = _VERSION_RE.search(text or "")
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def version_ok(version):
    return version is not None and tuple(version[:2]) >= MIN_VERSION


def keyfile_values(text):
    """{section: {key: value}} of a keyfile (last value wins, as GKeyFile does)."""
    out = {}
    for name, pairs in ini.section_pairs(text, _KEY_RE):
        d = out.setdefault(name, {})
        for k, v in pairs:
            d[k] = v
    return out


def keyfile_manages(text, iface):
    """True when this keyfile profile binds to ``iface`` (``interface-name=``)."""
    conn = keyfile_values(text).get("connection", {})
    return conn.get("interface-name") == iface


def manages(keyfiles, iface):
    """Path of the keyfile that configures ``iface`` among ``keyfiles`` ({path: text}).

    Several profiles may name the interface; the one with ``autoconnect`` not false and
    the highest ``autoconnect-priority`` wins, then the path order (documented guess;
    the action prefers asking the running NM)."""
    best = None
    for path in sorted(keyfiles):
        text = keyfiles[path]
        if not keyfile_manages(text, iface):
            continue
        conn = keyfile_values(text).get("connection", {})
        if conn.get("autoconnect") in _KEYFILE_FALSE:
            continue
        prio = _priority(conn.get("autoconnect-priority", ""))
        if best is None or prio > best[0]:
            best = (prio, path)
    return best[1] if best else None


def _priority(value):
    """``autoconnect-priority`` as NM reads it: an integer in -999..999, else its default 0."""
    m = _INT_RE.match(value)
    if not m:
        return 0
    digits = m.group(2)
    n = int(digits, 16 if digits[1:2] in ("x", "X") else 8 if digits[:1] == "0" else 10)
    if m.group(1) == "-":
        n = -n
    return n if -999 <= n <= 999 else 0


def _not_enabled(current, wanted):
    return current.strip() in _KEYFILE_FALSE


def render(current_text, iface, features_off, host_info=None):
    """Set ``[ethtool] feature-<f>=false`` in a keyfile profile."""
    features = check_features(features_off, NAME)
    path = (host_info or {}).get("path")
    text = current_text or ""
    if "[connection]" not in text:
        raise PersistError(NAME, path, "not a NetworkManager keyfile (no [connection] section)")
    have = keyfile_values(text).get("ethtool", {})   # groups given twice merge, last value wins
    if all(have.get(key(f), "").strip() in _KEYFILE_FALSE for f in features):
        return current_text
    new, changed = ini.set_keys(text, "ethtool", [(key(f), "false") for f in features],
                                _KEY_RE, keep=_not_enabled)
    return new if changed else current_text


# ------------------------------------------------------------------------ nmcli side

def nmcli_modify_args(uuid, features_off):
    """Arguments (not quoted) of ``nmcli connection modify`` turning ``features_off`` off."""
    features = check_features(features_off, NAME)
    args = ["connection", "modify", "uuid", uuid]
    for f in features:
        args += [nmcli_property(f), "off"]
    return args


def parse_nmcli_values(text, features, command="nmcli -g ethtool.feature-* connection show"):
    """Values printed by ``nmcli -g ethtool.feature-a,ethtool.feature-b connection show``
    (one line per requested property, in order) -> {feature: "on"|"off"|"ignore"}."""
    lines = (text or "").splitlines()
    if len(lines) < len(features):
        raise KcrashParseError(command, "expected %d value lines, got %d" % (len(features), len(lines)))
    out = {}
    for f, v in zip(features, lines):
        v = v.strip()
        if v in ("", "--"):
            v = "ignore"
        if v not in ("on", "off", "ignore"):
            raise KcrashParseError(command, "unexpected value %r for %s" % (v, nmcli_property(f)))
        out[f] = v
    return out


def parse_device_status(text, command="nmcli -t -f DEVICE,STATE,CON-UUID device status"):
    """Terse ``nmcli`` device lines -> {device: {"state", "uuid"}} (``\\:`` unescaped)."""
    out = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        fields = re.split(r"(?<!\\):", line)
        if len(fields) < 3:
            raise KcrashParseError(command, "unexpected line %r" % line)
        fields = [f.replace("\\:", ":").replace("\\\\", "\\") for f in fields]
        out[fields[0]] = {"state": fields[1], "uuid": fields[2] or None}
    return out


# ====================================================================== back-end interface
# (see persist/__init__.py)

GLOBS = tuple(d + "/*" for d in KEYFILE_DIRS)
DETECT_GLOBS = GLOBS
FILE_MODE = "0600"
SECRETS = True      # keyfiles may hold Wi-Fi/802.1X secrets: kept out of diffs
PROBE = (
    "kc_a=''; kc_b=''",
    "if command -v nmcli >/dev/null 2>&1; then",
    "  kc_a=$(nmcli --version 2>/dev/null | head -n 1); kc_b=$(nmcli -t -f RUNNING general 2>/dev/null | head -n 1)",
    "fi",
    "kc_kv nm_version \"$kc_a\"; kc_kv nm_running \"$kc_b\"",
)


def read_script(marker):
    """The ``nm`` read section: what the running NetworkManager has configured (device
    status, then the ethtool values of each active connection)."""
    props = ",".join(nmcli_property(f) for f in ethtool.OFFLOAD_FEATURES)
    return (
        "M=%(m)s\n"
        "[ \"$(nmcli -t -f RUNNING general 2>/dev/null | head -n 1)\" = running ] || exit 0\n"
        "printf '%%sSTATUS\\n' \"$M\"\n"
        "nmcli -t -f DEVICE,STATE,CON-UUID device status 2>/dev/null\n"
        "nmcli -t -f DEVICE,CON-UUID device status 2>/dev/null | while IFS=: read -r d u; do\n"
        "  [ -n \"$u\" ] || continue\n"
        "  printf '%%sCON %%s %%s\\n' \"$M\" \"$d\" \"$u\"\n"
        "  nmcli -g %(props)s connection show uuid \"$u\" 2>/dev/null\n"
        "done\n"
        "exit 0"
    ) % {"m": quote(marker), "props": props}


def parse_read(text, marker):
    """The ``nm`` read section -> ``{"status": {device: {...}}, "connections": {device:
    {"uuid", "features"}}}``, or None when NetworkManager is not running."""
    status = {}
    values = {}
    if not text.strip():
        return None
    mode = None
    cur = None
    props = list(ethtool.OFFLOAD_FEATURES)
    buf = []

    def flush():
        if cur is not None:
            # one line per value: an empty last value is a line too ("\n".join lost it)
            values[cur[0]] = {"uuid": cur[1], "features": parse_nmcli_values(
                "".join(v + "\n" for v in buf), props, "nmcli -g ethtool.feature-* connection show")}

    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()     # after the newline that ends the last line
    for line in lines:
        if line.startswith(marker):
            tag = line[len(marker):]
            if tag == "STATUS":
                mode = "status"
                continue
            if tag.startswith("CON "):
                flush()
                parts = tag.split()
                cur = (parts[1], parts[2]) if len(parts) >= 3 else None
                buf = []
                mode = "con"
                continue
        if mode == "status" and line.strip():
            status.update(parse_device_status(line))
        elif mode == "con":
            buf.append(line)
    flush()
    return {"status": status, "connections": values}


def owns(path):
    return path.startswith(tuple(d + "/" for d in KEYFILE_DIRS))


def choose(read, iface, forced):
    """The running NetworkManager's connection for ``iface`` (``nmcli``), else, NM not
    running, the keyfile that binds to it (file edit)."""
    mgr = read["managers"]
    ver = parse_version(mgr.get("nm_version"))
    running = mgr.get("nm_running") == "running"
    if running and read.get(NAME):
        dev = read[NAME]["status"].get(iface)
        if dev and dev.get("uuid") and dev["state"] not in ("unmanaged", "unavailable"):
            if not version_ok(ver):
                raise PersistError(NAME, None, "NetworkManager %s manages %s but has no ethtool "
                                   "setting (needs >= 1.14); use backend=udev" % (mgr.get("nm_version"), iface))
            return Choice(NAME, None, "NetworkManager is running and manages %s (connection %s)"
                          % (iface, dev["uuid"]), kind="nmcli", uuid=dev["uuid"])
    if not running:
        path = manages(dict((p, t) for p, t in read["files"].items() if owns(p)), iface)
        if path:
            if ver is not None and not version_ok(ver):
                raise PersistError(NAME, path, "NetworkManager older than 1.14 ignores [ethtool]")
            return Choice(NAME, path, "NetworkManager keyfile %s binds to %s (NM not running: file edit)"
                          % (path, iface))
    return None
