# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The same assessment from an unpacked sosreport instead of a live host.

:func:`wanted` says which files of a sosreport directory the controller should read (each
bounded); :func:`sections` maps their text into the probe's section structure, so the live
parser (:func:`probe.parse_sections`) and verdict are reused unchanged.

sosreport layouts covered (sos 3.x and 4.x): ``uname``/``sos_commands/kernel/uname_-a``,
``hostname``, ``etc/*-release``, ``installed-rpms``, ``sos_commands/dpkg/dpkg_-l``,
``sos_commands/{networking,firewall_tables}/iptables-save`` / ``ip6tables-save``,
``sos_commands/{nftables,firewall_tables,networking}/nft_*list_ruleset``,
``sos_commands/networking/ethtool_-k_<if>``, ``ethtool_-i_<if>``,
``sos_commands/networking/ip_-d_address`` (or ``ip_-d_link``/``ip_address``),
``sos_commands/kernel/sysctl_-a``, ``proc/sys/net/ipv4/ip_forward``,
``var/crash/*/vmcore-dmesg.txt``, ``sos_commands/kernel/dmesg``/``var/log/dmesg``,
``sos_commands/login/last*``, ``etc/kdump.conf``, ``sys/kernel/kexec_crash_loaded``,
``proc/cmdline``, saved rule files and network configuration under ``etc/``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import oops, probe
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Section

MARKER = "@@KCDATA:sosreport:"
MAX_FILE = 4 * 1024 * 1024

WANTED = (
    "uname", "hostname", "installed-rpms", "proc/cmdline",
    "sos_commands/kernel/uname_-a", "sos_commands/host/hostname", "sos_commands/general/hostname",
    "etc/os-release", "etc/redhat-release", "etc/system-release", "etc/debian_version",
    "sos_commands/dpkg/dpkg_-l",
    "sos_commands/*/iptables-save", "sos_commands/*/ip6tables-save",
    "sos_commands/*/iptables-save_*", "sos_commands/*/ip6tables-save_*",
    "sos_commands/*/nft_*list_ruleset",
    "sos_commands/networking/ethtool_-k_*", "sos_commands/networking/ethtool_-i_*",
    "sos_commands/networking/ip_-d_address", "sos_commands/networking/ip_-d_link",
    "sos_commands/networking/ip_address", "sos_commands/networking/ip_link",
    "sos_commands/kernel/sysctl_-a", "proc/sys/net/ipv4/ip_forward",
    "proc/sys/net/ipv6/conf/all/forwarding", "proc/net/vlan/config",
    "var/crash/*/vmcore-dmesg.txt", "sos_commands/kernel/dmesg", "var/log/dmesg",
    "sos_commands/login/last*", "etc/kdump.conf", "etc/default/kdump-tools",
    "sys/kernel/kexec_crash_loaded", "sys/kernel/kexec_crash_size",
    "etc/sysconfig/iptables", "etc/sysconfig/ip6tables", "etc/iptables/rules.v4",
    "etc/iptables/rules.v6", "etc/nftables.conf", "etc/sysconfig/nftables.conf",
) + tuple(g.lstrip("/") for g in probe.PERSIST_GLOBS)


def wanted(relpath):
    """True when the controller should read this sosreport file."""
    return any(fnmatch.fnmatchcase(relpath, g) for g in WANTED)


def _sec(name, stdout="", rc=0, stderr=""):
    return Section(name, stdout, stderr, rc)


def _first(files, *names):
    for n in names:
        if n in files:
            return files[n]
    return None


def _glob(files, pattern):
    return sorted(k for k in files if fnmatch.fnmatchcase(k, pattern))


def _grep_n(text, pattern):
    rx = re.compile(pattern)
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        if rx.search(line):
            out.append("%d:%s" % (i, line))
    return "\n".join(out) + ("\n" if out else "")


def _filtered(text, words, limit):
    lines = [l for l in text.splitlines() if any(w in l for w in words)]
    return "\n".join(lines)[:limit]


_IP_HEAD = re.compile(r"^\d+:\s+([^:@\s]+)(?:@([^:\s]+))?:\s+<([^>]*)>(.*)$")


def parse_ip_link(text):
    """``ip -d address``/``ip -d link`` -> {name: attrs} in the probe's attribute names."""
    out = {}
    cur = None
    for line in (text or "").splitlines():
        m = _IP_HEAD.match(line)
        if m:
            name, link, flags, rest = m.groups()
            cur = {"attrs": {}, "lower": []}
            out[name] = cur
            mm = re.search(r"\bmaster\s+(\S+)", rest)
            if mm:
                cur["attrs"]["master"] = mm.group(1)
            st = re.search(r"\bstate\s+(\S+)", rest)
            if st:
                cur["attrs"]["operstate"] = st.group(1).lower()
            mt = re.search(r"\bmtu\s+(\d+)", rest)
            if mt:
                cur["attrs"]["mtu"] = mt.group(1)
            if "LOOPBACK" in flags.split(","):
                cur["attrs"]["type"] = "772"
            if link and link != "NONE" and not link.startswith("if"):
                cur["lower"].append(link)
            continue
        if cur is None:
            continue
        words = line.split()
        if not words or words[0].startswith("link/") or words[0] in ("inet", "inet6", "valid_lft", "altname"):
            continue
        kind = words[0]
        a = cur["attrs"]
        if kind == "bond_slave":
            a["bonding_slave"] = "1"
        elif kind == "bond":
            a["bonding"] = "1"
        elif kind == "bridge_slave":
            a["brport"] = "1"
        elif kind == "bridge":
            a["bridge"] = "1"
        elif kind == "team_slave":
            pass
        elif kind == "team":
            a["driver"] = "team"
        elif kind == "vlan":
            a["devtype"] = "vlan"
        elif kind in ("veth", "macvlan", "macvtap", "ipvlan", "vxlan", "tun", "dummy", "geneve", "gre", "ipip", "sit"):
            a.setdefault("driver", kind)
    return out


def _ethtool_i(text):
    drv = re.search(r"^driver:\s*(\S+)", text or "", re.M)
    bus = re.search(r"^bus-info:\s*(\S+)", text or "", re.M)
    return (drv.group(1) if drv else None,
            bus.group(1) if bus and bus.group(1) not in ("N/A", "tap", "") else None)


def _interfaces_text(files):
    k_files = {}
    for path in _glob(files, "sos_commands/networking/ethtool_-k_*"):
        k_files[path.rsplit("ethtool_-k_", 1)[1]] = files[path]
    i_files = {}
    for path in _glob(files, "sos_commands/networking/ethtool_-i_*"):
        i_files[path.rsplit("ethtool_-i_", 1)[1]] = files[path]
    links = parse_ip_link(_first(files, "sos_commands/networking/ip_-d_address", "sos_commands/networking/ip_-d_link",
                                 "sos_commands/networking/ip_address", "sos_commands/networking/ip_link") or "")
    names = []
    for n in list(links) + sorted(k_files) + sorted(i_files):
        if n not in names:
            names.append(n)
    out = []
    for n in names:
        link = links.get(n, {"attrs": {}, "lower": []})
        a = dict(link["attrs"])
        drv, bus = _ethtool_i(i_files.get(n))
        if drv:
            a["driver"] = drv
        if bus:
            a["device"] = "1"
            a["device_driver"] = drv or ""
        if n == "lo":
            a["type"] = "772"
        out.append("%sIF %s" % (MARKER, n))
        for k, v in sorted(a.items()):
            out.append("%s=%s" % (k, v))
        for lo in link["lower"]:
            out.append("lower=%s" % lo)
        if n in k_files:
            text = k_files[n]
            # sos merges stderr into the file: keep it for the parser's note handling
            out.append("%sETHTOOL_K" % MARKER)
            out.append(text.rstrip("\n"))
            out.append("%sETHTOOL_RC %d" % (MARKER, 0 if text.strip() else 1))
        out.append("%sEND" % MARKER)
    vlan = files.get("proc/net/vlan/config")
    if vlan:
        out.append("%sVLAN" % MARKER)
        out.append(vlan)
    return "\n".join(out) + "\n", bool(k_files)


def _crash_text(files):
    out = []
    dirs = {}
    for path in _glob(files, "var/crash/*/vmcore-dmesg.txt"):
        d = "/" + path.rsplit("/", 1)[0]
        dirs.setdefault(d, []).append(path)
    for d in sorted(dirs):
        out.append("%sDIR %s" % (MARKER, d))
        for path in dirs[d]:
            out.append("%sFILE /%s" % (MARKER, path))
            out.append(_filtered(files[path], oops.GREP_WORDS, probe.LIMIT_CRASH))
    return "\n".join(out) + "\n"


def _kernel_pkgs(files):
    rpms = files.get("installed-rpms")
    if rpms:
        lines = ["manager=rpm"]
        for line in rpms.splitlines():
            m = re.match(r"^(kernel(?:-uek|-core|-rt)?)-(\d[^-\s]*)-(\S+?)\.(x86_64|i[3-6]86|ppc64le|ppc64|s390x|aarch64|noarch)\s", line + " ")
            if m:
                lines.append("%s (none):%s-%s %s" % m.groups())
        return "\n".join(lines) + "\n", 0
    dpkg = files.get("sos_commands/dpkg/dpkg_-l")
    if dpkg:
        lines = ["manager=dpkg"]
        for line in dpkg.splitlines():
            w = line.split()
            if len(w) >= 3 and w[0] == "ii" and w[1].startswith("linux-image"):
                lines.append("%s %s install ok installed" % (w[1].split(":")[0], w[2]))
        return "\n".join(lines) + "\n", 0
    return "", 127


def _sysctl(files, key):
    text = files.get("sos_commands/kernel/sysctl_-a") or ""
    m = re.search(r"^%s\s*=\s*(\S+)" % re.escape(key), text, re.M)
    return m.group(1) if m else None


def sections(files):
    """``{relpath: text}`` of a sosreport -> ``({name: Section}, marker)`` for
    :func:`probe.parse_sections`."""
    s = {}
    uname = _first(files, "uname", "sos_commands/kernel/uname_-a") or ""
    words = uname.split()
    release = words[2] if len(words) >= 3 and words[0] == "Linux" else (words[0] if len(words) == 1 else "")
    s["kernel"] = _sec("kernel", release + "\n") if release else _sec("kernel", "", 1, "no uname in the sosreport")
    host = _first(files, "hostname", "sos_commands/host/hostname", "sos_commands/general/hostname")
    if host is None and len(words) >= 2:
        host = words[1]
    s["nodename"] = _sec("nodename", (host or "").strip() + "\n")
    for name, path in probe.OS_FILES:
        rel = path.lstrip("/")
        s[name] = _sec(name, files[rel]) if rel in files else _sec(name, "", probe.RC_ABSENT)
    text, rc = _kernel_pkgs(files)
    s["kernel_pkgs"] = _sec("kernel_pkgs", text, rc)
    for name, family, backend, tool in probe.IPTABLES_TOOLS:
        if backend is not None:
            s[name] = _sec(name, "", probe.RC_MISSING)
            continue
        hits = _glob(files, "sos_commands/*/%s" % tool)
        if hits:
            dump = files[hits[0]]
            s[name] = _sec(name, dump)
            ver = re.search(r"^# Generated by \S+ (v[\d.]+)(?: \((\w+)\))?", dump, re.M)
            vname = "version." + tool[: -len("-save")]
            if ver:
                marker = " (%s)" % ver.group(2) if ver.group(2) else ""
                s[vname] = _sec(vname, "%s %s%s\n" % (tool[: -len("-save")], ver.group(1), marker))
        else:
            s[name] = _sec(name, "", probe.RC_MISSING)
    for tool in ("iptables", "ip6tables"):
        s.setdefault("version." + tool, _sec("version." + tool, "", probe.RC_SKIPPED))
    nft = _glob(files, "sos_commands/*/nft_*list_ruleset")
    s["nft"] = _sec("nft", files[nft[0]]) if nft else _sec("nft", "", probe.RC_MISSING)
    for path, _fam in probe.SAVED_IPTABLES_FILES:
        rel = path.lstrip("/")
        name = probe.saved_section_name(path)
        s[name] = (_sec(name, _grep_n(files[rel], r"^[*:]|^COMMIT|QUEUE")) if rel in files
                   else _sec(name, "", probe.RC_ABSENT))
    for path in probe.SAVED_NFT_FILES:
        rel = path.lstrip("/")
        name = probe.saved_section_name(path)
        s[name] = (_sec(name, _grep_n(files[rel], r"^\s*(table|chain|include)\s|queue")) if rel in files
                   else _sec(name, "", probe.RC_ABSENT))
    itext, has_k = _interfaces_text(files)
    if not has_k:
        itext = "%sNO_ETHTOOL\n" % MARKER + itext
    s["interfaces"] = _sec("interfaces", itext)
    v4 = _sysctl(files, "net.ipv4.ip_forward") or (files.get("proc/sys/net/ipv4/ip_forward") or "").strip()
    v6 = _sysctl(files, "net.ipv6.conf.all.forwarding") or (files.get("proc/sys/net/ipv6/conf/all/forwarding") or "").strip()
    s["forwarding"] = _sec("forwarding", "ipv4=%s\nipv6=%s\n" % (v4 or "", v6 or ""))
    s["crash"] = _sec("crash", _crash_text(files))
    dm = _first(files, "sos_commands/kernel/dmesg", "var/log/dmesg")
    s["dmesg"] = (_sec("dmesg", _filtered(dm, oops.GREP_WORDS, probe.LIMIT_DMESG)) if dm is not None
                  else _sec("dmesg", "", probe.RC_SKIPPED))
    lasts = _glob(files, "sos_commands/login/last*")
    if lasts:
        lines = []
        for p in lasts:
            lines.extend(l for l in files[p].splitlines() if re.search(r"crash|^reboot|^shutdown", l))
        s["wtmp"] = _sec("wtmp", "\n".join(dict.fromkeys(lines)) + "\n")
    else:
        s["wtmp"] = _sec("wtmp", "", probe.RC_SKIPPED)
    ck = ""
    for w in (files.get("proc/cmdline") or "").split():
        if w.startswith("crashkernel="):
            ck = w[len("crashkernel="):]
    s["kdump"] = _sec("kdump", "kexec_crash_loaded=%s\nkexec_crash_size=%s\nkdump_conf=%d\nkdump_tools_conf=%d\n"
                      "crashkernel=%s\nmanager=sosreport\n" % (
                          (files.get("sys/kernel/kexec_crash_loaded") or "").strip(),
                          (files.get("sys/kernel/kexec_crash_size") or "").strip(),
                          1 if "etc/kdump.conf" in files else 0,
                          1 if "etc/default/kdump-tools" in files else 0, ck))
    persist = []
    rx = re.compile(probe.PERSIST_PATTERN)
    for g in probe.PERSIST_GLOBS:
        for rel in _glob(files, g.lstrip("/")):
            for i, line in enumerate(files[rel].splitlines(), 1):
                if rx.search(line):
                    persist.append("/%s:%d:%s" % (rel, i, line))
    s["persist"] = _sec("persist", "\n".join(persist) + "\n")
    return s, MARKER


def collect_facts(files, host=None, partial=True):
    """The ``kcrash_nfqueue`` facts (with ``exposure``) of one unpacked sosreport.

    ``partial`` (default on: a sosreport is offline input, its files may be cut): rulesets
    and ethtool listings the strict parsers refuse are read as far as they go and the facts
    say ``partial: true`` with ``partial_reasons``; off, such a file fails the report."""
    secs, marker = sections(files)
    facts = probe.parse_sections(secs, marker, host, partial=partial)
    facts["exposure"] = probe.exposure.assess(facts)
    facts["probe"]["source"] = "sosreport"
    return facts
