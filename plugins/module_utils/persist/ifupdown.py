# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Debian ifupdown: ``/etc/network/interfaces`` and the files it sources.

* With the ethtool package's hook (``/etc/network/if-up.d/ethtool``, older releases
  ``if-pre-up.d``), the ``iface`` stanza gets ``offload-lro off`` style options: ifup
  exports them as ``IF_OFFLOAD_LRO`` and the hook runs ``ethtool --offload IFACE lro off``.
* Without the hook, one ``post-up <ethtool> -K IFACE lro off || true`` line does it.

What is already there counts the way ifupdown runs it (:func:`applied`): the ``pre-up``
commands of the stanza, then its ``up``/``post-up`` commands (file order; ``/bin/sh -c`` with
``$IFACE`` set), then the hook's ``offload-*`` options (if-up.d runs after the ``up``
commands). Commands are read for ``ethtool -K|--offload|--features <dev> name on|off ...``
with ``$IFACE``/``${IFACE}`` or the literal name, any path to ethtool, ``|| true``-style
fallbacks, redirections, ``;``/``&&`` lists and ``for X in ...; do ...; done`` loops. A line
that mentions ethtool in a form not followed here makes a non-compliant stanza a
:class:`PersistUnclear` (nothing appended); a compliant one is left byte-identical.

An interface named by a ``no-scripts`` line gets the ``post-up`` line even with the hook:
ifup runs no ``if-up.d`` script for it.

Only the first ``iface IFACE ...`` stanza (in sourcing order) is edited: options are per
stanza and the first one brings the link up. Lines, comments and indentation outside
the lines this module owns stay byte for byte.

``host_info`` keys: ``ethtool_hook`` (bool), ``ethtool_path`` (default ``/sbin/ethtool``),
``path`` (for messages).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import posixpath
import re
import shlex

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import (
    Choice,
    PersistError,
    PersistUnclear,
    check_features,
    split_lines,
)

NAME = "ifupdown"
MAIN = "/etc/network/interfaces"
HOOKS = ("/etc/network/if-up.d/ethtool", "/etc/network/if-pre-up.d/ethtool")
STANZA_WORDS = ("iface", "mapping", "auto", "source", "source-directory", "rename",
                "no-auto-down", "no-scripts")
_POSTUP_RE = re.compile(
    r"^(?P<indent>\s*)post-up\s+(?P<ethtool>/\S*ethtool)\s+-K\s+(?P<iface>\S+)"
    r"(?P<pairs>(?:\s+[a-z0-9-]+\s+(?:on|off))*)\s+\|\|\s+true\s*$")
_PATH_RE = re.compile(r"^/[A-Za-z0-9_./+-]+\Z")
_SOURCE_DIR_NAME = re.compile(r"^[a-zA-Z0-9_-]+\Z")


def _first_word(line):
    s = line.strip()
    return s.split(None, 1)[0] if s and not s.startswith("#") else ""


def _is_stanza_start(line):
    w = _first_word(line)
    return w in STANZA_WORDS or w.startswith("allow-")


def hook_present(text):
    """Does this if-up.d/if-pre-up.d ethtool hook handle offload options?"""
    return "OFFLOAD" in (text or "")


def sourced_order(files, main=MAIN):
    """Paths in the order ifupdown reads them, following ``source`` and
    ``source-directory`` (globs matched against the paths in ``files``)."""
    order = []

    def visit(path):
        if path in order or path not in files:
            return
        order.append(path)
        base = posixpath.dirname(path)
        for line in split_lines(files[path]):
            words = line.split()
            if len(words) < 2 or line.lstrip().startswith("#"):
                continue
            if words[0] == "source":
                pat = posixpath.normpath(posixpath.join(base, words[1]))
                for p in sorted(files):
                    if fnmatch.fnmatchcase(p, pat):
                        visit(p)
            elif words[0] == "source-directory":
                d = posixpath.normpath(posixpath.join(base, words[1]))
                for p in sorted(files):
                    if posixpath.dirname(p) == d and _SOURCE_DIR_NAME.match(posixpath.basename(p)):
                        visit(p)

    visit(main)
    return order


def _stanza(lines, iface):
    """(start, end) line range of the first ``iface IFACE`` stanza, or None."""
    for i, line in enumerate(lines):
        words = line.split()
        if len(words) >= 2 and words[0] == "iface" and words[1] == iface:
            j = i + 1
            while j < len(lines) and not _is_stanza_start(lines[j]):
                j += 1
            return i, j
    return None


def no_scripts(texts, iface):
    """Does a ``no-scripts`` line of ``texts`` name ``iface`` (a name or a pattern)? ifup then
    runs no ``/etc/network/if-*.d`` script for it: the ethtool hook ignores its options."""
    for text in texts:
        for line in split_lines(text):
            words = line.split()
            if _first_word(line) == "no-scripts" and any(fnmatch.fnmatchcase(iface, w) for w in words[1:]):
                return True
    return False


def manages(files, iface):
    """Path of the file holding the first ``iface IFACE`` stanza ifupdown reads, or None."""
    for path in sourced_order(files):
        if _stanza(split_lines(files[path]), iface):
            return path
    return None


# ------------------------------------------------------------- what ifupdown runs

COMMAND_OPTIONS = ("pre-up", "up", "post-up")
_REDIR_RE = re.compile(r"(?:^|(?<=\s))\d?(?:>>|>|<)&?\s*(?:\d\b|[^\s;&|]+)")
_VAR_RE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_NEUTRAL = ("true", ":", "[", "test", "echo", "logger", "sleep", "printf")
_COMPOUND = ("if", "then", "else", "elif", "fi", "while", "until", "case", "esac", "do", "done",
             "{", "}", "function", "eval", "exec")


class _Unclear(Exception):
    pass


def _subst(word, env):
    return _VAR_RE.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), word)


def _simple(toks, i):
    j = i
    while j < len(toks) and toks[j] not in (";", "&&", "||", "|", "&", "(", ")"):
        j += 1
    return toks[i:j], j


def _command_list(toks, env):
    """Simple commands (argv lists, variables of ``env`` expanded) the token list runs."""
    cmds = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t in (";", "&&"):
            i += 1
        elif t == "||":
            argv, i = _simple(toks, i + 1)
            if not argv:
                raise _Unclear("sh syntax error: '||' without a command")
            if posixpath.basename(argv[0]) not in ("true", ":"):
                raise _Unclear("a fallback other than true")
        elif t == "for":
            if i + 2 >= len(toks) or toks[i + 2] != "in":
                raise _Unclear("for loop")
            var, j, words = toks[i + 1], i + 3, []
            while j < len(toks) and toks[j] != ";":
                words.append(toks[j])
                j += 1
            # sh reads `do` as the reserved word only after the `;` that ends the list
            j += 1
            if j >= len(toks) or toks[j] != "do" or "done" not in toks[j:]:
                raise _Unclear("for loop")
            end = toks.index("done", j)
            body = toks[j + 1:end]
            if "for" in body:
                raise _Unclear("nested loop")
            for w in words:
                for sub in _subst(w, env).split():
                    cmds += _command_list(body, dict(env, **{var: sub}))
            i = end + 1
        elif t in _COMPOUND or t in ("|", "&", "(", ")"):
            raise _Unclear("shell construct %r" % t)
        else:
            argv, i = _simple(toks, i)
            while argv and re.match(r"^[A-Za-z_]\w*=", argv[0]):
                argv = argv[1:]
            if argv:
                cmds.append([_subst(a, env) for a in argv])
    return cmds


def ethtool_settings(command, iface):
    """``[(feature, value)]`` in the order the shell command ``command`` (an ifupdown
    ``pre-up``/``up`` value, run with ``$IFACE`` = iface) sets offloads on iface through
    ethtool (the last one of a feature wins); raises ``_Unclear`` for a form this reader does
    not follow. A feature named twice in one ethtool run with other values counts as not off:
    ethtool 6.1 (netlink) turns it on whatever the order, older ethtool takes the last."""
    if "`" in command or "$(" in command:
        raise _Unclear("command substitution")
    try:
        lex = shlex.shlex(_REDIR_RE.sub(" ", command), posix=True, punctuation_chars=";&|()")
        lex.whitespace_split = True
        toks = list(lex)
    except ValueError as e:
        raise _Unclear(str(e))
    out = []
    for argv in _command_list(toks, {"IFACE": iface}):
        name = posixpath.basename(argv[0])
        if name != "ethtool":
            if name not in _NEUTRAL and any("ethtool" in a for a in argv):
                raise _Unclear("ethtool run through %s" % argv[0])
            continue
        if len(argv) < 3 or argv[1] not in ethtool.SET_OPTIONS:
            continue
        if "$" in argv[2]:
            raise _Unclear("device %s" % argv[2])
        if argv[2] != iface:
            continue
        pairs = argv[3:]
        if any("$" in a for a in pairs):
            raise _Unclear("variable in %s" % " ".join(argv))
        if len(pairs) % 2 or any(v not in ("on", "off") for v in pairs[1::2]):
            continue  # ethtool refuses the command: it sets nothing
        sets = [(f, v) for k, v in zip(pairs[::2], pairs[1::2])
                for f, names in ethtool.OFFLOAD_ALIASES.items() if k in names]
        out += _off_first(sets)
    return out


def _off_first(sets):
    """``sets`` of one ethtool run, its ``off`` values first: with "the last one wins" a
    feature named with other values too is not off (see :func:`ethtool_settings`)."""
    return sorted(sets, key=lambda s: s[1] != "off")


def applied(lines, start, end, iface, hook):
    """What ifup applies for the stanza ``lines[start:end]``: ``(state, unclear)`` with
    ``state`` ``{feature: (value, line_index, kind)}`` (``kind`` "command" or "option") of
    the setting applied last, and ``unclear`` ``[(line_index, reason)]``."""
    phases = {"pre-up": [], "up": [], "option": []}
    unclear = []
    seen_options = set()
    for k in range(start + 1, end):
        word = _first_word(lines[k])
        if not word:
            continue
        value = lines[k].strip()[len(word):].strip()
        if word in COMMAND_OPTIONS:
            if "ethtool" not in value:
                continue
            try:
                sets = ethtool_settings(value, iface)
            except _Unclear as e:
                unclear.append((k, str(e)))
                continue
            phases["pre-up" if word == "pre-up" else "up"] += [(f, v, k, "command") for f, v in sets]
        elif hook and word.startswith("offload-"):
            name = word[len("offload-"):]
            values = value.split()
            # The hook passes every offload-* option to one ethtool run: a bad value fails it
            # all; an option given twice reaches it as two lines joined by a newline.
            if len(values) != 1 or values[0] not in ("on", "off"):
                unclear.append((k, "the ethtool hook fails on this value"))
            elif name in seen_options:
                unclear.append((k, "option given twice: ifupdown joins the values, the ethtool hook fails"))
            seen_options.add(name)
            for f, names in ethtool.OFFLOAD_ALIASES.items():
                if name in names:
                    phases["option"].append((f, values[0] if values else None, k, "option"))
    if hook and any(why.startswith("the ethtool hook") or why.startswith("option given twice")
                    for _k, why in unclear):
        phases["option"] = []
    # the hook passes every offload-* option to one ethtool run (in the order of the
    # variables' names, not of the file)
    phases["option"] = _off_first(phases["option"])
    state = {}
    for phase in ("pre-up", "up", "option"):
        for s in phases[phase]:
            state[s[0]] = s[1:]
    return state, unclear


def render(current_text, iface, features_off, host_info=None):
    features = check_features(features_off, NAME)
    info = host_info or {}
    path = info.get("path")
    program = info.get("ethtool_path") or "/sbin/ethtool"
    if not _PATH_RE.match(program):
        raise PersistError(NAME, path, "ethtool path %r is not a plain absolute path" % (program,))
    lines = split_lines(current_text or "")
    rng = _stanza(lines, iface)
    if rng is None:
        raise PersistError(NAME, path, "no 'iface %s' stanza to edit" % iface)
    start, end = rng
    for k in range(start, end):
        # ifupdown drops a comment line before it looks for a backslash at its end
        if lines[k].rstrip("\r\n").endswith("\\") and not lines[k].lstrip().startswith("#"):
            raise PersistError(NAME, path, "line %d: continuation lines are not supported" % (k + 1))
    options = [k for k in range(start + 1, end) if _first_word(lines[k])]
    if options:
        indent = re.match(r"^\s*", lines[options[0]]).group(0)
    else:
        # a stanza without options: follow the file's own indentation habit
        indented = [l for l in lines if l[:1] in (" ", "\t") and _first_word(l) and not _is_stanza_start(l)]
        indent = re.match(r"^\s*", indented[0]).group(0) if indented else "    "
    hook = bool(info.get("ethtool_hook")) and not no_scripts([current_text], iface)
    state, unclear = applied(lines, start, end, iface, hook)
    todo_all = [f for f in features if state.get(f, (None,))[0] != "off"]
    if not todo_all:
        return current_text
    if unclear:
        raise PersistUnclear(NAME, path, "%s; it may already set the offloads of %s, so nothing is "
                                         "added: check it and set %s by hand" % (
                                             "; ".join("line %d (%s): %s" % (k + 1, why, lines[k].strip())
                                                       for k, why in unclear),
                                             iface, ", ".join("%s off" % f for f in todo_all)))
    changed = False
    new_lines = []
    if hook:
        todo = list(todo_all)
        for k in options:
            words = lines[k].split()
            for f in todo_all:
                if words[0] in ["offload-%s" % a for a in ethtool.OFFLOAD_ALIASES[f]]:
                    if f in todo:
                        todo.remove(f)
                    if len(words) != 2 or words[1] != "off":
                        raw = lines[k]
                        eol = raw[len(raw.rstrip("\r\n")):]
                        lead = re.match(r"^\s*", raw).group(0)
                        lines[k] = "%s%s off%s" % (lead, words[0], eol)
                        changed = True
        new_lines = ["%soffload-%s off\n" % (indent, f) for f in todo]
    else:
        mine = None
        for k in options:
            m = _POSTUP_RE.match(lines[k].rstrip("\r\n"))
            if m and m.group("iface") == iface:
                mine = (k, m)
        # merge into our own line only when nothing after it sets these features
        if mine and any(state.get(f, (None, -1))[1] > mine[0] for f in features):
            mine = None
        if mine:
            k, m = mine
            words = m.group("pairs").split()
            pairs = list(zip(words[::2], words[1::2]))
            have = [n for n, v in pairs if v == "off"]
            if not all(f in have for f in features):
                merged = [f for f in ethtool.OFFLOAD_FEATURES if f in have or f in features]
                # the line's other settings stay (ethtool -K applies every pair)
                names = set(a for f in merged for a in ethtool.OFFLOAD_ALIASES[f])
                rest = "".join(" %s %s" % p for p in pairs if p[0] not in names)
                raw = lines[k]
                eol = raw[len(raw.rstrip("\r\n")):]
                lines[k] = "%spost-up %s%s || true%s" % (
                    m.group("indent"), ethtool.set_command(iface, merged, program=m.group("ethtool")), rest, eol)
                changed = True
        else:
            new_lines = ["%spost-up %s || true\n" % (
                indent, ethtool.set_command(iface, todo_all, program=program))]
    if new_lines:
        at = (options[-1] if options else start) + 1
        if not lines[at - 1].endswith("\n"):
            lines[at - 1] += "\n"
        lines[at:at] = new_lines
        changed = True
    return "".join(lines) if changed else current_text


# ====================================================================== back-end interface
# (see persist/__init__.py)

GLOBS = (MAIN, MAIN + ".d/*")
DETECT_GLOBS = GLOBS
FILE_MODE = "0644"
SECRETS = False
PROBE = (
    "command -v ifup >/dev/null 2>&1 && kc_kv ifup 1",
    "for h in %s; do [ -f \"$h\" ] && grep -q OFFLOAD \"$h\" 2>/dev/null && kc_kv ethtool_hook \"$h\"; done"
    % " ".join(HOOKS),
)
read_script = None     # what is configured is read from GLOBS
parse_read = None


def owns(path):
    return path.startswith(MAIN)


def choose(read, iface, forced):
    """The interfaces(5) file whose stanza configures ``iface``."""
    mgr = read["managers"]
    files = dict((p, t) for p, t in read["files"].items() if owns(p))
    path = manages(files, iface)
    if not path:
        return None
    hook = mgr.get("ethtool_hook")
    if hook and no_scripts([files[p] for p in sourced_order(files)], iface):
        hook, how = None, "no-scripts names %s: the ethtool hook does not run: post-up line" % iface
    else:
        how = "ethtool hook %s: offload-* options" % hook if hook else "no ethtool hook: post-up line"
    return Choice(NAME, path, "ifupdown stanza for %s in %s (%s)" % (iface, path, how),
                  info={"ethtool_hook": bool(hook), "ethtool_path": mgr.get("ethtool_path") or "/sbin/ethtool"})
