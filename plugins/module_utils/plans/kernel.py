# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kernel upgrade strategy: probe text, parsers, plan and apply text. Pure, no I/O.

Round trips of ``kcrash.nfqueue.kernel_upgrade``:

1. read: :func:`probe_sections` (package manager, repositories, /boot, installonly_limit,
   kdump, boot loader, installed kernels, scheduled reboots) -> :func:`parse_probe` ->
   :func:`plan` (check mode stops here and reports the plan);
2. install (only when the target is not installed): :func:`install_sections`, which also
   reads the boot loader files back, because installing adds boot entries;
3. boot default + verify + reboot scheduling: :func:`default_sections`; its read-back goes
   through :func:`boot_default` and must name the target, else the run fails.

The target is the catalog's documented fixed release for the kernel family, or the release
the user names. Where the catalog knows no fixed release (el6 today) and the user names none,
the plan is empty and says ``no documented fixed kernel for <family>; use offload or drop``.
A user-named target that the catalog does not judge fixed is installed but reported as
``not a documented fix``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import catalog, kdump, os_release
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import (
    KcrashInputError,
    KcrashParseError,
)
from ansible_collections.kcrash.nfqueue.plugins.module_utils.kernel import (
    RELEASE_RE,
    kernel_family,
    kernel_verdict,
)
from ansible_collections.kcrash.nfqueue.plugins.module_utils.plans import reboot as reboot_plan
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import quote
from ansible_collections.kcrash.nfqueue.plugins.module_utils.versions import rpm_evr_compare

RPM_FAMILIES = ("el5", "el6", "el7", "el8", "el9")
REBOOT_MODES = ("now", "window", "none")
TOOLS = ("dnf", "yum", "apt-get", "apt-cache", "rpm", "dpkg-query", "grubby", "grub2-set-default",
         "grub2-mkconfig", "grub2-editenv", "grub-set-default", "grub-editenv", "grub-mkconfig",
         "update-grub", "kdumpctl", "df")
GRUB_CFGS = ("/boot/grub2/grub.cfg", "/boot/grub/grub.cfg", "/boot/efi/EFI/redhat/grub.cfg",
             "/boot/efi/EFI/centos/grub.cfg")
GRUBENVS = ("/boot/grub2/grubenv", "/boot/grub/grubenv", "/boot/efi/EFI/redhat/grubenv")
NO_TARGET_MSG = "no documented fixed kernel for %s; use offload or drop"


def _arch_of(release):
    m = re.search(r"\.(x86_64|i[3-6]86|aarch64|ppc64le|ppc64|s390x)(?:[.+].*)?$", release)
    return m.group(1) if m else None


# ======================================================================== probe

def probe_sections(apt_packages=(), refresh_apt=False):
    """``[(name, shell)]`` of the read trip. ``apt_packages``: names to ``apt-cache policy``."""
    secs = [
        ("uname", "uname -r"),
        ("boot_id", "cat /proc/sys/kernel/random/boot_id"),
        ("os_release", "cat /etc/os-release"),
        ("redhat_release", "cat /etc/redhat-release"),
        ("tools", "for t in %s; do p=$(command -v \"$t\" 2>/dev/null) && printf '%%s %%s\\n' \"$t\" \"$p\"; "
                  "done; :" % " ".join(TOOLS)),
        ("rpm_kernels", "command -v rpm >/dev/null 2>&1 || exit 0; "
                        "rpm -q kernel kernel-core kernel-uek --qf '%{NAME} %{VERSION}-%{RELEASE}.%{ARCH}\\n' "
                        "2>/dev/null | grep -v ' is not installed'; :"),
        ("dpkg_kernels", "command -v dpkg-query >/dev/null 2>&1 || exit 0; "
                         "dpkg-query -W -f '${Package}\\t${Version}\\t${db:Status-Abbrev}\\n' 'linux-image-*' "
                         "2>/dev/null; :"),
        ("available_rpm", "if command -v dnf >/dev/null 2>&1; then "
                          "dnf -q --showduplicates list --available kernel; "
                          "elif command -v yum >/dev/null 2>&1; then "
                          "yum -q --showduplicates list available kernel; else exit 0; fi"),
        ("boot_df", "df -Pk /boot"),
        ("yum_conf", "cat /etc/yum.conf"),
        ("dnf_conf", "cat /etc/dnf/dnf.conf"),
        ("kdump", kdump.script()),
    ]
    secs += boot_sections("")
    if refresh_apt:
        secs.append(("apt_update", "command -v apt-get >/dev/null 2>&1 || exit 0; "
                                   "apt-get -q update >/dev/null 2>&1 || echo 'apt-get update failed'; :"))
    for i, pkg in enumerate(apt_packages):
        if not re.match(r"^[a-z0-9][a-z0-9+.-]{1,100}\Z", pkg):
            raise KcrashInputError("package", "%r is not a Debian package name" % (pkg,))
        secs.append(("apt_policy_%d" % i, "apt-cache policy %s" % quote(pkg)))
    secs += reboot_plan.probe_sections()
    return secs


def boot_sections(prefix):
    """Sections reading the boot loader state (also used after install and after set-default)."""
    p = prefix
    cfgs = " ".join(GRUB_CFGS)
    envs = " ".join(GRUBENVS)
    return [
        (p + "grubby_default", "command -v grubby >/dev/null 2>&1 || exit 0; grubby --default-kernel"),
        (p + "grub_cfg", "for f in %s; do [ -f \"$f\" ] && { printf '#KCRASH-FILE %%s\\n' \"$f\"; cat \"$f\"; "
                         "break; }; done; :" % cfgs),
        (p + "grubenv", "for f in %s; do [ -f \"$f\" ] && { printf '#KCRASH-FILE %%s\\n' \"$f\"; cat \"$f\"; "
                        "break; }; done; :" % envs),
        (p + "grub_legacy", "cat /boot/grub/grub.conf 2>/dev/null; :"),
        (p + "default_grub", "cat /etc/default/grub 2>/dev/null; :"),
        (p + "bls", "for f in /boot/loader/entries/*.conf; do [ -f \"$f\" ] && "
                    "{ printf '#KCRASH-FILE %s\\n' \"$f\"; cat \"$f\"; }; done; :"),
        (p + "boot_files", "ls -1 /boot"),
    ]


# ====================================================================== parsers

def parse_tools(text):
    tools = {}
    for line in text.splitlines():
        parts = line.strip().split(" ", 1)
        if len(parts) == 2 and parts[0] in TOOLS:
            tools[parts[0]] = parts[1]
    return tools


def parse_rpm_kernels(text):
    rels = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and RELEASE_RE.match(parts[1]) and parts[1] not in rels:
            rels.append(parts[1])
    return rels


def parse_dpkg_kernels(text):
    """``linux-image-<release>`` packages installed (status ``ii``) -> [{package, release, version}]."""
    out = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        pkg, ver, status = parts[0], parts[1], parts[2].strip()
        if not status.startswith("ii") or not ver:
            continue
        m = re.match(r"^linux-image-(?:unsigned-)?(\d[A-Za-z0-9._+~-]*)$", pkg)
        if m:
            out.append({"package": pkg, "release": m.group(1), "version": ver})
    return out


_YUM_NAME = re.compile(r"^(kernel(?:-[a-z]+)?)\.([A-Za-z0-9_]+)$")


def parse_yum_list(text, command="yum list available kernel"):
    """yum/dnf ``list`` output -> [{name, arch, evr, release, repo}]. Handles wrapped lines."""
    tokens = []
    for line in text.splitlines():
        s = line.strip()
        if not s or re.match(r"^(available|installed|extra|updated|obsoleting)\s+packages\s*$", s, re.I):
            continue
        if s.lower().startswith(("last metadata", "loaded plugins", "loading mirror", "error:", "warning:")):
            continue
        tokens.extend(s.split())
    out = []
    i = 0
    while i < len(tokens):
        m = _YUM_NAME.match(tokens[i])
        if not m:
            raise KcrashParseError(command, "unexpected token %r" % tokens[i])
        if i + 2 >= len(tokens):
            raise KcrashParseError(command, "truncated entry for %r" % tokens[i])
        evr, repo = tokens[i + 1], tokens[i + 2]
        if ":" in evr:
            epoch, dummy, vr = evr.partition(":")
            if epoch not in ("0", ""):
                vr = evr  # keep the epoch visible; kernels never carry one
        else:
            vr = evr
        out.append({"name": m.group(1), "arch": m.group(2), "evr": evr, "repo": repo.lstrip("@"),
                    "release": "%s.%s" % (vr, m.group(2))})
        i += 3
    return out


def parse_apt_policy(text, package):
    """``apt-cache policy pkg`` -> {package, installed|None, candidate|None, versions[{version, sources}]}."""
    res = {"package": package, "installed": None, "candidate": None, "versions": []}
    if not text.strip():
        return res
    head = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" ") and line.rstrip().endswith(":"):
            head = line.rstrip()[:-1]
            continue
        s = line.strip()
        if s.startswith("Installed:"):
            v = s.split(":", 1)[1].strip()
            res["installed"] = None if v == "(none)" else v
        elif s.startswith("Candidate:"):
            v = s.split(":", 1)[1].strip()
            res["candidate"] = None if v == "(none)" else v
        elif s.startswith("Version table:"):
            continue
        elif re.match(r"^(\*\*\* )?\S+ -?\d+$", s):
            res["versions"].append({"version": s.replace("*** ", "").split()[0], "sources": []})
        elif re.match(r"^-?\d+ ", s) and res["versions"]:
            res["versions"][-1]["sources"].append(s.split(" ", 1)[1])
    if head is not None and head != package:
        raise KcrashParseError("apt-cache policy %s" % package, "answer is about %r" % head)
    return res


def parse_df(text):
    """``df -Pk /boot`` -> {mount, available_kb, size_kb}."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2 or not lines[0].startswith("Filesystem"):
        raise KcrashParseError("df -Pk /boot", "no header line")
    parts = lines[-1].split()
    if len(parts) < 6 or not parts[1].isdigit() or not parts[3].isdigit():
        raise KcrashParseError("df -Pk /boot", "unexpected line %r" % lines[-1])
    return {"mount": parts[-1], "size_kb": int(parts[1]), "available_kb": int(parts[3])}


def parse_installonly(yum_text, dnf_text):
    """installonly_limit of [main] (dnf.conf wins over yum.conf), default 3 like yum and dnf."""
    for text, source in ((dnf_text, "/etc/dnf/dnf.conf"), (yum_text, "/etc/yum.conf")):
        section = None
        for line in text.splitlines():
            s = line.strip()
            if s.startswith("["):
                section = s.strip("[]").strip()
            elif section == "main":
                m = re.match(r"^installonly_limit\s*=\s*(\d+)\s*$", s)
                if m:
                    return {"limit": int(m.group(1)), "source": source}
    return {"limit": 3, "source": "default"}


def _split_file(text):
    """``#KCRASH-FILE path`` framed output -> (path, content) of the first file, or (None, '')."""
    files = _split_files(text)
    return files[0] if files else (None, "")


def _split_files(text):
    out = []
    cur = None
    buf = []
    for line in text.splitlines(True):
        if line.startswith("#KCRASH-FILE "):
            if cur is not None:
                out.append((cur, "".join(buf)))
            cur = line[len("#KCRASH-FILE "):].strip()
            buf = []
        elif cur is not None:
            buf.append(line)
    if cur is not None:
        out.append((cur, "".join(buf)))
    return out


def parse_grubenv(text):
    env = {}
    for line in text.splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        env[k.strip()] = v.rstrip("\n")
    return env


def parse_default_grub(text):
    env = {}
    for line in text.splitlines():
        m = re.match(r"^\s*(GRUB_[A-Z_]+)=(.*)$", line)
        if m:
            v = m.group(2).strip()
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
                v = v[1:-1]
            env[m.group(1)] = v
    return env


_QUOTED = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)""")


def _words(line):
    out = []
    for m in _QUOTED.finditer(line):
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(re.sub(r"\\(.)", r"\1", m.group(2)))
        else:
            out.append(m.group(3))
    return out


def parse_grub_cfg(text):
    """grub.cfg -> flat list of menu entries ``{title, id, path, index, kernel, release}``.

    ``path`` is the ``>``-joined title path (``Advanced options for X>X, with Linux R``) and
    ``index`` the ``>``-joined numeric path (``1>2``), the two forms GRUB_DEFAULT and
    saved_entry take.
    """
    entries = []
    stack = []  # [(kind, title, id, index_path, counter_list)]
    counters = [0]
    depth_kinds = []
    cur = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        w = _words(line)
        if w and w[0] in ("menuentry", "submenu") and line.endswith("{"):
            title = w[1] if len(w) > 1 else ""
            ident = None
            for k, tok in enumerate(w):
                if tok in ("$menuentry_id_option", "--id") and k + 1 < len(w):
                    ident = w[k + 1]
            idx = counters[-1]
            counters[-1] += 1
            titles = [s[1] for s in stack] + [title]
            ids = [s[2] or s[1] for s in stack] + [ident or title]
            indexes = [str(s[3]) for s in stack] + [str(idx)]
            if w[0] == "submenu":
                stack.append(("submenu", title, ident, idx))
                counters.append(0)
                depth_kinds.append("submenu")
            else:
                cur = {"title": title, "id": ident, "path": ">".join(titles), "id_path": ">".join(ids),
                       "index": ">".join(indexes), "kernel": None, "release": None}
                depth_kinds.append("menuentry")
            continue
        if line == "}" or line.startswith("}"):
            if depth_kinds:
                kind = depth_kinds.pop()
                if kind == "menuentry" and cur is not None:
                    entries.append(cur)
                    cur = None
                elif kind == "submenu":
                    stack.pop()
                    counters.pop()
            continue
        if line.endswith("{") and not (w and w[0] in ("menuentry", "submenu")):
            depth_kinds.append("block")
            continue
        if cur is not None and w and w[0] in ("linux", "linux16", "linuxefi", "kernel") and len(w) > 1:
            cur["kernel"] = w[1]
            cur["release"] = _release_of(w[1])
    return entries


def parse_grub_legacy(text):
    """el6 /boot/grub/grub.conf -> {default, entries[{title, index, kernel, release}]}."""
    res = {"default": None, "entries": []}
    cur = None
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.match(r"^default\s*=?\s*(\S+)", s)
        if m and cur is None:
            res["default"] = m.group(1)
            continue
        m = re.match(r"^title\s+(.*)$", s)
        if m:
            cur = {"title": m.group(1), "index": str(len(res["entries"])), "kernel": None, "release": None}
            res["entries"].append(cur)
            continue
        m = re.match(r"^kernel\s+(\S+)", s)
        if m and cur is not None:
            cur["kernel"] = m.group(1)
            cur["release"] = _release_of(m.group(1))
    return res


def parse_bls(text):
    """/boot/loader/entries/*.conf -> [{id, title, version, kernel, release}]."""
    out = []
    for path, content in _split_files(text):
        ent = {"id": posixpath.basename(path)[:-5] if path.endswith(".conf") else posixpath.basename(path),
               "title": None, "version": None, "kernel": None, "release": None}
        for line in content.splitlines():
            parts = line.strip().split(None, 1)
            if len(parts) != 2:
                continue
            if parts[0] == "title":
                ent["title"] = parts[1]
            elif parts[0] == "version":
                ent["version"] = parts[1]
            elif parts[0] == "linux":
                ent["kernel"] = parts[1].split()[0]
                ent["release"] = _release_of(ent["kernel"])
        out.append(ent)
    return out


def _release_of(kernel_path):
    base = posixpath.basename(kernel_path or "")
    if base.startswith("vmlinuz-"):
        return base[len("vmlinuz-"):]
    if base.startswith("vmlinux-"):
        return base[len("vmlinux-"):]
    return None


def parse_boot(sections, prefix=""):
    """Boot loader facts from :func:`boot_sections` output."""
    def text(name):
        s = sections.get(prefix + name)
        return s.stdout if s is not None else ""
    cfg_path, cfg = _split_file(text("grub_cfg"))
    env_path, env = _split_file(text("grubenv"))
    gd = text("grubby_default").strip()
    grubby_sec = sections.get(prefix + "grubby_default")
    return {
        "grubby_default": gd if (grubby_sec is not None and grubby_sec.rc == 0 and gd.startswith("/")) else None,
        "grub_cfg_path": cfg_path,
        "grub_entries": parse_grub_cfg(cfg) if cfg_path else [],
        "grubenv_path": env_path,
        "grubenv": parse_grubenv(env) if env_path else {},
        "grub_legacy": parse_grub_legacy(text("grub_legacy")),
        "default_grub": parse_default_grub(text("default_grub")),
        "default_grub_text": text("default_grub"),
        "bls": parse_bls(text("bls")),
        "boot_files": [ln.strip() for ln in text("boot_files").splitlines() if ln.strip()],
    }


def _resolve_grub_spec(spec, entries, bls):
    if spec is None:
        return None
    for e in entries:
        if spec in (e["path"], e["id_path"], e["index"], e["title"]) or (e["id"] and spec == e["id"]):
            return e
    for b in bls:
        if spec == b["id"]:
            return b
    return None


def boot_default(boot):
    """What the boot loader will start: {method, spec, kernel, release, next_entry} (release None = unknown)."""
    if boot.get("grubby_default"):
        return {"method": "grubby", "spec": "grubby --default-kernel", "kernel": boot["grubby_default"],
                "release": _release_of(boot["grubby_default"]), "next_entry": boot["grubenv"].get("next_entry")}
    entries = boot.get("grub_entries") or []
    env = boot.get("grubenv") or {}
    gd = boot.get("default_grub", {}).get("GRUB_DEFAULT", "0")
    if entries or boot.get("bls"):
        spec = env.get("saved_entry") if gd == "saved" else gd
        if gd == "saved" and not spec:
            spec = "0"
        blscfg = not entries and boot.get("bls")
        if blscfg:
            # grub's blscfg orders entries newest first (by version) and indexes them so
            ordered = sorted(boot["bls"], key=lambda b: b.get("id") or "", reverse=True)
            ent = _resolve_grub_spec(spec, [], boot["bls"])
            if ent is None and spec.isdigit() and int(spec) < len(ordered):
                ent = ordered[int(spec)]
        else:
            ent = _resolve_grub_spec(spec, entries, boot.get("bls") or [])
        return {"method": "grub", "spec": spec, "kernel": ent.get("kernel") if ent else None,
                "release": ent.get("release") if ent else None, "next_entry": env.get("next_entry")}
    legacy = boot.get("grub_legacy") or {}
    if legacy.get("entries"):
        idx = legacy.get("default") or "0"
        ent = legacy["entries"][int(idx)] if idx.isdigit() and int(idx) < len(legacy["entries"]) else None
        return {"method": "grub-legacy", "spec": idx, "kernel": ent and ent["kernel"],
                "release": ent and ent["release"], "next_entry": None}
    return {"method": None, "spec": None, "kernel": None, "release": None, "next_entry": None}


def choose_package_manager(family, tools):
    """The host's own package manager for its kernel: yum on el5-el7 (dnf where yum is
    absent), dnf on el8+ (yum where dnf is absent), apt-get on Debian/Ubuntu and other
    dpkg systems. An el kernel is never installed with apt-get, whatever else is there."""
    if family in RPM_FAMILIES:
        order = ("yum", "dnf") if family in ("el5", "el6", "el7") else ("dnf", "yum")
        for pm in order:
            if pm in tools:
                return pm
        return None
    if "apt-get" in tools:
        return "apt"
    for pm in ("dnf", "yum"):
        if pm in tools:
            return pm
    return None


def parse_probe(sections, apt_packages=()):
    """Read-trip sections -> facts dict (raises KcrashParseError on malformed output)."""
    def sec(name):
        return sections.get(name)

    def text(name):
        s = sec(name)
        return s.stdout if s is not None else ""
    uname = text("uname").strip()
    if not uname or not RELEASE_RE.match(uname):
        raise KcrashParseError("uname -r", "no kernel release in %r" % uname[:80])
    os_info = os_release.os_facts({"os-release": text("os_release"), "redhat-release": text("redhat_release")})
    tools = parse_tools(text("tools"))
    pm = choose_package_manager(kernel_family(uname, os_info), tools)
    avail_sec = sec("available_rpm")
    available = []
    avail_error = None
    if pm in ("dnf", "yum") and avail_sec is not None:
        if avail_sec.rc == 0:
            available = parse_yum_list(avail_sec.stdout, "%s list available kernel" % pm)
        else:
            avail_error = (avail_sec.stderr.strip() or avail_sec.stdout.strip() or "rc %d" % avail_sec.rc)[-400:]
    policies = {}
    for i, pkg in enumerate(apt_packages):
        s = sec("apt_policy_%d" % i)
        if s is not None:
            policies[pkg] = parse_apt_policy(s.stdout, pkg)
    df_sec = sec("boot_df")
    boot_space = parse_df(df_sec.stdout) if df_sec is not None and df_sec.rc == 0 else None
    facts = {
        "running": uname,
        "boot_id": text("boot_id").strip(),
        "os": os_info,
        "family": kernel_family(uname, os_info),
        "tools": tools,
        "package_manager": pm,
        "installed_rpm": parse_rpm_kernels(text("rpm_kernels")),
        "installed_deb": parse_dpkg_kernels(text("dpkg_kernels")),
        "available_rpm": available,
        "available_error": avail_error,
        "apt_policy": policies,
        "apt_update_failed": "apt-get update failed" in text("apt_update"),
        "boot_space": boot_space,
        "installonly": parse_installonly(text("yum_conf"), text("dnf_conf")),
        "kdump": kdump.parse(text("kdump")),
        "boot": parse_boot(sections),
        "reboot": reboot_plan.parse_probe(sections),
    }
    facts["installed"] = (facts["installed_rpm"] if pm in ("dnf", "yum")
                          else [d["release"] for d in facts["installed_deb"]])
    facts["verdict"] = kernel_verdict(uname, os_info, facts["installed"])
    return facts


# ========================================================================= plan

def validate_target(target):
    """A user target: a kernel release (``3.10.0-1160.119.1.el7.x86_64``, ``6.1.0-13-amd64``)."""
    if target is None:
        return None
    if not isinstance(target, str) or not RELEASE_RE.match(target) or not re.match(r"^\d", target):
        raise KcrashInputError("kcrash_kernel_target", "%r is not a kernel release (uname -r form)" % (target,))
    return target


def apt_package_for(release):
    return "linux-image-%s" % release


def _rpm_pkg_spec(release):
    """``3.10.0-1160.el7.x86_64`` -> ``kernel-3.10.0-1160.el7.x86_64`` (yum/dnf NEVRA form)."""
    return "kernel-%s" % release


def _choose_catalog_target(facts, prefer):
    fam = facts["family"]
    fixed = catalog.documented_fixed_release(fam) if fam else None
    if not fixed:
        return None, None
    arch = _arch_of(facts["running"]) or "x86_64"
    cands = []
    for a in facts["available_rpm"]:
        if a["name"] != "kernel" or a["arch"] != arch:
            continue
        vr = a["release"][: -len(arch) - 1]
        if rpm_evr_compare(vr, fixed) >= 0:
            cands.append((vr, a["release"]))
    for rel in facts["installed"]:
        if rel.endswith("." + arch):
            vr = rel[: -len(arch) - 1]
            if rpm_evr_compare(vr, fixed) >= 0:
                cands.append((vr, rel))
    if not cands:
        return fixed + "." + arch, fixed
    exact = [c for c in cands if rpm_evr_compare(c[0], fixed) == 0]
    if prefer == "documented" and exact:
        return exact[0][1], fixed
    best = cands[0]
    for c in cands[1:]:
        if rpm_evr_compare(c[0], best[0]) > 0:
            best = c
    return best[1], fixed


def plan(facts, target=None, prefer="newest", reboot="none", window=None, reboot_method="auto",
         min_boot_free_mb=100, set_default=True, require_kdump=False):
    """Facts + options -> plan dict (see docs/kernel.md). Raises KcrashInputError on bad options."""
    if reboot not in REBOOT_MODES:
        raise KcrashInputError("reboot", "%r is not one of %s" % (reboot, ", ".join(REBOOT_MODES)))
    if prefer not in ("newest", "documented"):
        raise KcrashInputError("prefer", "%r is not newest or documented" % (prefer,))
    if reboot == "window":
        window = reboot_plan.validate_time(window)
    target = validate_target(target)
    fam = facts["family"]
    verdict = facts["verdict"]
    pm = facts["package_manager"]
    res = {
        "family": fam, "running": facts["running"], "package_manager": pm,
        "running_verdict": {k: verdict[k] for k in ("code_vulnerable", "confidence", "reason", "fixed_by")},
        "target": None, "target_source": None, "documented_fix": False, "target_verdict": None,
        "status": None, "message": "", "prechecks": [], "warnings": [], "failed": False,
        "install": None, "set_default": None, "reboot": None, "pending_reboot": False, "changed": False,
        "boot_default_before": boot_default(facts["boot"]),
    }

    if target is None:
        if verdict["code_vulnerable"] is False:
            res["status"] = "not_needed"
            res["message"] = ("running kernel %s is not code-vulnerable (%s): %s; nothing to do"
                              % (facts["running"], verdict["confidence"], verdict["reason"]))
            return res
        tgt, fixed = _choose_catalog_target(facts, prefer)
        if tgt is None:
            res["status"] = "no_target"
            res["message"] = NO_TARGET_MSG % (fam or "this kernel family")
            return res
        target = tgt
        res["target_source"] = "catalog"
    else:
        res["target_source"] = "user"
    res["target"] = target
    tv = kernel_verdict(target, facts["os"])
    res["target_verdict"] = {k: tv[k] for k in ("family", "code_vulnerable", "confidence", "reason", "fixed_by")}
    res["documented_fix"] = tv["code_vulnerable"] is False
    if not res["documented_fix"]:
        res["warnings"].append("target %s is not a documented fix for %s (%s); installing it as requested"
                               % (target, catalog.PRIMARY, tv["reason"]))

    # ---------------------------------------------------------------- pre-checks
    installed = target in facts["installed"]
    checks = res["prechecks"]
    if installed:
        checks.append({"name": "package_source", "ok": True, "message": "%s is already installed" % target})
    elif pm in ("dnf", "yum"):
        if facts["available_error"]:
            checks.append({"name": "package_source", "ok": False,
                           "message": "%s cannot list kernels: %s" % (pm, facts["available_error"])})
        elif any(a["release"] == target and a["name"] == "kernel" for a in facts["available_rpm"]):
            repo = [a["repo"] for a in facts["available_rpm"] if a["release"] == target][0]
            checks.append({"name": "package_source", "ok": True,
                           "message": "%s sees kernel %s in repository %s" % (pm, target, repo)})
        else:
            checks.append({"name": "package_source", "ok": False,
                           "message": "%s cannot see kernel %s in any enabled repository (available: %s)"
                                      % (pm, target, ", ".join(a["release"] for a in facts["available_rpm"])
                                         or "none")})
    elif pm == "apt":
        pol = facts["apt_policy"].get(apt_package_for(target))
        if pol and pol["candidate"]:
            checks.append({"name": "package_source", "ok": True,
                           "message": "apt sees %s %s" % (apt_package_for(target), pol["candidate"])})
        else:
            checks.append({"name": "package_source", "ok": False,
                           "message": "apt cannot see %s (apt-cache policy has no candidate%s)"
                                      % (apt_package_for(target),
                                         "; apt-get update failed" if facts["apt_update_failed"] else "")})
    else:
        checks.append({"name": "package_source", "ok": False,
                       "message": "no supported package manager (yum, dnf, apt-get) found"})

    space = facts["boot_space"]
    if installed:
        pass
    elif space is None:
        checks.append({"name": "boot_space", "ok": False, "message": "could not read free space of /boot (df -Pk /boot)"})
    else:
        free_mb = space["available_kb"] // 1024
        checks.append({"name": "boot_space", "ok": free_mb >= min_boot_free_mb,
                       "message": "%d MiB free on %s (need %d MiB)" % (free_mb, space["mount"], min_boot_free_mb)})

    if pm in ("dnf", "yum"):
        lim = facts["installonly"]["limit"]
        n = len(facts["installed"]) + (0 if installed else 1)
        msg = "%d kernel(s) after install, installonly_limit=%d (%s)" % (n, lim, facts["installonly"]["source"])
        if n > lim >= 2:
            oldest = [r for r in facts["installed"] if r != facts["running"]]
            msg += "; %s will remove the oldest non-running kernel%s" % (
                pm, (" (%s)" % oldest[0]) if oldest else "")
            res["warnings"].append(msg)
        checks.append({"name": "installonly_limit", "ok": True, "message": msg})

    kd = facts["kdump"]
    kd_ok = kd["state"] == "loaded"
    checks.append({"name": "kdump", "ok": kd_ok if require_kdump else True,
                   "message": {"loaded": "kdump is loaded (a crash kernel is reserved and loaded)",
                               "configured_not_loaded": "kdump is configured but no crash kernel is loaded: "
                                                        "a future crash would leave no vmcore",
                               "not_configured": "kdump is not configured: a future crash would leave "
                                                 "no vmcore"}[kd["state"]]})
    if not kd_ok:
        res["warnings"].append(checks[-1]["message"])

    failed = [c for c in checks if c["ok"] is False]
    if failed:
        res["failed"] = True
        res["status"] = "precheck_failed"
        res["message"] = "; ".join(c["message"] for c in failed)
        return res

    # ---------------------------------------------------------------- steps
    if not installed:
        if pm in ("dnf", "yum"):
            cmd = "%s -y install %s" % (pm, quote(_rpm_pkg_spec(target)))
        else:
            pkg = apt_package_for(target)
            cmd = "DEBIAN_FRONTEND=noninteractive apt-get -y -q install %s" % quote(pkg)
        res["install"] = {"package": _rpm_pkg_spec(target) if pm != "apt" else apt_package_for(target),
                          "command": cmd}
    running_target = facts["running"] == target
    res["set_default"] = None
    if set_default and not running_target:
        res["set_default"] = default_entry_step(facts["boot"], target, facts["tools"], planned=True)
        if res["set_default"] and res["set_default"].get("error"):
            res["failed"] = True
            res["status"] = "precheck_failed"
            res["message"] = res["set_default"]["error"]
            return res
    if running_target:
        res["status"] = "running_target"
        res["message"] = "already running the target kernel %s" % target
        return res
    res["status"] = "planned"
    if reboot == "none":
        res["pending_reboot"] = True
        res["reboot"] = {"mode": "none"}
    elif reboot == "now":
        res["reboot"] = {"mode": "now", "command": REBOOT_NOW}
    else:
        rp = reboot_plan.plan(facts["reboot"], "scheduled", window, reboot_method, ident="kernel", kernel=target)
        res["reboot"] = {"mode": "window", "time": window, "plan": rp}
        res["pending_reboot"] = True
    default_needed = bool(res["set_default"] and res["set_default"].get("needed"))
    res["changed"] = bool(res["install"]) or default_needed or reboot == "now" or \
        bool(res["reboot"].get("plan", {}).get("changed"))
    parts = []
    if res["install"]:
        parts.append("install %s" % res["install"]["package"])
    if res["set_default"]:
        parts.append(res["set_default"]["describe"])
    parts.append({"none": "leave the reboot to the operator (pending reboot)",
                  "now": "reboot now",
                  "window": "reboot at %s" % window}[reboot])
    res["message"] = "; ".join(parts)
    return res


REBOOT_NOW = ("nohup sh -c 'sleep 2; shutdown -r now || reboot' </dev/null >/dev/null 2>&1 & "
              "echo 'reboot requested'")


def default_entry_step(boot, target, tools, planned=False):
    """How to make ``target`` the default boot entry -> {method, needed, commands[], describe, files[]}.

    ``planned``: the target may not be installed yet, so entries that only appear after the
    install are predicted (grubby path, Debian title path) and re-checked after install.
    """
    current = boot_default(boot)
    kpath = "/boot/vmlinuz-%s" % target
    if current["release"] == target and not current.get("next_entry"):
        return {"method": current["method"], "needed": False, "commands": [], "files": [],
                "describe": "boot default already %s (%s)" % (kpath, current["method"] or "?")}
    if "grubby" in tools:
        return {"method": "grubby", "needed": True, "files": [],
                "commands": ["grubby --set-default %s" % quote(kpath)],
                "describe": "make %s the default boot entry (grubby --set-default)" % kpath}
    entries = boot.get("grub_entries") or []
    gd = boot.get("default_grub", {}).get("GRUB_DEFAULT", "0")
    setdef = "grub2-set-default" if "grub2-set-default" in tools else (
        "grub-set-default" if "grub-set-default" in tools else None)
    mkconfig = None
    if "update-grub" in tools:
        mkconfig = "update-grub"
    elif "grub2-mkconfig" in tools and boot.get("grub_cfg_path"):
        mkconfig = "grub2-mkconfig -o %s" % quote(boot["grub_cfg_path"])
    elif "grub-mkconfig" in tools and boot.get("grub_cfg_path"):
        mkconfig = "grub-mkconfig -o %s" % quote(boot["grub_cfg_path"])
    if not entries and not boot.get("bls"):
        if boot.get("grub_legacy", {}).get("entries"):
            return {"error": "grub legacy without grubby: cannot select the boot entry safely"}
        return {"error": "no boot loader configuration found (no grubby, no grub.cfg, no BLS entries)"}
    if setdef is None:
        return {"error": "neither grubby nor grub-set-default/grub2-set-default is available"}
    ent = pick_entry(entries, target)
    files = []
    cmds = []
    if gd != "saved":
        content = set_grub_default_saved(boot.get("default_grub_text", ""))
        files.append({"path": "/etc/default/grub", "content": content,
                      "before": boot.get("default_grub_text", "")})
    if mkconfig and (files or ent is None):
        cmds.append(mkconfig)
    spec = ent["path"] if ent else None
    if ent is None and planned:
        spec = "@after-install"
    if spec is None:
        return {"error": "no grub menu entry boots %s" % kpath}
    cmds.append("%s %s" % (setdef, quote(spec)) if spec != "@after-install" else setdef + " @after-install")
    return {"method": "grub", "needed": True, "commands": cmds, "files": files, "spec": spec,
            "set_default_tool": setdef, "mkconfig": mkconfig,
            "describe": "make '%s' the saved grub default (%s%s)"
                        % (spec if spec != "@after-install" else "the menu entry of " + kpath, setdef,
                           ", GRUB_DEFAULT=saved in /etc/default/grub" if files else "")}


def pick_entry(entries, target):
    """The grub entry to pin for ``target``: one that names the release in its title and is
    not a recovery entry (Debian's "Advanced options" entry), else any normal entry booting it.
    The plain first entry ("Debian GNU/Linux") boots whatever kernel is newest, so it is a
    poor pin."""
    boots = [e for e in entries if e["release"] == target and "recovery" not in e["title"].lower()]
    named = [e for e in boots if target in e["title"]]
    if named:
        return named[0]
    return boots[0] if boots else None


def set_grub_default_saved(text):
    """/etc/default/grub content with ``GRUB_DEFAULT=saved`` (replacing or appending)."""
    lines = text.splitlines(True)
    out = []
    done = False
    for line in lines:
        if re.match(r"^\s*GRUB_DEFAULT=", line):
            if not done:
                out.append("GRUB_DEFAULT=saved\n")
                done = True
            continue
        out.append(line)
    if not done:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out.append("GRUB_DEFAULT=saved\n")
    return "".join(out)


def resolve_after_install(step, boot, target):
    """Replace the predicted ``@after-install`` grub entry with the real one from read-back boot facts."""
    if not step or step.get("method") != "grub" or step.get("spec") != "@after-install":
        return step
    e = pick_entry(boot.get("grub_entries") or [], target)
    if e is not None:
        step = dict(step)
        step["spec"] = e["path"]
        step["commands"] = [c for c in step["commands"] if not c.endswith("@after-install")]
        step["commands"].append("%s %s" % (step["set_default_tool"], quote(e["path"])))
        step["describe"] = step["describe"].replace("the menu entry of /boot/vmlinuz-%s" % target, e["path"])
        return step
    for b in boot.get("bls") or []:
        if b["release"] == target:
            step = dict(step)
            step["spec"] = b["id"]
            step["commands"] = [c for c in step["commands"] if not c.endswith("@after-install")]
            step["commands"].append("%s %s" % (step["set_default_tool"], quote(b["id"])))
            return step
    return dict(step, error="after install, no boot entry for /boot/vmlinuz-%s was found" % target)


# ==================================================================== apply text

def install_sections(p):
    """Trip 2: install the package (and regenerate grub.cfg where grub is driven directly),
    then read the boot loader back (prefix ``after_``)."""
    cmd = p["install"]["command"] + " 2>&1"
    step = p.get("set_default") or {}
    if step.get("method") == "grub" and step.get("mkconfig"):
        cmd += " && %s 2>&1" % step["mkconfig"]
    return [("install", cmd)] + boot_sections("after_")


def default_sections(step, reboot_step, backup_dir, file_transaction_text):
    """Trip 3: set the default entry (files first, atomically), verify read-back, schedule the reboot."""
    secs = []
    if step and step.get("needed"):
        body = file_transaction_text or ""
        body += "\n".join(c + " || exit 4" for c in step["commands"])
        secs.append(("set_default", body + "\n:"))
    secs += boot_sections("verify_")
    if reboot_step:
        secs.append(("reboot", reboot_step))
    return secs


def verify_default(boot_after, target):
    """-> (ok, boot_default dict, message)."""
    d = boot_default(boot_after)
    if d["release"] == target and not d.get("next_entry"):
        return True, d, "boot loader will start %s (%s)" % (d["kernel"], d["method"])
    if d.get("next_entry"):
        return False, d, "a one-time next_entry=%s overrides the default" % d["next_entry"]
    return False, d, "boot loader will start %s, not the target %s (%s)" % (
        d["kernel"] or "an unknown entry", target, d["method"] or "no boot loader found")


def verify_running(running, target):
    if running == target:
        return True, "running kernel %s is the target" % running
    return False, "host came back on %s, not the target %s" % (running, target)
