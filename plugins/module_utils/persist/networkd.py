# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""systemd ``.link`` files (applied by udev's net_setup_link; systemd >= 232 knows
``LargeReceiveOffload=`` and ``GenericReceiveOffload=``).

Precedence (systemd.link(5)): files from ``/etc/systemd/network``, ``/run/systemd/network``
and ``/usr/lib/systemd/network`` (``/lib/...``) are sorted by file name; a name in
``/etc`` hides the same name in ``/run`` and ``/usr/lib``; **only the first file whose
[Match] matches a device is applied**. So:

* when the winning file lives in ``/etc/systemd/network`` it is the administrator's: its
  ``[Link]`` section gets the offload keys (the rest stays byte for byte);
* when the winning file is a vendor file (``99-default.link``) we must not shadow its
  settings: we write our own ``/etc/systemd/network/00-kcrash-nfqueue-<iface>.link``
  that matches only this device (by MAC address) and carries the vendor ``[Link]`` lines
  verbatim plus our keys, so naming and MAC policies stay what they were.

``host_info`` keys: ``template`` (text of the vendor file being shadowed, when creating
our own file), ``mac`` (permanent MAC of the device), ``path`` (for messages).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import posixpath
import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import ini
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import (
    Choice,
    PersistError,
    check_features,
    effective_files as _effective_files,
    split_lines,
)

NAME = "networkd"
DIRS = ("/etc/systemd/network", "/run/systemd/network", "/usr/local/lib/systemd/network",
        "/usr/lib/systemd/network", "/lib/systemd/network")
ADMIN_DIR = "/etc/systemd/network"
MIN_SYSTEMD = 232
KEYS = {
    "lro": "LargeReceiveOffload",
    "gro": "GenericReceiveOffload",
    "gso": "GenericSegmentationOffload",
    "tso": "TCPSegmentationOffload",
}
HEADER = ("# Managed by the kcrash.nfqueue collection (offload).\n"
          "# Takes precedence over %s for this device only;\n"
          "# its [Link] settings are copied below unchanged.\n")
_KEY_RE = ini.key_line_re("A-Za-z0-9")
_FALSE = ("false", "no", "0", "off", "n", "f")   # systemd's parse_boolean(), any case
_KNOWN_MATCH = ("MACAddress", "OriginalName", "Driver", "Type")
_MATCH_ATTR = {"OriginalName": "name", "Driver": "driver", "Type": "type"}
_QUOTES = re.compile(r"[\"'\\]")
_MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}\Z")


def own_path(iface):
    return "%s/00-kcrash-nfqueue-%s.link" % (ADMIN_DIR, iface)


def values(text):
    """{section: [(key, value), ...]} in file order."""
    out = {}
    for name, pairs in ini.section_pairs(text, _KEY_RE):
        out.setdefault(name, []).extend(pairs)
    return out


def _selects(key, words, device):
    """One [Match] condition (``words``: its value, split): True/False, or None when the
    device lacks what it tests or the systemd versions would disagree."""
    if key == "MACAddress":
        # systemd 252 also reads 2e-fa-.. and 2efa.ce26.. and refuses "!": other versions differ
        if not all(_MAC_RE.match(w) for w in words):
            return None
        return (device.get("mac") or "").lower() in [w.lower() for w in words]
    have = device.get(_MATCH_ATTR[key])
    if have is None:
        return None
    # a systemd without "!" support reads the words as globs ("!x" then matches no device)
    hit = any(fnmatch.fnmatchcase(have, w) for w in words)
    if not words[0].startswith("!"):
        return hit
    # one with it: the whole list is negated, the file matches when no word does
    negated = not any(fnmatch.fnmatchcase(have, w) for w in [words[0][1:]] + words[1:])
    return negated if negated == hit else None


def match(text, device):
    """Does this .link file's [Match] select ``device`` ({name, mac, driver, type})?
    True/False, or None when this planner cannot tell: a condition it does not evaluate, or
    one systemd's versions read differently (checked with systemd 252, see
    ``fixtures/persist/networkd/match-cases.json``): a key given twice (its lists are merged)
    or empty (the list is reset), quoted words, a ``!`` list, a MAC not in the colon form.
    A condition that does not match decides (systemd.link(5): every condition must match).
    No condition: True, as systemd before 25x reads it (systemd 252 ignores such a file)."""
    conds = values(text).get("Match", [])
    keys = [k for k, dummy in conds]
    answers = []
    for k, v in conds:
        words = v.split()
        if k not in _KNOWN_MATCH or keys.count(k) > 1 or not words or _QUOTES.search(v):
            answers.append(None)
        else:
            answers.append(_selects(k, words, device))
    if False in answers:
        return False
    return None if None in answers else True


def effective_files(files):
    """Visible .link files: {basename: path}, earlier directory in DIRS wins."""
    return _effective_files(files, DIRS, ".link")


def manages(files, device):
    """Path of the .link file udev applies to ``device`` (first match by name), or None.
    Raises PersistError when a file that sorts earlier uses [Match] conditions this
    planner cannot evaluate (the answer would be a guess)."""
    eff = effective_files(files)
    for base in sorted(eff):
        path = eff[base]
        r = match(files[path], device)
        if r is None:
            raise PersistError(NAME, path, "cannot tell whether its [Match] applies to %s: a condition other "
                                           "than %s, or one systemd versions read differently (a key given "
                                           "twice or empty, quotes, a '!' list, a MAC not in the colon form); "
                                           "use backend=udev or edit it by hand"
                               % (device.get("name"), "/".join(_KNOWN_MATCH)))
        if r:
            return path
    return None


def _not_enabled(current, wanted):
    return current.strip().lower() in _FALSE


def _set_link_keys(text, features, path):
    # [Link] given twice is one section to systemd, and the last assignment of a key wins
    have = dict(values(text).get("Link", []))
    if all(have.get(KEYS[f], "").strip().lower() in _FALSE for f in features):
        return text
    new, dummy_changed = ini.set_keys(text, "Link", [(KEYS[f], "false") for f in features],
                                      _KEY_RE, keep=_not_enabled)
    return new


def render(current_text, iface, features_off, host_info=None):
    """Edit an administrator's .link file, or (``current_text`` empty) create our own
    device-specific one from ``host_info["template"]`` (the vendor file it shadows)."""
    features = check_features(features_off, NAME)
    info = host_info or {}
    path = info.get("path") or own_path(iface)
    if current_text:
        return _set_link_keys(current_text, features, path)
    mac = info.get("mac")
    if not mac or not _MAC_RE.match(mac):
        raise PersistError(NAME, path, "no usable MAC address for %s to match on" % iface)
    template = info.get("template") or ""
    tlines = split_lines(template)
    link_body = []
    for name, dummy_head, body in ini.sections(tlines):
        if name == "Link":
            link_body += [tlines[i] if tlines[i].endswith("\n") else tlines[i] + "\n" for i in body]
    while link_body and not link_body[-1].strip():
        link_body.pop()
    match_lines = "MACAddress=%s\n" % mac.lower()
    if info.get("driver") and re.match(r"^[A-Za-z0-9_.-]+\Z", info["driver"]):
        # MAC alone would also match VLANs/bonds that inherit the address.
        match_lines += "Driver=%s\n" % info["driver"]
    text = (HEADER % (info.get("template_path") or "the default .link file")
            + "[Match]\n" + match_lines + "\n[Link]\n" + "".join(link_body))
    return _set_link_keys(text, features, path)


# ====================================================================== back-end interface
# (see persist/__init__.py)

GLOBS = tuple(d + "/*.link" for d in DIRS)
DETECT_GLOBS = (ADMIN_DIR + "/*.link",)
FILE_MODE = "0644"
SECRETS = False
PROBE = (
    "kc_a=''; kc_b=''",
    "if command -v systemctl >/dev/null 2>&1; then",
    "  kc_a=$(systemctl --version 2>/dev/null | head -n 1); kc_b=$(systemctl is-active systemd-networkd 2>/dev/null | head -n 1)",
    "fi",
    "kc_kv systemd_version \"$kc_a\"; kc_kv networkd_active \"$kc_b\"",
)
read_script = None     # what is configured is read from GLOBS
parse_read = None


def systemd_version(text):
    """``systemctl --version`` first line -> int or None."""
    m = re.match(r"systemd (\d+)", text or "")
    return int(m.group(1)) if m else None


def device(read, iface):
    """What a .link [Match] section can test about ``iface`` (name, MAC, driver, type)."""
    info = read["interfaces"].get(iface, {})
    raw = read["raw"].get(iface, {})
    return {"name": iface, "mac": read["macs"].get(iface), "driver": info.get("driver"),
            "type": "ether" if (raw.get("attrs", {}).get("type") == "1") else None}


def owns(path):
    return path.startswith(tuple(d + "/" for d in DIRS))


def choose(read, iface, forced):
    """When systemd-networkd is active (or forced): the admin .link file that applies to
    ``iface`` (edited in place), else an own .link file that takes precedence."""
    mgr = read["managers"]
    sd = systemd_version(mgr.get("systemd_version"))
    if not forced and (mgr.get("networkd_active") != "active" or sd is None):
        return None
    if sd is not None and sd < MIN_SYSTEMD:
        raise PersistError(NAME, None, "systemd %d has no LargeReceiveOffload= (needs >= 232)" % sd)
    links = dict((p, t) for p, t in read["files"].items() if owns(p) and p.endswith(".link"))
    dev = device(read, iface)
    win = manages(links, dev)
    if win and posixpath.dirname(win) == ADMIN_DIR:
        return Choice(NAME, win, ".link file %s applies to %s (edited in place)" % (win, iface))
    own = own_path(iface)
    info = {"mac": dev["mac"], "driver": dev["driver"], "template": links.get(win, "") if win else "",
            "template_path": win}
    return Choice(NAME, own, "%s; own .link %s takes precedence for this device"
                  % ("vendor file %s applies to %s" % (win, iface) if win else "no .link file matches %s" % iface,
                     own), info=info)
