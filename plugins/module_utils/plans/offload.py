# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan for strategy "offload": turn LRO (and optionally GRO/GSO/TSO) off now and across
reboots. Pure: builds the read and apply scripts as text, parses what they print, and
decides everything in between.

Round trips per host: one read (:func:`build_read_script`), then, only when something
must change and not in check mode, one apply (:func:`build_apply_script`) that writes
the files all-or-nothing, runs ``ethtool -K``, verifies with a fresh ``ethtool -k`` and,
when the verification fails, puts runtime state and files back in the same trip.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import posixpath
import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool, netdev
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import (
    KcrashError,
    KcrashInputError,
    KcrashParseError,
)
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import (
    ALL as BACKENDS,
    SUPPORTED_FEATURES,
    PersistError,
    PersistUnclear,
    check_features,
    ifcfg,
    ifupdown,
    netplan,
    networkd,
    nm,
    udev,
)
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import (
    FILE_FUNCS,
    FileChange,
    Script,
    backup_name,
    backup_stamp,
    file_transaction,
    posix_cksum,
    quote,
    split_sections,
    validate_abs_path,
    validate_ifname,
)

READ_COMMAND = "offload read probe"
APPLY_COMMAND = "offload apply"
MAX_FILE = 262144
FAIL_TAG = "KCRASH-FAIL"

CONFIG_GLOBS = (
    "/etc/sysconfig/network-scripts/ifcfg-*",
    "/etc/NetworkManager/system-connections/*",
    "/etc/systemd/network/*.link",
    "/run/systemd/network/*.link",
    "/usr/local/lib/systemd/network/*.link",
    "/usr/lib/systemd/network/*.link",
    "/lib/systemd/network/*.link",
    "/etc/netplan/*.yaml",
    "/run/netplan/*.yaml",
    "/lib/netplan/*.yaml",
    "/etc/network/interfaces",
    "/etc/network/interfaces.d/*",
    udev.PATH,
)


# =============================================================================== read

def _dump_files_script(marker, globs=CONFIG_GLOBS):
    globs = " ".join(globs)
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
        "kc_line /etc/redhat-release redhat_release",
        "kc_line /etc/debian_version debian_version",
        "if command -v rpm >/dev/null 2>&1; then",
        "  for p in initscripts network-scripts; do",
        "    v=$(rpm -q --qf '%{VERSION}' \"$p\" 2>/dev/null) && kc_kv \"rpm_$p\" \"$v\"",
        "  done",
        "fi",
        "[ -r /etc/sysconfig/network-scripts/ifup-eth ] && kc_kv ifup_eth 1",
        "kc_a=''; kc_b=''",
        "if command -v nmcli >/dev/null 2>&1; then",
        "  kc_a=$(nmcli --version 2>/dev/null | head -n 1); kc_b=$(nmcli -t -f RUNNING general 2>/dev/null | head -n 1)",
        "fi",
        "kc_kv nm_version \"$kc_a\"; kc_kv nm_running \"$kc_b\"",
        "kc_a=''; kc_b=''",
        "if command -v systemctl >/dev/null 2>&1; then",
        "  kc_a=$(systemctl --version 2>/dev/null | head -n 1); kc_b=$(systemctl is-active systemd-networkd 2>/dev/null | head -n 1)",
        "fi",
        "kc_kv systemd_version \"$kc_a\"; kc_kv networkd_active \"$kc_b\"",
        "kc_a=''",
        "command -v dpkg-query >/dev/null 2>&1 && kc_a=$(dpkg-query -W -f='${Version}' netplan.io 2>/dev/null)",
        "kc_kv netplan_version \"$kc_a\"",
        "command -v netplan >/dev/null 2>&1 && kc_kv netplan 1",
        "command -v ifup >/dev/null 2>&1 && kc_kv ifup 1",
        "for h in %s; do [ -f \"$h\" ] && grep -q OFFLOAD \"$h\" 2>/dev/null && kc_kv ethtool_hook \"$h\"; done"
        % " ".join(ifupdown.HOOKS),
        "[ -d /etc/udev/rules.d ] && kc_kv udev_rules_d 1",
        "command -v udevadm >/dev/null 2>&1 && kc_kv udevadm 1",
        "for d in /sys/class/net/*; do [ -r \"$d/address\" ] && kc_line \"$d/address\" \"mac.${d##*/}\"; done",
        "exit 0",
    ]
    return "\n".join(lines)


def _nm_script(marker):
    props = ",".join(nm.nmcli_property(f) for f in SUPPORTED_FEATURES)
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
    s.section("nm", _nm_script(marker))
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


def parse_nm(text, marker):
    status = {}
    values = {}
    if not text.strip():
        return None
    mode = None
    cur = None
    props = list(SUPPORTED_FEATURES)
    buf = []

    def flush():
        if cur is not None:
            values[cur[0]] = {"uuid": cur[1], "features": nm.parse_nmcli_values(
                "\n".join(buf), props, "nmcli -g ethtool.feature-* connection show")}

    for line in text.split("\n"):
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
            status.update(nm.parse_device_status(line))
        elif mode == "con":
            buf.append(line)
    flush()
    return {"status": status, "connections": values}


def parse_read(stdout, nonce, host=None, walk=None):
    """Everything the read trip saw, as data. ``walk`` = ``(text, marker)`` of the interface
    walk when the read left it out (``build_read_script(walk=False)``). Raises
    KcrashParseError (with host)."""
    try:
        secs = split_sections(stdout, nonce, READ_COMMAND)
        marker = "@@KCOFF:%s:" % nonce
        for name in ("managers", "nm", "files") + (() if walk else ("interfaces",)):
            if name not in secs:
                raise KcrashParseError(READ_COMMAND, "section '%s' missing" % name)
        walk_text, walk_marker = walk or (secs["interfaces"].stdout, marker)
        raw, vlan_text, flags = netdev.parse_walk(walk_text, walk_marker)
        live = netdev.build_interfaces(raw, netdev.parse_vlan_config(vlan_text or ""))
        mgr = _kv(secs["managers"].stdout)
        files, unreadable = parse_files(secs["files"].stdout, marker)
        nm_state = parse_nm(secs["nm"].stdout, marker)
    except KcrashParseError as e:
        raise e.with_host(host) if host else e
    macs = dict((k[4:], v) for k, v in mgr.items() if k.startswith("mac."))
    return {
        "raw": dict((r["name"], r) for r in raw),
        "interfaces": live,
        "no_ethtool": flags.get("no_ethtool", False),
        "managers": mgr,
        "macs": macs,
        "files": files,
        "unreadable": unreadable,
        "nm": nm_state,
    }


# ============================================================================ decide

def _initscripts_version(mgr):
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


def _systemd_version(mgr):
    m = re.match(r"systemd (\d+)", mgr.get("systemd_version") or "")
    return int(m.group(1)) if m else None


def _netplan_version(mgr):
    v = mgr.get("netplan_version") or ""
    m = re.match(r"(?:\d+:)?(\d+)\.(\d+)", v)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _udev_present(mgr):
    return bool(mgr.get("udev_rules_d") or mgr.get("udevadm"))


class _Choice(object):
    __slots__ = ("backend", "path", "reason", "kind", "uuid", "info")

    def __init__(self, backend, path, reason, kind="file", uuid=None, info=None):
        self.backend = backend
        self.path = path
        self.reason = reason
        self.kind = kind      # file | nmcli | none
        self.uuid = uuid
        self.info = info or {}


def _device(read, iface):
    info = read["interfaces"].get(iface, {})
    raw = read["raw"].get(iface, {})
    return {"name": iface, "mac": read["macs"].get(iface), "driver": info.get("driver"),
            "type": "ether" if (raw.get("attrs", {}).get("type") == "1") else None}


def _candidates(read, iface, forced):
    """Yield every back end that can persist ``iface`` here, in precedence order, as
    _Choice; raises PersistError when a back end that manages it cannot be used safely."""
    mgr = read["managers"]
    files = read["files"]
    eth = mgr.get("ethtool_path") or "/sbin/ethtool"
    order = (forced,) if forced != "auto" else BACKENDS
    for b in order:
        for path, why in sorted(read.get("unreadable", {}).items()):
            if _belongs(b, path):
                # it may be the very file that configures the interface: do not guess
                raise PersistError(b, path, "cannot read it (%s), so it is unknown whether it configures %s; "
                                            "nothing was written" % (why, iface))
        if b == "nm":
            ver = nm.parse_version(mgr.get("nm_version"))
            running = mgr.get("nm_running") == "running"
            if running and read["nm"]:
                dev = read["nm"]["status"].get(iface)
                if dev and dev.get("uuid") and dev["state"] not in ("unmanaged", "unavailable"):
                    if not nm.version_ok(ver):
                        raise PersistError("nm", None, "NetworkManager %s manages %s but has no ethtool "
                                           "setting (needs >= 1.14); use backend=udev" % (mgr.get("nm_version"), iface))
                    yield _Choice("nm", None, "NetworkManager is running and manages %s (connection %s)"
                                  % (iface, dev["uuid"]), kind="nmcli", uuid=dev["uuid"])
                    continue
            if not running:
                kf = dict((p, t) for p, t in files.items() if p.startswith(nm.KEYFILE_DIRS[0] + "/"))
                path = nm.manages(kf, iface)
                if path:
                    if ver is not None and not nm.version_ok(ver):
                        raise PersistError("nm", path, "NetworkManager older than 1.14 ignores [ethtool]")
                    yield _Choice("nm", path, "NetworkManager keyfile %s binds to %s (NM not running: file edit)"
                                  % (path, iface))
        elif b == "netplan":
            if not mgr.get("netplan") and forced != "netplan":
                continue
            np = dict((p, t) for p, t in files.items() if p.endswith(".yaml") and "/netplan/" in p)
            path = netplan.manages(np, iface)
            if path:
                ver = _netplan_version(mgr)
                if ver is not None and ver < netplan.MIN_VERSION:
                    raise PersistError("netplan", path, "netplan %s is older than 0.104 (no offload keys); "
                                       "use backend=networkd or udev" % mgr.get("netplan_version"))
                yield _Choice("netplan", path, "netplan file %s defines %s" % (path, iface))
        elif b == "networkd":
            sd = _systemd_version(mgr)
            if forced != "networkd" and (mgr.get("networkd_active") != "active" or sd is None):
                continue
            if sd is not None and sd < networkd.MIN_SYSTEMD:
                raise PersistError("networkd", None, "systemd %d has no LargeReceiveOffload= (needs >= 232)" % sd)
            links = dict((p, t) for p, t in files.items() if p.endswith(".link"))
            dev = _device(read, iface)
            win = networkd.manages(links, dev)
            if win and posixpath.dirname(win) == networkd.ADMIN_DIR:
                yield _Choice("networkd", win, ".link file %s applies to %s (edited in place)" % (win, iface))
            else:
                own = networkd.own_path(iface)
                info = {"mac": dev["mac"], "driver": dev["driver"], "template": links.get(win, "") if win else "",
                        "template_path": win}
                yield _Choice("networkd", own, "%s; own .link %s takes precedence for this device"
                              % ("vendor file %s applies to %s" % (win, iface) if win else "no .link file matches %s" % iface,
                                 own), info=info)
        elif b == "ifupdown":
            ifu = dict((p, t) for p, t in files.items() if p.startswith("/etc/network/interfaces"))
            path = ifupdown.manages(ifu, iface)
            if path:
                hook = mgr.get("ethtool_hook")
                yield _Choice("ifupdown", path, "ifupdown stanza for %s in %s (%s)" % (
                    iface, path, "ethtool hook %s: offload-* options" % hook if hook else "no ethtool hook: post-up line"),
                    info={"ethtool_hook": bool(hook), "ethtool_path": eth})
        elif b == "ifcfg":
            ic = dict((p, t) for p, t in files.items() if p.startswith(ifcfg.DIRECTORY + "/"))
            path = ifcfg.manages(ic, iface)
            if path:
                ver, src = _initscripts_version(mgr)
                if ifcfg.supports_offload_opts(ver):
                    yield _Choice("ifcfg", path, "ifcfg file %s configures %s; initscripts %s (%s) runs -K "
                                  "commands from ETHTOOL_OPTS" % (path, iface, ver, src))
                elif forced == "ifcfg":
                    raise PersistError("ifcfg", path, "initscripts %s (%s) only runs 'ethtool -s' from "
                                       "ETHTOOL_OPTS; use backend=udev" % (ver, src))
                else:
                    # falls through to the udev rule below
                    continue
        elif b == "udev":
            if forced == "udev" or _udev_present(mgr):
                yield _Choice("udev", udev.PATH, "udev rule (fallback: nothing else on this host that "
                              "can carry ethtool settings manages %s)" % iface, info={"ethtool_path": eth})


_PREFIXES = {
    "ifcfg": (ifcfg.DIRECTORY + "/ifcfg-",),
    "nm": (nm.KEYFILE_DIRS[0] + "/",),
    "networkd": tuple(d + "/" for d in networkd.DIRS),
    "netplan": tuple(d + "/" for d in netplan.DIRS),
    "ifupdown": ("/etc/network/interfaces",),
    "udev": (udev.PATH,),
}


def _belongs(backend, path):
    return path.startswith(_PREFIXES.get(backend, ()))


def _feature_state(parsed, f):
    st = parsed["features"].get(ethtool.SHORT[f])
    return dict(st) if st else None


def _label(fmt, f):
    long_name = ethtool.SHORT[f]
    if fmt == ethtool.FORMAT_OFFLOAD_SPACE:
        for k, v in ethtool.SPACE_NAMES.items():
            if v == long_name:
                return k
    return long_name


_SECRET_RE = re.compile(r"^(\s*[A-Za-z0-9_.-]*(?:psk|password|passwd|secret|pin|private-key)[A-Za-z0-9_.-]*\s*=).*$",
                        re.I | re.M)


def _redact(text):
    """NetworkManager keyfiles may hold Wi-Fi/802.1X secrets: keep them out of diffs."""
    return _SECRET_RE.sub(lambda m: m.group(1) + "<redacted>", text)


def _diff(before, after, path):
    return "".join(difflib.unified_diff(
        before.splitlines(True), after.splitlines(True), "a" + path, "b" + path))


def plan(read, features=("lro",), interfaces="auto", persist=True, backend="auto", facts=None, host=None):
    """Decide per interface and per file. Returns a plan dict (see plugins/modules/offload.py
    RETURN for the keys); ``errors`` non-empty means the host must not be changed."""
    features = check_features(list(features), "offload")
    if not features:
        raise KcrashInputError("features", "at least one feature is needed")
    if backend not in ("auto",) + BACKENDS:
        raise KcrashInputError("backend", "%r is not one of auto, %s" % (backend, ", ".join(BACKENDS)))
    out = {"interfaces": {}, "files": [], "changes": [], "nm_commands": [], "runtime": [],
           "errors": [], "warnings": [], "diff": [], "changed": False}
    live = read["interfaces"]
    if read.get("no_ethtool"):
        out["errors"].append("ethtool is not installed (looked in PATH, /usr/local/sbin, /usr/sbin, /sbin)")
        return out

    # ---------------------------------------------------------------- which interfaces
    if interfaces in (None, "auto") or interfaces == ["auto"]:
        fi = (facts or {}).get("interfaces") if isinstance(facts, dict) else None
        if fi:
            names = [n for n in netdev.candidate_nics(fi) if n in live]
            source = "ansible_facts.kcrash_nfqueue.interfaces"
        else:
            names = netdev.candidate_nics(live)
            source = "live /sys/class/net"
        out["interfaces_source"] = source
    else:
        names = []
        for n in interfaces:
            validate_ifname(n, "interfaces")
            if n not in live:
                out["errors"].append("interface %s does not exist on this host (present: %s)"
                                     % (n, ", ".join(sorted(live)) or "none"))
            elif n not in names:
                names.append(n)
        out["interfaces_source"] = "task argument"
        if out["errors"]:
            return out
    names = sorted(set(names))

    # ---------------------------------------------------------------- runtime state
    persist_wanted = {}
    for n in names:
        raw = read["raw"].get(n, {})
        entry = {"kind": live.get(n, {}).get("kind"), "driver": live.get(n, {}).get("driver"),
                 "before": {}, "after": {}, "to_change": [], "fixed_off": [], "fixed_on": [],
                 "requested_on": [], "absent": [], "persist": None, "status": "ok"}
        out["interfaces"][n] = entry
        if raw.get("ethtool_rc") not in (0, None) or raw.get("ethtool_k") is None:
            out["errors"].append("%s: 'ethtool -k %s' failed: %s" % (n, n, (raw.get("ethtool_err") or "no output")[:200]))
            entry["status"] = "error"
            continue
        try:
            parsed = ethtool.parse(raw["ethtool_k"], "ethtool -k %s" % n)
        except KcrashParseError as e:
            out["errors"].append(str(e.with_host(host) if host else e))
            entry["status"] = "error"
            continue
        entry["format"] = parsed["format"]
        keep = []
        for f in features:
            st = _feature_state(parsed, f)
            entry["before"][f] = st
            entry["after"][f] = dict(st) if st else None
            if st is None:
                entry["absent"].append(f)
                continue
            if st["fixed"]:
                if st["active"]:
                    entry["fixed_on"].append(f)
                else:
                    entry["fixed_off"].append(f)
                continue
            keep.append(f)
            if st["requested"] is True and not st["active"]:
                entry["requested_on"].append(f)
            if st["active"] or st["requested"] is True:
                entry["to_change"].append(f)
                entry["after"][f] = {"active": False, "fixed": False, "requested": False}
        if entry["fixed_on"]:
            entry["status"] = "not_remediable"
            out["errors"].append(
                "%s: %s is on and [fixed]: the driver cannot turn it off, so this strategy cannot "
                "remediate %s; use the nfqueue_drop or kernel_upgrade strategy"
                % (n, ", ".join("%s (%s)" % (f, ethtool.SHORT[f]) for f in entry["fixed_on"]), n))
        if entry["requested_on"]:
            out["warnings"].append("%s: %s reported off [requested on] (the kernel keeps it off for now, "
                                   "e.g. forwarding or a bond; it is switched off for good)"
                                   % (n, ", ".join(entry["requested_on"])))
        if entry["to_change"]:
            entry["status"] = "change"
            out["runtime"].append({"interface": n, "features": list(entry["to_change"]),
                                   "labels": [_label(parsed["format"], f) for f in entry["to_change"]]})
        persist_wanted[n] = keep
    if out["errors"] or not persist:
        out["changed"] = bool(out["runtime"]) and not out["errors"]
        return out

    # ---------------------------------------------------------------- persistence
    texts = {}
    origin = {}
    owners = {}
    for n in names:
        feats = persist_wanted.get(n) or []
        entry = out["interfaces"][n]
        if not feats:
            entry["persist"] = {"backend": None, "path": None, "reason": "nothing to persist (features fixed off or absent)"}
            continue
        try:
            choice = next(iter(_candidates(read, n, backend)), None)
        except PersistError as e:
            out["errors"].append("%s: %s" % (n, e))
            continue
        if choice is None:
            if backend != "auto":
                out["errors"].append("%s: backend %s does not manage this interface here" % (n, backend))
            else:
                entry["persist"] = {"backend": None, "path": None,
                                    "reason": "nothing on this host configures %s at boot (no NetworkManager, "
                                              "netplan, networkd, ifupdown or ifcfg entry, no udev)" % n}
                out["warnings"].append("%s: not persisted: %s" % (n, entry["persist"]["reason"]))
            continue
        entry["persist"] = {"backend": choice.backend, "path": choice.path, "reason": choice.reason}
        if choice.kind == "nmcli":
            cur = (read["nm"] or {}).get("connections", {}).get(n, {}).get("features", {})
            if not all(cur.get(f) == "off" for f in feats):
                out["nm_commands"].append({"interface": n, "uuid": choice.uuid, "features": feats,
                                           "previous": dict((f, cur.get(f, "ignore")) for f in feats),
                                           "args": nm.nmcli_modify_args(choice.uuid, feats)})
                entry["persist"]["change"] = True
            continue
        path = choice.path
        if path in read["unreadable"]:
            out["errors"].append("%s: cannot read %s (%s); nothing was written" % (n, path, read["unreadable"][path]))
            continue
        if path not in texts:
            origin[path] = read["files"].get(path)
            texts[path] = origin[path] if origin[path] is not None else ""
            owners[path] = choice.backend
        info = dict(choice.info, path=path)
        mod = {"ifcfg": ifcfg, "nm": nm, "networkd": networkd, "netplan": netplan,
               "ifupdown": ifupdown, "udev": udev}[choice.backend]
        try:
            texts[path] = mod.render(texts[path], n, feats, info)
        except PersistUnclear as e:
            entry["persist"].update(change=False, reason="%s; not persisted: %s" % (choice.reason, e))
            out["warnings"].append("%s: not persisted: %s" % (n, e))
            continue
        except PersistError as e:
            out["errors"].append("%s: %s" % (n, e))
            continue
        entry["persist"]["change"] = texts[path] != (origin[path] or "") or origin[path] is None
    if out["errors"]:
        out["changed"] = False
        return out
    for path in sorted(texts):
        before = origin[path]
        after = texts[path]
        if before is not None and before == after:
            out["files"].append({"path": path, "backend": owners[path], "action": "none"})
            continue
        action = "create" if before is None else "update"
        mode = "0644"
        if owners[path] == "nm":
            mode = "0600"
        out["files"].append({"path": path, "backend": owners[path], "action": action})
        out["changes"].append(FileChange(path, after, mode=mode,
                                         expect="" if before is None else posix_cksum(before)))
        shown_before, shown_after = before or "", after
        if owners[path] == "nm":
            shown_before, shown_after = _redact(shown_before), _redact(shown_after)
        out["diff"].append({"before": shown_before, "after": shown_after,
                            "before_header": path if before is not None else "%s (absent)" % path,
                            "after_header": path})
        out["files"][-1]["unified_diff"] = _diff(shown_before, shown_after, path)
    for n, entry in out["interfaces"].items():
        if entry.get("before"):
            out["diff"].append({
                "before": "".join("%s: %s\n" % (f, _state_text(entry["before"].get(f))) for f in features),
                "after": "".join("%s: %s\n" % (f, _state_text(entry["after"].get(f))) for f in features),
                "before_header": "%s features (before)" % n, "after_header": "%s features (after)" % n})
    out["changed"] = bool(out["runtime"] or out["changes"] or out["nm_commands"])
    return out


def _state_text(st):
    if st is None:
        return "absent"
    s = "on" if st["active"] else "off"
    if st.get("fixed"):
        s += " [fixed]"
    elif st.get("requested") is not None and st["requested"] != st["active"]:
        s += " [requested %s]" % ("on" if st["requested"] else "off")
    return s


# ============================================================================= apply

def run_dir(backup_dir, now=None):
    """``<backup_dir>/offload-<UTC timestamp>-<8 hex>``: one backup directory per run, unique
    even for two runs in the same second."""
    validate_abs_path(backup_dir, "backup_dir")
    return posixpath.join(backup_dir, "offload-" + backup_stamp(now))


def build_apply_script(the_plan, backup_dir, keep_backup=True, nonce=None, partial_ok=False):
    """``(script, nonce)`` of the apply round trip: files (all-or-nothing), ``nmcli``,
    ``ethtool -K``, verification from a fresh ``ethtool -k``, rollback on failure: of
    everything, or with ``partial_ok`` only of the interfaces that failed (their runtime
    state, NetworkManager profiles, and every file that configures one of them)."""
    validate_abs_path(backup_dir, "backup_dir")
    s = Script(nonce)
    changes = the_plan["changes"]
    if changes:
        s.section("files", file_transaction(changes, backup_dir, FAIL_TAG) + "echo committed")
        s.raw('[ "$kc_rc" = 0 ] || exit 0')
    for i, c in enumerate(the_plan["nm_commands"]):
        s.section("nmcli.%d" % i, "nmcli " + " ".join(quote(a) for a in c["args"]))
    # section and temp file names come from an index, never from an interface name (any
    # byte but '/', ':' and white space is valid for the kernel); names reach the shell
    # only through quote()
    index = _iface_index(the_plan)
    for r in the_plan["runtime"]:
        n = r["interface"]
        s.section("runtime.%d" % index[n], "ethtool -K %s %s" % (quote(_ethtool_dev(n)), " ".join("%s off" % f for f in r["features"])))
    # verification in the main shell so its verdict can drive the rollback below
    s.raw("kc_bad=''")
    for n in sorted(the_plan["interfaces"]):
        e = the_plan["interfaces"][n]
        if e.get("status") not in ("change", "ok") or not e.get("format"):
            continue
        i = index[n]
        s.raw("ethtool -k %s > \"$KC_T/v.%d\" 2>&1 || kc_bad=\"$kc_bad %d:ethtool\"" % (quote(_ethtool_dev(n)), i, i))
        for f in e["to_change"]:
            label = _label(e["format"], f)
            s.raw("grep -q %s \"$KC_T/v.%d\" || kc_bad=\"$kc_bad %d:%s\"" % (quote("^%s: off" % label), i, i, f))
        s.section("verify.%d" % i, "cat \"$KC_T/v.%d\"" % i)
    s.section("outcome", "printf '%s\\n' \"${kc_bad:-ok}\"")
    # rollback: runtime back to what it was, files back from the backup, NM values back
    rb = ["[ -n \"$kc_bad\" ] || exit 0", FILE_FUNCS.rstrip("\n")]
    if partial_ok:
        # kc_hit "I J": one of the interfaces numbered I, J failed its verification
        rb.append("kc_hit() { for kc_i in $1; do case \" $kc_bad \" in *\" $kc_i:\"*) return 0;; esac; done; return 1; }")

    def undo(names, text):
        if partial_ok:
            text = "if kc_hit %s; then %s; fi" % (quote(" ".join(str(index[n]) for n in sorted(names))), text)
        rb.append(text)
    for r in the_plan["runtime"]:
        n = r["interface"]
        e = the_plan["interfaces"][n]
        on = [f for f in r["features"] if (e["before"].get(f) or {}).get("active")]
        if on:
            undo([n], "ethtool -K %s %s || echo %s" % (quote(_ethtool_dev(n)), " ".join("%s on" % f for f in on),
                                                       quote("could not restore %s" % n)))
    for c in the_plan["nm_commands"]:
        args = ["connection", "modify", "uuid", c["uuid"]]
        for f in c["features"]:
            args += [nm.nmcli_property(f), c["previous"].get(f) or "ignore"]
        undo([c["interface"]], "nmcli %s || echo %s" % (" ".join(quote(a) for a in args), quote(
            "could not restore NetworkManager connection %s" % c["uuid"])))
    owners = file_interfaces(the_plan)
    for ch in changes:
        b = posixpath.join(backup_dir, backup_name(ch.path))
        if ch.expect == "":
            # created through a dangling symlink: the file goes, the link stays as it was
            undo(owners.get(ch.path, the_plan["interfaces"]), "kc_real %s && rm -f \"$kc_r\"" % quote(ch.path))
        else:
            undo(owners.get(ch.path, the_plan["interfaces"]), "cp -p %s %s || echo %s" % (
                quote(b), quote(ch.path), quote("could not restore %s from %s" % (ch.path, b))))
    rb.append("echo restored")
    s.section("rollback", "\n".join(rb))
    if changes and not keep_backup:
        s.raw('[ -n "$kc_bad" ] || rm -rf %s' % quote(backup_dir))
    return s.render(), s.nonce


def file_interfaces(the_plan):
    """``{path: [interface, ...]}``: which interfaces each written file configures."""
    out = {}
    for n, e in the_plan["interfaces"].items():
        path = (e.get("persist") or {}).get("path")
        if path:
            out.setdefault(path, []).append(n)
    return out


def _iface_index(the_plan):
    """``{interface: index}``: the stable numbering that names the apply trip's sections."""
    return dict((n, i) for i, n in enumerate(sorted(the_plan["interfaces"])))


def _ethtool_dev(name):
    """An interface name as ethtool's device word: the kernel allows nearly any byte, but a
    name that starts with '-' would be read as an option (refused)."""
    if not name or name.startswith("-") or "\n" in name or "\x00" in name:
        raise KcrashInputError("interface", "%r cannot be passed to ethtool" % (name,))
    return name


def parse_apply(stdout, nonce, the_plan, backup_dir, keep_backup=True, host=None, partial_ok=False):
    """Read the apply trip. Returns ``{"ok": bool, "msg": str, "after": {iface: {f: state}},
    "steps": {...}}``."""
    try:
        secs = split_sections(stdout, nonce, APPLY_COMMAND)
    except KcrashParseError as e:
        raise e.with_host(host) if host else e
    steps = {}
    if the_plan["changes"]:
        f = secs.get("files")
        if f is None:
            return {"ok": False, "msg": "the file step did not run", "steps": steps, "after": {}}
        steps["files"] = {"rc": f.rc, "stderr": f.stderr.strip()}
        if f.rc != 0:
            why = [l for l in f.stderr.splitlines() if l.startswith(FAIL_TAG)]
            return {"ok": False, "steps": steps, "after": {},
                    "msg": "no change made: writing the configuration failed (%s); files untouched"
                           % ("; ".join(why) or f.stderr.strip()[:300])}
    index = _iface_index(the_plan)
    names = dict(("runtime.%d" % i, "runtime.%s" % n) for n, i in index.items())
    for name, sec in secs.items():
        if name.startswith(("runtime.", "nmcli.")):
            steps[names.get(name, name)] = {"rc": sec.rc, "stdout": sec.stdout.strip()[:500],
                                            "stderr": sec.stderr.strip()[:500]}
    after = {}
    problems = []
    for n, e in the_plan["interfaces"].items():
        sec = secs.get("verify.%d" % index[n])
        if sec is None:
            continue
        try:
            parsed = ethtool.parse(sec.stdout, "ethtool -k %s" % n)
        except KcrashParseError as err:
            problems.append(str(err.with_host(host) if host else err))
            continue
        after[n] = dict((f, _feature_state(parsed, f)) for f in e["before"])
        for f in e["to_change"]:
            st = after[n].get(f)
            if st is None or st["active"] or st.get("requested") is True:
                problems.append("%s: %s still %s after 'ethtool -K'" % (n, f, _state_text(st)))
    outcome = secs.get("outcome")
    bad = outcome.stdout.strip() if outcome else "no outcome"
    if bad != "ok" and outcome:
        by_index = dict((str(i), n) for n, i in index.items())
        bad = " ".join("%s:%s" % (by_index.get(w.partition(":")[0], w.partition(":")[0]), w.partition(":")[2])
                       if ":" in w else w for w in bad.split())
    if bad != "ok" or problems:
        rb = secs.get("rollback")
        restored = rb is not None and "restored" in rb.stdout
        msg = "verification failed (%s)" % ("; ".join(problems) or bad.strip())
        if restored and partial_ok:
            failed = sorted(set(w.rpartition(":")[0] for w in bad.split()) & set(the_plan["interfaces"])
                            | set(p.split(":")[0] for p in problems if p.split(":")[0] in the_plan["interfaces"]))
            owners = file_interfaces(the_plan)
            back = [c.path for c in the_plan["changes"] if set(owners.get(c.path, the_plan["interfaces"])) & set(failed)]
            kept = sorted(set(r["interface"] for r in the_plan["runtime"]) - set(failed))
            msg += ("; partial_ok: kept the change on %s%s; put back %s%s"
                    % (", ".join(kept) or "no interface",
                       " and the files %s" % ", ".join(c.path for c in the_plan["changes"] if c.path not in back)
                       if len(back) < len(the_plan["changes"]) else "",
                       ", ".join(failed) or "nothing", " and the files %s" % ", ".join(back) if back else ""))
            return {"ok": False, "partial": {"kept": kept, "put_back": failed, "files_put_back": back},
                    "msg": msg, "steps": steps, "after": after}
        if restored:
            msg += "; runtime offload state, NetworkManager profiles and files were put back"
            if the_plan["changes"]:
                msg += " (copies of the original files in %s)" % backup_dir
        else:
            msg += "; ROLLBACK DID NOT COMPLETE: check the host; original files in %s" % backup_dir
        if rb is not None and rb.stdout.strip() not in ("", "restored"):
            msg += ": " + rb.stdout.strip()[:300]
        return {"ok": False, "msg": msg, "steps": steps, "after": after}
    failed = [k for k, v in steps.items() if k.startswith("nmcli.") and v["rc"] != 0]
    if failed:
        return {"ok": False, "steps": steps, "after": after,
                "msg": "nmcli failed: %s (runtime change verified; files in place; backup in %s)"
                       % ("; ".join(steps[k]["stderr"] or steps[k]["stdout"] for k in failed), backup_dir)}
    return {"ok": True, "msg": "", "steps": steps, "after": after}


__all__ = ["build_read_script", "parse_read", "plan", "build_apply_script", "parse_apply", "KcrashError"]
