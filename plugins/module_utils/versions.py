# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Package version comparison exactly as rpm and dpkg do it. Pure, no I/O.

rpm
---
:func:`rpmvercmp` is a transcription of ``rpmvercmp()`` (rpmio/rpmvercmp.c, rpm 4.15+
semantics with ``~`` and ``^``): ASCII alphanumeric segments, every other byte is a
separator; ``~`` sorts before everything (even the end of the string), ``^`` sorts after
the end of the string but before any further segment; numeric segments beat alpha
segments; leading zeros are ignored; longer numbers win; equal segments continue.

:func:`parse_evr` follows rpm's ``parseEVR()``: leading digits followed by ``:`` are the
epoch (``":1.0"`` has epoch ``"0"``), the release is what follows the *last* ``-``.
:func:`rpm_evr_compare` follows ``rpmverCmp()`` of rpm 4.18 (what ``rpm.vercmp()`` in
rpm's Lua compares): epoch (missing = ``"0"``, compared with rpmvercmp), version, then
release, where a present release (even an empty one, ``"1.0-"``) sorts above a missing
one. (Dependency *matching*, rpmdsCompare, treats a missing release as a wildcard; that is
not a comparison and is not done here.)

dpkg
----
:func:`parse_dpkg_version` follows ``parseversion()`` (lib/dpkg/parsehelp.c): errors
(empty, embedded blanks, bad/negative/huge epoch, nothing after the colon, empty
revision, empty upstream version) raise :class:`DpkgVersionError`; dpkg's *warnings*
(upstream not starting with a digit, characters outside ``[A-Za-z0-9.+~-:]``) are
accepted, as ``dpkg --compare-versions`` accepts them. :func:`dpkg_compare` follows
``dpkg_version_compare()`` / ``verrevcmp()``: epoch numerically, then upstream and
revision where ``~`` sorts before everything, letters before non-letters, digit runs
compare numerically.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError

_DIGITS = "0123456789"
_ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALNUM = _DIGITS + _ALPHA

INT_MAX = 2147483647


def _isdigit(c):
    return c != "" and c in _DIGITS


def _isalpha(c):
    return c != "" and c in _ALPHA


def _isalnum(c):
    return c != "" and c in _ALNUM


# ------------------------------------------------------------------------------ rpm


def rpmvercmp(a, b):
    """Compare two rpm version (or release) strings: -1, 0 or 1, like rpm's rpmvercmp."""
    if not isinstance(a, str) or not isinstance(b, str):
        raise KcrashInputError("version", "rpmvercmp needs two strings, got %r and %r" % (a, b))
    # rpm works on C strings: a NUL ends the string.
    a = a.split("\x00", 1)[0]
    b = b.split("\x00", 1)[0]
    if a == b:
        return 0
    la, lb = len(a), len(b)
    i = j = 0

    def at(s, n, k):
        return s[k] if k < n else ""

    while i < la or j < lb:
        while i < la and not _isalnum(a[i]) and a[i] not in "~^":
            i += 1
        while j < lb and not _isalnum(b[j]) and b[j] not in "~^":
            j += 1
        ca, cb = at(a, la, i), at(b, lb, j)

        # tilde sorts before everything else
        if ca == "~" or cb == "~":
            if ca != "~":
                return 1
            if cb != "~":
                return -1
            i += 1
            j += 1
            continue

        # caret: like tilde, except that the end of a string sorts lower
        if ca == "^" or cb == "^":
            if ca == "":
                return -1
            if cb == "":
                return 1
            if ca != "^":
                return 1
            if cb != "^":
                return -1
            i += 1
            j += 1
            continue

        if ca == "" or cb == "":
            break

        si, sj = i, j
        if _isdigit(ca):
            while i < la and _isdigit(a[i]):
                i += 1
            while j < lb and _isdigit(b[j]):
                j += 1
            isnum = True
        else:
            while i < la and _isalpha(a[i]):
                i += 1
            while j < lb and _isalpha(b[j]):
                j += 1
            isnum = False

        seg_a = a[si:i]
        seg_b = b[sj:j]
        if seg_a == "":  # cannot happen (rpm returns -1 "arbitrary")
            return -1
        if seg_b == "":
            # different segment types: numeric beats alpha
            return 1 if isnum else -1

        if isnum:
            seg_a = seg_a.lstrip("0")
            seg_b = seg_b.lstrip("0")
            if len(seg_a) > len(seg_b):
                return 1
            if len(seg_b) > len(seg_a):
                return -1
        if seg_a != seg_b:
            return -1 if seg_a < seg_b else 1

    if i >= la and j >= lb:
        return 0
    return -1 if i >= la else 1


def parse_evr(evr):
    """Split an rpm ``[epoch:]version[-release]`` into ``(epoch|None, version, release|None)``.

    Exactly rpm's parseEVR(): the epoch is the run of leading digits when a ``:``
    follows it (an empty one reads as ``"0"``); the release follows the last ``-``
    after that point.
    """
    if not isinstance(evr, str) or evr == "":
        raise KcrashInputError("version", "an rpm EVR must be a non-empty string, got %r" % (evr,))
    evr = evr.split("\x00", 1)[0]
    k = 0
    while k < len(evr) and _isdigit(evr[k]):
        k += 1
    rest_start = k
    dash = evr.rfind("-", rest_start)
    if k < len(evr) and evr[k] == ":":
        epoch = evr[:k] or "0"
        vstart = k + 1
    else:
        epoch = None
        vstart = 0
    if dash >= 0:
        version = evr[vstart:dash]
        release = evr[dash + 1:]
    else:
        version = evr[vstart:]
        release = None
    return epoch, version, release


def rpm_evr_compare(a, b):
    """Compare two rpm EVR strings like ``rpm.vercmp()`` / rpmverCmp(): -1, 0 or 1."""
    ea, va, ra = parse_evr(a)
    eb, vb, rb = parse_evr(b)
    rc = rpmvercmp(ea if ea is not None else "0", eb if eb is not None else "0")
    if rc:
        return rc
    rc = rpmvercmp(va, vb)
    if rc:
        return rc
    if ra is None and rb is None:
        return 0
    if rb is None:
        return 1
    if ra is None:
        return -1
    return rpmvercmp(ra, rb)


# ----------------------------------------------------------------------------- dpkg


class DpkgVersionError(KcrashInputError):
    """A version string dpkg itself rejects (``dpkg --compare-versions`` exits 2)."""

    def __init__(self, version, message):
        self.version = version
        KcrashInputError.__init__(self, "version", "%r: %s" % (version, message))


class DpkgVersion(object):
    __slots__ = ("epoch", "upstream", "revision")

    def __init__(self, epoch, upstream, revision):
        self.epoch = epoch
        self.upstream = upstream
        self.revision = revision

    def __repr__(self):
        return "DpkgVersion(%d, %r, %r)" % (self.epoch, self.upstream, self.revision)

    def __str__(self):
        s = "%d:%s" % (self.epoch, self.upstream) if self.epoch else self.upstream
        return s + ("-" + self.revision if self.revision else "")


_BLANK = " \t"


def _strtol_prefix(s):
    """Emulate strtol(s, &end, 10) for our purposes: (value|None, end_index)."""
    k = 0
    while k < len(s) and s[k] in " \t\n\v\f\r":
        k += 1
    start = k
    sign = 1
    if k < len(s) and s[k] in "+-":
        if s[k] == "-":
            sign = -1
        k += 1
    ds = k
    while k < len(s) and _isdigit(s[k]):
        k += 1
    if k == ds:
        return None, 0  # no conversion: end == start of string
    del start
    return sign * int(s[ds:k]), k


def parse_dpkg_version(text):
    """Parse a Debian version as dpkg does. Raises DpkgVersionError where dpkg errors out."""
    if not isinstance(text, str):
        raise DpkgVersionError(text, "version is not a string")
    s = text.split("\x00", 1)[0]
    k = 0
    while k < len(s) and s[k] in _BLANK:
        k += 1
    s = s[k:]
    if s == "":
        raise DpkgVersionError(text, "version string is empty")
    end = 0
    while end < len(s) and s[end] not in _BLANK:
        end += 1
    p = end
    while p < len(s) and s[p] in _BLANK:
        p += 1
    if p < len(s):
        raise DpkgVersionError(text, "version string has embedded spaces")
    colon = s.find(":")
    epoch = 0
    if colon >= 0:
        value, eend = _strtol_prefix(s)
        if value is None:
            raise DpkgVersionError(text, "epoch in version is empty")
        if eend != colon:
            raise DpkgVersionError(text, "epoch in version is not number")
        if value < 0:
            raise DpkgVersionError(text, "epoch in version is negative")
        if value > INT_MAX:
            raise DpkgVersionError(text, "epoch in version is too big")
        if colon + 1 >= len(s):
            raise DpkgVersionError(text, "nothing after colon in version number")
        epoch = value
        body = s[colon + 1:end]
    else:
        body = s[:end]
    hyphen = body.rfind("-")
    if hyphen >= 0:
        upstream = body[:hyphen]
        revision = body[hyphen + 1:]
        if revision == "":
            raise DpkgVersionError(text, "revision number is empty")
    else:
        upstream = body
        revision = ""
    if upstream == "":
        raise DpkgVersionError(text, "version number is empty")
    return DpkgVersion(epoch, upstream, revision)


def _order(c):
    if c == "":
        return 0
    if _isdigit(c):
        return 0
    if _isalpha(c):
        return ord(c)
    if c == "~":
        return -1
    return ord(c) + 256


def verrevcmp(a, b):
    """dpkg's verrevcmp() on an upstream version or a revision; returns <0, 0, >0."""
    la, lb = len(a), len(b)
    i = j = 0
    while i < la or j < lb:
        first_diff = 0
        while (i < la and not _isdigit(a[i])) or (j < lb and not _isdigit(b[j])):
            ac = _order(a[i] if i < la else "")
            bc = _order(b[j] if j < lb else "")
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < la and a[i] == "0":
            i += 1
        while j < lb and b[j] == "0":
            j += 1
        while i < la and j < lb and _isdigit(a[i]) and _isdigit(b[j]):
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < la and _isdigit(a[i]):
            return 1
        if j < lb and _isdigit(b[j]):
            return -1
        if first_diff:
            return first_diff
    return 0


def _sign(n):
    return (n > 0) - (n < 0)


def dpkg_compare(a, b):
    """Compare two Debian versions like ``dpkg --compare-versions``: -1, 0 or 1.

    Raises DpkgVersionError for a string dpkg rejects.
    """
    va = a if isinstance(a, DpkgVersion) else parse_dpkg_version(a)
    vb = b if isinstance(b, DpkgVersion) else parse_dpkg_version(b)
    if va.epoch != vb.epoch:
        return 1 if va.epoch > vb.epoch else -1
    rc = verrevcmp(va.upstream, vb.upstream)
    if rc:
        return _sign(rc)
    return _sign(verrevcmp(va.revision, vb.revision))


_DPKG_OPS = {
    "lt": lambda c: c < 0, "le": lambda c: c <= 0, "eq": lambda c: c == 0,
    "ne": lambda c: c != 0, "ge": lambda c: c >= 0, "gt": lambda c: c > 0,
    "<<": lambda c: c < 0, "<=": lambda c: c <= 0, "=": lambda c: c == 0,
    ">=": lambda c: c >= 0, ">>": lambda c: c > 0,
}


def dpkg_relation(a, op, b):
    """``dpkg --compare-versions a op b`` as a bool (operators lt le eq ne ge gt << <= = >= >>)."""
    if op not in _DPKG_OPS:
        raise KcrashInputError("op", "unknown dpkg relation %r" % (op,))
    return _DPKG_OPS[op](dpkg_compare(a, b))


def compare(scheme, a, b):
    """Compare with ``scheme`` "rpm" (EVR) or "dpkg"."""
    if scheme == "rpm":
        return rpm_evr_compare(a, b)
    if scheme == "dpkg":
        return dpkg_compare(a, b)
    raise KcrashInputError("scheme", "unknown version scheme %r (rpm or dpkg)" % (scheme,))
