# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Line editing of INI-style ``[Section]`` / ``Key=value`` files, shared by the back ends
whose files have that shape (NetworkManager keyfiles, systemd ``.link`` files).

Pure text in, text out: every byte the edit does not need to touch stays as it was
(comments, blank lines, spacing around ``=``, line endings, other sections).

What differs between the formats is a parameter: the characters a key may contain
(:func:`key_line_re`) and when an existing value already counts as the wanted one
(``keep``). Common to both, and fixed here: ``#`` and ``;`` start comment lines,
section and key names compare case-sensitively, and when a section name appears more
than once the last one is the one edited.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import split_lines

SECTION_RE = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")
COMMENT_STARTS = ("#", ";")


def key_line_re(key_chars):
    """Regex for a ``Key=value`` line whose key is made of ``key_chars`` (a character
    class body such as ``A-Za-z0-9``); groups ``lead key eq value trail``."""
    return re.compile(r"^(?P<lead>\s*)(?P<key>[" + key_chars + r"]+)(?P<eq>\s*=\s*)"
                      r"(?P<value>.*?)(?P<trail>\s*)$")


def is_comment(line):
    return line.lstrip().startswith(COMMENT_STARTS)


def sections(lines):
    """[(name, header_index, [line indexes of the body])] in file order (lines before
    the first header belong to no section)."""
    out = []
    cur = None
    for i, line in enumerate(lines):
        m = SECTION_RE.match(line)
        if m:
            cur = (m.group("name").strip(), i, [])
            out.append(cur)
        elif cur is not None:
            cur[2].append(i)
    return out


def section_pairs(text, key_re):
    """[(section, [(key, value), ...]), ...] in file order, comment lines skipped; a
    section with no key lines still appears (with an empty list)."""
    lines = split_lines(text or "")
    out = []
    for name, dummy_head, body in sections(lines):
        pairs = []
        for i in body:
            if is_comment(lines[i]):
                continue
            m = key_re.match(lines[i].rstrip("\r\n"))
            if m:
                pairs.append((m.group("key"), m.group("value")))
        out.append((name, pairs))
    return out


def set_keys(text, section, pairs, key_re, keep=None):
    """Set ``key=value`` for each ``(key, value)`` of ``pairs`` in the last ``[section]``.

    * every non-comment line of that section whose key is one of ``pairs`` gets the new
      value (leading space, ``=`` spacing, trailing space and line ending kept), unless
      ``keep(current_value, value)`` says the current value already means the same
      (default: equal after stripping);
    * keys not present are inserted, in ``pairs`` order, after the section's last key
      line (or right after its header when it has none);
    * with no such section, one is appended at the end of the file, separated by a
      blank line when the file does not already end with one.

    Returns ``(new_text, changed)``; ``new_text`` is ``text`` itself when nothing
    changed."""
    if keep is None:
        keep = _same_value
    lines = split_lines(text)
    secs = [s for s in sections(lines) if s[0] == section]
    todo = list(pairs)
    changed = False
    if secs:
        dummy_name, head, body = secs[-1]
        for pair in pairs:
            for i in body:
                raw = lines[i]
                if is_comment(raw):
                    continue
                end = raw[len(raw.rstrip("\r\n")):]
                m = key_re.match(raw.rstrip("\r\n"))
                if m and m.group("key") == pair[0]:
                    if pair in todo:
                        todo.remove(pair)
                    if not keep(m.group("value"), pair[1]):
                        lines[i] = m.group("lead") + m.group("key") + m.group("eq") + pair[1] + m.group("trail") + end
                        changed = True
        if todo:
            keys = [i for i in body if not is_comment(lines[i]) and key_re.match(lines[i].rstrip("\r\n"))]
            at = (keys[-1] if keys else head) + 1
            if not lines[at - 1].endswith("\n"):
                lines[at - 1] += "\n"
            lines[at:at] = ["%s=%s\n" % pair for pair in todo]
            changed = True
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        if lines and lines[-1].strip():
            lines.append("\n")
        lines.append("[%s]\n" % section)
        lines += ["%s=%s\n" % pair for pair in todo]
        changed = True
    return ("".join(lines) if changed else text), changed


def _same_value(current, wanted):
    return current.strip() == wanted
