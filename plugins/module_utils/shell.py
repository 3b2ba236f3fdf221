# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""POSIX shell toolkit shared by every action: quoting, validation, framed sections,
atomic multi-file writes with backup and rollback.

Everything here produces or consumes *text*; nothing runs a process. Over 500 lines on purpose:
the one quoting function and every piece of shell text that more than one strategy sends
(framing, the atomic file transaction, its checks and restore) live together, so there is
one place to review what reaches a root shell. The shell text is
written for a plain POSIX ``/bin/sh`` (dash, bash in sh mode, busybox ash): no arrays,
no ``local``, no ``[[``, ``printf`` only.

Section framing
---------------
A script built with :class:`Script` wraps each command so that its stdout, stderr and
exit status come back delimited by marker lines that carry a random nonce::

    \\n@@KCRASH:<nonce>:BEGIN:<name>\\n<stdout>\\n@@KCRASH:<nonce>:STDERR:<name>\\n<stderr>
    \\n@@KCRASH:<nonce>:END:<name>:<rc>\\n

Every marker is preceded by a newline the script adds itself, so output that does not
end in a newline is recovered byte for byte by :func:`split_sections`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import os
import posixpath
import re
import time
import zlib

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import (
    KcrashInputError,
    KcrashParseError,
)

_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+\Z")

# Interface names. What the kernel accepts (dev_valid_name(), net/core/dev.c): 1..15 bytes
# (IFNAMSIZ 16 with the NUL), not "." or "..", no '/', ':' or white space (its isspace():
# space, \t \n \v \f \r and the byte 0xa0); see kernel_ifname_problem(). This collection
# accepts the part of that every real naming scheme uses (eth0, enp3s0f1, bond0.100, br-lan,
# ib0, em1_2, team0+, wlp2s0): IFNAME_RE. The rest ('$', ';', '*', quotes, non-ASCII, '@',
# '%', a leading '-', '.' or '+') would be misread by the files and tools the name reaches
# unquoted: ifupdown post-up shell lines, ETHTOOL_OPTS split on ';', udev RUN, ethtool/ip
# options. ip link's "eth0.100@eth0" suffix names the parent; eth0:1 is an alias label (an
# address label), never a netdev. validate_ifname() is the ONE check, used everywhere.
IFNAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,14}\Z")
_KERNEL_SPACE_BYTES = frozenset(b" \t\n\v\f\r\xa0")

SECTION_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}\Z")

# Tools usually live in sbin directories that an SSH user's PATH on el6 lacks.
# Appended, so a tool earlier in the host's own PATH (e.g. /usr/local/sbin) wins.
PREAMBLE = (
    'PATH="${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin"\n'
    "export PATH\n"
    "LC_ALL=C\nexport LC_ALL\nLANG=C\nexport LANG\n"
)


def quote(value):
    """Quote ``value`` for a POSIX shell (single quotes; ``'`` becomes ``'"'"'``)."""
    if value is None:
        raise KcrashInputError("value", "None cannot be quoted for the shell")
    if not isinstance(value, str):
        value = str(value)
    if value == "":
        return "''"
    if "\x00" in value:
        raise KcrashInputError("value", "NUL byte cannot be passed to the shell")
    if _SAFE.match(value):
        return value
    return "'" + value.replace("'", "'\"'\"'") + "'"


def kernel_ifname_problem(name):
    """Why the kernel's dev_valid_name() refuses the string ``name``, or None."""
    raw = name.encode("utf-8", "surrogateescape")
    if not raw:
        return "an interface name cannot be empty"
    if len(raw) > 15:
        return "%r is not a valid interface name: %d bytes, the kernel allows at most 15" % (name, len(raw))
    if name in (".", "..") or "/" in name or ":" in name or any(b in _KERNEL_SPACE_BYTES for b in bytearray(raw)):
        return "%r is not a valid interface name (the kernel refuses '/', ':', white space, '.' and '..')" % (name,)
    return None


def ifname_problem(name):
    """Why ``name`` is not an interface name this collection accepts, or None (see IFNAME_RE)."""
    if not isinstance(name, str):
        return "%r is not an interface name (not a string)" % (name,)
    for sep, what in ((":", "is an alias label, not a netdev"), ("@", "carries the @parent suffix ip link prints")):
        base = name.split(sep, 1)[0]
        if sep in name and IFNAME_RE.match(base):
            return "%r %s; use %s" % (name, what, base)
    problem = kernel_ifname_problem(name)
    if problem:
        return problem
    if name[0] in "-.+":
        return "%r is not a valid interface name: it starts with %r (ethtool and ip would take it for an option)" % (
            name, name[0])
    if not IFNAME_RE.match(name):
        return ("%r is not a valid interface name: it holds characters the kernel allows but that the tools "
                "and configuration files this collection writes would misread (allowed: A-Z a-z 0-9 _ . + -)" % (name,))
    return None


def validate_ifname(name, what="interface"):
    """Return ``name`` if it is a valid Linux interface name (the ONE rule, see IFNAME_RE),
    else raise KcrashInputError saying what is wrong."""
    problem = ifname_problem(name)
    if problem:
        raise KcrashInputError(what, problem)
    return name


# Paths a user gives (backup directories, backup roots): a sane character set only, so
# that no such value can ever mean anything to a shell even where a message repeats it.
_ABS_PATH_RE = re.compile(r"^/[A-Za-z0-9_@%+=:,./-]*\Z")


def validate_abs_path(path, what="path"):
    """Return ``path`` if it is a normalised absolute path made only of ``A-Z a-z 0-9`` and
    ``_ @ % + = : , . / -`` (what a user option may hold: backup directories and roots)."""
    if (
        not isinstance(path, str)
        or not _ABS_PATH_RE.match(path)
        or posixpath.normpath(path) != path
        or path.startswith("//")
    ):
        raise KcrashInputError(
            what, "%r is not a normalised absolute path of the characters A-Z a-z 0-9 _ @ %% + = : , . / -" % (path,))
    return path


def validate_host_path(path, what="path"):
    """Return ``path`` if it is a normalised absolute path without NUL or newline: a file
    found on the host (an ifcfg or NetworkManager profile may hold spaces, quotes, ``$``).
    Such a path reaches shell text only through :func:`quote`."""
    if (
        not isinstance(path, str)
        or not path.startswith("/")
        or "\x00" in path
        or "\n" in path
        or posixpath.normpath(path) != path
    ):
        raise KcrashInputError(what, "%r is not a normalised absolute path" % (path,))
    return path


def new_nonce():
    return binascii.hexlify(os.urandom(8)).decode("ascii")


class Section(object):
    """One framed command result."""

    __slots__ = ("name", "stdout", "stderr", "rc")

    def __init__(self, name, stdout, stderr, rc):
        self.name = name
        self.stdout = stdout
        self.stderr = stderr
        self.rc = rc

    @property
    def ok(self):
        return self.rc == 0

    @property
    def missing(self):
        """True when the command's tool was not found (rc 127 as POSIX sh reports it)."""
        return self.rc == 127

    def __repr__(self):
        return "Section(%r, rc=%r, %d bytes)" % (self.name, self.rc, len(self.stdout))


class Script(object):
    """Build a POSIX sh script out of framed sections.

    >>> s = Script()
    >>> s.section("kernel", "uname -r")
    >>> text = s.render()

    The script creates a private temp directory for stderr capture and removes it on exit.
    ``render()`` output is what the action sends; ``split_sections(stdout, s.nonce)`` reads
    the answer.
    """

    def __init__(self, nonce=None, through_pipe=False):
        self.nonce = nonce or new_nonce()
        self._parts = []
        self._names = set()
        # through_pipe: the sections' output goes to the connection through `| cat`. Over
        # ``ssh -tt`` (and sudo's pty) stdout is a terminal: every printf of the framing and
        # every line a tool prints (stdio is line-buffered on a terminal) is one write that
        # sudo and sshd relay one by one; into a pipe the tools buffer fully and cat passes
        # on large chunks (the probe over ssh+sudo: about 100 -> 72 ms on a lab host). Same
        # bytes, no file. Only for scripts whose status comes from their sections (the
        # exit status becomes cat's: a top-level ``exit`` would end only the piped group).
        self.through_pipe = through_pipe

    def raw(self, text):
        """Append shell text as is (the caller quotes what it interpolates)."""
        self._parts.append(text if text.endswith("\n") else text + "\n")

    def section(self, name, command):
        """Run ``command`` (shell text) in a subshell and frame its output and status."""
        if not SECTION_NAME_RE.match(name):
            raise KcrashInputError("section", "bad section name %r" % (name,))
        if name in self._names:
            raise KcrashInputError("section", "duplicate section name %r" % (name,))
        self._names.add(name)
        n = self.nonce
        self._parts.append(
            "printf '\\n@@KCRASH:%s:BEGIN:%s\\n'\n"
            "( %s\n) 2>\"$KC_T/err\"\nkc_rc=$?\n"
            "printf '\\n@@KCRASH:%s:STDERR:%s\\n'\n"
            "[ -s \"$KC_T/err\" ] && cat \"$KC_T/err\" 2>/dev/null\n"
            "printf '\\n@@KCRASH:%s:END:%s:%%s\\n' \"$kc_rc\"\n"
            % (n, name, command, n, name, n, name)
        )

    def render(self):
        head = (
            PREAMBLE
            + "umask 077\n"
            + "KC_T=$(mktemp -d /tmp/kcrash.XXXXXXXX 2>/dev/null) || "
            + "{ KC_T=/tmp/kcrash.$$; mkdir -m 700 \"$KC_T\" || exit 97; }\n"
            + "trap 'rm -rf \"$KC_T\"' EXIT\n"
            + "trap 'exit 98' HUP INT TERM\n"
        )
        if self.through_pipe:
            return head + "{\n" + "".join(self._parts) + "} | cat\n"
        return head + "".join(self._parts)


def combine(scripts):
    """Shell text running several rendered :class:`Script` texts in ONE round trip.

    Each runs in its own subshell (its own temp directory, traps and ``exit``), in order.
    The exit status is the first script's; the others report through their sections.
    Their answers are told apart by their nonces: :func:`split_sections` with one script's
    nonce ignores the other scripts' output.
    """
    scripts = list(scripts)
    if not scripts:
        raise KcrashInputError("scripts", "nothing to combine")
    out = [PREAMBLE, "kc_first=0\n"]
    for i, text in enumerate(scripts):
        out.append("(\n%s\n)%s\n" % (text.rstrip("\n"), "\nkc_first=$?" if i == 0 else ""))
    out.append("exit $kc_first\n")
    return "".join(out)


# ------------------------------------------------------------------- terminal output
#
# ``ansible.builtin.ssh`` runs a command without input data under ``ssh -tt``: the remote
# pty's ``onlcr`` turns every "\n" the script writes into "\r\n" (and merges stderr into
# stdout); a terminal inside it (sudo's own pty: ``use_pty``, or ``requiretty`` setups)
# adds one "\r" more per layer. A marker line the script prints itself tells how many:
# with k layers every "\n" arrived as k "\r" + "\n", and a real "\r\n" of the data as
# k+1 "\r" + "\n". Replacing exactly "\r"*k + "\n" by "\n" gives back the true bytes
# (a lone "\r" never touches a "\n" and is kept).

TTY_MARK = "@@KCRASH-TTY:"


def tty_calibration(nonce):
    """Shell text printing the line :func:`untty` reads the terminal layers from."""
    return "printf '\\n%s%s\\n'\n" % (TTY_MARK, nonce)


def tty_layers(text, marker):
    """How many "\r" each "\n" gained on the way (0: no terminal), read from the first
    line that ends with ``marker``; None when the marker is not in ``text``."""
    m = re.search(re.escape(marker) + "(\r*)\n", text)
    return None if m is None else len(m.group(1))


def undo_tty(text, layers):
    """``text`` as the script wrote it, ``layers`` terminals (``onlcr``) in between."""
    if not layers:
        return text
    return text.replace("\r" * layers + "\n", "\n")


def untty(text, nonce):
    """``(text, layers)``: output of a script that began with :func:`tty_calibration`
    restored to the bytes the script wrote, the calibration line removed."""
    marker = TTY_MARK + nonce
    layers = tty_layers(text, marker)
    if layers is None:
        return text, 0
    text = undo_tty(text, layers)
    at = text.find(marker)
    end = at + len(marker) + 1
    start = at - 1 if at > 0 and text[at - 1] == "\n" else at
    return text[:start] + text[end:], layers


def split_sections(text, nonce, command="probe"):
    """Split framed output into ``{name: Section}`` preserving order of appearance.

    Output that came through terminals (``ssh -tt``: "\n" became "\r\n") is read right:
    the first BEGIN marker line tells how many "\r" every "\n" gained.

    Raises KcrashParseError when a section is opened and never closed (truncated output),
    or the framing is otherwise broken. Text outside sections is ignored.
    """
    marker = "@@KCRASH:%s:" % nonce
    first = re.search(re.escape(marker) + r"BEGIN:[A-Za-z0-9_.-]+(\r*)\n", text)
    if first is not None and first.group(1):
        text = undo_tty(text, len(first.group(1)))
    begin_re = re.compile(r"\n" + re.escape(marker) + r"BEGIN:([A-Za-z0-9_.-]+)\n")
    result = {}
    pos = 0
    while True:
        m = begin_re.search(text, pos)
        if not m:
            break
        name = m.group(1)
        start = m.end()
        err_tag = "\n%sSTDERR:%s\n" % (marker, name)
        err_at = text.find(err_tag, start)
        if err_at < 0:
            raise KcrashParseError(command, "output truncated inside section '%s'" % name)
        end_re = re.compile(r"\n" + re.escape(marker) + "END:" + re.escape(name) + r":(-?\d+)\n")
        em = end_re.search(text, err_at + len(err_tag) - 1)
        if not em:
            raise KcrashParseError(command, "output truncated inside section '%s'" % name)
        if name in result:
            raise KcrashParseError(command, "section '%s' appears twice" % name)
        result[name] = Section(
            name,
            text[start:err_at],
            text[err_at + len(err_tag):em.start()],
            int(em.group(1)),
        )
        pos = em.end() - 1
    return result


def tool_command(tool, args):
    """Shell text that runs ``tool`` with ``args`` (already quoted) or exits 127 with a
    clear message when the tool is not installed."""
    t = quote(tool)
    return (
        "if command -v %s >/dev/null 2>&1; then %s %s; "
        "else echo 'kcrash: %s: command not found' >&2; exit 127; fi" % (t, t, args, tool)
    )


# --------------------------------------------------------------------------- cksum

# POSIX cksum is CRC-32 with polynomial 0x04C11DB7, MSB first, over the data followed by its
# length (least significant byte first, no trailing zeros), complemented. zlib's CRC-32 uses
# the same polynomial reflected, so feeding it bit-reversed bytes and reversing the result
# gives the same CRC in C speed (a 7 MB iptables-save dump takes milliseconds).
_BITREV8 = bytes(int("{0:08b}".format(i)[::-1], 2) for i in range(256))


def posix_cksum(data):
    """The POSIX ``cksum`` CRC of ``data`` (bytes or str), as ``"<crc> <length>"``.

    Lets a script verify that a file still holds what the controller read before it is
    replaced (``cksum < file``), with no tool beyond POSIX.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    n = len(data)
    tail = bytearray()
    while n:
        tail.append(n & 0xFF)
        n >>= 8
    reg = zlib.crc32((bytes(data) + bytes(tail)).translate(_BITREV8), 0xFFFFFFFF) ^ 0xFFFFFFFF
    reg = int("{0:032b}".format(reg)[::-1], 2)
    return "%d %d" % ((~reg) & 0xFFFFFFFF, len(data))


# ----------------------------------------------------------------- atomic file writes

class FileChange(object):
    """One file the transaction replaces (or creates) atomically."""

    __slots__ = ("path", "content", "mode", "expect")

    def __init__(self, path, content, mode="0644", expect=None):
        self.path = validate_host_path(path)
        if not re.match(r"^0?[0-7]{3,4}\Z", mode or ""):
            raise KcrashInputError("mode", "%r is not an octal file mode" % (mode,))
        self.content = content
        self.mode = mode
        # expect: None = do not check; "" = file must be absent; else posix_cksum of the
        # content read by the probe (the write is refused if the file changed since).
        self.expect = expect


# Shell functions of file writes that keep links (file_transaction, drop's restore.sh):
# kc_real PATH sets kc_r to the file PATH names: every symlink of the last component
# followed with plain `readlink` (no -f: its meaning differs between busybox, el6
# coreutils and BSD), the directory made physical with POSIX `cd -P` + `pwd -P`; at most 40
# links. kc_put STAGED REAL puts STAGED in place of REAL: `mv` (atomic) when REAL has one
# link, else `cat STAGED > REAL` (written in place, so every hard link keeps seeing the
# same file: RHEL 6's system-config-network hard-links ifcfg files) then removes STAGED.
FILE_FUNCS = (
    "kc_real() {\n"
    "  kc_r=$1; kc_i=0\n"
    "  while [ -L \"$kc_r\" ]; do\n"
    "    kc_i=$((kc_i + 1)); [ \"$kc_i\" -le 40 ] || return 1\n"
    "    kc_l=$(readlink \"$kc_r\") && [ -n \"$kc_l\" ] || return 1\n"
    "    case $kc_l in /*) kc_r=$kc_l ;; *) kc_r=${kc_r%/*}/$kc_l ;; esac\n"
    "  done\n"
    "  kc_rd=$(cd -P \"${kc_r%/*}/\" 2>/dev/null && pwd -P) || return 1\n"
    "  kc_r=${kc_rd%/}/${kc_r##*/}\n"
    "}\n"
    "kc_nlink() { ( set -f; set -- $(ls -ld \"$1\" 2>/dev/null); echo \"${2:-1}\" ); }\n"
    "kc_put() {\n"
    "  if [ -f \"$2\" ] && [ \"$(kc_nlink \"$2\")\" -gt 1 ]; then cat \"$1\" > \"$2\" && rm -f \"$1\"; "
    "else mv -f \"$1\" \"$2\"; fi\n"
    "}\n"
)


def backup_stamp(now=None):
    """``<UTC %Y%m%dT%H%M%SZ>-<8 hex>``: the name of one run's backup directory (offload's
    ``offload-<stamp>``, the drop's ``<stamp>``), unique even for two runs in the same second."""
    return "%s-%s" % (time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)), binascii.hexlify(os.urandom(4)).decode())


def backup_name(path):
    """Flatten ``/etc/sysconfig/iptables`` into ``etc_sysconfig_iptables``."""
    return path.strip("/").replace("/", "_")


def file_transaction(changes, backup_dir, fail_tag="KCRASH-FAIL"):
    """Shell text replacing every file of ``changes`` all-or-nothing.

    1. check: every file still matches what the controller planned from (``expect``);
    2. backup: copy each existing file into ``backup_dir`` (created mode 0700);
    3. stage: write the new content into a temp file *in the target's directory*,
       inheriting mode/owner of the existing file (``cp -p`` then truncate) or ``mode``;
    4. commit: ``mv`` every staged file over its target; if one ``mv`` fails, every
       already-committed target is restored from its backup.

    On failure the script prints ``<fail_tag>: <step> <path>: backup in <dir>`` to stderr
    and exits 3, leaving targets as they were and removing staged files. Success exits 0
    and falls through to whatever follows. ``restorecon`` is applied when present.
    """
    validate_abs_path(backup_dir, "backup_dir")
    if not changes:
        return ""
    bq = quote(backup_dir)
    out = []
    out.append("kc_fail() { printf '%%s: %%s: backup in %%s\\n' %s \"$1\" %s >&2; kc_cleanup; exit 3; }\n"
               % (quote(fail_tag), bq))
    staged = []
    for i in range(len(changes)):
        staged.append('"$kc_s%d"' % i)
    out.append("kc_cleanup() { rm -f %s 2>/dev/null; }\n" % " ".join(staged))
    out.append(FILE_FUNCS)
    # 1. check
    for ch in changes:
        p = quote(ch.path)
        if ch.expect == "":
            out.append("[ -e %s ] && kc_fail %s\n" % (p, quote("check %s (appeared since it was read)" % ch.path)))
        elif ch.expect:
            out.append(
                "[ \"$(cksum < %s 2>/dev/null)\" = %s ] || kc_fail %s\n"
                % (p, quote(ch.expect), quote("check %s (changed since it was read)" % ch.path))
            )
    # 2. backup
    out.append("mkdir -p %s && chmod 700 %s || kc_fail %s\n" % (bq, bq, quote("mkdir " + backup_dir)))
    for ch in changes:
        p = quote(ch.path)
        b = quote(posixpath.join(backup_dir, backup_name(ch.path)))
        # the copy is checked: a full disk leaves a short file and nothing may change then
        out.append("if [ -e %s ]; then cp -p %s %s && [ \"$(cksum < %s)\" = %s ] || kc_fail %s; fi\n"
                   % (p, p, b, b, quote(ch.expect) if ch.expect else "\"$(cksum < %s)\"" % p,
                      quote("backup " + ch.path)))
    # 3. stage
    for i, ch in enumerate(changes):
        p = quote(ch.path)
        d = posixpath.dirname(ch.path)
        out.append("[ -d %s ] || mkdir -p %s || kc_fail %s\n" % (quote(d), quote(d), quote("mkdir " + d)))
        # a symlink is written through (the link stays): stage next to the real file
        out.append("kc_real %s || kc_fail %s\nkc_t%d=$kc_r\n" % (p, quote("resolve the links of " + ch.path), i))
        out.append("kc_s%d=\"${kc_r%%/*}/.kcrash.${kc_r##*/}.$$\"\n" % i)
        out.append(
            "if [ -e %s ]; then cp -p %s \"$kc_s%d\" || kc_fail %s; "
            "else : > \"$kc_s%d\" && chmod %s \"$kc_s%d\" || kc_fail %s; fi\n"
            % (p, p, i, quote("stage " + ch.path), i, ch.mode, i, quote("stage " + ch.path))
        )
        out.append(
            "printf %s > \"$kc_s%d\" || kc_fail %s\n" % (printf_literal(ch.content or ""), i, quote("write " + ch.path))
        )
    # 4. commit with rollback
    out.append("kc_done=''\n")
    for i, ch in enumerate(changes):
        # the staged content is checked, and takes the SELinux context of the file it replaces
        out.append("[ \"$(cksum < \"$kc_s%d\")\" = %s ] || kc_fail %s\n"
                   "[ -e \"$kc_t%d\" ] && command -v chcon >/dev/null 2>&1 && "
                   "chcon --reference=\"$kc_t%d\" \"$kc_s%d\" >/dev/null 2>&1\n"
                   % (i, quote(posix_cksum(ch.content or "")), quote("write " + ch.path), i, i, i))
    for i, ch in enumerate(changes):
        out.append(
            "[ -e \"$kc_t%d\" ] && kc_new%d='' || kc_new%d=1\n"
            "if kc_put \"$kc_s%d\" \"$kc_t%d\"; then kc_done=\"$kc_done %d\"; else\n" % (i, i, i, i, i, i)
        )
        # rollback every committed one
        for j, cj in enumerate(changes[:i]):
            bj = quote(posixpath.join(backup_dir, backup_name(cj.path)))
            # cp onto the existing real file writes in place: links stay as they were
            if cj.expect == "":
                out.append("  rm -f \"$kc_t%d\"\n" % j)
            else:
                out.append("  if [ -e %s ]; then cp -p %s \"$kc_t%d\"; else rm -f \"$kc_t%d\"; fi\n" % (bj, bj, j, j))
        out.append("  kc_fail %s\nfi\n" % quote("rename " + ch.path))
        # a new file gets the policy's context; a replaced one kept its own (chcon above)
        out.append("[ -z \"$kc_new%d\" ] || { command -v restorecon >/dev/null 2>&1 && restorecon \"$kc_t%d\" "
                   ">/dev/null 2>&1; }\n" % (i, i))
    out.append("kc_cleanup\n")
    return "".join(out)


def printf_literal(content):
    """Shell words that make ``printf`` write ``content`` byte for byte: the content as the
    format string, with ``'`` as ``\\047``, ``\\`` doubled and ``%`` doubled (a leading
    ``%s`` of an empty argument keeps a content that begins with ``-`` from reading as an
    option). It carries no ``'`` of its own, so Ansible's quoting of the command (twice with
    become: every ``'`` costs 17 bytes on the wire) does not multiply it."""
    if "\x00" in content:
        raise KcrashInputError("content", "NUL byte cannot be passed to the shell")
    body = content.replace("\\", "\\\\").replace("%", "%%").replace("'", "\\047")
    return "'%%s%s' ''" % body
