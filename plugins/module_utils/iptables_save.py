# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parse and render ``iptables-save`` / ``ip6tables-save`` output; find NFQUEUE rules.

Pure functions, no I/O. Over 500 lines on purpose: it is ONE format (the iptables-save dump
and its quoting rules) read and written back byte for byte; splitting parse from render would
put the two halves of one round-trip guarantee in two files. The same code reads live dumps (``iptables-save``, ``-legacy``,
``-nft``, with or without ``-c``) and saved rule files (``/etc/sysconfig/iptables``,
``/etc/iptables/rules.v4``), which are in the same format.

* :func:`parse` builds a :class:`Ruleset` that keeps every line's exact text, so
  :func:`render` gives back the input byte for byte (comments, blank lines, counters,
  spacing and the presence or absence of a final newline included).
* :func:`tokenize` splits a rule the way ``iptables-restore`` does (``add_param_to_argv``):
  blanks separate words, ``"`` opens and closes a quoted part, inside quotes a backslash
  escapes the next character (iptables-save writes ``\\"``, ``\\\\`` and ``\\'`` there),
  outside quotes a backslash is an ordinary character, a closing quote ends the word.
* :func:`nfqueue_rules` lists the rules whose *target* is ``NFQUEUE`` or the old ``QUEUE``
  in the shared rule shape. The target is only the word after ``-j``/``--jump``/``-g``/
  ``--goto``: ``NFQUEUE`` inside a comment or a ``--string`` is no target.

Malformed or truncated text raises :class:`KcrashParseError` naming the command and the
line; no other exception escapes :func:`parse`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError

# Built-in chains of each table (used when a saved file appends to a built-in chain it
# does not declare; iptables-save itself always declares every chain).
BUILTIN_CHAINS = {
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "raw": ("PREROUTING", "OUTPUT"),
    "security": ("INPUT", "FORWARD", "OUTPUT"),
}

JUMP_FLAGS = ("-j", "--jump")
GOTO_FLAGS = ("-g", "--goto")
TARGET_FLAGS = JUMP_FLAGS + GOTO_FLAGS
QUEUE_TARGETS = ("NFQUEUE", "QUEUE")

# The save tools a host may have, as (family, back end, tool). The plain name is used only
# when neither -legacy nor -nft exists (el6/el7); its back end then comes from
# ``iptables --version``. Shared by the detection probe and the drop planner.
SAVE_TOOLS = (
    ("ipv4", "legacy", "iptables-legacy-save"),
    ("ipv4", "nft", "iptables-nft-save"),
    ("ipv4", None, "iptables-save"),
    ("ipv6", "legacy", "ip6tables-legacy-save"),
    ("ipv6", "nft", "ip6tables-nft-save"),
    ("ipv6", None, "ip6tables-save"),
)

# Saved rule sets restored at boot, as (path, family): initscripts' iptables service (el)
# and the iptables-persistent layout (Debian/Ubuntu).
SAVED_FILES = (
    ("/etc/sysconfig/iptables", "ipv4"),
    ("/etc/sysconfig/ip6tables", "ipv6"),
    ("/etc/iptables/rules.v4", "ipv4"),
    ("/etc/iptables/rules.v6", "ipv6"),
)

# Options whose value is free text that iptables-save may print unquoted (it quotes only
# values with characters outside [A-Za-z0-9_-]): a value "-j" after one of these is data.
# Not "--set": the recent match's --set takes no value (`-m recent --set -j NFQUEUE`).
FREE_TEXT_OPTIONS = frozenset((
    "--comment", "--log-prefix", "--nflog-prefix", "--ulog-prefix", "--string",
    "--hex-string", "--match-set", "--name", "--helper", "--physdev-in",
    "--physdev-out", "-i", "--in-interface", "-o", "--out-interface", "--label",
    "--bpf", "--cgroup", "--path", "--set-class", "--zone", "--timeout",
))

_TABLE_RE = re.compile(r"^\*([A-Za-z0-9_-]+)[ \t]*\Z")
_CHAIN_RE = re.compile(r"^:([^ \t]+)[ \t]+([^ \t\[]+)(?:[ \t]+\[(\d+):(\d+)\])?[ \t]*\Z")
_COUNTERS_RE = re.compile(r"^\[(\d+):(\d+)\]([ \t]*)(.*)\Z", re.S)
_APPEND_RE = re.compile(r"^(?:-A|--append)[ \t]")
_CHAIN_NAME_RE = re.compile(r"^[^ \t\"'!-][^ \t\"']{0,28}\Z")
_INT_RE = re.compile(r"^\d{1,5}\Z")


class Token(str):
    """A word that came (wholly or partly) from a quoted string: data, never an option.
    Unquoted words are plain ``str``; test with :func:`is_quoted`."""

    quoted = True


def is_quoted(word):
    return word.__class__ is Token


class TokenizeError(ValueError):
    pass


def tokenize(text):
    """Split rule text into words exactly as ``iptables-restore`` would.

    Words from quoted strings are :class:`Token`, the others plain ``str``. Raises
    :class:`TokenizeError` on an unterminated quote.
    """
    if '"' not in text and text.isprintable():
        # fast path (nearly every rule): printable text without quotes, blanks are spaces
        return text.split()
    words = []
    buf = []
    quoted = False
    in_quote = False
    escaped = False
    for ch in text:
        if in_quote:
            if escaped:
                buf.append(ch)
                escaped = False
                continue
            if ch == "\\":
                escaped = True
                continue
            if ch == '"':
                # a closing quote ends the word (iptables-restore: case '"': break)
                in_quote = False
                words.append(Token("".join(buf)))
                buf = []
                quoted = False
                continue
            buf.append(ch)
            continue
        if ch == '"':
            in_quote = True
            quoted = True
            continue
        if ch in " \t\n":
            if buf:
                w = "".join(buf)
                words.append(Token(w) if quoted else w)
                buf = []
                quoted = False
            continue
        buf.append(ch)
    if in_quote:
        raise TokenizeError("unterminated quote")
    if buf:
        w = "".join(buf)
        words.append(Token(w) if quoted else w)
    return words


class Rule(object):
    """One ``-A CHAIN ...`` line."""

    __slots__ = (
        "table", "chain", "position", "text", "counters", "sep", "words", "target",
        "target_index", "goto", "line", "index",
    )

    def __init__(self, table, chain, text, words, counters=None, sep=" ", line=None):
        self.table = table
        self.chain = chain
        self.position = None
        self.text = text
        self.counters = counters  # (packets, bytes) or None
        self.sep = sep
        self.words = words
        self.line = line
        self.index = None  # index among all the rule lines of its table (see Table.rule_texts)
        self.target_index = find_target(words)
        if self.target_index is None:
            self.target = None
            self.goto = False
        else:
            self.target = words[self.target_index + 1]
            self.goto = words[self.target_index] in GOTO_FLAGS

    def render(self):
        if self.counters is None:
            return self.text
        return "[%d:%d]%s%s" % (self.counters[0], self.counters[1], self.sep, self.text)

    @property
    def target_args(self):
        if self.target_index is None:
            return []
        return self.words[self.target_index + 2:]

    @property
    def is_queue(self):
        return self.target in QUEUE_TARGETS

    def __repr__(self):
        return "Rule(%r, %r, #%s, %r)" % (self.table, self.chain, self.position, self.text)


class Chain(object):
    __slots__ = ("name", "policy", "counters", "line")

    def __init__(self, name, policy, counters=None, line=None):
        self.name = name
        self.policy = policy
        self.counters = counters
        self.line = line

    @property
    def builtin(self):
        return self.policy != "-"


class Table(object):
    """One ``*table`` block. ``rules`` holds its :class:`Rule` objects; after :func:`scan`
    only those that can matter to a planner (see there), with their true positions.
    ``rule_texts`` holds the text (without counters) of every rule line in order, whichever
    function parsed it; ``rule_chains`` their chains (None after scan's text-level path,
    which only keeps ``chains_with_rules``, the set)."""

    __slots__ = ("name", "chains", "rules", "line", "commit_line", "start_item", "end_item",
                 "rule_texts", "rule_chains", "chains_with_rules")

    def __init__(self, name, line):
        self.name = name
        self.chains = {}   # insertion ordered (py3.7+); order kept in chain_order too
        self.rules = []
        self.line = line
        self.commit_line = None
        self.start_item = None  # index in Ruleset.items of the "*table" line
        self.end_item = None    # index in Ruleset.items of its COMMIT line
        self.rule_texts = []
        self.rule_chains = []
        self.chains_with_rules = None  # set by scan(); else set(rule_chains)

    def chain_rules(self, chain):
        return [r for r in self.rules if r.chain == chain]

    def builtin_chains(self):
        names = [c.name for c in self.chains.values() if c.builtin]
        with_rules = self.chains_with_rules if self.chains_with_rules is not None else set(self.rule_chains)
        for n in BUILTIN_CHAINS.get(self.name, ()):
            if n not in self.chains and n in with_rules:
                names.append(n)
        return names


class Ruleset(object):
    """A parsed dump. ``items`` holds every line in order: a ``str`` (kept verbatim) or a
    :class:`Rule`. ``tables`` maps table name to :class:`Table` (first occurrence wins for
    lookups; ``table_list`` keeps all, a dump may in theory repeat a table)."""

    def __init__(self, command):
        self.command = command
        self.items = []
        self.tables = {}
        self.table_list = []
        self.final_newline = True

    def rules(self):
        for t in self.table_list:
            yield from t.rules


def _err(command, lineno, message):
    return KcrashParseError(command, message, line=lineno)


def find_target(words):
    """Index of the ``-j``/``-g`` word that introduces the target, or None.

    Words 0 and 1 are ``-A CHAIN``. A quoted word is never an option; a target flag that
    is the value of a free-text option (``--comment -j``) is skipped.
    """
    i = 2
    n = len(words)
    while i < n:
        w = words[i]
        if w in TARGET_FLAGS and i + 1 < n and w.__class__ is not Token:
            prev = words[i - 1]
            if prev.__class__ is Token or prev not in FREE_TEXT_OPTIONS:
                return i
        i += 1
    return None


def parse(text, command="iptables-save"):
    """Parse iptables-save output (or a saved rules file) into a :class:`Ruleset`."""
    return _parse(text, command, False)


def scan(text, command="iptables-save"):
    """:func:`parse` for big live dumps, when only queue targets and jumps matter.

    Every line is checked as :func:`parse` checks it (same errors), :func:`render` gives the
    text back byte for byte, and ``Table.rule_texts`` lists every rule, but
    ``Table.rules`` holds a :class:`Rule` only for the lines that could matter to a
    planner: a rule whose target is a queue target or a chain of the table, and any line
    the quick check cannot settle exactly (quotes, tabs or other non-printable characters,
    ``-g``/``--goto``/``--jump``, a ``-j`` after a free-text option, counters). A rule left
    out has a plain word after its first ``-j`` (or none) that is neither ``NFQUEUE``/
    ``QUEUE`` nor a chain name, so it neither queues nor jumps: positions, reachability and
    the queue rules come out exactly as with :func:`parse` (tests compare both).
    """
    fast = _scan_text(text, command)
    if fast is not None:
        return fast
    try:
        return _parse(text, command, True)
    except _Unordered:
        return _parse(text, command, False)


# what scan's text-level path leaves to the per-line parser: quotes, queue targets, other
# target flags; and the words after -j/-g it cannot accept without a look (invalid names)
_SCAN_MARKS = ('"', "'", "QUEUE", " -g ", " --goto ", " --jump ")
_SCAN_BAD_TARGET_RE = re.compile(r" -j (?:[-!]|[^ \n]{30})")
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\n"


def _scan_text(text, command):
    """scan() at C speed for the usual dump (ASCII, no counters, single blanks, one run of
    rule lines per table): string searches find the lines that need a :class:`Rule`, only
    those (with every non-rule line) go through the per-line parser, and the positions
    come from the chain of every rule line. None when the text is not that simple: the
    caller then parses line by line."""
    if (not isinstance(text, str) or not text or text[:1] == "[" or "\n[" in text or "  " in text
            or not text.isascii() or text.encode("ascii").translate(None, _PRINTABLE_ASCII)
            or _SCAN_BAD_TARGET_RE.search(text)):
        return None
    lines = text.split("\n")
    final_newline = lines[-1] == ""
    if final_newline:
        lines.pop()
    # lines that need the parser: every non-rule line, and the marked rule lines
    other = [i for i, l in enumerate(lines) if l[:3] != "-A "]
    marked = set()
    for needle in _SCAN_MARKS:
        at = text.find(needle)
        while at >= 0:
            marked.add(at)
            nl = text.find("\n", at)
            if nl < 0:
                break
            at = text.find(needle, nl + 1)
    # table runs: [start, end) of the rule lines of each table (one run each, inside it)
    runs = []
    open_table = False
    prev = -1
    for i in other + [len(lines)]:
        if i > prev + 1:
            if not open_table or (runs and runs[-1][2] == open_table):
                return None
            runs.append((prev + 1, i, open_table))
        if i < len(lines):
            l = lines[i]
            if l[:1] == "*":
                open_table = i + 1  # a token naming this table (its line number)
            elif l.rstrip(" \t") == "COMMIT":
                open_table = False
            elif l[:1] == ":" and runs and runs[-1][2] == open_table:
                return None  # a chain declared after rules of its table: line by line
        prev = i
    chain_names = set()
    for l in (lines[i] for i in other):
        if l[:1] == ":":
            chain_names.add(l[1:].split(" ", 1)[0])
    names = chain_names | set(n for b in BUILTIN_CHAINS.values() for n in b)
    if names:
        jump_re = re.compile(r" -j (?:%s)(?= |$)" % "|".join(re.escape(n) for n in sorted(names)), re.M)
        for m in jump_re.finditer(text):
            marked.add(m.start())
    # offsets -> line indices (one pass)
    keep_rules = set()
    if marked:
        offs = sorted(marked)
        line_no = 0
        pos = 0
        for off in offs:
            line_no += text.count("\n", pos, off)
            pos = off
            keep_rules.add(line_no)
    keep = sorted(set(other) | keep_rules)
    skeleton = "\n".join(lines[i] for i in keep) + ("\n" if final_newline else "")
    try:
        rs = _parse(skeleton, command, False)
    except KcrashParseError:
        return None  # the per-line parser says what is wrong, with the right line number
    orig = keep  # skeleton line index -> original line index
    items = list(lines)
    run_of = {}
    for start, end, tok in runs:
        run_of[tok] = (start, end)
    for t in rs.table_list:
        t_start = orig[t.start_item]
        t.line = t_start + 1
        if t.end_item is not None:
            t.end_item = orig[t.end_item]
            t.commit_line = t.end_item + 1
        t.start_item = t_start
        for c in t.chains.values():
            c.line = orig[c.line - 1] + 1
        start, end = run_of.get(t_start + 1, (0, 0))
        texts = lines[start:end]
        first = _chain_starts(t, texts)
        if first is None:
            return None
        t.rule_texts = texts
        t.rule_chains = None
        for r in t.rules:
            i = orig[r.line - 1]
            k = i - start
            if not 0 <= k < len(texts) or r.chain not in first:
                return None
            r.line = i + 1
            r.index = k
            r.position = k - first[r.chain] + 1
            items[i] = r
    rs.items = items
    rs.final_newline = final_newline
    return rs


def _chain_starts(table, texts):
    """For :func:`_scan_text`: check that every rule line of ``table`` (``texts``, one run)
    belongs to a declared or built-in chain and that the rules of each chain holding a
    parsed rule are printed together; return ``{chain: index of its first rule}``, or
    None when that does not hold (the caller then parses line by line). Sets
    ``table.chains_with_rules``."""
    allowed = sorted(set(table.chains) | set(BUILTIN_CHAINS.get(table.name, ())))
    wanted = set(r.chain for r in table.rules)
    if len(allowed) > 32:
        # many chains: one pass over the lines is cheaper than a count per chain
        chains = [l.split(" ", 2)[1] for l in texts]
        if not set(chains) <= set(allowed):
            return None
        first = {}
        for c, grp in itertools.groupby(enumerate(chains), key=lambda kc: kc[1]):
            if c in first:
                return None
            first[c] = next(grp)[0]
        table.chains_with_rules = set(first)
        return first
    blk = "\n" + "\n".join(texts) + "\n"
    counts = {}
    for c in allowed:
        if ("\n-A %s\n" % c) in blk:
            return None  # a rule without matches or target: line by line
        n = blk.count("\n-A %s " % c)
        if n:
            counts[c] = n
    # "\n-A CHAIN " only matches at the start of a line: the counts split the lines
    if sum(counts.values()) != len(texts):
        return None
    first = {}
    for c in wanted:
        pat = "\n-A %s " % c
        f = blk.find(pat)
        last = blk.rfind(pat)
        fo = blk.count("\n", 0, f)
        if f < 0 or blk.count("\n", f, last) + 1 != counts[c]:
            return None
        first[c] = fo
    table.chains_with_rules = set(counts)
    return first


class _Unordered(Exception):
    """scan(): a chain declared after rules of its table (never so in a save): parse fully."""


def _quick_chain(raw, chainset, ok_names):
    """Chain of the rule line ``raw`` when it provably neither queues nor jumps to a chain
    of its table (and is valid as :func:`parse` would find it), else None."""
    if '"' in raw or "QUEUE" in raw or not raw.isprintable():
        return None
    sp = raw.find(" ", 3)
    chain = raw[3:] if sp < 0 else raw[3:sp]
    if chain not in chainset:
        return None
    if sp < 0:
        return chain
    if " -g " in raw or " --goto " in raw or " --jump " in raw:
        return None
    k = raw.find(" -j ", sp)
    if k < 0:
        return chain  # no "-j WORD": no target (a last word "-j" is none either)
    prev = raw[:k].rsplit(" ", 1)[-1]
    if not prev or prev in FREE_TEXT_OPTIONS:
        return None
    e = raw.find(" ", k + 4)
    tgt = raw[k + 4:] if e < 0 else raw[k + 4:e]
    if not tgt or tgt in chainset or tgt not in ok_names:
        return None
    return chain


def _parse(text, command, light):
    if not isinstance(text, str):
        raise KcrashParseError(command, "expected text, got %s" % type(text).__name__)
    rs = Ruleset(command)
    if text == "":
        rs.final_newline = False
        return rs
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
        rs.final_newline = True
    else:
        rs.final_newline = False
    table = None
    positions = {}
    ok_names = set()  # chain and target names already validated
    chainset = set()  # chains of the current table (declared and built-in): for scan()
    items = rs.items
    for idx, raw in enumerate(lines):
        c = raw[:1]
        if light and c == "-" and table is not None and raw[:3] == "-A ":
            chain = _quick_chain(raw, chainset, ok_names)
            if chain is not None:
                positions[chain] = positions.get(chain, 0) + 1
                table.rule_texts.append(raw)
                table.rule_chains.append(chain)
                items.append(raw)
                continue
        if c == "-" or c == "[":
            # rules first: nearly every line of a big dump is one
            lineno = idx + 1
            body = raw
            counters = None
            sep = " "
            if c == "[":
                m = _COUNTERS_RE.match(raw)
                if not m:
                    raise _err(command, lineno, "bad counters in %r" % _short(raw))
                counters = (int(m.group(1)), int(m.group(2)))
                sep = m.group(3)
                body = m.group(4)
            if body[:3] == "-A " or _APPEND_RE.match(body):
                if table is None:
                    raise _err(command, lineno, "rule before any '*table' line")
                try:
                    words = tokenize(body)
                except TokenizeError as e:
                    raise _err(command, lineno, "%s in %r" % (e, _short(body)))
                if len(words) < 2:
                    raise _err(command, lineno, "rule without a chain name: %r" % _short(body))
                chain = words[1]
                if chain not in ok_names:
                    if is_quoted(chain) or not _CHAIN_NAME_RE.match(chain):
                        raise _err(command, lineno, "rule without a valid chain name: %r" % _short(body))
                    ok_names.add(chain)
                if chain not in table.chains and chain not in BUILTIN_CHAINS.get(table.name, ()):
                    raise _err(command, lineno, "rule appends to undeclared chain '%s'" % chain)
                rule = Rule(table.name, chain, body, words, counters, sep, lineno)
                tgt = rule.target
                if tgt is not None and tgt not in ok_names:
                    if not _target_ok(tgt):
                        raise _err(command, lineno, "bad target %r" % _short(tgt))
                    ok_names.add(tgt)
                pos = positions.get(chain, 0) + 1
                positions[chain] = pos
                rule.position = pos
                rule.index = len(table.rule_texts)
                table.rule_texts.append(body)
                table.rule_chains.append(chain)
                table.rules.append(rule)
                items.append(rule)
                continue
            if body.startswith("-"):
                word = body.split(None, 1)[0]
                raise _err(command, lineno, "unsupported command '%s' (only -A rules are understood)"
                           % _short(word))
            raise _err(command, lineno, "unrecognised line %r" % _short(raw))
        lineno = idx + 1
        stripped = raw.strip(" \t")
        if stripped == "" or c == "#":
            items.append(raw)
            continue
        if raw.startswith("*"):
            m = _TABLE_RE.match(raw)
            if not m:
                raise _err(command, lineno, "bad table line %r" % _short(raw))
            if table is not None:
                raise _err(command, lineno, "table '%s' starts before table '%s' was committed"
                           % (m.group(1), table.name))
            table = Table(m.group(1), lineno)
            table.start_item = len(rs.items)
            positions = {}
            chainset = set(BUILTIN_CHAINS.get(table.name, ()))
            rs.items.append(raw)
            rs.table_list.append(table)
            rs.tables.setdefault(table.name, table)
            continue
        if raw.rstrip(" \t") == "COMMIT":
            if table is None:
                raise _err(command, lineno, "COMMIT outside a table")
            table.commit_line = lineno
            table.end_item = len(rs.items)
            rs.items.append(raw)
            table = None
            continue
        if raw.startswith(":"):
            if table is None:
                raise _err(command, lineno, "chain line before any '*table' line")
            m = _CHAIN_RE.match(raw)
            if not m:
                raise _err(command, lineno, "bad chain line %r" % _short(raw))
            name, policy = m.group(1), m.group(2)
            if not _CHAIN_NAME_RE.match(name):
                raise _err(command, lineno, "bad chain name %r" % _short(name))
            if name in table.chains:
                raise _err(command, lineno, "chain '%s' declared twice" % name)
            if light and table.rule_texts:
                raise _Unordered()
            counters = None
            if m.group(3) is not None:
                counters = (int(m.group(3)), int(m.group(4)))
            table.chains[name] = Chain(name, policy, counters, lineno)
            chainset.add(name)
            rs.items.append(raw)
            continue
        raise _err(command, lineno, "unrecognised line %r" % _short(raw))
    if table is not None:
        raise _err(command, len(lines), "table '%s' has no COMMIT (output truncated?)" % table.name)
    return rs


def _target_ok(name):
    return bool(name) and not is_quoted(name) and bool(_CHAIN_NAME_RE.match(name))


def _short(s, n=120):
    s = str(s)
    return s if len(s) <= n else s[:n] + "..."


def render(ruleset):
    """Text of ``ruleset``: byte-identical to the parsed input when nothing was changed."""
    out = []
    for it in ruleset.items:
        out.append(it.render() if isinstance(it, Rule) else it)
    text = "\n".join(out)
    if ruleset.final_newline and out:
        text += "\n"
    return text


# --------------------------------------------------------------------------- NFQUEUE

def queue_options(rule):
    """``{num, balance, bypass, fanout}`` of an NFQUEUE/QUEUE rule (None for other rules).

    ``QUEUE`` is the old target, the same as ``NFQUEUE --queue-num 0``. Without
    ``--queue-num`` the queue is 0; with ``--queue-balance a:b`` num is None and balance
    is ``[a, b]``.
    """
    if not rule.is_queue:
        return None
    if rule.target == "QUEUE":
        return {"num": 0, "balance": None, "bypass": False, "fanout": False}
    return queue_options_words(rule.target_args)


def queue_options_words(args):
    """``{num, balance, bypass, fanout}`` from the words after ``-j NFQUEUE``."""
    q = {"num": 0, "balance": None, "bypass": False, "fanout": False}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--queue-num" and i + 1 < len(args) and _INT_RE.match(args[i + 1]):
            q["num"] = int(args[i + 1])
            i += 2
            continue
        if a == "--queue-balance" and i + 1 < len(args):
            m = re.match(r"^(\d{1,5}):(\d{1,5})\Z", args[i + 1])
            if m:
                q["balance"] = [int(m.group(1)), int(m.group(2))]
                q["num"] = None
                i += 2
                continue
        if a == "--queue-bypass":
            q["bypass"] = True
        elif a == "--queue-cpu-fanout":
            q["fanout"] = True
        i += 1
    return q


def jump_graph(table):
    """``{chain: set(chains it jumps or goes to)}`` for the user chains of ``table``."""
    names = set(table.chains) | set(BUILTIN_CHAINS.get(table.name, ()))
    graph = {}
    for r in table.rules:
        if r.target is not None and r.target in names:
            graph.setdefault(r.chain, set()).add(str(r.target))
    return graph


def reachability(table):
    """``{chain: [builtin chains from which it is reached]}`` (a built-in reaches itself)."""
    graph = jump_graph(table)
    reach = {}
    for b in table.builtin_chains():
        seen = set([b])
        stack = [b]
        while stack:
            c = stack.pop()
            for nxt in graph.get(c, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        for c in seen:
            reach.setdefault(c, []).append(b)
    return reach


def queue_rule_objects(ruleset):
    """The :class:`Rule` objects whose target is NFQUEUE or QUEUE, in dump order."""
    return [r for r in ruleset.rules() if r.is_queue]


def rule_dict(rule, reach, family="ipv4", backend="legacy"):
    return {
        "family": family,
        "backend": backend,
        "table": rule.table,
        "chain": rule.chain,
        "position": rule.position,
        "rule": rule.text,
        "counters": (
            {"packets": rule.counters[0], "bytes": rule.counters[1]} if rule.counters else None
        ),
        "handle": None,
        "target": str(rule.target),
        "goto": rule.goto,
        "queue": queue_options(rule),
        "reachable_from": list(reach.get(rule.chain, [])),
    }


def nfqueue_rules(ruleset, family="ipv4", backend="legacy"):
    """NFQUEUE/QUEUE rules of ``ruleset`` in the shared rule shape (see BRIEF)."""
    out = []
    reach_by_table = {}
    for t in ruleset.table_list:
        if not any(r.is_queue for r in t.rules):
            continue
        reach_by_table[id(t)] = reachability(t)
        for r in t.rules:
            if r.is_queue:
                out.append(rule_dict(r, reach_by_table[id(t)], family, backend))
    return out


def quote_word(value):
    """Quote a word the way iptables-save does (``xtables_save_string``)."""
    if value and re.match(r"^[A-Za-z0-9_-]+\Z", value):
        return value
    return '"' + re.sub(r'(["\\\'])', r"\\\1", value) + '"'
