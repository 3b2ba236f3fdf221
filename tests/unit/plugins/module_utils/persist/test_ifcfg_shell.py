# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ifcfg's shell reader and ETHTOOL_OPTS editor, word for word against bash.

The oracle is bash sourcing the file (initscripts' network-functions does ``. ifcfg-X``) and
initscripts' ``ethtool_set`` loop (``run_initscripts`` of test_ifcfg.py). Expected file
texts are written by hand: the smallest edit of the line, in the original's quoting.
Reader errors reach the user, so their text is asserted whole."""

import subprocess

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import ifcfg
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import PersistError

from conftest import require_tool
from persist_golden import applied_state
from test_ifcfg import run_initscripts

PATH = "/etc/sysconfig/network-scripts/ifcfg-eth0"


def bash_vars(tmp_path, text, names):
    """{name: value} of the ``names`` bash has set after sourcing ``text`` (clean env)."""
    f = tmp_path / "ifcfg-src"
    f.write_text(text)
    script = '. "$1" || exit 3; shift; for n; do [ -n "${!n+set}" ] && printf "%s=%s\\0" "$n" "${!n}"; done; exit 0'
    p = subprocess.run([require_tool("bash", "bash"), "-c", script, "bash", str(f)] + list(names),
                       capture_output=True, env={"PATH": "/usr/bin:/bin"}, check=False)
    assert p.returncode == 0 and not p.stderr, p.stderr
    return dict(kv.split("=", 1) for kv in p.stdout.decode().split("\0") if kv)


# every value here is one bash can tell without the environment: parse() must know each
# variable exactly as bash sets it
READER = {
    "plain": "A=abc\n",
    "empty": "A=\nB=''\nC=\"\"\n",
    "export": "export A=1\nexport\tB=2\n",
    "indented": "  \tA=2\n",
    "comment-after-blank": "A=a #c\nB=b\t#c\n",
    "comment-line": "# A=1\n   # B=2\nC=3\n",
    "blank-lines": "\n   \nA=1\n\t\n",
    "hash-inside-word": "A=x#y\nB=\"x\"#y\nC=\\#x\nD=''#z\n",
    "hash-first": "A=#foo\nB=#\n",
    "single": "A='a \"b\" $c \\\\ `d` #e'\n",
    "double-escapes": 'A="a\\$b \\`c\\` \\"d\\" \\\\e \\qf \\ g"\n',
    "double-keeps-other-chars": "A=\"'x' #y ;z |w (v)\"\n",
    "dollar-literal": 'A="a$"\nB=$\nC="$ x"\nD=$.\nE=a$\n',
    "dollar-quote-in-double-quotes": "A=\"$'x'\"\nB=\"$\"x\"\"\n",
    "backslash-unquoted": "A=a\\ b\\\"c\\$d\\\\e\\'f\n",
    "variables": "B=x\nA=$B.${B}_\"$B\"'$B'\n",
    "variable-in-double-quotes": 'N=eth0\nA="-K $N lro off; -K ${N} gro off"\n',
    "earlier-value": "A=1\nB=$A\nA=2\n",
    "mixed": "A=a\"b c\"'d e'\\ f\n",
    "blank-after-value": "A=x\t\nB=y \n",
    # a CR is no blank for bash: a CRLF file's values end in CR (the old reader cut it)
    "crlf": "A=x\r\nB='y'\r\nC=\"z\"\r\nD=\r\n",
    "no-final-newline": "A=1\nB=two",
    "dollar-at-end-of-file": "A=x$",
    "escape-at-end-of-file": "A=a\\b",
    # bash ends a line at LF only: CR, VT, FF, NEL are characters of the value (the old reader
    # split lines where Python's splitlines does: B=y was read as set)
    "other-line-breaks": "A=x\rB=y\nC=\"a\x0bb\"\nD=a\x0cb\nE=\"\x85\u2028\"\n",
    "capital-x": "A=aXb\nB=\"\\X\"\nC='X'\nD=\"X$\"\n",
}


@pytest.mark.parametrize("key", sorted(READER))
def test_reader_sets_what_bash_sets(tmp_path, key):
    text = READER[key]
    env = ifcfg.parse(text, PATH)[2]
    names = sorted(set(a.name for a in ifcfg.parse(text, PATH)[1]) | {"A", "B", "C", "D", "E", "N"})
    assert env == bash_vars(tmp_path, text, names)


def test_reader_leaves_out_values_bash_takes_from_elsewhere(tmp_path):
    """``$X`` of a variable the file does not set: bash takes it from the environment, which
    the controller does not know: the variable is left out (also an earlier known value)."""
    text = "B=1\nB=$X\nC=$B\nD=ok\n"
    assert bash_vars(tmp_path, text, ["B", "C", "D"]) == {"B": "", "C": "", "D": "ok"}
    assert ifcfg.parse(text, PATH)[2] == {"D": "ok"}


def test_reader_assignments_keep_lead_value_and_rest():
    lines, assignments, env = ifcfg.parse('# c\n  export A="x y"  # note\nB=1\n', PATH)
    assert lines == ["# c\n", '  export A="x y"  # note\n', "B=1\n"]
    a, b = assignments
    assert (a.index, a.name, a.lead, a.value_start, a.rest) == (1, "A", "  export A=", 11, "  # note\n")
    assert (a.value.style, a.value.end) == ("double", 16)
    assert (b.index, b.name, b.lead, b.rest, b.value.style) == (2, "B", "B=", "\n", "none")
    assert env == {"A": "x y", "B": "1"}


@pytest.mark.parametrize("value,style", [
    ("abc", "none"), ("", "none"), ("'a b'", "single"), ('"a b"', "double"), ("a\\ b", "mixed"),
    ("\\ ", "escaped"), ("'a'\"b\"", "mixed"), ("$X", "none"), ('"$X"', "double"),
])
def test_reader_quoting_style(value, style):
    assert ifcfg.parse("X=1\nA=%s\n" % value, PATH)[1][1].value.style == style


# the reader refuses what it cannot follow, with the line number and the construct
REFUSED = [
    ('A="${B"\n', "line 1: unterminated ${...}"),
    ("A=${B\n", "line 1: unterminated ${...}"),
    ("A=${\n", "line 1: unterminated ${...}"),
    ("A=${", "line 1: unterminated ${...}"),
    # each construct as the last two characters of the file
    ("A=$(", "line 1: command substitution is not supported"),
    ("A=$1", "line 1: special parameter $1 is not supported"),
    ("A=$[", "line 1: arithmetic expansion $[...] is not supported"),
    ("A=$'", "line 1: $'...' and $\"...\" quoting are not supported"),
    ("B=1\nA=x${B:-y}\n", "line 2: parameter expansion ${B:-y} is not supported"),
    ('A="${}"\n', "line 1: parameter expansion ${} is not supported"),
    ("A=${1}\n", "line 1: parameter expansion ${1} is not supported"),
    ("A=${B}}${C-x}\n", "line 1: parameter expansion ${C-x} is not supported"),
    ("A=$(hostname)\n", "line 1: command substitution is not supported"),
    ('A="x$(hostname)"\n', "line 1: command substitution is not supported"),
    ("A=`hostname`\n", "line 1: command substitution is not supported"),
    ('A="x`hostname`"\n', "line 1: command substitution is not supported"),
    ("\nA='abc\n'\n", "line 2: unterminated single quote (multi-line values are not supported)"),
    ("A='abc", "line 1: unterminated single quote (multi-line values are not supported)"),
    ('A="abc\n"\n', "line 1: unterminated double quote (multi-line values are not supported)"),
    ('A="abc', "line 1: unterminated double quote (multi-line values are not supported)"),
    ('A="abc\\', "line 1: unterminated double quote (multi-line values are not supported)"),
    ('A="x$', "line 1: unterminated double quote (multi-line values are not supported)"),
    ('A="\\"', "line 1: unterminated double quote (multi-line values are not supported)"),
    ('A="abc\\\n"\n', "line 1: unterminated double quote (multi-line values are not supported)"),
    ("A=abc\\\nd\n", "line 1: line continuation is not supported"),
    ("A=abc\\", "line 1: line continuation is not supported"),
    # bash expands these (test_reader_refuses_what_bash_expands): the old reader kept them as
    # literal text and the renderer then wrote `\$1`, changing the value
    ('A="x$1"\n', "line 1: special parameter $1 is not supported"),
    ("A=$0\n", "line 1: special parameter $0 is not supported"),
    ("A=$#\n", "line 1: special parameter $# is not supported"),
    ("A=$$\n", "line 1: special parameter $$ is not supported"),
    ('A="$@"\n', "line 1: special parameter $@ is not supported"),
    ("A=$*\n", "line 1: special parameter $* is not supported"),
    ("A=$?\n", "line 1: special parameter $? is not supported"),
    ("A=$-\n", "line 1: special parameter $- is not supported"),
    ("A=$!\n", "line 1: special parameter $! is not supported"),
    ("A=$9\n", "line 1: special parameter $9 is not supported"),
    ("A=$[1+2]\n", "line 1: arithmetic expansion $[...] is not supported"),
    ('A="$[1]"\n', "line 1: arithmetic expansion $[...] is not supported"),
    ("A=$'x'\n", "line 1: $'...' and $\"...\" quoting are not supported"),
    ('A=x$"y"\n', "line 1: $'...' and $\"...\" quoting are not supported"),
    # a second word: bash sets both (A=1 B=2) or runs a command with A in its environment
    # only; the old reader saw the first assignment alone (DEVICE=eth0 ETHTOOL_OPTS=... hid
    # ETHTOOL_OPTS, and the new line written after it dropped its commands)
    ("A=1 B=2\n", "line 1: a second word after the assignment is not supported (one assignment a line)"),
    ("X=0\nA='1'\ttrue # c\n", "line 2: a second word after the assignment is not supported (one assignment a line)"),
    ("A=1 ;\n", "line 1: a second word after the assignment is not supported (one assignment a line)"),
    ("A=1 X\n", "line 1: a second word after the assignment is not supported (one assignment a line)"),
    ("A=1 \r\n", "line 1: a second word after the assignment is not supported (one assignment a line)"),
    ("A=a;B=1\n", "line 1: shell syntax ';' after an assignment is not supported"),
    ("A=a&\n", "line 1: shell syntax '&' after an assignment is not supported"),
    ("A=a|cat\n", "line 1: shell syntax '|' after an assignment is not supported"),
    ("A=a<x\n", "line 1: shell syntax '<' after an assignment is not supported"),
    ("A=a>x\n", "line 1: shell syntax '>' after an assignment is not supported"),
    ("A=(a b)\n", "line 1: shell syntax '(' after an assignment is not supported"),
    ("A=a)\n", "line 1: shell syntax ')' after an assignment is not supported"),
]


@pytest.mark.parametrize("text,msg", REFUSED)
def test_reader_refuses_with_the_exact_message(text, msg):
    with pytest.raises(PersistError) as e:
        ifcfg.parse(text, PATH)
    assert str(e.value) == "ifcfg back end %s: %s" % (PATH, msg)


@pytest.mark.parametrize("text,literal", [
    ('A="x$1"', "x$1"), ("A=$0", "$0"), ("A=$#", "$#"), ("A=$$", "$$"), ("A=$?", "$?"), ("A=$-", "$-"),
    ("A=$[1+2]", "$[1+2]"), ("A=$'x'", "$x"), ('A=x$"y"', "x$y"),
])
def test_reader_refuses_what_bash_expands(tmp_path, text, literal):
    """What the reader refuses as special is not the literal text for bash."""
    assert bash_vars(tmp_path, text + "\n", ["A"])["A"] != literal
    with pytest.raises(PersistError):
        ifcfg.parse(text + "\n", PATH)


def test_second_word_on_the_line_is_refused(tmp_path):
    """bash sets both variables of `DEVICE=eth0 ETHTOOL_OPTS=...`; the old reader did not see
    ETHTOOL_OPTS and appended a line that replaced its ring setting."""
    text = 'DEVICE=eth0 ETHTOOL_OPTS="-G eth0 rx 4096"\n'
    assert bash_vars(tmp_path, text, ["DEVICE", "ETHTOOL_OPTS"]) == {"DEVICE": "eth0", "ETHTOOL_OPTS": "-G eth0 rx 4096"}
    assert bash_vars(tmp_path, "A=1 true\n", ["A"]) == {}
    with pytest.raises(PersistError) as e:
        ifcfg.render(text, "eth0", ["lro"], {"path": PATH})
    assert str(e.value) == ("ifcfg back end %s: line 1: a second word after the assignment is not supported "
                            "(one assignment a line)" % PATH)


def test_reader_error_without_a_path():
    with pytest.raises(PersistError) as e:
        ifcfg.parse("A='x\n")
    assert str(e.value) == "ifcfg back end: line 1: unterminated single quote (multi-line values are not supported)"


def test_unknown_variable_in_ethtool_opts_is_refused_whole_message():
    text = 'DEV=eth1\nDEV=$NIC\nETHTOOL_OPTS="-K $DEV lro off"\n'
    with pytest.raises(PersistError) as e:
        ifcfg.parse(text, PATH)
    assert str(e.value) == "ifcfg back end %s: ETHTOOL_OPTS refers to $DEV, which the file does not set" % PATH


def test_variable_with_blanks_is_refused_whole_message():
    for value in ('"eth0 eth1"', "'eth0\teth1'"):
        text = 'DEVICE=eth0\nDEV=%s\nETHTOOL_OPTS="-K $DEV lro on"\n' % value
        with pytest.raises(PersistError) as e:
            ifcfg.render(text, "eth0", ["lro"], {"path": PATH})
        assert str(e.value) == ("ifcfg back end %s: a variable inside ETHTOOL_OPTS expands to several "
                                "words; edit it by hand or use backend=udev" % PATH)


# ------------------------------------------------------------------------------ device_of / manages

@pytest.mark.parametrize("text,filename,device", [
    ("DEVICE=eth1\n", PATH, "eth1"),
    ("DEVICE='em 1'\n", PATH, "em 1"),
    ("ONBOOT=yes\n", PATH, "eth0"),
    ('DEVICE=""\n', "/etc/sysconfig/network-scripts/ifcfg-lan", "lan"),
    ("DEVICE=eth1\nX=$(date)\n", "ifcfg-em2", "em2"),      # unreadable file: the name decides
    ("DEVICE=eth1\n", "/etc/sysconfig/network-scripts/route-eth0", "eth1"),
    ("ONBOOT=yes\n", "/etc/sysconfig/network-scripts/route-eth0", None),
    ("ONBOOT=yes\n", "ifcfg-", ""),
])
def test_device_of(text, filename, device):
    assert ifcfg.device_of(text, filename) == device


@pytest.mark.parametrize("suffix", ["~", ".bak", ".old", ".orig", ".rpmnew", ".rpmorig", ".rpmsave"])
def test_manages_skips_files_initscripts_ignores(suffix):
    """network-functions' __sed_discard_ignored_files: ``(~|.bak|.old|.orig|.rpmnew|.rpmorig|
    .rpmsave)$``; a file named so, even sorted first, configures nothing."""
    d = ifcfg.DIRECTORY
    files = {d + "/ifcfg-a" + suffix: "DEVICE=eth0\n", d + "/ifcfg-b": "DEVICE=eth0\n"}
    assert ifcfg.manages(files, "eth0") == d + "/ifcfg-b"
    files = {d + "/ifcfg-a" + suffix + "x": "DEVICE=eth0\n", d + "/ifcfg-b": "DEVICE=eth0\n"}
    assert ifcfg.manages(files, "eth0") == d + "/ifcfg-a" + suffix + "x"


def test_manages_name_file_wins_over_an_earlier_device_match():
    """need_config: ``ifcfg-<iface>`` is taken by its name first, whatever its DEVICE says;
    only then the first file whose DEVICE= matches."""
    d = ifcfg.DIRECTORY
    files = {d + "/ifcfg-a": "DEVICE=eth0\n", d + "/ifcfg-eth0": "DEVICE=eth9\n"}
    assert ifcfg.manages(files, "eth0") == "/etc/sysconfig/network-scripts/ifcfg-eth0"


def test_manages_first_matching_file_in_c_order_and_only_ifcfg_files():
    d = ifcfg.DIRECTORY
    files = {d + "/route-eth0": "DEVICE=eth0\n", d + "/ifcfg-z": "DEVICE=eth0\n",
             d + "/ifcfg-m": "DEVICE=eth0\n", d + "/ifcfg-a": "DEVICE=eth1\n",
             d + "/ifcfg-0:1": "DEVICE=eth0\n"}
    assert ifcfg.manages(files, "eth0") == d + "/ifcfg-m"
    assert ifcfg.manages({d + "/route-eth0": "DEVICE=eth0\n"}, "eth0") is None


# ------------------------------------------------------------------------------ the back end

VERSIONS = ["9.03.24", "9.03.23", "9.3.24", "9.03.024", "9.03.61", "9.04", "9.03.x.24", "9.03.24a", "9.03.rc1",
            "9.03.24.rc1", "9.3a", "9.31", "9.32", "9.32.1", "9.49.53", "10.00.1", "8.45.42", "9.03_24", "9.032",
            "9..3.24", "09.32", "9.03.24~rc1", "9.32~rc1", "9.03.23^1", "garbage", "9"]


def test_supports_offload_opts_compares_versions_as_rpm_does():
    """9.03.24 <= v < 9.04 or v >= 9.32, compared by the real rpm (rpm.vercmp in rpm's Lua):
    the old reader stopped at the first letter, so 9.03.24a counted as 9.03 (too old)."""
    lua = "for _, v in ipairs({%s}) do print(rpm.vercmp(v, '9.03.24') .. ' ' .. rpm.vercmp(v, '9.04') .. ' ' .. rpm.vercmp(v, '9.32') .. '\\n') end" % (
        ", ".join("'%s'" % v for v in VERSIONS))
    p = subprocess.run([require_tool("rpm", "rpm"), "--eval", "%%{lua: %s}" % lua], capture_output=True, text=True,
                       check=True)
    cmp = [[int(x) for x in line.split()] for line in p.stdout.splitlines() if line.strip()]
    assert len(cmp) == len(VERSIONS)
    for v, (c24, c904, c932) in zip(VERSIONS, cmp):
        assert ifcfg.supports_offload_opts(v) is ((c24 >= 0 and c904 < 0) or c932 >= 0), v
    assert ifcfg.supports_offload_opts("") is False and ifcfg.supports_offload_opts(None) is False


@pytest.mark.parametrize("mgr,answer", [
    ({"rpm_network-scripts": "10.00.18", "rpm_initscripts": "10.00.18"}, ("10.00.18", "rpm -q network-scripts")),
    ({"rpm_network-scripts": "", "rpm_initscripts": "9.49.53"}, ("9.49.53", "rpm -q initscripts")),
    ({"rpm_network-scripts": "package network-scripts is not installed", "rpm_initscripts": "9.03.38"},
     ("9.03.38", "rpm -q initscripts")),
    ({"rpm_initscripts": "x9", "redhat_release": "Red Hat Enterprise Linux Server release 6.4 (Santiago)"},
     ("9.03.27", "inferred from 'Red Hat Enterprise Linux Server release 6.4 (Santiago)' (no rpm answer)")),
    ({"redhat_release": "CentOS release 6.2 (Final)"},
     ("9.03.27", "inferred from 'CentOS release 6.2 (Final)' (no rpm answer)")),
    ({"redhat_release": "Red Hat Enterprise Linux Server release 6.1 (Santiago)"},
     ("9.03.17", "inferred from 'Red Hat Enterprise Linux Server release 6.1 (Santiago)' (no rpm answer)")),
    ({"redhat_release": "CentOS release 6 (Final)"}, ("9.03.17", "inferred from 'CentOS release 6 (Final)' (no rpm answer)")),
    ({"redhat_release": "CentOS Linux release 7.9.2009 (Core)"},
     ("9.49", "inferred from 'CentOS Linux release 7.9.2009 (Core)' (no rpm answer)")),
    ({"redhat_release": "Red Hat Enterprise Linux release 8.8 (Ootpa)"},
     ("9.49", "inferred from 'Red Hat Enterprise Linux release 8.8 (Ootpa)' (no rpm answer)")),
    ({"redhat_release": "Red Hat Enterprise Linux Server release 5.11 (Tikanga)"},
     ("8.45", "inferred from 'Red Hat Enterprise Linux Server release 5.11 (Tikanga)' (no rpm answer)")),
    ({"redhat_release": "Fedora release"}, (None, "initscripts version unknown")),
    ({}, (None, "initscripts version unknown")),
])
def test_initscripts_version(mgr, answer):
    assert ifcfg.initscripts_version(mgr) == answer


def test_choose_and_owns():
    d = ifcfg.DIRECTORY
    files = {d + "/ifcfg-eth0": "DEVICE=eth0\n", "/etc/sysconfig/network/ifcfg-eth1": "DEVICE=eth1\n",
             d + "/ifcfg-lan": "DEVICE=eth2\n"}
    read = {"files": files, "managers": {"rpm_initscripts": "9.03.38"}}
    c = ifcfg.choose(read, "eth2", False)
    assert (c.backend, c.path, c.kind) == ("ifcfg", d + "/ifcfg-lan", "file")
    assert c.reason == ("ifcfg file %s/ifcfg-lan configures eth2; initscripts 9.03.38 (rpm -q initscripts) "
                        "runs -K commands from ETHTOOL_OPTS" % d)
    # SUSE's wicked directory is read for detection, but is not initscripts'
    assert ifcfg.choose(read, "eth1", True) is None
    assert ifcfg.owns(d + "/ifcfg-eth0") and not ifcfg.owns("/etc/sysconfig/network/ifcfg-eth1")
    assert not ifcfg.owns(d + "/route-eth0")
    old = {"files": files, "managers": {"rpm_initscripts": "9.03.23"}}
    assert ifcfg.choose(old, "eth0", False) is None
    with pytest.raises(PersistError) as e:
        ifcfg.choose(old, "eth0", True)
    assert str(e.value) == ("ifcfg back end %s/ifcfg-eth0: initscripts 9.03.23 (rpm -q initscripts) only runs "
                            "'ethtool -s' from ETHTOOL_OPTS; use backend=udev" % d)
    assert ifcfg.choose(read, "eth9", True) is None


# ------------------------------------------------------------------------------ the renderer

def _checked(tmp_path, text, features, expected):
    """render() gives ``expected`` (written by hand); bash + ethtool_set then apply every
    feature off, and every other command runs as before."""
    out = ifcfg.render(text, "eth0", features, {"path": PATH})
    assert out == expected
    after = run_initscripts(tmp_path, out)
    state = applied_state(after, "eth0")
    assert all(state.get(f) == "off" for f in features), (after, state)
    return after


@pytest.mark.parametrize("text,features,expected", [
    # no ETHTOOL_OPTS: one line at the end (a newline first when the file lacks it)
    ("DEVICE=eth0\n", ["lro"], 'DEVICE=eth0\nETHTOOL_OPTS="-K eth0 lro off"\n'),
    ("DEVICE=eth0", ["lro", "gro"], 'DEVICE=eth0\nETHTOOL_OPTS="-K eth0 lro off gro off"\n'),
    ("", ["tso"], 'ETHTOOL_OPTS="-K eth0 tso off"\n'),
    # empty or blank value: the command is the whole value, in the original quoting
    ("DEVICE=eth0\nETHTOOL_OPTS=\n", ["lro"], 'DEVICE=eth0\nETHTOOL_OPTS="-K eth0 lro off"\n'),
    ('DEVICE=eth0\nETHTOOL_OPTS=""\n', ["lro"], 'DEVICE=eth0\nETHTOOL_OPTS="-K eth0 lro off"\n'),
    ("DEVICE=eth0\nETHTOOL_OPTS='  '\n", ["lro"], "DEVICE=eth0\nETHTOOL_OPTS='-K eth0 lro off'\n"),
    # after the last command, before trailing blanks; after a final ';' without another
    ('DEVICE=eth0\nETHTOOL_OPTS="-G eth0 rx 9  "\n', ["lro"],
     'DEVICE=eth0\nETHTOOL_OPTS="-G eth0 rx 9; -K eth0 lro off  "\n'),
    ('DEVICE=eth0\nETHTOOL_OPTS="-G eth0 rx 9;"\n', ["lro"], 'DEVICE=eth0\nETHTOOL_OPTS="-G eth0 rx 9; -K eth0 lro off"\n'),
    ('DEVICE=eth0\nETHTOOL_OPTS="-G eth0 rx 9; "\n', ["lro"], 'DEVICE=eth0\nETHTOOL_OPTS="-G eth0 rx 9;  -K eth0 lro off"\n'),
    # unquoted: double quotes (every edit leaves a blank between the value's words)
    ("DEVICE=eth0\nETHTOOL_OPTS=-G\\ eth0\\ rx\\ 9\n", ["lro"],
     'DEVICE=eth0\nETHTOOL_OPTS="-G eth0 rx 9; -K eth0 lro off"\n'),
    ("DEVICE=eth0\nETHTOOL_OPTS=autoneg\n", ["lro"], 'DEVICE=eth0\nETHTOOL_OPTS="autoneg; -K eth0 lro off"\n'),
    # features the last -K command for eth0 does not name are added to it, in order
    ('DEVICE=eth0\nETHTOOL_OPTS="-K eth0 gro on; -G eth0 rx 9"\n', ["lro", "gso"],
     'DEVICE=eth0\nETHTOOL_OPTS="-K eth0 gro on lro off gso off; -G eth0 rx 9"\n'),
    ('DEVICE=eth0\nETHTOOL_OPTS="-K eth0 gro on;-K eth0 tso on"\n', ["lro", "tso"],
     'DEVICE=eth0\nETHTOOL_OPTS="-K eth0 gro on;-K eth0 tso off lro off"\n'),
    # an edit and an addition in one command, and edits in two commands
    ('DEVICE=eth0\nETHTOOL_OPTS="-K eth0 lro on gro on; -K eth0 tso on"\n', ["lro", "gro", "tso", "gso"],
     'DEVICE=eth0\nETHTOOL_OPTS="-K eth0 lro off gro off; -K eth0 tso off gso off"\n'),
    # a '#' that starts the value is no comment (bash: `A=#x` sets `#x`); the old reader
    # took it for one, wrote the command before it and bash ran `-K eth0 lro off#-K ...`
    ('DEVICE=eth0\nETHTOOL_OPTS=#"-K eth0 lro on"\n', ["lro"],
     'DEVICE=eth0\nETHTOOL_OPTS="#-K eth0 lro on; -K eth0 lro off"\n'),
    # a variable naming eth0 counts, its text is kept
    ('DEVICE=eth0\nN=eth0\nETHTOOL_OPTS="--features $N large-receive-offload on"\n', ["lro"],
     'DEVICE=eth0\nN=eth0\nETHTOOL_OPTS="--features $N large-receive-offload off"\n'),
    # the comment, `export` and indentation of the line are kept
    ('DEVICE=eth0\n  export ETHTOOL_OPTS="-K eth0 lro on" # ring\n', ["lro"],
     'DEVICE=eth0\n  export ETHTOOL_OPTS="-K eth0 lro off" # ring\n'),
    # commands ethtool refuses (odd words, a value other than on/off) apply nothing
    ('DEVICE=eth0\nETHTOOL_OPTS="-K eth0 lro off gro"\n', ["lro"],
     'DEVICE=eth0\nETHTOOL_OPTS="-K eth0 lro off gro; -K eth0 lro off"\n'),
    ('DEVICE=eth0\nETHTOOL_OPTS="-K eth0 gro 1 lro off"\n', ["lro"],
     'DEVICE=eth0\nETHTOOL_OPTS="-K eth0 gro 1 lro off; -K eth0 lro off"\n'),
    ('DEVICE=eth0\nETHTOOL_OPTS="-K eth0"\n', ["lro"], 'DEVICE=eth0\nETHTOOL_OPTS="-K eth0 lro off"\n'),
    ('DEVICE=eth0\nETHTOOL_OPTS="-K"\n', ["lro"], 'DEVICE=eth0\nETHTOOL_OPTS="-K; -K eth0 lro off"\n'),
    ('DEVICE=eth0\nETHTOOL_OPTS="-K eth0 lro off gro 1"\n', ["lro"],
     'DEVICE=eth0\nETHTOOL_OPTS="-K eth0 lro off gro 1; -K eth0 lro off"\n'),
    # the new command goes after the last character that is no blank, whatever it is
    ('DEVICE=eth0\nETHTOOL_OPTS="-G eth0 rx 9;X"\n', ["lro"], 'DEVICE=eth0\nETHTOOL_OPTS="-G eth0 rx 9;X; -K eth0 lro off"\n'),
    ('DEVICE=eth0\nETHTOOL_OPTS="-s eth0 msglvl X"\n', ["lro"],
     'DEVICE=eth0\nETHTOOL_OPTS="-s eth0 msglvl X; -K eth0 lro off"\n'),
    # $ETHTOOL_OPTS inside the line is the value before it (eth1 here)
    ('DEVICE=eth0\nETHTOOL_OPTS=eth1\nETHTOOL_OPTS="-K $ETHTOOL_OPTS lro on"\n', ["lro"],
     'DEVICE=eth0\nETHTOOL_OPTS=eth1\nETHTOOL_OPTS="-K $ETHTOOL_OPTS lro on; -K eth0 lro off"\n'),
    ('DEVICE=eth0\nETHTOOL_OPTS="-k eth0 lro off"\n', ["lro"],
     'DEVICE=eth0\nETHTOOL_OPTS="-k eth0 lro off; -K eth0 lro off"\n'),
])
def test_render_exact_text_and_what_initscripts_applies(tmp_path, text, features, expected):
    _checked(tmp_path, text, features, expected)


def test_render_crlf_file(tmp_path):
    """A CR is no blank for bash: in a CRLF file ETHTOOL_OPTS ends in CR, so ethtool gets
    `off<CR>`, refuses the command and LRO stays on. The old reader cut the CR and called the
    file compliant; now the command is added after it."""
    text = 'DEVICE=eth0\r\nETHTOOL_OPTS="-K eth0 lro off"\r\n'
    assert bash_vars(tmp_path, text, ["ETHTOOL_OPTS"]) == {"ETHTOOL_OPTS": "-K eth0 lro off\r"}
    out = ifcfg.render(text, "eth0", ["lro"], {"path": PATH})
    assert out == 'DEVICE=eth0\r\nETHTOOL_OPTS="-K eth0 lro off\r; -K eth0 lro off"\n'
    assert bash_vars(tmp_path, out, ["ETHTOOL_OPTS"]) == {"ETHTOOL_OPTS": "-K eth0 lro off\r; -K eth0 lro off"}


def test_render_interface_name_with_capital_letters(tmp_path):
    text = 'DEVICE=X1\nETHTOOL_OPTS="-K X1 lro on gro on; -G X1 rx 9"\n'
    out = ifcfg.render(text, "X1", ["lro"], {"path": PATH})
    assert out == 'DEVICE=X1\nETHTOOL_OPTS="-K X1 lro off gro on; -G X1 rx 9"\n'
    assert applied_state(run_initscripts(tmp_path, out), "X1") == {"lro": "off", "gro": "on"}


def test_render_interface_name_with_a_quote_leaves_single_quotes(tmp_path):
    """The kernel accepts a `'` in an interface name: the added command cannot go inside
    single quotes then."""
    text = "DEVICE=\"a'b\"\nETHTOOL_OPTS='-G a''b rx 9'\n"
    out = ifcfg.render(text, "a'b", ["lro"], {"path": PATH})
    assert out == "DEVICE=\"a'b\"\nETHTOOL_OPTS=\"-G ab rx 9; -K a'b lro off\"\n"
    assert bash_vars(tmp_path, out, ["ETHTOOL_OPTS"]) == {"ETHTOOL_OPTS": "-G ab rx 9; -K a'b lro off"}


def test_commands_are_what_initscripts_runs(tmp_path):
    """For parts that hold a dash, ethtool_set runs ``ethtool <part>`` word-split: the same
    words as commands() (a trailing ';' adds no command)."""
    for text in ('DEVICE=eth0\nN=eth1\nETHTOOL_OPTS=" -K ${DEVICE} lro off ;-G $N rx 9;"\n',
                 "DEVICE=eth0\nETHTOOL_OPTS='--offload eth0 gro on'\n"):
        assert ifcfg.commands(text, "eth0", PATH) == run_initscripts(tmp_path, text)
    assert ifcfg.commands("DEVICE=eth0\n") == [] == run_initscripts(tmp_path, "DEVICE=eth0\n")


@pytest.mark.parametrize("text,expected", [
    ("ETHTOOL_OPTS='-K eth0 gro on'\n", "ETHTOOL_OPTS='-K eth0 gro on lro off'\n"),
    ("ETHTOOL_OPTS='-G eth0 rx 9;'\n", "ETHTOOL_OPTS='-G eth0 rx 9; -K eth0 lro off'\n"),
    ("ETHTOOL_OPTS='-s eth0 advertise 0x0f'\n", "ETHTOOL_OPTS='-s eth0 advertise 0x0f; -K eth0 lro off'\n"),
])
def test_render_single_quoted_value_stays_single_quoted(tmp_path, text, expected):
    _checked(tmp_path, "DEVICE=eth0\n" + text, ["lro"], "DEVICE=eth0\n" + expected)


def test_render_resolves_variables_set_before_the_line_only(tmp_path):
    """``$N`` means what the file set before the ETHTOOL_OPTS line: a later N= does not count
    (bash runs the lines in order)."""
    text = 'DEVICE=eth0\nN=eth1\nETHTOOL_OPTS="-K $N lro off"\nN=eth0\n'
    after = _checked(tmp_path, text, ["lro"], 'DEVICE=eth0\nN=eth1\nETHTOOL_OPTS="-K $N lro off; -K eth0 lro off"\nN=eth0\n')
    assert after == [["-K", "eth1", "lro", "off"], ["-K", "eth0", "lro", "off"]]
    text = 'N=eth1\nN=$X\nN=eth0\nDEVICE=eth0\nETHTOOL_OPTS="-K $N lro on"\n'
    _checked(tmp_path, text, ["lro"], text.replace("lro on", "lro off"))


def test_render_keeps_a_variable_that_resolved_through_another(tmp_path):
    text = 'A=eth0\nB=$A\nDEVICE=eth0\nETHTOOL_OPTS="-K ${B} lro on"\n'
    _checked(tmp_path, text, ["lro"], text.replace("lro on", "lro off"))


def test_render_leaves_a_compliant_file_identical_including_its_quoting():
    for text in ("ETHTOOL_OPTS=-K\\ eth0\\ lro\\ off\n", "ETHTOOL_OPTS='-K eth0 lro off' # x\n",
                 'DEVICE=eth0\nETHTOOL_OPTS="-K ${DEVICE} rx-lro off"'):
        assert ifcfg.render(text, "eth0", ["lro"]) is text


@pytest.mark.parametrize("text,expected", [
    # a single quote in the value cannot stay single-quoted
    ("ETHTOOL_OPTS='-s eth0 msglvl 1'\\''x'\n", "ETHTOOL_OPTS=\"-s eth0 msglvl 1'x; -K eth0 lro off\"\n"),
    # a variable cannot stay single-quoted either
    ("DEVICE=eth0\nETHTOOL_OPTS='-G eth0 rx 9'\" $DEVICE\"\n",
     "DEVICE=eth0\nETHTOOL_OPTS=\"-G eth0 rx 9 $DEVICE; -K eth0 lro off\"\n"),
    # double quotes escape what bash expands in them, and only that
    ('ETHTOOL_OPTS="-s eth0 msglvl \\$\\`\\"\\\\ \'#;|&()<>*?~!X"\n',
     'ETHTOOL_OPTS="-s eth0 msglvl \\$\\`\\"\\\\ \'#;|&()<>*?~!X; -K eth0 lro off"\n'),
    # backslash-escaped blanks and a variable: double quotes keep the variable
    ("DEVICE=eth0\nETHTOOL_OPTS=-K\\ $DEVICE\\ lro\\ on\n", "DEVICE=eth0\nETHTOOL_OPTS=\"-K $DEVICE lro off\"\n"),
])
def test_render_requotes_so_bash_reads_the_same_value(tmp_path, text, expected):
    out = ifcfg.render(text, "eth0", ["lro"], {"path": PATH})
    assert out == expected
    before = bash_vars(tmp_path, text, ["ETHTOOL_OPTS"])["ETHTOOL_OPTS"]
    after = bash_vars(tmp_path, out, ["ETHTOOL_OPTS"])["ETHTOOL_OPTS"]
    assert after == (before.replace("lro on", "lro off") if "lro on" in before else before + "; -K eth0 lro off")


def test_render_double_quotes_an_unquoted_value_it_adds_blanks_to(tmp_path):
    text = "DEVICE=eth0\nETHTOOL_OPTS=-K\\ eth0\\ lro\\ on\nX=1\n"
    _checked(tmp_path, text, ["lro"], 'DEVICE=eth0\nETHTOOL_OPTS="-K eth0 lro off"\nX=1\n')
    text = "DEVICE=eth0\nETHTOOL_OPTS=-Ghello@%+=:,./_9\n"
    _checked(tmp_path, text, ["lro"], 'DEVICE=eth0\nETHTOOL_OPTS="-Ghello@%+=:,./_9; -K eth0 lro off"\n')


def test_render_unsupported_feature_is_refused():
    with pytest.raises(PersistError) as e:
        ifcfg.render("DEVICE=eth0\n", "eth0", ["lro", "rx"])
    assert str(e.value) == "ifcfg back end: unsupported feature(s) rx (supported: lro, gro, gso, tso)"


# ------------------------------------------------------------------------------ the back-end interface

def test_back_end_constants():
    """initscripts reads /etc/sysconfig/network-scripts/ifcfg-* (SUSE's wicked reads
    /etc/sysconfig/network/ifcfg-*: detected, never edited); the files are 0644 and hold no
    secret this back end edits; they are read as files, no script of their own."""
    assert ifcfg.NAME == "ifcfg" and ifcfg.VARIABLE == "ETHTOOL_OPTS"
    assert ifcfg.GLOBS == ("/etc/sysconfig/network-scripts/ifcfg-*",)
    assert ifcfg.DETECT_GLOBS == ("/etc/sysconfig/network-scripts/ifcfg-*", "/etc/sysconfig/network/ifcfg-*")
    assert (ifcfg.FILE_MODE, ifcfg.SECRETS, ifcfg.read_script, ifcfg.parse_read) == ("0644", False, None, None)


RPM_STUB = """#!/bin/sh
# rpm -q --qf '%{VERSION}' PKG: as the real rpm, "package PKG is not installed" on stdout, exit 1
[ "$1 $2 $3" = "-q --qf %{VERSION}" ] || { echo "unexpected: $*" >&2; exit 2; }
case "$4" in
  initscripts) printf '9.03.38' ;;
  *) echo "package $4 is not installed"; exit 1 ;;
esac
"""


@pytest.mark.parametrize("release,ifup_eth", [(True, True), (False, False)])
def test_probe_lines_on_an_el6_shaped_root(tmp_path, release, ifup_eth):
    """PROBE inside the read's managers section (kc_kv/kc_line of offload/read.py), run by sh
    in a private mount namespace whose /etc is a tmpfs shaped like an el6 host, with an rpm
    stand-in: the release line, the installed package's version, ifup-eth."""
    from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import read
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "rpm").write_text(RPM_STUB)
    (bindir / "rpm").chmod(0o755)
    prep = ["mount -t tmpfs kc /etc", "mkdir -p /etc/sysconfig/network-scripts"]
    if release:
        prep.append("echo 'CentOS release 6.4 (Final)' > /etc/redhat-release")
    if ifup_eth:
        prep.append(": > /etc/sysconfig/network-scripts/ifup-eth")
    script = "\n".join(prep + ["PATH=%s:$PATH" % bindir, read._managers_script()])
    p = subprocess.run([require_tool("unshare", "util-linux"), "-m", "sh", "-c", script], capture_output=True,
                       text=True, check=False)
    assert p.returncode == 0, p.stderr
    kv = dict(line.split("=", 1) for line in p.stdout.splitlines())
    assert kv["redhat_release"] == ("CentOS release 6.4 (Final)" if release else "")
    assert kv["rpm_initscripts"] == "9.03.38" and "rpm_network-scripts" not in kv
    assert kv.get("ifup_eth") == ("1" if ifup_eth else None)
    assert ifcfg.initscripts_version(kv) == ("9.03.38", "rpm -q initscripts")
