"""ifcfg: ETHTOOL_OPTS merging checked against real bash sourcing the rendered file."""

import shutil
import subprocess

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import PersistError, ifcfg

import persist_golden as golden

BASH = shutil.which("bash")

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
    p = subprocess.run([BASH, "-c", RUNNER, "runner", str(f)], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    return [line.split() for line in p.stdout.splitlines()]


@pytest.mark.skipif(not BASH, reason="bash not installed")
@pytest.mark.parametrize("key,text,case,info", golden.cases("ifcfg"), ids=[c[0] for c in golden.cases("ifcfg")])
def test_bash_runs_the_merged_commands(tmp_path, key, text, case, info):
    before = run_initscripts(tmp_path, text)
    after = run_initscripts(tmp_path, ifcfg.render(text, case["iface"], case["features"], info))
    offload = [c for c in after if c[:2] in (["-K", "eth0"], ["--offload", "eth0"])]
    assert len(offload) == 1, after
    pairs = dict(zip(offload[0][2::2], offload[0][3::2]))
    for f in case["features"]:
        assert "off" in [pairs.get(a) for a in ifcfg.ALIASES[f]], (f, pairs)
    # every other command is still run exactly as before
    assert [c for c in after if c not in offload] == [c for c in before if c[:2] != offload[0][:2]]


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


# ------------------------------------------------------------------ re-quoting, checked by bash

from hypothesis import given, settings, strategies as st  # noqa: E402


def bash_value(tmp_path, text, name="ETHTOOL_OPTS"):
    """The value bash gives ``name`` when it sources ``text`` (network-functions does `. ifcfg`)."""
    f = tmp_path / "ifcfg-eth0"
    f.write_text(text)
    p = subprocess.run([BASH, "-c", '. "$1"; printf "%s" "${%s-UNSET}"' % ("%s", name), "bash", str(f)],
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
    p = subprocess.run([BASH, LAB_REPLAY, str(f)], capture_output=True, text=True,
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
                           for c in offload for a in ifcfg.ALIASES["lro"]), replay


@pytest.mark.parametrize("key", sorted(TRICKY))
def test_lab_boot_replay_matches_initscripts_on_tricky_values(tmp_path, key):
    assert run_lab_replay(tmp_path, TRICKY[key]) == run_initscripts(tmp_path, TRICKY[key])


def test_lab_boot_replay_expands_device_and_splits_like_initscripts(tmp_path):
    assert run_lab_replay(tmp_path, TRICKY["device-variable"]) == [["-K", "eth0", "gro", "off"]]
    assert run_lab_replay(tmp_path, TRICKY["speed-first"]) == [
        ["-s", "eth0", "speed", "1000", "duplex", "full", "autoneg", "off"]]
    assert run_lab_replay(tmp_path, TRICKY["alias-device"]) == [["-s", "eth0", "autoneg", "on"]]
    assert run_lab_replay(tmp_path, 'DEVICE=eth0\nONBOOT=no\nETHTOOL_OPTS="-K eth0 lro off"\n') == []
