# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ifupdown: stanza editing, sourced files, hook detection; what ifup runs, checked with the real ifup."""

import os
import subprocess

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import ifupdown
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import PersistError


def test_sourced_order_and_manages():
    files = {
        "/etc/network/interfaces": "source /etc/network/interfaces.d/*\nauto lo\niface lo inet loopback\n",
        "/etc/network/interfaces.d/eth0": "auto eth0\niface eth0 inet dhcp\n",
        "/etc/network/interfaces.d/zz": "iface eth0 inet6 auto\n",
    }
    assert ifupdown.sourced_order(files) == [
        "/etc/network/interfaces", "/etc/network/interfaces.d/eth0", "/etc/network/interfaces.d/zz"]
    assert ifupdown.manages(files, "eth0") == "/etc/network/interfaces.d/eth0"
    assert ifupdown.manages(files, "eth1") is None


def test_source_directory_skips_names_run_parts_would_skip():
    files = {
        "/etc/network/interfaces": "source-directory interfaces.d\n",
        "/etc/network/interfaces.d/eth0.cfg": "iface eth0 inet dhcp\n",
        "/etc/network/interfaces.d/eth0": "iface eth0 inet static\n    address 10.0.0.1/24\n",
    }
    assert ifupdown.manages(files, "eth0") == "/etc/network/interfaces.d/eth0"


def test_hook_detection():
    assert ifupdown.hook_present('SETTINGS="$(gather_settings OFFLOAD_)"')
    assert not ifupdown.hook_present("#!/bin/sh\nexit 0\n")


def test_existing_offload_option_is_fixed_not_duplicated():
    text = "iface eth0 inet dhcp\n    offload-lro on\n    offload-gro off\n"
    out = ifupdown.render(text, "eth0", ["lro", "gro"], {"ethtool_hook": True})
    assert out == "iface eth0 inet dhcp\n    offload-lro off\n    offload-gro off\n"


def test_postup_line_is_merged():
    text = "iface eth0 inet dhcp\n  post-up /sbin/ethtool -K eth0 gro off || true\n"
    out = ifupdown.render(text, "eth0", ["lro"], {"ethtool_hook": False})
    assert out == "iface eth0 inet dhcp\n  post-up /sbin/ethtool -K eth0 lro off gro off || true\n"


def test_refusals():
    with pytest.raises(PersistError):
        ifupdown.render("auto eth0\n", "eth0", ["lro"], {})
    with pytest.raises(PersistError):
        ifupdown.render("iface eth0 inet dhcp\n  pre-up foo \\\n    bar\n", "eth0", ["lro"], {})
    with pytest.raises(PersistError):
        ifupdown.render("iface eth0 inet dhcp\n", "eth0", ["lro"], {"ethtool_path": "/sbin/eth tool"})


# ------------------------------------- issue 13: lines ifupdown already runs count

from persist_golden import applied_state  # noqa: E402

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import PersistUnclear  # noqa: E402


@pytest.mark.parametrize("line,features,hook", [
    ("post-up /usr/sbin/ethtool -K eth1 lro off", ["lro"], False),
    ("post-up /usr/sbin/ethtool -K eth1 lro off", ["lro"], True),
    ("up ethtool --offload $IFACE lro off", ["lro"], False),
    ('up /sbin/ethtool --features "${IFACE}" large-receive-offload off 2>/dev/null || :', ["lro"], False),
    ("pre-up for f in lro gro; do /sbin/ethtool -K $IFACE $f off; done", ["lro", "gro"], False),
    ("post-up for f in lro gro gso; do ethtool -K eth1 $f off || true; done", ["lro", "gro"], True),
    ("offload-lro off", ["lro"], True),
    ("offload-rx-lro off", ["lro"], True),
    ("post-up [ -x /sbin/ethtool ] && /sbin/ethtool -K $IFACE lro off gro off", ["lro", "gro"], False),
])
def test_already_compliant_stanza_is_byte_identical(line, features, hook):
    text = "auto eth1\niface eth1 inet manual\n    %s\n" % line
    assert ifupdown.render(text, "eth1", features, {"ethtool_hook": hook}) is text


def test_offload_keyword_without_the_hook_does_nothing():
    text = "iface eth1 inet manual\n    offload-lro off\n"
    out = ifupdown.render(text, "eth1", ["lro"], {"ethtool_hook": False})
    assert out == text + "    post-up /sbin/ethtool -K eth1 lro off || true\n"


def test_later_line_turning_it_on_gets_a_new_last_line():
    text = ("iface eth1 inet manual\n    post-up /sbin/ethtool -K eth1 lro off || true\n"
            "    post-up ethtool -K $IFACE lro on\n")
    out = ifupdown.render(text, "eth1", ["lro"], {"ethtool_hook": False})
    assert out == text + "    post-up /sbin/ethtool -K eth1 lro off || true\n"


def test_hook_option_overrides_commands():
    text = "iface eth1 inet manual\n    post-up ethtool -K eth1 lro off\n    offload-lro on\n"
    out = ifupdown.render(text, "eth1", ["lro"], {"ethtool_hook": True})
    assert out == "iface eth1 inet manual\n    post-up ethtool -K eth1 lro off\n    offload-lro off\n"


def test_other_device_does_not_count():
    text = "iface eth1 inet manual\n    post-up ethtool -K eth2 lro off\n"
    out = ifupdown.render(text, "eth1", ["lro"], {"ethtool_hook": True})
    assert out == text + "    offload-lro off\n"


def test_repeated_hook_option_is_unclear():
    text = "iface eth1 inet manual\n    offload-lro on\n    offload-lro off\n"
    with pytest.raises(PersistUnclear) as e:
        ifupdown.render(text, "eth1", ["lro"], {"ethtool_hook": True})
    assert "line 3" in str(e.value) and "twice" in str(e.value)


@pytest.mark.parametrize("line", [
    "post-up if [ -x /sbin/ethtool ]; then /sbin/ethtool -K $IFACE lro off; fi",
    "post-up sh -c '/sbin/ethtool -K eth1 lro off'",
    "post-up ethtool -K $(cat /etc/nic) lro off",
    "post-up ethtool -K $NIC lro off",
    "post-up ethtool -K eth1 $FEATURE off",
])
def test_unclear_line_is_said_not_duplicated(line):
    text = "iface eth1 inet manual\n    %s\n" % line
    with pytest.raises(PersistUnclear) as e:
        ifupdown.render(text, "eth1", ["lro"], {"ethtool_hook": False, "path": "/etc/network/interfaces"})
    assert "line 2" in str(e.value) and "/etc/network/interfaces" in str(e.value)


# ---------------------------------------------- oracle: the real ifup in a lab host
# The lab's Debian 12 image carries ifupdown 0.8 and the ethtool package's hook. ethtool is
# replaced there by a stand-in that logs its argv (the container's veth has no LRO to set);
# `ifup -i FILE --force eth1` then runs exactly what ifupdown runs: pre-up, up/post-up with
# $IFACE, run-parts if-up.d (the ethtool hook with the offload-* options).

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from conftest import CONTAINERS_CONF, lab_hosts, podman  # noqa: E402

_SETUP = r'''
ip link add eth1 type veth peer name eth1p 2>/dev/null || true
cat > /usr/sbin/ethtool <<"EOS"
#!/bin/sh
printf "%s\n" "$*" >> /tmp/ethtool.log
EOS
chmod +x /usr/sbin/ethtool
cp /etc/network/if-up.d/ethtool /root/ethtool-hook
'''

_RUN = r'''
if [ "$1" = 1 ]; then cp /root/ethtool-hook /etc/network/if-up.d/ethtool; else rm -f /etc/network/if-up.d/ethtool; fi
cat > /tmp/interfaces
rm -f /tmp/ethtool.log /run/network/ifstate.eth1; touch /tmp/ethtool.log
ifup -i /tmp/interfaces --force eth1 >/dev/null 2>&1
ifdown -i /tmp/interfaces --force eth1 >/dev/null 2>&1
cat /tmp/ethtool.log
'''


@pytest.fixture(scope="module")
def ifup_host():
    with lab_hosts("kver-ifupdown", ["modern"]) as names:
        name = names["modern"]
        podman("exec", name, "sh", "-c", _SETUP)
        yield name


def ifup_applies(host, text, hook):
    p = subprocess.run(["podman", "exec", "-i", host, "sh", "-c", _RUN, "run", "1" if hook else "0"],
                       input=text, capture_output=True, text=True, check=True,
                       env=dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF))
    return applied_state([l.split() for l in p.stdout.splitlines()], "eth1")


_PATHS = st.sampled_from(["", "/sbin/", "/usr/sbin/"])
_OPTS = st.sampled_from(["-K", "--offload", "--features"])
_DEVS = st.sampled_from(["eth1", "$IFACE", "${IFACE}", '"$IFACE"', "eth2"])
_NAMES = st.sampled_from(["lro", "gro", "gso", "tso", "rx-lro", "large-receive-offload", "rx", "sg"])
_VALS = st.sampled_from(["on", "off", "off"])
_TAILS = st.sampled_from(["", " || true", " 2>/dev/null || true", " >/dev/null 2>&1", "; true"])


@st.composite
def _line(draw):
    kind = draw(st.sampled_from(["cmd", "cmd", "loop", "hook", "other", "comment"]))
    phase = draw(st.sampled_from(["pre-up", "up", "post-up"]))
    if kind == "cmd":
        pairs = draw(st.lists(st.tuples(_NAMES, _VALS), min_size=1, max_size=3))
        return "%s %sethtool %s %s %s%s" % (phase, draw(_PATHS), draw(_OPTS), draw(_DEVS),
                                            " ".join("%s %s" % p for p in pairs), draw(_TAILS))
    if kind == "loop":
        names = draw(st.lists(_NAMES, min_size=1, max_size=3))
        return "%s for f in %s; do %sethtool -K %s $f %s%s; done" % (
            phase, " ".join(names), draw(_PATHS), draw(_DEVS), draw(_VALS), draw(_TAILS))
    if kind == "hook":
        return "offload-%s %s" % (draw(_NAMES), draw(_VALS))
    if kind == "other":
        return "%s /sbin/ethtool -G $IFACE rx 512 || true" % phase
    return "# post-up ethtool -K eth1 lro on"


def _stanza(lines):
    return "auto eth1\niface eth1 inet manual\n%s\n" % "".join("    %s\n" % l for l in lines)


EXAMPLES = [
    ["post-up /usr/sbin/ethtool -K eth1 lro off"],
    ["up ethtool --offload $IFACE lro off"],
    ["pre-up for f in lro gro; do /sbin/ethtool -K $IFACE $f off; done"],
    ["offload-lro off"],
    ["post-up ethtool -K eth1 lro off", "offload-lro on"],
]


@pytest.mark.parametrize("hook", [True, False])
@pytest.mark.parametrize("lines", EXAMPLES, ids=[e[0][:40] for e in EXAMPLES])
def test_real_ifup_agrees(ifup_host, lines, hook):
    _agree(ifup_host, lines, ["lro"], hook)


def _agree(host, lines, features, hook):
    text = _stanza(lines)
    before = ifup_applies(host, text, hook)
    compliant = all(before.get(f) == "off" for f in features)
    try:
        out = ifupdown.render(text, "eth1", features, {"ethtool_hook": hook})
    except PersistUnclear:
        # only where ifup itself cannot apply the hook's options: a repeated offload-* option
        names = [l.split()[0] for l in lines if l.startswith("offload-")]
        assert not compliant and hook and len(names) != len(set(names)), text
        return
    assert (out is text) == compliant, (text, before)
    if not compliant:
        after = ifup_applies(host, out, hook)
        assert all(after.get(f) == "off" for f in features), (out, after)
        assert ifupdown.render(out, "eth1", features, {"ethtool_hook": hook}) == out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_line(), min_size=1, max_size=4),
       st.lists(st.sampled_from(["lro", "gro", "gso", "tso"]), min_size=1, max_size=3, unique=True), st.booleans())
def test_property_identical_iff_real_ifup_applies_off(ifup_host, lines, features, hook):
    _agree(ifup_host, lines, features, hook)
