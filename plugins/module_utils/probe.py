# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The detection probe: ONE POSIX sh script per host, and the parser of its answer.

Over 500 lines on purpose: one section per fact the verdict needs, and the parser of each
section next to the command that produces it (the formats themselves are parsed in their own
modules: ``ethtool.py``, ``iptables_save.py``, ``nft.py``, ``netdev.py``, ``oops.py`` ...).

:func:`build_probe` returns the script text (built with :class:`shell.Script`, so every
command comes back framed with its stdout, stderr and exit status) and its nonce.
:func:`parse_probe` turns the framed answer into the ``kcrash_nfqueue`` facts (everything
but ``exposure``, which :func:`exposure.assess` adds).

Exit status conventions inside sections (besides the tool's own):

* 127  the tool is not installed (``shell.tool_command``) -> ``probe.missing_tools``
* 3    the file does not exist (not an error)
* 4    skipped on purpose (e.g. plain ``iptables-save`` when the -legacy/-nft variants exist)

Missing tools and permission problems are reported per item in ``probe.errors``; they never
abort the probe. Output that a tool printed successfully but that cannot be understood
raises :class:`KcrashParseError` naming the command (the action turns it into a failed
result naming the host), so a garbled answer never becomes a wrong verdict.

The script is plain POSIX sh (dash, bash 4.1 of el6, busybox ash): no ``local``, no
``[[``, no arrays, ``printf`` only, and every output it reads from files is bounded.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool as ethtool_mod
from ansible_collections.kcrash.nfqueue.plugins.module_utils import exposure
from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save
from ansible_collections.kcrash.nfqueue.plugins.module_utils import kdump as kdump_mod
from ansible_collections.kcrash.nfqueue.plugins.module_utils import kernel
from ansible_collections.kcrash.nfqueue.plugins.module_utils import netdev
from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft as nft_mod
from ansible_collections.kcrash.nfqueue.plugins.module_utils import oops
from ansible_collections.kcrash.nfqueue.plugins.module_utils import os_release
from ansible_collections.kcrash.nfqueue.plugins.module_utils import packages
from ansible_collections.kcrash.nfqueue.plugins.module_utils import partial as partial_mod
from ansible_collections.kcrash.nfqueue.plugins.module_utils import persist as persist_mod
from ansible_collections.kcrash.nfqueue.plugins.module_utils import saved_rules
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError, KcrashInputError, KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import (
    Script,
    quote,
    split_sections,
    tool_command,
)

RC_MISSING = 127
RC_ABSENT = 3
RC_SKIPPED = 4
# the tool is there but lacks the option the probe needs (busybox ``last`` has no ``-x``)
RC_UNSUPPORTED = 5

OS_FILES = (
    ("os.os-release", "/etc/os-release"),
    ("os.redhat-release", "/etc/redhat-release"),
    ("os.system-release", "/etc/system-release"),
    ("os.debian_version", "/etc/debian_version"),
)

# (section, family, backend or None for "the plain name", tool)
IPTABLES_TOOLS = tuple(("save." + tool, family, backend, tool) for family, backend, tool in iptables_save.SAVE_TOOLS)

SAVED_IPTABLES_FILES = iptables_save.SAVED_FILES
SAVED_NFT_FILES = nft_mod.SAVED_FILES

# every persistence back end's DETECT_GLOBS, then hand-written boot scripts (persist/__init__.py)
PERSIST_GLOBS = persist_mod.detect_globs()
PERSIST_PATTERN = (
    "ETHTOOL_OPTS|offload-lro|offload-gro|feature-lro|feature-gro|LargeReceiveOffload|"
    "GenericReceiveOffload|large-receive-offload|generic-receive-offload|ethtool +-K|"
    "ethtool +--offload|ethtool +--features"
)

LIMIT_FILE = 16384          # os files
LIMIT_SAVED = 65536         # filtered saved rule files
LIMIT_CRASH = 16384         # matching lines per vmcore-dmesg file
LIMIT_DMESG = 8192
LIMIT_WTMP = 32768
LIMIT_PERSIST = 32768

_KV_RE = re.compile(r"^([A-Za-z0-9_.]+)=(.*)\Z")


# ============================================================================ build

def _file(path, limit=LIMIT_FILE):
    p = quote(path)
    return "if [ -e %s ]; then head -c %d %s; else exit %d; fi" % (p, limit, p, RC_ABSENT)


def _ipt_section(tool, backend):
    cmd = tool_command(tool, "")
    if backend is None:
        base = tool[: -len("-save")]
        return (
            "if command -v %s-legacy-save >/dev/null 2>&1 || command -v %s-nft-save >/dev/null 2>&1; "
            "then exit %d; fi; %s" % (base, base, RC_SKIPPED, cmd)
        )
    return cmd


def _crash_script(marker):
    words = " ".join("-e %s" % quote(w) for w in oops.GREP_WORDS)
    return (
        "M=%(m)s\n"
        # an unreadable /var/crash (a non-root read) would look like an empty one
        "if [ -d /var/crash ] && { [ ! -r /var/crash ] || [ ! -x /var/crash ]; }; then\n"
        "  echo 'kcrash: cannot read /var/crash: permission denied' >&2; exit 1; fi\n"
        "for d in /var/crash/*; do\n"
        "  [ -d \"$d\" ] || continue\n"
        "  printf '%%sDIR %%s\\n' \"$M\" \"$d\"\n"
        "  for f in \"$d\"/vmcore \"$d\"/vmcore.flat \"$d\"/vmcore-incomplete \"$d\"/dump.*; do\n"
        "    [ -e \"$f\" ] && printf '%%sVMCORE %%s\\n' \"$M\" \"$f\"\n"
        "  done\n"
        "  for f in \"$d\"/vmcore-dmesg.txt \"$d\"/dmesg.*; do\n"
        "    [ -f \"$f\" ] || continue\n"
        "    [ -r \"$f\" ] || { printf 'kcrash: cannot read %%s: permission denied\\n' \"$f\" >&2; continue; }\n"
        "    printf '%%sFILE %%s\\n' \"$M\" \"$f\"\n"
        "    grep -F %(words)s \"$f\" 2>&1 | head -c %(lim)d\n"
        "    printf '\\n'\n"
        "  done\n"
        "done\n"
        "exit 0"
    ) % {"m": quote(marker), "words": words, "lim": LIMIT_CRASH}


def _dmesg_script():
    words = " ".join("-e %s" % quote(w) for w in oops.GREP_WORDS)
    return (
        "if ! command -v dmesg >/dev/null 2>&1; then echo 'kcrash: dmesg: command not found' >&2; exit 127; fi\n"
        "dmesg > \"$KC_T/dmesg\" || exit $?\n"
        "grep -F %s \"$KC_T/dmesg\" | head -c %d\n"
        "exit 0" % (words, LIMIT_DMESG)
    )


def _wtmp_script():
    return (
        "if ! command -v last >/dev/null 2>&1; then echo 'kcrash: last: command not found' >&2; exit 127; fi\n"
        "last -x > \"$KC_T/last\" 2> \"$KC_T/last.err\"; kc_r=$?\n"
        "if [ \"$kc_r\" -ne 0 ]; then\n"
        # busybox last: "Usage: last" and rc 1; other lasts: "invalid/unrecognized option"
        "  if grep -q -i -e 'usage' -e 'option' \"$KC_T/last.err\"; then\n"
        "    echo 'kcrash: last has no -x option (busybox last?): shutdown/crash records cannot be read' >&2; exit %d; fi\n"
        "  cat \"$KC_T/last.err\" >&2; exit $kc_r\n"
        "fi\n"
        "grep -E 'crash|^reboot|^shutdown' \"$KC_T/last\" | head -c %d\n"
        "exit 0" % (RC_UNSUPPORTED, LIMIT_WTMP)
    )


def _kernel_pkgs_script():
    return (
        "kc_m=''\n"
        "if command -v rpm >/dev/null 2>&1; then\n"
        "  rpm -q --qf '%%{NAME} %%{EPOCH}:%%{VERSION}-%%{RELEASE} %%{ARCH}\\n' "
        "kernel kernel-uek kernel-core kernel-rt 2>/dev/null | grep -v 'is not installed' > \"$KC_T/kp\"\n"
        "  [ -s \"$KC_T/kp\" ] && { printf 'manager=rpm\\n'; head -c %d \"$KC_T/kp\"; kc_m=1; }\n"
        "fi\n"
        "if [ -z \"$kc_m\" ] && command -v dpkg-query >/dev/null 2>&1; then\n"
        "  printf 'manager=dpkg\\n'\n"
        "  dpkg-query -W -f '${Package} ${Version} ${Status}\\n' 'linux-image*' 2>/dev/null | head -c %d\n"
        "  kc_m=1\n"
        "fi\n"
        "if [ -z \"$kc_m\" ]; then command -v rpm >/dev/null 2>&1 && { printf 'manager=rpm\\n'; exit 0; }; "
        "echo 'kcrash: rpm/dpkg-query: command not found' >&2; exit 127; fi\n"
        "exit 0" % (LIMIT_FILE * 4, LIMIT_FILE * 4)
    )


def _saved_script(path, kind):
    p = quote(path)
    if kind == "iptables":
        pattern = r"^[*:]|^COMMIT|QUEUE"
    else:
        pattern = r"^[[:space:]]*(table|chain|include)[[:space:]]|queue"
    return (
        "if [ -e %s ]; then grep -n -E %s %s | head -c %d; else exit %d; fi"
        % (p, quote(pattern), p, LIMIT_SAVED, RC_ABSENT)
    )


def _persist_script():
    globs = " ".join(PERSIST_GLOBS)
    return (
        # one grep over every file found (grep -H prints the same lines as one grep per file)
        "set --\n"
        "for f in %s; do [ -f \"$f\" ] && set -- \"$@\" \"$f\"; done\n"
        "[ $# -gt 0 ] && grep -H -n -E %s \"$@\" 2>&1 | head -c %d\nexit 0"
        % (globs, quote(PERSIST_PATTERN), LIMIT_PERSIST)
    )


def saved_section_name(path):
    return "saved." + path.strip("/").replace("/", "_")


def walk_answer(stdout, nonce, host=None):
    """``(text, marker)`` of the interface walk in a probe answer (for a strategy read that
    rode along without walking again). Raises KcrashParseError when it is not there."""
    sections = split_sections(stdout, nonce, command="detection probe")
    sec = sections.get("interfaces")
    if sec is None:
        raise KcrashParseError("detection probe", "section 'interfaces' missing", host=host)
    return sec.stdout, "@@KCDATA:%s:" % nonce


# The sections a strategy changes on a host: what its re-detection must read again. The
# other sections (kernel, rules, crash evidence ...) are not touched by that strategy, so a
# re-detection carried by its apply trip reads only these and takes the rest from the full
# detection answer of the same run (:func:`collect_facts_reread`).
REREAD = {
    "offload": ("interfaces", "persist"),
    "drop": tuple(t[0] for t in IPTABLES_TOOLS) + ("nft",)
    + tuple(saved_section_name(p) for p, dummy in SAVED_IPTABLES_FILES)
    + tuple(saved_section_name(p) for p in SAVED_NFT_FILES),
}


def _sections(marker):
    """``[(name, shell command)]`` of the probe, in order; ``marker`` prefixes data lines."""
    out = [("kernel", "uname -r"), ("nodename", "uname -n")]
    out += [(name, _file(path)) for name, path in OS_FILES]
    out += [
        ("kernel_pkgs", _kernel_pkgs_script()),
        ("version.iptables", tool_command("iptables", "--version")),
        ("version.ip6tables", tool_command("ip6tables", "--version")),
    ]
    out += [(name, _ipt_section(tool, backend)) for name, _family, backend, tool in IPTABLES_TOOLS]
    out.append(("nft", tool_command("nft", "-a list ruleset")))
    out += [(saved_section_name(path), _saved_script(path, "iptables")) for path, _fam in SAVED_IPTABLES_FILES]
    out += [(saved_section_name(path), _saved_script(path, "nft")) for path in SAVED_NFT_FILES]
    out += [
        ("interfaces", netdev.walk_script(marker)),
        ("forwarding",
         "kc_v=''; read -r kc_v < /proc/sys/net/ipv4/ip_forward 2>/dev/null; printf 'ipv4=%s\\n' \"$kc_v\"\n"
         "kc_v=''; read -r kc_v < /proc/sys/net/ipv6/conf/all/forwarding 2>/dev/null; printf 'ipv6=%s\\n' \"$kc_v\""),
        ("crash", _crash_script(marker)),
        ("dmesg", _dmesg_script()),
        ("wtmp", _wtmp_script()),
        ("kdump", kdump_mod.script()),
        ("persist", _persist_script()),
    ]
    return out


SECTION_NAMES = tuple(name for name, dummy in _sections(""))


def build_probe(nonce=None, only=None):
    """Return ``(script_text, nonce)`` of the detection probe. ``only``: run just these
    sections (a partial re-read, given the ``nonce`` of the full answer it completes)."""
    s = Script(nonce, through_pipe=True)
    if only is not None:
        unknown = set(only) - set(SECTION_NAMES)
        if unknown or not only:
            raise KcrashInputError("only", "not probe sections: %s" % ", ".join(sorted(unknown)))
    for name, command in _sections("@@KCDATA:%s:" % s.nonce):
        if only is None or name in only:
            s.section(name, command)
    return s.render(), s.nonce


# ============================================================================ parse

class _Ctx(object):
    def __init__(self, host, partial=False):
        self.host = host
        self.missing = []
        self.errors = []
        self.partial = partial  # offline input: salvage cut/pasted text (module_utils/partial.py)
        self.partial_reasons = []
        self.rules_partial_empty = False

    def missing_tool(self, tool):
        if tool not in self.missing:
            self.missing.append(tool)

    def error(self, item, message):
        self.errors.append({"item": item, "message": message.strip()[:500]})

    def salvaged(self, command, reasons, rules=None):
        """Record why ``command``'s text was read as partial; a partial ruleset showing no
        queue rule leaves the rules unknown (the rule may be in the part not shown)."""
        self.partial_reasons.extend("%s: %s" % (command, r) for r in reasons)
        if reasons and rules is not None and not rules:
            self.rules_partial_empty = True


def _first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _kv(text):
    out = {}
    for line in text.splitlines():
        m = _KV_RE.match(line.strip())
        if m:
            out[m.group(1)] = m.group(2)
    return out


def _section_ok(ctx, sections, name, tool=None, item=None):
    """The section when it ran successfully, else None (missing/absent/errors recorded)."""
    sec = sections.get(name)
    item = item or name
    if sec is None:
        ctx.error(item, "no answer (section missing from the probe output)")
        return None
    if sec.rc == RC_MISSING:
        ctx.missing_tool(tool or item)
        return None
    if sec.rc in (RC_ABSENT, RC_SKIPPED):
        return None
    if sec.rc != 0:
        ctx.error(item, "exit %s: %s" % (sec.rc, _first_line(sec.stderr) or "(no message)"))
        return None
    return sec


def _evidence_section(ctx, sections, name, tool, unread):
    """:func:`_section_ok` for a crash-evidence source; a source that could not be read
    (tool missing, option missing, permission denied, no answer) is added to ``unread`` as
    ``{"source", "reason"}``: no evidence from it is not evidence of no crash."""
    sec = sections.get(name)
    if sec is not None and sec.rc == RC_UNSUPPORTED:
        unread.append({"source": name, "reason": _first_line(sec.stderr) or "the tool lacks a needed option"})
        return None
    got = _section_ok(ctx, sections, name, tool)
    if got is None and not (sec is not None and sec.rc in (RC_ABSENT, RC_SKIPPED)):
        if sec is None:
            reason = "no answer"
        elif sec.rc == RC_MISSING:
            reason = "%s: command not found" % (tool or name)
        else:
            reason = "exit %s: %s" % (sec.rc, _first_line(sec.stderr) or "(no message)")
        unread.append({"source": name, "reason": reason})
    elif got is not None and name == "crash" and sec.stderr.strip():
        # /var/crash (or a dump directory) unreadable: the loop runs on, grep complains
        unread.append({"source": name, "reason": _first_line(sec.stderr)})
    return got


def iptables_default_backend(version_text):
    """``iptables v1.8.9 (nf_tables)`` -> "nft"; ``(legacy)`` or no marker -> "legacy"."""
    if not version_text:
        return None
    if "nf_tables" in version_text:
        return "nft"
    return "legacy"


def _parse_ipt(ctx, text, family, backend, command):
    if ctx.partial:
        found, tables, reasons = partial_mod.iptables_nfqueue_rules(text, family, backend, command)
        ctx.salvaged(command, reasons, found)
        return found, tables
    rs = iptables_save.parse(text, command=command)
    tables = [t.name for t in rs.table_list]
    return iptables_save.nfqueue_rules(rs, family=family, backend=backend), tables


def parse_forwarding(text):
    kv = _kv(text)
    out = {}
    for fam in ("ipv4", "ipv6"):
        v = kv.get(fam, "").strip()
        out[fam] = True if v == "1" else False if v == "0" else None
    return out


def parse_crash(text, marker):
    """The ``crash`` section -> (dirs [{path, vmcore: [...], files: [{path, lines}]}])."""
    dirs = []
    cur = None
    curfile = None
    for line in text.split("\n"):
        if line.startswith(marker):
            tag = line[len(marker):]
            if tag.startswith("DIR "):
                cur = {"path": tag[4:], "vmcore": [], "files": []}
                dirs.append(cur)
                curfile = None
            elif tag.startswith("VMCORE ") and cur is not None:
                cur["vmcore"].append(tag[7:])
            elif tag.startswith("FILE ") and cur is not None:
                curfile = {"path": tag[5:], "lines": []}
                cur["files"].append(curfile)
            continue
        if curfile is not None and line.strip():
            curfile["lines"].append(line)
    return dirs


def parse_persist(text):
    """``grep -H -n`` lines -> [{file, line, text, interface, lro}] offload hints."""
    out = []
    for raw in text.splitlines():
        m = re.match(r"^(/[^:]+):(\d+):(.*)\Z", raw)
        if not m:
            continue
        path, num, body = m.group(1), int(m.group(2)), m.group(3).strip()
        if body.startswith("#"):
            continue
        hint = {"file": path, "line": num, "text": body[:300], "interface": None, "lro": None}
        fm = re.search(r"/ifcfg-([^/]+)$", path)
        if fm:
            hint["interface"] = fm.group(1)
        low = body.lower()
        lro = None
        for pat, val in (
            (r"\blro\s+(on|off)\b", None),
            (r"large-receive-offload\s*[:=]?\s*(on|off|true|false|yes|no)\b", None),
            (r"largereceiveoffload\s*=\s*(true|false|yes|no|on|off|1|0)\b", None),
            (r"feature-lro\s*[=\s]\s*(true|false|on|off|yes|no|1|0)\b", None),
            (r"offload-lro\s+(on|off)\b", None),
        ):
            mm = re.search(pat, low)
            if mm:
                lro = mm.group(1) in ("on", "true", "yes", "1")
                break
        hint["lro"] = lro
        km = re.search(r"-K\s+([A-Za-z0-9_.:@+-]+)", body)
        if km and hint["interface"] is None:
            hint["interface"] = km.group(1)
        out.append(hint)
    return out


def kernel_facts(release, os_info, packages, manager=None):
    """``kernel.kernel_verdict`` for the running release plus the installed kernel packages."""
    base = {
        "release": release, "family": None, "code_vulnerable": None, "evidence": [],
        "fixed_by": None, "reason": "the kernel release could not be read",
        "installed": [], "fixed_installed": [],
    }
    if release:
        installed = [p["release"] for p in packages if p.get("release")]
        try:
            base = kernel.kernel_verdict(release, os_info, installed_kernels=installed)
        except KcrashError as e:
            raise KcrashParseError("uname -r", "kernel release %r not understood: %s" % (release[:80], e))
    base = dict(base)
    base["packages"] = packages
    base["package_manager"] = manager
    return base


def collect_facts(stdout, nonce, host=None):
    """:func:`parse_probe` plus the ``exposure`` verdict: the whole ``kcrash_nfqueue`` facts."""
    facts = parse_probe(stdout, nonce, host)
    facts["exposure"] = exposure.assess(facts)
    return facts


def collect_facts_reread(stdout, fresh_stdout, nonce, reread, host=None):
    """Facts of the full probe answer ``stdout`` with the sections ``reread`` taken from
    ``fresh_stdout`` (the answer of ``build_probe(nonce, only=reread)``), plus the verdict.
    Raises KcrashParseError when a re-read section did not come back."""
    try:
        sections = split_sections(stdout, nonce, command="detection probe")
        fresh = split_sections(fresh_stdout, nonce, command="detection probe (re-read)")
        lost = [name for name in reread if name not in fresh]
        if lost:
            raise KcrashParseError("detection probe (re-read)", "section(s) %s did not come back" % ", ".join(lost))
        if "kernel" not in sections or "persist" not in sections:
            raise KcrashParseError("detection probe", "the probe did not run to its end")
        for name in reread:
            sections[name] = fresh[name]
        facts = parse_sections(sections, "@@KCDATA:%s:" % nonce, host)
    except KcrashParseError as e:
        raise e.with_host(host) if host and not e.host else e
    facts["exposure"] = exposure.assess(facts)
    return facts


def parse_probe(stdout, nonce, host=None):
    """Parse the framed probe output into facts (all keys but ``exposure``).

    Raises KcrashParseError (with ``host`` set) when the output is truncated or a
    tool's successful output cannot be understood.
    """
    try:
        return _parse_probe(stdout, nonce, host)
    except KcrashParseError as e:
        raise e.with_host(host) if host and not e.host else e


def _parse_probe(stdout, nonce, host):
    if not isinstance(stdout, str):
        raise KcrashParseError("probe", "no text output")
    sections = split_sections(stdout, nonce, command="detection probe")
    if "kernel" not in sections or "persist" not in sections:
        raise KcrashParseError(
            "detection probe",
            "the probe did not run to its end (%d of its sections came back)" % len(sections),
        )
    return parse_sections(sections, "@@KCDATA:%s:" % nonce, host)


def parse_sections(sections, marker, host=None, partial=False):
    """Facts from ``{name: shell.Section}`` in the probe's section structure (the live probe
    and the sosreport reader both produce it); ``marker`` prefixes the data lines of the
    ``interfaces`` and ``crash`` sections. ``partial`` (offline input only): rulesets and
    ethtool listings the strict parsers refuse are salvaged (module_utils/partial.py) and
    the facts get ``partial`` / ``partial_reasons``; a live read stays strict."""
    ctx = _Ctx(host, partial)

    # kernel + os
    release = None
    sec = _section_ok(ctx, sections, "kernel", "uname")
    if sec is not None:
        release = _first_line(sec.stdout) or None
        if release is not None and not re.match(r"^[0-9][A-Za-z0-9._+~-]*\Z", release):
            raise KcrashParseError("uname -r", "unexpected kernel release %r" % release[:80])
    nodename = None
    sec = _section_ok(ctx, sections, "nodename", "uname")
    if sec is not None:
        nodename = _first_line(sec.stdout) or None
    texts = {}
    for name, path in OS_FILES:
        sec = sections.get(name)
        if sec is not None and sec.rc == 0:
            texts[name.split(".", 1)[1]] = sec.stdout
        elif sec is not None and sec.rc not in (RC_ABSENT,):
            ctx.error(path, "exit %s: %s" % (sec.rc, _first_line(sec.stderr)))
    os_info = os_release.os_facts(texts)
    manager, pkgs = None, []
    sec = _section_ok(ctx, sections, "kernel_pkgs", "rpm/dpkg-query")
    if sec is not None:
        manager, pkgs = packages.parse_kernel_packages(sec.stdout)

    # firewall, live
    versions = {}
    for fam, tool in (("ipv4", "iptables"), ("ipv6", "ip6tables")):
        sec = _section_ok(ctx, sections, "version." + tool, tool)
        versions[fam] = _first_line(sec.stdout) if sec is not None else None
    default_backend = {fam: iptables_default_backend(v) for fam, v in versions.items()}
    rules = []
    backends = []
    nft_owned = []
    rules_readable = True
    for name, family, backend, tool in IPTABLES_TOOLS:
        sec = sections.get(name)
        if sec is None:
            ctx.error(tool, "no answer")
            rules_readable = False
            continue
        if sec.rc == RC_SKIPPED:
            continue
        if sec.rc == RC_MISSING:
            continue  # missing variants are normal; reported below if nothing could be read
        if sec.rc != 0:
            ctx.error(tool, "exit %s: %s" % (sec.rc, _first_line(sec.stderr) or "(no message)"))
            rules_readable = False
            continue
        be = backend or default_backend.get(family) or "legacy"
        found, tables = _parse_ipt(ctx, sec.stdout, family, be, tool)
        rules.extend(found)
        backends.append({"tool": tool, "family": family, "backend": be, "tables": tables,
                         "nfqueue_rules": len(found)})
        if be == "nft":
            for t in tables:
                nft_owned.append(("ip" if family == "ipv4" else "ip6", t))
    for fam, plain in (("ipv4", "iptables-save"), ("ipv6", "ip6tables-save")):
        if not any(b["family"] == fam for b in backends):
            ran = [s for s in IPTABLES_TOOLS if s[1] == fam and sections.get(s[0]) is not None
                   and sections[s[0]].rc not in (RC_MISSING, RC_SKIPPED)]
            if not ran:
                ctx.missing_tool(plain)
    nft_info = {"present": False, "tables": [], "queue_rules": 0}
    sec = sections.get("nft")
    nft_readable = True
    if sec is not None and sec.rc == RC_MISSING:
        ctx.missing_tool("nft")
    elif sec is not None and sec.rc == 0:
        nft_info["present"] = True
        if sec.stdout.strip():
            if ctx.partial:
                qr, nft_info["tables"], reasons = partial_mod.nft_queue_rules(sec.stdout, "nft -a list ruleset", nft_owned)
                qr = [r for r in qr if not r.get("iptables_nft")]
                ctx.salvaged("nft -a list ruleset", reasons, qr)
            else:
                rs = nft_mod.parse_text(sec.stdout, command="nft -a list ruleset")
                nft_info["tables"] = ["%s %s" % (t.family, t.name) for t in rs.tables]
                qr = [r for r in nft_mod.queue_rules(rs, iptables_nft_tables=nft_owned) if not r.get("iptables_nft")]
            nft_info["queue_rules"] = len(qr)
            rules.extend(qr)
    elif sec is not None:
        nft_info["present"] = True
        nft_readable = False
        ctx.error("nft", "exit %s: %s" % (sec.rc, _first_line(sec.stderr) or "(no message)"))
    else:
        ctx.error("nft", "no answer")
    firewall = {
        "iptables_version": versions,
        "iptables_default_backend": default_backend,
        "backends": backends,
        "nft": nft_info,
        "rules_readable": bool(rules_readable and nft_readable and (backends or nft_info["present"])
                               and not (ctx.rules_partial_empty and not rules)),
    }

    # saved rules
    saved = []
    saved_files = []
    for path, family in SAVED_IPTABLES_FILES:
        sec = sections.get(saved_section_name(path))
        if sec is None or sec.rc == RC_ABSENT:
            continue
        if sec.rc != 0 or sec.stderr.strip():
            ctx.error(path, "exit %s: %s" % (sec.rc, _first_line(sec.stderr) or "(no message)"))
            continue
        saved_files.append(path)
        saved.extend(saved_rules.parse_saved_iptables(sec.stdout, path, family))
    for path in SAVED_NFT_FILES:
        sec = sections.get(saved_section_name(path))
        if sec is None or sec.rc == RC_ABSENT:
            continue
        if sec.rc != 0 or sec.stderr.strip():
            ctx.error(path, "exit %s: %s" % (sec.rc, _first_line(sec.stderr) or "(no message)"))
            continue
        saved_files.append(path)
        saved.extend(saved_rules.parse_saved_nft(sec.stdout, path))

    # interfaces
    interfaces = {}
    sec = _section_ok(ctx, sections, "interfaces")
    iface_flags = {"no_ethtool": False, "truncated": False}
    if sec is not None:
        raw, vlan_text, iface_flags = netdev.parse_walk(sec.stdout, marker)
        if iface_flags["no_ethtool"]:
            ctx.missing_tool("ethtool")
        if iface_flags["truncated"]:
            ctx.error("interfaces", "more than %d interfaces: the rest were not examined" % netdev.MAX_INTERFACES)
        vlans = netdev.parse_vlan_config(vlan_text or "")
        interfaces = netdev.build_interfaces(raw, vlans)
        for name, info in interfaces.items():
            r = next((x for x in raw if x["name"] == name), None)
            info["features"] = None
            info["feature_format"] = None
            info["ethtool_error"] = None
            if r is None or iface_flags["no_ethtool"]:
                continue
            if r["ethtool_rc"] not in (0, None) or (r["ethtool_k"] is not None and not r["ethtool_k"].strip()):
                info["ethtool_error"] = "exit %s: %s" % (r["ethtool_rc"], _first_line(r["ethtool_err"]) or "(no output)")
                if info["kind"] != "loopback":
                    ctx.error("ethtool -k %s" % name, info["ethtool_error"])
                continue
            if r["ethtool_k"] is None:
                continue
            if ctx.partial:
                p, reasons = partial_mod.ethtool_k(r["ethtool_k"], command="ethtool -k %s" % name)
                ctx.salvaged("ethtool -k %s" % name, reasons)
            else:
                p = ethtool_mod.parse(r["ethtool_k"], command="ethtool -k %s" % name)
            info["features"] = ethtool_mod.summary(p)
            info["feature_format"] = p["format"]

    # persistence hints, attached to interfaces too
    persist = []
    sec = _section_ok(ctx, sections, "persist")
    if sec is not None:
        persist = parse_persist(sec.stdout)
    for h in persist:
        if h["interface"] in interfaces:
            interfaces[h["interface"]].setdefault("persistence", []).append(h)
    for info in interfaces.values():
        info.setdefault("persistence", [])

    forwarding = {"ipv4": None, "ipv6": None}
    sec = _section_ok(ctx, sections, "forwarding")
    if sec is not None:
        forwarding = parse_forwarding(sec.stdout)

    # crash evidence
    vmcore = []
    crash_dirs = []
    unread = []
    sec = _evidence_section(ctx, sections, "crash", None, unread)
    if sec is not None:
        for d in parse_crash(sec.stdout, marker):
            crash_dirs.append({"path": d["path"], "vmcore": d["vmcore"],
                               "dmesg_files": [f["path"] for f in d["files"]]})
            for f in d["files"]:
                for hit in oops.scan("\n".join(f["lines"])):
                    hit["path"] = f["path"]
                    vmcore.append(hit)
    dmesg_hits = []
    sec = _evidence_section(ctx, sections, "dmesg", "dmesg", unread)
    if sec is not None:
        dmesg_hits = oops.scan(sec.stdout)
    wtmp = []
    sec = _evidence_section(ctx, sections, "wtmp", "last", unread)
    if sec is not None:
        wtmp = oops.parse_last(sec.stdout)
    kdump = {}
    sec = _section_ok(ctx, sections, "kdump")
    if sec is not None:
        kdump = kdump_mod.parse(sec.stdout)

    facts = {
        "host": nodename,
        "kernel": kernel_facts(release, os_info, pkgs, manager),
        "os": os_info,
        "nfqueue_rules": rules,
        "saved_nfqueue_rules": saved,
        "saved_rule_files": saved_files,
        "firewall": firewall,
        "interfaces": interfaces,
        "forwarding": forwarding,
        "crash_evidence": {
            "vmcore": vmcore,
            "crash_dirs": crash_dirs,
            "dmesg": dmesg_hits,
            "wtmp_crashes": [w for w in wtmp if w.get("crash")],
            "kdump": kdump,
            "unread": unread,
        },
        "probe": {"missing_tools": ctx.missing, "errors": ctx.errors, "sections": len(sections)},
    }
    if partial:
        facts["partial"] = bool(ctx.partial_reasons)
        facts["partial_reasons"] = ctx.partial_reasons
    return facts
