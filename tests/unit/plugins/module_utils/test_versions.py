# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""versions.py against the REAL rpm (rpm.vercmp through `rpm --eval` Lua) and the REAL
`dpkg --compare-versions`, on generated cases, batched: one rpm process per batch of
pairs, one `sh` process running dpkg for each pair of a batch.

Needs the Debian packages `rpm` and `dpkg` on the machine running the tests.
"""

import os
import random
import shlex
import shutil
import subprocess
import tempfile

import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import versions as V
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError

from conftest import require_tool


def _need(tool, package):
    require_tool(tool, package)


# --------------------------------------------------------------------- real tools

_LUA = r"""
for line in io.lines(os.getenv("KC_PAIRS")) do
  local a, b = line:match("^([^\t]*)\t(.*)$")
  local ok, r = pcall(rpm.vercmp, a, b)
  if ok then io.write(tostring(r), "\n") else io.write("E\n") end
end
"""


def real_rpm_vercmp(pairs):
    """rpm.vercmp(a, b) for every pair, in one rpm process."""
    _need("rpm", "rpm")
    d = tempfile.mkdtemp(prefix="kc-rpm-")
    try:
        lua = os.path.join(d, "cmp.lua")
        data = os.path.join(d, "pairs.txt")
        with open(lua, "w") as f:
            f.write(_LUA)
        with open(data, "w") as f:
            for a, b in pairs:
                assert "\t" not in a + b and "\n" not in a + b
                f.write("%s\t%s\n" % (a, b))
        env = dict(os.environ, KC_PAIRS=data)
        out = subprocess.run(
            ["rpm", "--eval", '%%{lua: dofile("%s")}' % lua],
            env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True,
        ).stdout
    finally:
        shutil.rmtree(d)
    res = [line for line in out.split("\n") if line != ""]
    assert len(res) == len(pairs), out[-500:]
    return [None if r == "E" else int(r) for r in res]


def real_dpkg_compare(pairs):
    """-1/0/1 from `dpkg --compare-versions`, or "E" where dpkg rejects a version (rc 2)."""
    _need("dpkg", "dpkg")
    lines = [
        "c() {",
        "  dpkg --compare-versions -- \"$1\" lt \"$2\" 2>/dev/null; r=$?",
        "  if [ $r -eq 0 ]; then echo -1; return; fi",
        "  if [ $r -ne 1 ]; then echo E; return; fi",
        "  dpkg --compare-versions -- \"$1\" eq \"$2\" 2>/dev/null; r=$?",
        "  if [ $r -eq 0 ]; then echo 0; elif [ $r -eq 1 ]; then echo 1; else echo E; fi",
        "}",
    ]
    for a, b in pairs:
        lines.append("c %s %s" % (shlex.quote(a), shlex.quote(b)))
    out = subprocess.run(
        ["sh", "-s"], input="\n".join(lines) + "\n", check=True,
        stdout=subprocess.PIPE, universal_newlines=True,
    ).stdout.split()
    assert len(out) == len(pairs)
    return [r if r == "E" else int(r) for r in out]


def ours_dpkg(a, b):
    try:
        return V.dpkg_compare(a, b)
    except V.DpkgVersionError:
        return "E"


def ours_rpm(a, b):
    try:
        return V.rpm_evr_compare(a, b)
    except KcrashInputError:
        return None


# --------------------------------------------------------------------- generators

RPM_ATOMS = ["0", "00", "1", "01", "2", "9", "10", "010", "100", "999999999999999999999",
             "a", "b", "z", "A", "Z", "rc", "alpha", "el", "el6", "fc", "git", "x86_64",
             ".", ".", ".", "_", "+", "~", "~", "^", "^", "-", ":", "%", "", "#"]

DEB_ATOMS = ["0", "00", "1", "01", "2", "9", "10", "010", "100", "99999999999999999999",
             "a", "b", "z", "A", "Z", "rc", "dfsg", "deb", "ubuntu", "bpo", "+", "+",
             ".", ".", "~", "~", "-", "-", ":", "_", "", " ", "!"]


def _gen(rng, atoms, n):
    return "".join(rng.choice(atoms) for dummy in range(n))


def _mutate(rng, s, atoms):
    """A nearby version: the interesting comparisons differ late, not at byte 0."""
    if not s:
        return rng.choice(atoms)
    k = rng.randrange(len(s) + 1)
    op = rng.randrange(5)
    if op == 0:
        return s[:k] + rng.choice(atoms) + s[k:]
    if op == 1:
        return s[:k] + s[k + 1:]
    if op == 2:
        return s[:k] + rng.choice(atoms) + s[k + 1:]
    if op == 3:
        return s + rng.choice(["~", "^", ".0", "0", "a", "-1", "~rc1", "^post", "."])
    return s[:k]


def generated_pairs(atoms, seed, count, need_nonempty):
    rng = random.Random(seed)
    pairs = []
    while len(pairs) < count:
        a = _gen(rng, atoms, rng.randrange(1, 7))
        b = _mutate(rng, a, atoms) if rng.random() < 0.8 else _gen(rng, atoms, rng.randrange(1, 7))
        if need_nonempty and (a == "" or b == ""):
            continue
        pairs.append((a, b))
    return pairs


RPM_KNOWN = [
    ("1.0", "1.0"), ("1.0", "2.0"), ("2.0.1", "2.0"), ("2.0", "2.0.1"), ("2.0.1a", "2.0.1"),
    ("5.5p1", "5.5p2"), ("5.5p10", "5.5p1"), ("10xyz", "10.1xyz"), ("xyz10", "xyz10.1"),
    ("1.0~rc1", "1.0"), ("1.0~rc1", "1.0~rc2"), ("1.0~rc1~git123", "1.0~rc1"),
    ("1.0^", "1.0"), ("1.0^git1", "1.0"), ("1.0^git1", "1.01"), ("1.0^git1~pre", "1.0^git1"),
    ("1.0^20160101", "1.0.1"), ("1.0~rc1^git1", "1.0~rc1"), ("1.0^git1", "1.0^git2"),
    ("001", "1"), ("1.002", "1.2"), ("a", "1"), ("1.0", "1.0."), ("1_0", "1.0"), ("1..0", "1.0"),
    ("0:1.0", "1.0"), (":1.0", "1.0"), ("1:1.0", "2.0"), ("00:1", "0:1"), ("1.0-1", "1.0"),
    ("1.0-", "1.0"), ("1-2-3", "1.2-3"),
    ("2.6.32-358.el6", "2.6.32-754.35.1.el6"), ("3.10.0-1160.el7", "3.10.0-1160.119.1.el7"),
    ("3.10.0-957.el7", "3.10.0-1160.el7"), ("4.18.0-305.el8_4", "4.18.0-305.3.1.el8_4"),
    ("5.14.0-70.13.1.el9_0", "5.14.0-70.el9"),
]

DEB_KNOWN = [
    ("1.0", "1.0"), ("1.0~rc1", "1.0"), ("1.0", "1.0+b1"), ("1.0a", "1.0"), ("1.0a", "1.0+"),
    ("1.0-1", "1.0"), ("1:0.1", "2.0"), ("0:1.0", "1.0"), ("1.0-1~bpo1", "1.0-1"),
    ("001", "1"), ("1.002", "1.2"), ("a1", "1"), ("1:", "1"), ("1.0-", "1.0"), ("-1", "1"),
    ("1 0", "1"), (" 1.0 ", "1.0"), ("x:1", "1"), ("-1:1", "1"), ("99999999999:1", "1"),
    ("5.10.197-1", "5.10.209-2"), ("6.1.76-1", "6.1.76-1~bpo11+1"),
    ("5.15.0-91.101", "5.15.0-91.101~20.04.1"), ("4.19.304-1", "4.19.0-25"),
]


# --------------------------------------------------------------------------- rpm

def test_rpm_known_cases_match_real_rpm():
    real = real_rpm_vercmp(RPM_KNOWN)
    ours = [ours_rpm(a, b) for a, b in RPM_KNOWN]
    mism = [(p, o, r) for p, o, r in zip(RPM_KNOWN, ours, real) if o != r]
    assert not mism, mism


def test_rpm_generated_table_matches_real_rpm():
    pairs = generated_pairs(RPM_ATOMS, 6, 4000, need_nonempty=True)
    real = real_rpm_vercmp(pairs)
    mism = [(p, ours_rpm(*p), r) for p, r in zip(pairs, real) if ours_rpm(*p) != r]
    assert not mism, mism[:20]
    # the table must exercise every outcome, or it proves little
    assert set(real) == {-1, 0, 1}


def test_rpm_raw_segments_match_real_rpm():
    # without '-' and ':' rpm.vercmp reduces to rpmvercmp(version_a, version_b)
    atoms = [a for a in RPM_ATOMS if a not in ("-", ":")]
    pairs = generated_pairs(atoms, 7, 2000, need_nonempty=True)
    real = real_rpm_vercmp(pairs)
    for (a, b), r in zip(pairs, real):
        assert V.rpmvercmp(a, b) == r, (a, b, r)


rpm_text = st.text(alphabet="0123456789abzAZ.~^_-:+", min_size=1, max_size=12)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(rpm_text, rpm_text), min_size=150, max_size=150))
def test_rpm_hypothesis_batches_match_real_rpm(pairs):
    real = real_rpm_vercmp(pairs)
    assert [ours_rpm(a, b) for a, b in pairs] == real


@given(rpm_text, rpm_text, rpm_text)
def test_rpm_order_properties(x, y, z):
    assert V.rpm_evr_compare(x, x) == 0
    assert V.rpm_evr_compare(x, y) == -V.rpm_evr_compare(y, x)
    if V.rpmvercmp(x, y) <= 0 and V.rpmvercmp(y, z) <= 0:
        assert V.rpmvercmp(x, z) <= 0


def test_parse_evr():
    assert V.parse_evr("1:2.6.32-358.el6") == ("1", "2.6.32", "358.el6")
    assert V.parse_evr("2.6.32") == (None, "2.6.32", None)
    assert V.parse_evr(":1.0") == ("0", "1.0", None)
    assert V.parse_evr("a:1-2-3") == (None, "a:1-2", "3")
    with pytest.raises(KcrashInputError):
        V.parse_evr("")


# -------------------------------------------------------------------------- dpkg

def test_dpkg_known_cases_match_real_dpkg():
    real = real_dpkg_compare(DEB_KNOWN)
    ours = [ours_dpkg(a, b) for a, b in DEB_KNOWN]
    mism = [(p, o, r) for p, o, r in zip(DEB_KNOWN, ours, real) if o != r]
    assert not mism, mism


def test_dpkg_generated_table_matches_real_dpkg():
    pairs = generated_pairs(DEB_ATOMS, 11, 1500, need_nonempty=False)
    # dpkg treats "" (and "<unknown>") as a blank version; we reject them: keep them out
    pairs = [(a, b) for a, b in pairs if a.strip(" ") and b.strip(" ")]
    real = real_dpkg_compare(pairs)
    mism = [(p, ours_dpkg(*p), r) for p, r in zip(pairs, real) if ours_dpkg(*p) != r]
    assert not mism, mism[:20]
    assert set(real) == {-1, 0, 1, "E"}


deb_text = st.text(alphabet="0123456789abzAZ.~+-:", min_size=1, max_size=12)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(deb_text, deb_text), min_size=120, max_size=120))
def test_dpkg_hypothesis_batches_match_real_dpkg(pairs):
    real = real_dpkg_compare(pairs)
    assert [ours_dpkg(a, b) for a, b in pairs] == real


def test_dpkg_relations_and_errors():
    assert V.dpkg_relation("1.0~rc1", "lt", "1.0")
    assert V.dpkg_relation("1:0.1", ">>", "9.9")
    assert V.dpkg_relation("1.0", "eq", "0:1.0")
    with pytest.raises(V.DpkgVersionError):
        V.dpkg_compare("1:", "1")
    with pytest.raises(KcrashInputError):
        V.dpkg_relation("1", "<", "2")
    assert str(V.parse_dpkg_version("1:2.0-3")) == "1:2.0-3"
    assert V.compare("dpkg", "1.0", "1.0+b1") == -1
    assert V.compare("rpm", "1.0", "1.0~a") == 1
    with pytest.raises(KcrashInputError):
        V.compare("pacman", "1", "2")
