# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parse ``nft list ruleset`` (text, with or without ``-a`` handles) and
``nft -j list ruleset`` (JSON); find ``queue`` statements.

Pure functions, no I/O. Over 500 lines on purpose: ONE format in its two spellings (text and
``-j`` JSON), which must normalise to the same statements; both live together so they stay
equal.

Queue statements are normalised to the syntax current nft prints::

    queue [flags bypass[,fanout]] to <expr>

so the old syntax ``queue num 0-3 fanout,bypass`` (nft < 1.0, and what nft 1.0.6 prints
for an iptables-nft ``-j NFQUEUE`` through the xt translation) becomes
``queue flags bypass,fanout to 0-3``, a bare ``queue`` becomes ``queue to 0``, and JSON
expressions are rendered back to text (``{"range": [1, 42]}`` -> ``1-42``,
``symhash``/``jhash``/map lookups, concatenations).

A map declared ``typeof ... : queue`` is a declaration, not a statement: only rules
inside chains are searched.

iptables-nft rules live in nft tables too. ``nft list ruleset`` shows their NFQUEUE
target translated (``queue num 2 bypass``) while ``nft -j`` shows ``{"xt": {"type":
"target", "name": "NFQUEUE"}}``. Such rules belong to the iptables-nft back end (change
them with ``iptables-nft-restore``, read them with ``iptables-nft-save``). Pass the
``(family, table)`` pairs that ``iptables-nft-save``/``ip6tables-nft-save`` printed as
``iptables_nft_tables`` to :func:`queue_rules` so they are flagged ``iptables_nft: True``
(and can be left out to avoid counting a rule twice). A rule that shows ``xt`` matches or
targets is flagged without that hint.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashParseError

# Native nftables rule sets loaded at boot (Debian's nftables.service, el8+'s nftables.service).
SAVED_FILES = ("/etc/nftables.conf", "/etc/sysconfig/nftables.conf")

FAMILIES = ("ip", "ip6", "inet", "arp", "bridge", "netdev")

_CHAIN_HEADER_WORDS = ("type", "policy", "devices", "device")
_HANDLE_RE = re.compile(r"^handle[ \t]+(\d+)[ \t]*\Z")
_INT_RE = re.compile(r"^\d{1,9}\Z")
_RANGE_RE = re.compile(r"^(\d{1,9})-(\d{1,9})\Z")
_NAME_RE = re.compile(r'^(?:"[^"]*"|[A-Za-z0-9_./@$-]+)\Z')
FLAG_ORDER = ("bypass", "fanout")

# meta keys nft prints without the "meta" keyword (meta.c, meta_key_is_unqualified(), in every
# nft that has -j; nft 1.0.6 checked live: `meta skuid 0`)
_UNQUALIFIED_META = frozenset(("iif", "oif", "iifname", "oifname", "iifgroup", "oifgroup"))


class NftRule(object):
    __slots__ = ("family", "table", "chain", "position", "handle", "text", "line", "end_line",
                 "queue_statement", "queue", "targets", "xt", "comment")

    def __init__(self, family, table, chain, position, handle, text, line=None, end_line=None):
        self.family = family
        self.table = table
        self.chain = chain
        self.position = position
        self.handle = handle
        self.text = text
        self.line = line
        self.end_line = end_line if end_line is not None else line
        self.queue_statement = None
        self.queue = None
        self.targets = []
        self.xt = False
        self.comment = None

    def __repr__(self):
        return "NftRule(%s %s %s #%s handle=%s %r)" % (
            self.family, self.table, self.chain, self.position, self.handle, self.text)


class NftChain(object):
    __slots__ = ("name", "handle", "hook", "rules", "line", "end_line")

    def __init__(self, name, handle=None, line=None):
        self.name = name
        self.handle = handle
        self.hook = None
        self.rules = []
        self.line = line
        self.end_line = None


class NftTable(object):
    __slots__ = ("family", "name", "handle", "chains", "line", "end_line")

    def __init__(self, family, name, handle=None, line=None):
        self.family = family
        self.name = name
        self.handle = handle
        self.chains = {}
        self.line = line
        self.end_line = None


class NftRuleset(object):
    def __init__(self, command, fmt):
        self.command = command
        self.format = fmt  # "text" or "json"
        self.tables = []

    def rules(self):
        for t in self.tables:
            for c in t.chains.values():
                yield from c.rules


# ------------------------------------------------------------------------ text lexing

def _split_comment(line):
    """(code, comment) of one physical line: ``#`` outside a string starts a comment.
    (None, None) when a string is left open."""
    if '"' not in line:
        i = line.find("#")
        return (line, None) if i < 0 else (line[:i], line[i + 1:])
    in_str = False
    for i, ch in enumerate(line):
        if ch == '"':
            in_str = not in_str
        elif ch == "#" and not in_str:
            return line[:i], line[i + 1:]
    if in_str:
        return None, None
    return line, None


def _braces(code):
    if '"' not in code:
        return code.count("{") - code.count("}")
    depth = 0
    in_str = False
    for ch in code:
        if ch == '"':
            in_str = not in_str
        elif not in_str:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
    return depth


_TOKEN_RE = re.compile(r'"[^"]*"|[{},;]|[^\s{},;"]+')


def lex(code):
    """``[(token, start, end)]`` of nft code: strings are one token, braces/commas/
    semicolons are tokens of their own."""
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN_RE.finditer(code)]


def words(code):
    """Tokens of ``code`` with ``a,b`` (no blanks around the comma) glued back into one
    word, as in ``bypass,fanout`` or ``established,related``."""
    out = []
    glue = False
    prev_end = None
    for tok, s, e in lex(code):
        if out and (glue or tok == ",") and s == prev_end and not (tok == "," and out[-1] in ("{", ",")):
            out[-1] += tok
            glue = tok == ","
        else:
            out.append(tok)
            glue = False
        prev_end = e
    return out


def _unquote(name):
    if len(name) >= 2 and name[0] == '"' and name[-1] == '"':
        return name[1:-1]
    return name


_BLANKS_RE = re.compile(r"\s\s|[^\S ]")


def _collapse(code):
    """Collapse runs of white space outside strings into one space."""
    code = code.strip()
    if not _BLANKS_RE.search(code):
        return code     # every blank is one space already
    toks = lex(code)
    out = []
    prev_end = None
    for tok, s, e in toks:
        if prev_end is not None and s > prev_end:
            out.append(" ")
        out.append(tok)
        prev_end = e
    return "".join(out).strip()


# ------------------------------------------------------------------------ queue statement

def parse_queue_words(words):
    """Normalise the words after ``queue``. Returns (statement, queue_dict).

    Accepts the current syntax (``flags a,b`` and ``to EXPR``) and the old one (``num EXPR``
    followed by ``bypass``/``fanout``/``bypass,fanout``/``fanout,bypass``).
    """
    flags = set()
    expr = None
    i = 0
    n = len(words)
    while i < n:
        w = words[i]
        if w == "flags" and i + 1 < n:
            i += 1
            while i < n:
                for f in words[i].split(","):
                    if f:
                        flags.add(f)
                if i + 1 < n and words[i + 1] == ",":
                    i += 2
                    continue
                if words[i].endswith(",") and i + 1 < n:
                    i += 1
                    continue
                break
            i += 1
            continue
        if w in ("to", "num") and i + 1 < n:
            j = i + 1
            parts = []
            while j < n and not _is_old_flag_word(words[j]):
                parts.append(words[j])
                j += 1
            expr = _join_expr(parts)
            i = j
            continue
        if _is_old_flag_word(w):
            for f in w.split(","):
                if f:
                    flags.add(f)
            i += 1
            continue
        # unknown word: keep it in the expression so nothing is lost
        expr = ((expr + " ") if expr else "") + w
        i += 1
    if expr is None or expr == "":
        expr = "0"
    ordered = [f for f in FLAG_ORDER if f in flags] + sorted(f for f in flags if f not in FLAG_ORDER)
    stmt = "queue"
    if ordered:
        stmt += " flags " + ",".join(ordered)
    stmt += " to " + expr
    q = {"num": None, "balance": None, "bypass": "bypass" in flags, "fanout": "fanout" in flags}
    if _INT_RE.match(expr):
        q["num"] = int(expr)
    else:
        m = _RANGE_RE.match(expr)
        if m:
            q["balance"] = [int(m.group(1)), int(m.group(2))]
    return stmt, q


def _is_old_flag_word(w):
    parts = [p for p in w.split(",") if p]
    return bool(parts) and all(p in FLAG_ORDER for p in parts)


def _join_expr(parts):
    out = []
    for p in parts:
        if p in (",", "}") and out:
            out[-1] = out[-1] + p if p == "," else out[-1] + " " + p
            continue
        out.append(p)
    return " ".join(out)


def _find_queue(tokens):
    """Index of the ``queue`` statement keyword in ``tokens`` (list of str) or None."""
    for i, t in enumerate(tokens):
        if t == "queue":
            prev = tokens[i - 1] if i else None
            if prev in ("jump", "goto", ":", "typeof", "type"):
                continue
            return i
    return None


def queue_span(code, start=0):
    """``(start, end)`` character span of the first queue statement in ``code`` at or after
    offset ``start``: from the ``queue`` keyword to its last word (before ``comment``, ``;``,
    a closing ``}`` of an enclosing block, or the end). None when there is none."""
    toks = lex(code)
    prev = None
    for i, (tok, s, e) in enumerate(toks):
        if s < start:
            prev = tok
            continue
        if tok == "queue" and prev not in ("jump", "goto", ":", "typeof", "type"):
            end = e
            depth = 0
            for tok2, s2, e2 in toks[i + 1:]:
                if depth == 0 and tok2 in (";", "}", "comment"):
                    break
                if tok2 == "{":
                    depth += 1
                elif tok2 == "}":
                    depth -= 1
                end = e2
            return s, end
        prev = tok
    return None


def _analyse_rule(rule):
    t = rule.text
    if "queue" not in t and "jump" not in t and "goto" not in t and "xt " not in t and "comment" not in t:
        return
    toks = words(t)
    # rule comment: `comment "..."` at the end
    end = len(toks)
    if end >= 2 and toks[-2] == "comment" and toks[-1].startswith('"'):
        rule.comment = _unquote(toks[-1])
        end -= 2
    body = toks[:end]
    for i, t in enumerate(body):
        if t in ("jump", "goto") and i + 1 < len(body):
            # in a verdict map nft prints `{ 22 : jump a, 23 : goto b }`: words() glues the comma
            tgt = body[i + 1]
            rule.targets.append(_unquote(tgt[:-1] if tgt.endswith(",") else tgt))
        if t == "xt" and i + 1 < len(body) and body[i + 1] in ("match", "target"):
            rule.xt = True
    qi = _find_queue(body)
    if qi is not None:
        rule.queue_statement, rule.queue = parse_queue_words(body[qi + 1:])


# ------------------------------------------------------------------------ text parser

def parse_text(text, command="nft list ruleset"):
    """Parse ``nft [-a] list ruleset`` text into an :class:`NftRuleset`."""
    if not isinstance(text, str):
        raise KcrashParseError(command, "expected text, got %s" % type(text).__name__)
    rs = NftRuleset(command, "text")
    table = None
    chain = None
    skip_depth = 0          # >0 while inside a declaration block
    pending = None          # (start line, [code parts], depth) of a multi-line rule
    lines = text.split("\n")
    for idx, raw in enumerate(lines):
        lineno = idx + 1
        code, comment = _split_comment(raw)
        if code is None:
            raise KcrashParseError(command, "unterminated string", line=lineno)
        handle = None
        if comment is not None:
            m = _HANDLE_RE.match(comment.strip())
            if m:
                handle = int(m.group(1))
        stripped = code.strip()
        if pending is not None:
            pending[1].append(stripped)
            pending[2] += _braces(stripped)
            if pending[2] > 0:
                continue
            if pending[2] < 0:
                raise KcrashParseError(command, "unbalanced '}' in rule", line=lineno)
            _add_rule(chain, table, " ".join(p for p in pending[1] if p), pending[0], lineno, handle)
            pending = None
            continue
        if skip_depth:
            skip_depth += _braces(stripped)
            if skip_depth < 0:
                raise KcrashParseError(command, "unbalanced '}'", line=lineno)
            continue
        if stripped == "":
            continue
        words = stripped.split()
        if table is None:
            if words[0] == "table" and stripped.endswith("{"):
                inner = stripped[:-1].split()
                if len(inner) == 3 and inner[1] in FAMILIES:
                    fam, name = inner[1], inner[2]
                elif len(inner) == 2:
                    fam, name = "ip", inner[1]
                else:
                    raise KcrashParseError(command, "bad table line %r" % _short(stripped), line=lineno)
                if not _NAME_RE.match(name):
                    raise KcrashParseError(command, "bad table name %r" % _short(name), line=lineno)
                table = NftTable(fam, _unquote(name), handle, lineno)
                rs.tables.append(table)
                continue
            raise KcrashParseError(command, "unrecognised line %r" % _short(stripped), line=lineno)
        if chain is None:
            if stripped == "}":
                table.end_line = lineno
                table = None
                continue
            if words[0] == "chain" and stripped.endswith("{"):
                inner = stripped[:-1].split()
                if len(inner) != 2 or not _NAME_RE.match(inner[1]):
                    raise KcrashParseError(command, "bad chain line %r" % _short(stripped), line=lineno)
                name = _unquote(inner[1])
                if name in table.chains:
                    raise KcrashParseError(command, "chain '%s' listed twice" % name, line=lineno)
                chain = NftChain(name, handle, lineno)
                table.chains[name] = chain
                continue
            depth = _braces(stripped)
            if depth < 0:
                raise KcrashParseError(command, "unbalanced '}'", line=lineno)
            # any other table-level line is a declaration, no rule: a block (set, map,
            # flowtable, counter, quota, ct helper ...) is skipped to its closing brace, a
            # one-line one (flags, comment ...) alone
            skip_depth = depth
            continue
        # inside a chain
        if stripped == "}":
            chain.end_line = lineno
            chain = None
            continue
        if words[0] in _CHAIN_HEADER_WORDS and stripped.endswith(";"):
            if words[0] == "type":
                m = re.search(r"\bhook[ \t]+([A-Za-z_]+)", stripped)
                if m:
                    chain.hook = m.group(1)
            continue
        if words[0] == "policy" or (words[0] == "comment" and len(lex(stripped)) == 2):
            continue
        depth = _braces(stripped)
        if depth > 0:
            pending = [lineno, [stripped], depth]
            continue
        if depth < 0:
            raise KcrashParseError(command, "unbalanced '}' in rule", line=lineno)
        _add_rule(chain, table, stripped, lineno, lineno, handle)
    if pending is not None or skip_depth or chain is not None or table is not None:
        raise KcrashParseError(command, "ruleset ends inside a block (output truncated?)",
                               line=len(lines))
    return rs


def _add_rule(chain, table, code, line, end_line, handle):
    text = _collapse(code)
    rule = NftRule(table.family, table.name, chain.name, len(chain.rules) + 1, handle, text,
                   line, end_line)
    _analyse_rule(rule)
    chain.rules.append(rule)


def _short(s, n=120):
    s = str(s)
    return s if len(s) <= n else s[:n] + "..."


# ------------------------------------------------------------------------ JSON parser

def parse_json(text, command="nft -j list ruleset"):
    """Parse ``nft -j list ruleset`` output into an :class:`NftRuleset`."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        raise KcrashParseError(command, "expected text, got %s" % type(text).__name__)
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise KcrashParseError(command, "invalid JSON: %s" % e)
    except RecursionError:
        raise KcrashParseError(command, "JSON nested too deeply")
    if not isinstance(doc, dict) or not isinstance(doc.get("nftables"), list):
        raise KcrashParseError(command, "no top-level 'nftables' list")
    rs = NftRuleset(command, "json")
    tables = {}
    for item in doc["nftables"]:
        if not isinstance(item, dict) or len(item) != 1:
            raise KcrashParseError(command, "unexpected element %s" % _short(json.dumps(item)))
        kind, obj = list(item.items())[0]
        if not isinstance(obj, dict):
            if kind == "metainfo":
                continue
            raise KcrashParseError(command, "'%s' is not an object" % kind)
        if kind == "table":
            fam, name = obj.get("family"), obj.get("name")
            if not isinstance(fam, str) or not isinstance(name, str):
                raise KcrashParseError(command, "table without family/name")
            t = NftTable(fam, name, _int_or_none(obj.get("handle")))
            tables[(fam, name)] = t
            rs.tables.append(t)
        elif kind == "chain":
            t = _json_table(tables, obj, command)
            name = obj.get("name")
            if not isinstance(name, str):
                raise KcrashParseError(command, "chain without name")
            c = NftChain(name, _int_or_none(obj.get("handle")))
            hook = obj.get("hook")
            c.hook = hook if isinstance(hook, str) else None
            t.chains[name] = c
        elif kind == "rule":
            t = _json_table(tables, obj, command)
            cname = obj.get("chain")
            if not isinstance(cname, str):
                raise KcrashParseError(command, "rule without chain")
            c = t.chains.get(cname)
            if c is None:
                c = NftChain(cname)
                t.chains[cname] = c
            exprs = obj.get("expr")
            if not isinstance(exprs, list):
                raise KcrashParseError(command, "rule without expr list")
            try:
                rule = _json_rule(t, c, obj, exprs)
            except (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError) as e:
                raise KcrashParseError(command, "cannot render rule in %s %s %s: %s"
                                       % (t.family, t.name, cname, e))
            c.rules.append(rule)
    return rs


def _int_or_none(v):
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _json_table(tables, obj, command):
    key = (obj.get("family"), obj.get("table"))
    t = tables.get(key)
    if t is None:
        raise KcrashParseError(command, "object refers to unknown table %s %s" % key)
    return t


def _json_rule(table, chain, obj, exprs):
    parts = []
    rule = NftRule(table.family, table.name, chain.name, len(chain.rules) + 1,
                   _int_or_none(obj.get("handle")), "")
    for e in exprs:
        if not isinstance(e, dict) or len(e) != 1:
            raise ValueError("bad expression %s" % _short(json.dumps(e)))
        k, v = list(e.items())[0]
        if k == "queue":
            stmt, q = json_queue(v)
            rule.queue_statement, rule.queue = stmt, q
            parts.append(stmt)
            continue
        if k == "xt":
            rule.xt = True
            if isinstance(v, dict) and v.get("type") == "target" and v.get("name") in ("NFQUEUE", "QUEUE"):
                # iptables-nft target through the xt compat layer: JSON does not carry
                # its options (read them from iptables-nft-save)
                rule.queue_statement = "xt target %s" % v.get("name")
                rule.queue = {"num": None, "balance": None, "bypass": None, "fanout": None}
        if k in ("jump", "goto") and isinstance(v, dict):
            rule.targets.append(str(v.get("target")))
        for tgt in _nested_targets(v):
            rule.targets.append(tgt)
        parts.append(render_stmt(k, v))
    comment = obj.get("comment")
    if isinstance(comment, str):
        rule.comment = comment
        parts.append('comment "%s"' % comment)
    rule.text = " ".join(p for p in parts if p)
    return rule


def _nested_targets(v):
    out = []
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            for k, y in x.items():
                if k in ("jump", "goto") and isinstance(y, dict) and isinstance(y.get("target"), str):
                    out.append(y["target"])
                else:
                    stack.append(y)
        elif isinstance(x, list):
            stack.extend(x)
    return out


def json_queue(v):
    """(statement, queue dict) of a JSON ``queue`` object."""
    if not isinstance(v, dict):
        raise ValueError("queue is not an object")
    flags = v.get("flags")
    if isinstance(flags, str):
        flags = [flags]
    words = []
    if flags:
        words += ["flags", ",".join(str(f) for f in flags)]
    if "num" in v:
        words += ["to", render_expr(v["num"])]
    stmt, q = parse_queue_words(words)
    return stmt, q


def render_expr(x):
    """Text of a JSON expression, as nft prints it (the parts queue statements use, and
    a reasonable rendering of the rest)."""
    if isinstance(x, bool):
        # nft's boolean type prints its symbols (`meta ipsec exists`, `... missing`)
        return "exists" if x else "missing"
    if isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, str):
        return x
    if x is None:
        return ""
    if isinstance(x, list):
        # a flag list: `ct state established,related`
        return ",".join(render_expr(i) for i in x)
    if not isinstance(x, dict) or len(x) != 1:
        return json.dumps(x, sort_keys=True)
    k, v = list(x.items())[0]
    if k == "range":
        return "%s-%s" % (render_expr(v[0]), render_expr(v[1]))
    if k == "concat":
        return " . ".join(render_expr(i) for i in v)
    if k == "payload":
        if "protocol" in v:
            return "%s %s" % (v["protocol"], v["field"])
        return "@%s,%s,%s" % (v.get("base"), v.get("offset"), v.get("len"))
    if k == "meta":
        key = v.get("key")
        return key if key in _UNQUALIFIED_META else "meta %s" % key
    if k == "ct":
        out = "ct"
        if v.get("dir"):
            out += " " + str(v["dir"])
        return out + " " + str(v.get("key"))
    if k == "set":
        items = v if isinstance(v, list) else [v]
        return "{ " + ", ".join(_render_set_elem(i) for i in items) + " }"
    if k == "prefix":
        return "%s/%s" % (render_expr(v["addr"]), v["len"])
    if k in ("symhash", "jhash"):
        out = k
        if k == "jhash":
            out += " " + render_expr(v["expr"])
        out += " mod %s" % v["mod"]
        if "seed" in v:
            out += " seed 0x%x" % v["seed"] if isinstance(v["seed"], int) else " seed %s" % v["seed"]
        if v.get("offset"):
            out += " offset %s" % v["offset"]
        return out
    if k == "numgen":
        # nft -j writes "offset": 0, nft prints an offset only when it is not 0
        out = "numgen %s mod %s" % (v.get("mode"), v.get("mod"))
        if v.get("offset"):
            out += " offset %s" % v["offset"]
        return out
    if k == "map":
        return "%s map %s" % (render_expr(v["key"]), render_expr(v["data"]))
    if k == "elem":
        return render_expr(v.get("val"))
    if k in ("accept", "drop", "return", "continue"):
        return k
    if k in ("jump", "goto"):
        return "%s %s" % (k, v.get("target"))
    return "%s %s" % (k, json.dumps(v, sort_keys=True))


def _render_set_elem(i):
    if isinstance(i, list) and len(i) == 2:
        return "%s : %s" % (render_expr(i[0]), render_expr(i[1]))
    return render_expr(i)


def render_stmt(k, v):
    if k == "match":
        op = v.get("op", "==")
        left, right = render_expr(v.get("left")), render_expr(v.get("right"))
        if op in ("==", "in"):
            return "%s %s" % (left, right)
        return "%s %s %s" % (left, op, right)
    if k in ("accept", "drop", "return", "continue"):
        return k
    if k in ("jump", "goto"):
        return "%s %s" % (k, v.get("target"))
    if k == "counter":
        if isinstance(v, str):
            return 'counter name "%s"' % v
        if isinstance(v, dict) and "packets" in v:
            return "counter packets %s bytes %s" % (v.get("packets"), v.get("bytes"))
        return "counter"
    if k == "xt":
        return "xt %s %s" % (v.get("type"), v.get("name"))
    if k == "vmap":
        return "%s vmap %s" % (render_expr(v.get("key")), render_expr(v.get("data")))
    if k == "reject" and v is None:
        return "reject"
    if k == "log" and v is None:
        return "log"
    if k == "notrack":
        return "notrack"
    return render_expr({k: v})


def parse(text, command=None):
    """Parse text or JSON (detected by the first non-blank character)."""
    if isinstance(text, str) and text.lstrip().startswith("{"):
        return parse_json(text, command or "nft -j list ruleset")
    return parse_text(text, command or "nft list ruleset")


# ------------------------------------------------------------------------ queries

def reachability(table):
    """``{chain: [base chains it is reached from]}``; a base chain reaches itself."""
    graph = {}
    for c in table.chains.values():
        for r in c.rules:
            for t in r.targets:
                if t in table.chains:
                    graph.setdefault(c.name, set()).add(t)
    reach = {}
    for c in table.chains.values():
        if not c.hook:
            continue
        seen = set([c.name])
        stack = [c.name]
        while stack:
            x = stack.pop()
            for y in graph.get(x, ()):
                if y not in seen:
                    seen.add(y)
                    stack.append(y)
        for x in seen:
            reach.setdefault(x, []).append(c.name)
    return reach


def queue_rule_objects(ruleset):
    return [r for r in ruleset.rules() if r.queue_statement is not None]


def queue_rules(ruleset, iptables_nft_tables=None):
    """Queue statements in the shared rule shape plus ``statement``, ``iptables_nft``.

    ``iptables_nft_tables``: iterable of ``(family, table)`` that iptables-nft owns (as
    printed by ``iptables-nft-save`` -> ``("ip", table)`` and ``ip6tables-nft-save`` ->
    ``("ip6", table)``).
    """
    owned = set(tuple(x) for x in (iptables_nft_tables or ()))
    out = []
    for t in ruleset.tables:
        reach = None
        for c in t.chains.values():
            for r in c.rules:
                if r.queue_statement is None:
                    continue
                if reach is None:
                    reach = reachability(t)
                out.append({
                    "family": t.family,
                    "backend": "nftables",
                    "table": t.name,
                    "chain": c.name,
                    "position": r.position,
                    "handle": r.handle,
                    "rule": r.text,
                    "statement": r.queue_statement,
                    "counters": None,
                    "queue": dict(r.queue),
                    "reachable_from": list(reach.get(c.name, [])),
                    "iptables_nft": bool(r.xt or (t.family, t.name) in owned),
                })
    return out
