# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
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

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import (
    PersistError,
    check_features,
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
_SECTION_RE = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")
_KEY_RE = re.compile(r"^(?P<lead>\s*)(?P<key>[A-Za-z0-9]+)(?P<eq>\s*=\s*)(?P<value>.*?)(?P<trail>\s*)$")
_FALSE = ("false", "no", "0", "off")
_KNOWN_MATCH = ("MACAddress", "OriginalName", "Driver", "Type")
_MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}\Z")


def own_path(iface):
    return "%s/00-kcrash-nfqueue-%s.link" % (ADMIN_DIR, iface)


def _sections(lines):
    out = []
    cur = None
    for i, line in enumerate(lines):
        m = _SECTION_RE.match(line)
        if m:
            cur = [m.group("name").strip(), i, []]
            out.append(cur)
        elif cur is not None:
            cur[2].append(i)
    return out


def _is_comment(line):
    return line.lstrip().startswith(("#", ";"))


def values(text):
    """{section: [(key, value), ...]} in file order."""
    lines = split_lines(text or "")
    out = {}
    for name, head, body in _sections(lines):
        lst = out.setdefault(name, [])
        for i in body:
            if _is_comment(lines[i]):
                continue
            m = _KEY_RE.match(lines[i].rstrip("\r\n"))
            if m:
                lst.append((m.group("key"), m.group("value")))
    return out


def match(text, device):
    """Does this .link file's [Match] select ``device`` ({name, mac, driver, type})?
    True/False, or None when it uses a condition this planner cannot evaluate."""
    conds = values(text).get("Match", [])
    for k, v in conds:
        if k not in _KNOWN_MATCH:
            return None
        words = v.split()
        if not words:
            continue
        neg = words[0].startswith("!")
        if neg:
            words = [words[0][1:]] + words[1:]
        if k == "MACAddress":
            have = (device.get("mac") or "").lower()
            ok = have in [w.lower() for w in words]
        else:
            attr = {"OriginalName": "name", "Driver": "driver", "Type": "type"}[k]
            have = device.get(attr)
            if have is None:
                return None
            ok = any(fnmatch.fnmatchcase(have, w) for w in words)
        if ok == neg:
            return False
    return True


def effective_files(files):
    """Visible .link files: {basename: path}, earlier directory in DIRS wins."""
    seen = {}
    for d in DIRS:
        for path in sorted(files):
            if posixpath.dirname(path) == d and path.endswith(".link"):
                seen.setdefault(posixpath.basename(path), path)
    return seen


def manages(files, device):
    """Path of the .link file udev applies to ``device`` (first match by name), or None.
    Raises PersistError when a file that sorts earlier uses [Match] conditions this
    planner cannot evaluate (the answer would be a guess)."""
    eff = effective_files(files)
    for base in sorted(eff):
        path = eff[base]
        r = match(files[path], device)
        if r is None:
            raise PersistError(NAME, path, "[Match] uses conditions other than %s; cannot tell "
                                           "whether it applies to %s (use backend=udev or edit it by hand)"
                               % ("/".join(_KNOWN_MATCH), device.get("name")))
        if r:
            return path
    return None


def _set_link_keys(text, features, path):
    lines = split_lines(text)
    secs = [s for s in _sections(lines) if s[0] == "Link"]
    todo = list(features)
    changed = False
    if secs:
        head, body = secs[-1][1:]
        for f in features:
            for i in body:
                if _is_comment(lines[i]):
                    continue
                raw = lines[i]
                end = raw[len(raw.rstrip("\r\n")):]
                m = _KEY_RE.match(raw.rstrip("\r\n"))
                if m and m.group("key") == KEYS[f]:
                    if f in todo:
                        todo.remove(f)
                    if m.group("value").strip().lower() not in _FALSE:
                        lines[i] = m.group("lead") + m.group("key") + m.group("eq") + "false" + m.group("trail") + end
                        changed = True
        if todo:
            keys = [i for i in body if not _is_comment(lines[i]) and _KEY_RE.match(lines[i].rstrip("\r\n"))]
            at = (keys[-1] if keys else head) + 1
            if not lines[at - 1].endswith("\n"):
                lines[at - 1] += "\n"
            lines[at:at] = ["%s=false\n" % KEYS[f] for f in todo]
            changed = True
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        if lines and lines[-1].strip():
            lines.append("\n")
        lines.append("[Link]\n")
        lines += ["%s=false\n" % KEYS[f] for f in todo]
        changed = True
    return "".join(lines) if changed else text


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
    for name, head, body in _sections(tlines):
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
