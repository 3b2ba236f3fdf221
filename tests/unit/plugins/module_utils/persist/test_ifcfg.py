# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ifcfg: ETHTOOL_OPTS merging checked against real bash sourcing the rendered file."""

import subprocess

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import ifcfg
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import PersistError

import persist_golden as golden
from conftest import require_tool
from persist_golden import ETHTOOL_NAMES, applied_state


# What initscripts' ethtool_set() does with the sourced variable (behaviour documented in
# docs/offload.md; initscripts 9.03.24 .. 9.03.61 (el6) and 9.49.x (el7), network-functions):
# split on ';', run 'ethtool <part>' when the part holds a dash anywhere, else
# 'ethtool -s $REALDEVICE <part>' (REALDEVICE: DEVICE up to a ':'). The stand-in ethtool
# prints its argv.
RUNNER = r'''
ethtool() { printf '%s\n' "$*"; }
. "$1"
REALDEVICE=${DEVICE%%:*}
oldifs=$IFS; IFS=';'
for opts in $ETHTOOL_OPTS; do
  IFS=$oldifs
  if [[ "${opts}" =~ [[:space:]]*- ]]; then ethtool $opts; else ethtool -s ${REALDEVICE} $opts; fi
  IFS=';'
done
'''


def run_initscripts(tmp_path, text):
    f = tmp_path / "ifcfg-eth0"
    f.write_text(text)
    p = subprocess.run([require_tool("bash", "bash"), "-c", RUNNER, "runner", str(f)], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    return [line.split() for line in p.stdout.splitlines()]


@pytest.mark.parametrize("key,text,case,info", golden.cases("ifcfg"), ids=[c[0] for c in golden.cases("ifcfg")])
def test_bash_runs_the_merged_commands(tmp_path, key, text, case, info):
    before = run_initscripts(tmp_path, text)
    after = run_initscripts(tmp_path, ifcfg.render(text, case["iface"], case["features"], info))
    state = applied_state(after, case["iface"])
    for f in case["features"]:
        assert state.get(f) == "off", (f, after)
    # every command that is not an offload command for iface is still run exactly as before
    assert _others(after, case["iface"]) == _others(before, case["iface"])


def _others(cmds, iface):
    return [c for c in cmds if not (c[:1] and c[0] in ("-K", "--offload", "--features") and c[1:2] == [iface])]


@pytest.mark.parametrize("version,ok", [
    ("8.45.42", False), ("9.03.23", False), ("9.03.24", True), ("9.03.38", True),
    ("9.03.61", True), ("9.04", False), ("9.31", False), ("9.32", True), ("9.49.53", True),
    ("10.00.1", True), ("", False), (None, False), ("garbage", False),
])
def test_supports_offload_opts(version, ok):
    assert ifcfg.supports_offload_opts(version) is ok


@pytest.mark.parametrize("text,msg", [
    ('ETHTOOL_OPTS="-K $(hostname) lro off"\n', "command substitution"),
    ("ETHTOOL_OPTS=`cat /x`\n", "command substitution"),
    ('ETHTOOL_OPTS="-K $NIC lro off"\n', "$NIC"),
    ('ETHTOOL_OPTS="-K eth0\nlro off"\n', "multi-line"),
    ('ETHTOOL_OPTS="-K ${DEVICE:-eth0} lro off"\n', "not supported"),
])
def test_refuses_what_it_cannot_follow(text, msg):
    with pytest.raises(PersistError) as e:
        ifcfg.render("DEVICE=eth0\n" + text, "eth0", ["lro"], {"path": "/etc/sysconfig/network-scripts/ifcfg-eth0"})
    assert msg in str(e.value) and "ifcfg-eth0" in str(e.value)


def test_variable_with_spaces_is_refused():
    text = 'DEVICE=eth0\nDEV="eth0 eth1"\nETHTOOL_OPTS="-K $DEV lro on"\n'
    with pytest.raises(PersistError) as e:
        ifcfg.render(text, "eth0", ["lro"])
    assert "several words" in str(e.value)


def test_other_interface_commands_untouched():
    text = 'DEVICE=eth0\nETHTOOL_OPTS="-K eth1 lro on"\n'
    out = ifcfg.render(text, "eth0", ["lro"])
    assert out == 'DEVICE=eth0\nETHTOOL_OPTS="-K eth1 lro on; -K eth0 lro off"\n'


def test_last_assignment_wins_and_is_the_one_edited():
    text = 'ETHTOOL_OPTS="-K eth0 gro on"\nDEVICE=eth0\nETHTOOL_OPTS="-G eth0 rx 512"\n'
    out = ifcfg.render(text, "eth0", ["lro"])
    assert out.splitlines()[0] == 'ETHTOOL_OPTS="-K eth0 gro on"'
    assert out.splitlines()[2] == 'ETHTOOL_OPTS="-G eth0 rx 512; -K eth0 lro off"'


def test_manages_prefers_ifcfg_name_then_device():
    d = ifcfg.DIRECTORY
    files = {d + "/ifcfg-lan": "DEVICE=eth0\n", d + "/ifcfg-eth0.bak": "DEVICE=eth0\n",
             d + "/ifcfg-eth0:1": "DEVICE=eth0:1\n"}
    assert ifcfg.manages(files, "eth0") == d + "/ifcfg-lan"
    files[d + "/ifcfg-eth0"] = "ONBOOT=yes\n"
    assert ifcfg.manages(files, "eth0") == d + "/ifcfg-eth0"
    assert ifcfg.manages(files, "eth9") is None


def test_commands_lists_what_runs():
    assert ifcfg.commands('DEVICE=eth0\nETHTOOL_OPTS="-K ${DEVICE} lro off; -G eth0 rx 9"\n') == [
        ["-K", "eth0", "lro", "off"], ["-G", "eth0", "rx", "9"]]


# ------------------------------------------------ issue 13: several -K segments

@pytest.mark.parametrize("opts,features", [
    ("-K eth0 lro off; -K eth0 rx off", ["lro"]),
    ("-K eth0 gro off; -K eth0 lro off", ["lro", "gro"]),
    ("-K ${DEVICE} lro off", ["lro"]),
    ("--offload eth0 lro off gro off", ["lro", "gro"]),
    ("--features eth0 large-receive-offload off", ["lro"]),
    ("-K eth0 lro on; -G eth0 rx 4096; -K eth0 lro off", ["lro"]),
    ("-K eth1 lro on; -K eth0 lro off", ["lro"]),
    ("-K eth0 rx-lro off;-K eth0 tso off gso off", ["lro", "tso", "gso"]),
])
def test_already_compliant_is_byte_identical(tmp_path, opts, features):
    text = 'DEVICE=eth0\nONBOOT=yes\nETHTOOL_OPTS="%s"\n' % opts
    assert all(applied_state(run_initscripts(tmp_path, text), "eth0").get(f) == "off" for f in features)
    assert ifcfg.render(text, "eth0", features) is text


@pytest.mark.parametrize("opts,features,expected", [
    # a later command turns it on again: the one applied last is edited
    ("-K eth0 lro off; -K eth0 lro on", ["lro"], "-K eth0 lro off; -K eth0 lro off"),
    # another device's off does not count for eth0
    ("-K eth1 lro off", ["lro"], "-K eth1 lro off; -K eth0 lro off"),
    # gro already off, lro turned on again by the last command
    ("-K eth0 gro off; -K eth0 lro on", ["lro", "gro"], "-K eth0 gro off; -K eth0 lro off"),
    # ethtool rejects a command with a bad value: it applies nothing, a new command is added
    ("-K eth0 lro of", ["lro"], "-K eth0 lro of; -K eth0 lro off"),
])
def test_edits_what_initscripts_applies(tmp_path, opts, features, expected):
    text = 'DEVICE=eth0\nETHTOOL_OPTS="%s"\n' % opts
    out = ifcfg.render(text, "eth0", features)
    assert out == 'DEVICE=eth0\nETHTOOL_OPTS="%s"\n' % expected
    state = applied_state(run_initscripts(tmp_path, out), "eth0")
    assert all(state.get(f) == "off" for f in features), state


def test_single_quoted_device_variable_is_not_eth0(tmp_path):
    text = "DEVICE=eth0\nETHTOOL_OPTS='-K ${DEVICE} lro off'\n"
    assert applied_state(run_initscripts(tmp_path, text), "eth0") == {}
    assert ifcfg.render(text, "eth0", ["lro"]) == text[:-2] + "; -K eth0 lro off'\n"


# property: whatever mix of commands, the file is left byte-identical exactly when what
# bash + initscripts' loop would apply already has every requested feature off, and after
# render it does.
_NAMES = sorted(set().union(*ETHTOOL_NAMES.values()) | {"rx", "tx", "sg"})


@st.composite
def _command(draw):
    kind = draw(st.sampled_from(["K", "K", "K", "G", "s"]))
    if kind == "G":
        return "-G %s rx %d" % (draw(st.sampled_from(["eth0", "eth1"])), draw(st.integers(64, 4096)))
    if kind == "s":
        return "speed 1000 duplex full"
    opt = draw(st.sampled_from(["-K", "--offload", "--features"]))
    dev = draw(st.sampled_from(["eth0", "eth0", "${DEVICE}", "$DEVICE", "eth1"]))
    pairs = draw(st.lists(st.tuples(st.sampled_from(_NAMES), st.sampled_from(["on", "off", "off"])),
                          min_size=1, max_size=4))
    return " ".join([opt, dev] + ["%s %s" % p for p in pairs])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_command(), min_size=1, max_size=4), st.sampled_from(["; ", ";", " ; "]),
       st.lists(st.sampled_from(["lro", "gro", "gso", "tso"]), min_size=1, max_size=4, unique=True))
def test_property_identical_iff_initscripts_applies_off(tmp_path, cmds, sep, features):
    text = 'DEVICE=eth0\nETHTOOL_OPTS="%s"\n' % sep.join(cmds)
    before = applied_state(run_initscripts(tmp_path, text), "eth0")
    compliant = all(before.get(f) == "off" for f in features)
    out = ifcfg.render(text, "eth0", features)
    assert (out is text) == compliant, (text, before)
    after = applied_state(run_initscripts(tmp_path, out), "eth0")
    assert all(after.get(f) == "off" for f in features), (out, after)
    assert ifcfg.render(out, "eth0", features) == out


# ------------------------------------------------------------------ re-quoting, checked by bash

from hypothesis import given, settings, strategies as st  # noqa: E402


def bash_value(tmp_path, text, name="ETHTOOL_OPTS"):
    """The value bash gives ``name`` when it sources ``text`` (network-functions does `. ifcfg`)."""
    f = tmp_path / "ifcfg-eth0"
    f.write_text(text)
    p = subprocess.run([require_tool("bash", "bash"), "-c", '. "$1"; printf "%s" "${%s-UNSET}"' % ("%s", name), "bash", str(f)],
                       capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=False)
    assert p.returncode == 0, p.stderr
    return p.stdout


def _dq(value):
    """Double-quote ``value`` for the shell (independent of ifcfg.py): \\ before $ ` " \\."""
    return '"' + "".join("\\" + c if c in '$`"\\' else c for c in value) + '"'


@pytest.mark.parametrize("literal", [r"msglvl \$x", r"msglvl \`echo pwned\`", r'msglvl \"a b\"', r"msglvl a\\b",
                                     r"msglvl \${HOME}"])
def test_requoting_keeps_escaped_dollar_and_backtick_literal(tmp_path, literal):
    """An escaped `$` or backtick inside double quotes is a literal character: the rewritten
    line must escape it again, or bash would expand `$x` / run the backticks."""
    text = 'DEVICE=eth0\nETHTOOL_OPTS="-s eth0 %s"\n' % literal
    before = bash_value(tmp_path, text)
    after = bash_value(tmp_path, ifcfg.render(text, "eth0", ["lro"], {"path": "ifcfg-eth0"}))
    assert after == before + "; -K eth0 lro off"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ab $`\"'\\{}()|&<>*?#=~!", min_size=1, max_size=20).map(str.rstrip).filter(bool))
def test_requoting_any_literal_value_keeps_it(tmp_path_factory, tail):
    tmp_path = tmp_path_factory.mktemp("q")
    text = "DEVICE=eth0\nETHTOOL_OPTS=%s\n" % _dq("-s eth0 msglvl " + tail)
    before = bash_value(tmp_path, text)
    assert before == "-s eth0 msglvl " + tail      # the oracle quoting is right
    after = bash_value(tmp_path, ifcfg.render(text, "eth0", ["lro"], {"path": "ifcfg-eth0"}))
    assert after == before + "; -K eth0 lro off"


# ------------------------------------------------------------------ the lab's boot replay

REPO_DIR = golden.FIX.rsplit("/tests/", 1)[0]
LAB_REPLAY = REPO_DIR + "/lab/images/incident/overlay/usr/local/lib/kcrash-lab/ifup-ethtool.sh"

# shapes the renderer and users write that a naive replay gets wrong
TRICKY = {
    "device-variable": 'DEVICE=eth0\nETHTOOL_OPTS="-K ${DEVICE} gro off"\n',
    "speed-first": 'DEVICE=eth0\nETHTOOL_OPTS="speed 1000 duplex full autoneg off"\n',
    "leading-blank": "DEVICE=eth0\nETHTOOL_OPTS=' -G eth0 rx 4096'\n",
    "long-option": 'DEVICE=eth0\nETHTOOL_OPTS="--offload eth0 gro off; -G eth0 rx 4096"\n',
    "escaped-unquoted": "DEVICE=eth0\nETHTOOL_OPTS=-G\\ eth0\\ rx\\ 4096\n",
    "alias-device": 'DEVICE=eth0:1\nETHTOOL_OPTS="autoneg on"\n',
}


def run_lab_replay(tmp_path, text):
    """The incident image's boot replay (a LAB STAND-IN for initscripts' ethtool_set) on
    ``text``, with an `ethtool` that prints its argv first in PATH."""
    stub = tmp_path / "stub"
    stub.mkdir(exist_ok=True)
    (stub / "ethtool").write_text('#!/bin/sh\nprintf "%s\\n" "$*"\n')
    (stub / "ethtool").chmod(0o755)
    f = tmp_path / "ifcfg-eth0"
    f.write_text(text)
    p = subprocess.run([require_tool("bash", "bash"), LAB_REPLAY, str(f)], capture_output=True, text=True,
                       env={"PATH": "%s:/usr/bin:/bin" % stub}, check=False)
    assert p.returncode == 0, p.stderr
    return [line.split() for line in p.stdout.splitlines()]


@pytest.mark.parametrize("key,text,case,info", golden.cases("ifcfg"), ids=[c[0] for c in golden.cases("ifcfg")])
def test_lab_boot_replay_applies_lro_off_from_every_rendered_file(tmp_path, key, text, case, info):
    """The lab's replay runs what initscripts 9.03.24+ run (RUNNER above) for the renderer's
    outputs, and that includes turning LRO off."""
    rendered = ifcfg.render(text, case["iface"], case["features"], info)
    replay = run_lab_replay(tmp_path, rendered)
    assert replay == run_initscripts(tmp_path, rendered)
    offload = [c for c in replay if c[:2] in (["-K", case["iface"]], ["--offload", case["iface"]])]
    assert offload and any(dict(zip(c[2::2], c[3::2])).get(a) == "off"
                           for c in offload for a in ethtool.OFFLOAD_ALIASES["lro"]), replay


@pytest.mark.parametrize("key", sorted(TRICKY))
def test_lab_boot_replay_matches_initscripts_on_tricky_values(tmp_path, key):
    assert run_lab_replay(tmp_path, TRICKY[key]) == run_initscripts(tmp_path, TRICKY[key])


def test_lab_boot_replay_expands_device_and_splits_like_initscripts(tmp_path):
    assert run_lab_replay(tmp_path, TRICKY["device-variable"]) == [["-K", "eth0", "gro", "off"]]
    assert run_lab_replay(tmp_path, TRICKY["speed-first"]) == [
        ["-s", "eth0", "speed", "1000", "duplex", "full", "autoneg", "off"]]
    assert run_lab_replay(tmp_path, TRICKY["alias-device"]) == [["-s", "eth0", "autoneg", "on"]]
    assert run_lab_replay(tmp_path, 'DEVICE=eth0\nONBOOT=no\nETHTOOL_OPTS="-K eth0 lro off"\n') == []
