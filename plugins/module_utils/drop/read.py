# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The drop strategy's read round trip: one POSIX sh script (:func:`read_script`: the
iptables version, every ``*-save``, ``nft -a list table`` of the native tables, the saved
rule files, nftables.conf with its includes, ``$SSH_CONNECTION``, the uid) and its parser
(:func:`parse_read` -> :class:`ReadResult` holding one :class:`Dump` per live save).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save as ips
from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft as nftm
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Script, quote, split_sections, tool_command


IPTABLES_TOOLS = ips.SAVE_TOOLS
# The saved files grouped by family (IPv4 first), the order plans and messages list them in.
SAVED_IPTABLES_FILES = tuple(sorted(ips.SAVED_FILES, key=lambda pf: pf[1]))
SAVED_NFT_FILES = nftm.SAVED_FILES
FIREWALLD_DIRECT = "/etc/firewalld/direct.xml"


class Dump(object):
    """One live ``*-save`` output: family, backend, the save tool that produced it."""

    def __init__(self, family, backend, tool, text):
        self.family = family
        self.backend = backend
        self.tool = tool
        self.text = text
        # only queue rules and jumps are tokenized; every rule line is still checked and
        # counted (ips.scan gives the same positions and queue rules as ips.parse)
        self.ruleset = ips.scan(text, command=tool)

    @property
    def restore_tool(self):
        return self.tool[:-len("-save")] + "-restore"

    @property
    def label(self):
        return "%s (%s %s)" % (self.tool, self.family, self.backend)


RC_ABSENT = 3
RC_SKIPPED = 4
NFT_INCLUDE_DEPTH = 3


def _save_launch(tool, backend, index):
    """Shell text starting ``tool`` in the background into ``$KC_T/save.<index>`` (the
    saves run side by side; the script waits for all of them before the sections)."""
    run = ("if command -v %s >/dev/null 2>&1; then ( %s > \"$KC_T/save.%d\" 2> \"$KC_T/save.%d.err\"; "
           "echo $? > \"$KC_T/save.%d.rc\" ) & fi\n" % (quote(tool), quote(tool), index, index, index))
    if backend is None:
        base = tool[:-len("-save")]
        return ("if command -v %s-legacy-save >/dev/null 2>&1 || command -v %s-nft-save >/dev/null 2>&1; "
                "then : > \"$KC_T/save.%d.skip\"; else %sfi\n" % (quote(base), quote(base), index, run))
    return run


def _save_section(tool, backend, family, index):
    """Print what ``tool`` wrote (see :func:`_save_launch`); keep its ``*table`` lines in
    ``$KC_T/own.<family>`` so the nft section can leave the tables iptables-nft owns to it
    (a legacy table never shows in nft), and those of the nft back end in
    ``$KC_T/nftown.<family>`` (the tables ``nft list flowtables`` must show)."""
    f = "\"$KC_T/save.%d" % index
    nftown = ("grep '^\\*' %s\" >> \"$KC_T/nftown.%s\" 2>/dev/null; " % (f, family)) if backend == "nft" else ""
    return ("[ -e %s.skip\" ] && exit %d\n"
            "[ -e %s.rc\" ] || { echo 'kcrash: %s: command not found' >&2; exit 127; }\n"
            "cat %s\"; cat %s.err\" >&2; grep '^\\*' %s\" >> \"$KC_T/own.%s\" 2>/dev/null; %s"
            "exit \"$(cat %s.rc\")\""
            % (f, RC_SKIPPED, f, tool, f, f, f, family, nftown, f))


def _nft_section():
    """``nft -a list table`` for every table except those an iptables save printed
    (iptables-nft's own: read and changed through iptables-nft-save/-restore).

    The table names come from ``nft list flowtables`` (started in the background next to
    the saves): it prints the header of every table and costs nothing, where ``nft list
    tables`` (nft 1.0.6) fetches every rule, as long as a full dump on a big iptables-nft
    rule set. It is trusted only when it ran, printed at least one table and holds every
    table the iptables-nft saves printed; else ``nft list tables`` is run."""
    return (
        "if ! command -v nft >/dev/null 2>&1; then echo 'kcrash: nft: command not found' >&2; exit 127; fi\n"
        "kc_ok=0\n"
        "if [ \"$(cat \"$KC_T/ft.rc\" 2>/dev/null)\" = 0 ] && grep -q '^table ' \"$KC_T/ft\"; then kc_ok=1; fi\n"
        "for kc_fam in ipv4 ipv6; do\n"
        "  [ $kc_ok = 1 ] && [ -f \"$KC_T/nftown.$kc_fam\" ] || continue\n"
        "  kc_nf=ip; [ $kc_fam = ipv6 ] && kc_nf=ip6\n"
        "  while read -r kc_n; do\n"
        "    grep -q -x -F \"table $kc_nf ${kc_n#?} {\" \"$KC_T/ft\" || kc_ok=0\n"
        "  done < \"$KC_T/nftown.$kc_fam\"\n"
        "done\n"
        "if [ $kc_ok = 1 ]; then kc_tl=\"$KC_T/ft\"; else\n"
        "  kc_tl=\"$KC_T/tables\"\n"
        "  nft list tables > \"$kc_tl\" || exit $?\n"
        "fi\n"
        "while read -r kc_kw kc_fam kc_name kc_rest; do\n"
        "  [ \"$kc_kw\" = table ] || continue\n"
        "  kc_own=''\n"
        "  case \"$kc_fam\" in ip) kc_own=\"$KC_T/own.ipv4\";; ip6) kc_own=\"$KC_T/own.ipv6\";; esac\n"
        "  if [ -n \"$kc_own\" ] && [ -f \"$kc_own\" ] && grep -q -x -F \"*$kc_name\" \"$kc_own\"; then\n"
        "    printf '# kcrash: table %s %s is iptables-nft'\"'\"'s (see its save output)\\n' \"$kc_fam\" \"$kc_name\"; continue\n"
        "  fi\n"
        "  nft -a list table \"$kc_fam\" \"$kc_name\" || exit $?\n"
        "done < \"$kc_tl\"\n"
        "exit 0"
    )


def _file_section(path):
    p = quote(path)
    return "if [ -e %s ]; then cat %s; else exit %d; fi" % (p, p, RC_ABSENT)


def _nft_files_section(marker):
    """Print /etc/nftables.conf (and the sysconfig variant) and every file they include
    (globs expanded, relative names looked up in /etc and /etc/nftables), each framed by
    ``<marker>BEGIN:<path>`` / ``<marker>END`` lines, up to NFT_INCLUDE_DEPTH levels."""
    m = marker
    return (
        "kc_todo='%s'\nkc_seen=' '\nkc_depth=0\n"
        "while [ -n \"$kc_todo\" ] && [ $kc_depth -lt %d ]; do\n"
        "  kc_next=''\n"
        "  for kc_f in $kc_todo; do\n"
        "    case \"$kc_seen\" in *\" $kc_f \"*) continue;; esac\n"
        "    kc_seen=\"$kc_seen$kc_f \"\n"
        "    [ -f \"$kc_f\" ] || continue\n"
        "    printf '\\n%%sBEGIN:%%s\\n' '%s' \"$kc_f\"\n"
        "    cat \"$kc_f\"\n"
        "    printf '\\n%%sEND\\n' '%s'\n"
        "    kc_inc=$(sed -n 's/^[[:space:]]*include[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p' \"$kc_f\")\n"
        "    for kc_i in $kc_inc; do\n"
        "      case \"$kc_i\" in /*) kc_next=\"$kc_next $kc_i\";; *) kc_next=\"$kc_next /etc/$kc_i /etc/nftables/$kc_i\";; esac\n"
        "    done\n"
        "  done\n"
        "  kc_todo=$kc_next\n"
        "  kc_depth=$((kc_depth + 1))\n"
        "done\nexit 0"
        % (" ".join(SAVED_NFT_FILES), NFT_INCLUDE_DEPTH, m, m)
    )


# $SSH_CONNECTION, or under become (sudo's env_reset drops it) that of the nearest ancestor
# process that has it: the login shell sshd started (root may read its /proc environ).
# Prints the value, then where it came from.
SSH_CONNECTION_COMMAND = (
    "kc_s=\"${SSH_CONNECTION:-}\"; kc_f=env; kc_p=$$; kc_n=0\n"
    "while [ -z \"$kc_s\" ] && [ \"${kc_p:-0}\" -gt 1 ] 2>/dev/null && [ $kc_n -lt 32 ]; do\n"
    "  kc_s=$(tr '\\000' '\\n' < /proc/$kc_p/environ 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p' | head -n 1)\n"
    "  kc_f=\"process $kc_p\"\n"
    "  kc_p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$kc_p/status 2>/dev/null); kc_n=$((kc_n + 1))\n"
    "done\n"
    "[ -n \"$kc_s\" ] || kc_f=none\n"
    "printf '%s\\n%s\\n' \"$kc_s\" \"$kc_f\""
)


def read_script(nonce=None):
    """The read round trip: ``(script, nonce)``. Sections: iptables version, every
    ``*-save`` present, ``nft -a list table`` of every table iptables-nft does not own, the
    saved rule files, nftables.conf with its
    includes, ``$SSH_CONNECTION`` and the effective user id."""
    s = Script(nonce)
    # every save and `nft list flowtables` (the table names, see _nft_section) run side by
    # side in the background; the sections print their results in a fixed order
    s.raw("if command -v nft >/dev/null 2>&1; then "
          "( nft list flowtables > \"$KC_T/ft\" 2>/dev/null; echo $? > \"$KC_T/ft.rc\" ) & fi")
    for i, (fam, backend, tool) in enumerate(IPTABLES_TOOLS):
        s.raw(_save_launch(tool, backend, i))
    s.section("version.iptables", tool_command("iptables", "--version"))
    s.raw("wait")
    for i, (fam, backend, tool) in enumerate(IPTABLES_TOOLS):
        s.section("save." + tool, _save_section(tool, backend, fam, i))
    s.section("nft", _nft_section())
    for path, _fam in SAVED_IPTABLES_FILES + ((FIREWALLD_DIRECT, None),):
        s.section("file." + path.strip("/").replace("/", "_"), _file_section(path))
    s.section("nftconf", _nft_files_section("@@KCFILE:%s:" % s.nonce))
    s.section("ssh", SSH_CONNECTION_COMMAND)
    s.section("uid", "id -u")
    return s.render(), s.nonce


_VERSION_RE = re.compile(r"v(\d+)\.(\d+)(?:\.(\d+))?")


def iptables_version(text):
    """``iptables v1.8.9 (nf_tables)`` -> ((1, 8, 9), "nft"); None when unknown."""
    m = _VERSION_RE.search(text or "")
    if not m:
        return None, None
    v = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    backend = "nft" if "nf_tables" in text else "legacy"
    return v, backend


def restore_supports_wait(version):
    """``iptables-restore -w`` exists since iptables 1.6.2 (el6's 1.4.7 and el7's 1.4.21
    have none)."""
    return version is not None and tuple(version) >= (1, 6, 2)


class ReadResult(object):
    def __init__(self):
        self.version = None
        self.default_backend = None
        self.dumps = []
        self.nft_text = None
        self.saved = {}
        self.nft_saved = {}
        self.ssh_connection = None
        self.ssh_connection_from = None
        self.uid = None
        self.missing = []
        self.errors = []


def parse_read(stdout, nonce, host=None):
    """Split and parse the read round trip's answer. Raises KcrashParseError (naming
    host and command) on garbled tool output."""
    sections = split_sections(stdout, nonce, command="nfqueue_target read")
    rr = ReadResult()
    sec = sections.get("version.iptables")
    if sec is not None and sec.ok:
        rr.version, rr.default_backend = iptables_version(sec.stdout)
    for fam, backend, tool in IPTABLES_TOOLS:
        sec = sections.get("save." + tool)
        if sec is None or sec.rc == RC_SKIPPED:
            continue
        if sec.missing:
            rr.missing.append(tool)
            continue
        if not sec.ok:
            rr.errors.append("%s failed (rc %s): %s" % (tool, sec.rc, sec.stderr.strip()[:300]))
            continue
        b = backend
        if b is None:
            m = re.search(r"^# Generated by \S+ v[\d.]+ \(([a-z_]+)\)", sec.stdout, re.M)
            if m:
                b = "nft" if m.group(1) == "nf_tables" else "legacy"
            else:
                b = rr.default_backend or "legacy"
        try:
            rr.dumps.append(Dump(fam, b, tool, sec.stdout))
        except KcrashParseError as e:
            raise e.with_host(host) if host else e
    sec = sections.get("nft")
    if sec is not None:
        if sec.ok:
            rr.nft_text = sec.stdout
        elif sec.missing:
            rr.missing.append("nft")
        elif sec.stdout.strip() or sec.stderr.strip():
            rr.errors.append("nft -a list ruleset failed (rc %s): %s" % (sec.rc, sec.stderr.strip()[:300]))
    for path, _fam in SAVED_IPTABLES_FILES + ((FIREWALLD_DIRECT, None),):
        sec = sections.get("file." + path.strip("/").replace("/", "_"))
        if sec is None or sec.rc == RC_ABSENT:
            rr.saved[path] = None
        elif sec.ok:
            rr.saved[path] = sec.stdout
        else:
            rr.errors.append("cannot read %s: %s" % (path, sec.stderr.strip()[:300]))
            rr.saved[path] = None
    sec = sections.get("nftconf")
    if sec is not None and sec.ok:
        rr.nft_saved = split_files(sec.stdout, "@@KCFILE:%s:" % nonce)
    sec = sections.get("ssh")
    if sec is not None and sec.ok:
        lines = sec.stdout.split("\n")
        rr.ssh_connection = lines[0].strip() or None
        rr.ssh_connection_from = (lines[1].strip() if len(lines) > 1 else "env") if rr.ssh_connection else None
    sec = sections.get("uid")
    if sec is not None and sec.ok and sec.stdout.strip().isdigit():
        rr.uid = int(sec.stdout.strip())
    return rr


def split_files(text, marker):
    """``{path: content}`` from ``\\n<marker>BEGIN:<path>\\n<content>\\n<marker>END\\n``."""
    out = {}
    pos = 0
    begin = "\n" + marker + "BEGIN:"
    while True:
        b = text.find(begin, pos)
        if b < 0:
            break
        nl = text.find("\n", b + len(begin))
        if nl < 0:
            break
        path = text[b + len(begin):nl]
        end_tag = "\n" + marker + "END\n"
        e = text.find(end_tag, nl + 1)
        if e < 0:
            raise KcrashParseError("nftables.conf", "output truncated inside %s" % path)
        out[path] = text[nl + 1:e]
        pos = e + len(end_tag) - 1
    return out
