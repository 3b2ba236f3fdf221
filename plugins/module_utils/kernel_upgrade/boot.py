# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kernel_upgrade, boot loader stage: the sections that read the boot loader (read trip,
after install, after set-default), the boot facts, what the boot loader will start
(:func:`boot_default`), how to make the target the default (:func:`default_entry_step`) and
the read-back check (:func:`verify_default`). The file formats are parsed by ``grub.py`` and
``bls.py``. Pure, no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import bls, grub
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import quote

GRUB_CFGS = ("/boot/grub2/grub.cfg", "/boot/grub/grub.cfg", "/boot/efi/EFI/redhat/grub.cfg",
             "/boot/efi/EFI/centos/grub.cfg")
GRUBENVS = ("/boot/grub2/grubenv", "/boot/grub/grubenv", "/boot/efi/EFI/redhat/grubenv")


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


def split_file(text):
    """``#KCRASH-FILE path`` framed output -> (path, content) of the first file, or (None, '')."""
    files = split_files(text)
    return files[0] if files else (None, "")


def split_files(text):
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


def parse_bls(text):
    """``#KCRASH-FILE``-framed ``/boot/loader/entries/*.conf`` -> :func:`bls.parse` entries."""
    return bls.parse(split_files(text))


def parse_boot(sections, prefix=""):
    """Boot loader facts from :func:`boot_sections` output."""
    def text(name):
        s = sections.get(prefix + name)
        return s.stdout if s is not None else ""
    cfg_path, cfg = split_file(text("grub_cfg"))
    env_path, env = split_file(text("grubenv"))
    gd = text("grubby_default").strip()
    grubby_sec = sections.get(prefix + "grubby_default")
    return {
        "grubby_default": gd if (grubby_sec is not None and grubby_sec.rc == 0 and gd.startswith("/")) else None,
        "grub_cfg_path": cfg_path,
        "grub_entries": grub.parse_grub_cfg(cfg) if cfg_path else [],
        "grubenv_path": env_path,
        "grubenv": grub.parse_grubenv(env) if env_path else {},
        "grub_legacy": grub.parse_grub_legacy(text("grub_legacy")),
        "default_grub": grub.parse_default_grub(text("default_grub")),
        "default_grub_text": text("default_grub"),
        "bls": parse_bls(text("bls")),
        "boot_files": [ln.strip() for ln in text("boot_files").splitlines() if ln.strip()],
    }


def _resolve_grub_spec(spec, entries, bls_entries):
    if spec is None:
        return None
    for e in entries:
        if spec in (e["path"], e["id_path"], e["index"], e["title"]) or (e["id"] and spec == e["id"]):
            return e
    for b in bls_entries:
        if spec == b["id"]:
            return b
    return None


def boot_default(boot):
    """What the boot loader will start: {method, spec, kernel, release, next_entry} (release None = unknown)."""
    if boot.get("grubby_default"):
        return {"method": "grubby", "spec": "grubby --default-kernel", "kernel": boot["grubby_default"],
                "release": grub.release_of(boot["grubby_default"]), "next_entry": boot["grubenv"].get("next_entry")}
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
        content = grub.set_grub_default_saved(boot.get("default_grub_text", ""))
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


def verify_default(boot_after, target):
    """-> (ok, boot_default dict, message)."""
    d = boot_default(boot_after)
    if d["release"] == target and not d.get("next_entry"):
        return True, d, "boot loader will start %s (%s)" % (d["kernel"], d["method"])
    if d.get("next_entry"):
        return False, d, "a one-time next_entry=%s overrides the default" % d["next_entry"]
    return False, d, "boot loader will start %s, not the target %s (%s)" % (
        d["kernel"] or "an unknown entry", target, d["method"] or "no boot loader found")
