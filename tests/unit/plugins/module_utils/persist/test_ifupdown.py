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

from conftest import CONTAINERS_CONF, lab_hosts, podman, require_tool  # noqa: E402

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


# ------------------------- issue 17: the format (interfaces(5)), sh and ethtool(8), by hand
# Expected values below are written from interfaces(5) (ifupdown 0.8), sh(1) and ethtool(8);
# the render cases on eth1 are also run through the real ifup at the end of this file
# (test_real_ifup_applies_the_hand_written_outputs).

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import Choice  # noqa: E402

HOOK_TEXT = 'SETTINGS="$(gather_settings OFFLOAD_)"\n[ -z "$SETTINGS" ] || $ETHTOOL --offload "$IFACE" $SETTINGS\n'

# every line interfaces(5) names as a stanza start ends the stanza before it
STANZA_LINES = [
    "iface eth2 inet manual",
    "mapping eth9\n    script /bin/echo",
    "auto eth2",
    "allow-hotplug eth2",
    "allow-auto eth2",
    "source /etc/network/nothere/*",
    "source-directory /etc/network/nodir",
    "rename eth7=eth8",
    "no-auto-down eth2",
    "no-scripts eth2",
]


def _render_cases():
    """(id, text, features, hook, expected): stanzas of eth1 and what the renderer writes."""
    cases = []
    for line in STANZA_LINES:
        text = "iface eth1 inet manual\n\tmtu 1400\n%s\n" % line
        cases.append(("ends-at-" + line.split()[0], text, ["lro"], True,
                      "iface eth1 inet manual\n\tmtu 1400\n\toffload-lro off\n%s\n" % line))
        cases.append(("ends-at-%s-postup" % line.split()[0], text, ["lro"], False,
                      "iface eth1 inet manual\n\tmtu 1400\n\tpost-up /sbin/ethtool -K eth1 lro off || true\n%s\n" % line))
    cases += [
        # a stanza without options: 4 blanks when the file has no indented option line
        ("no-options-default-indent", "auto eth1\niface eth1 inet manual\n", ["lro", "gro"], True,
         "auto eth1\niface eth1 inet manual\n    offload-lro off\n    offload-gro off\n"),
        # ... else the first indented option line's indentation; indented comments and
        # indented stanza lines are no option lines
        ("no-options-file-indent",
         "  # a comment\n  auto lo\niface lo inet loopback\n\tmtu 1500\niface eth1 inet manual\n",
         ["lro"], True,
         "  # a comment\n  auto lo\niface lo inet loopback\n\tmtu 1500\niface eth1 inet manual\n\toffload-lro off\n"),
        # options of the stanza are indented as its first option, not as later ones
        ("first-option-indent", "iface eth1 inet manual\n  mtu 1400\n\thwaddress 00:11:22:33:44:55\n",
         ["lro"], True,
         "iface eth1 inet manual\n  mtu 1400\n\thwaddress 00:11:22:33:44:55\n  offload-lro off\n"),
        # comments and blank lines after the last option stay after the new line
        ("after-last-option", "iface eth1 inet manual\n    mtu 1400\n\n    # later\n\nauto eth2\n", ["lro"], True,
         "iface eth1 inet manual\n    mtu 1400\n    offload-lro off\n\n    # later\n\nauto eth2\n"),
        # an existing option under another name ethtool accepts is set off where it is
        ("alias-option-fixed", "iface eth1 inet manual\n\toffload-large-receive-offload on\n  mtu 1400\n",
         ["lro"], True, "iface eth1 inet manual\n\toffload-large-receive-offload off\n  mtu 1400\n"),
        ("alias-option-kept-add-other", "iface eth1 inet manual\n    offload-rx-lro off\n", ["lro", "gro"], True,
         "iface eth1 inet manual\n    offload-rx-lro off\n    offload-gro off\n"),
        ("fix-one-add-two",
         "iface eth1 inet manual\n    offload-gso on\n    offload-tso off\n", ["lro", "gro", "gso", "tso"], True,
         "iface eth1 inet manual\n    offload-gso off\n    offload-tso off\n    offload-lro off\n    offload-gro off\n"),
        # the post-up line ifup runs: the stanza's first options, pre-up after up in the file
        ("pre-up-runs-before-up", "iface eth1 inet manual\n    up ethtool -K eth1 lro off\n"
         "    pre-up ethtool -K eth1 lro on\n", ["lro"], False, None),
        ("up-then-pre-up-off", "iface eth1 inet manual\n    up ethtool -K eth1 lro on\n"
         "    pre-up ethtool -K eth1 lro off\n", ["lro"], False,
         "iface eth1 inet manual\n    up ethtool -K eth1 lro on\n    pre-up ethtool -K eth1 lro off\n"
         "    post-up /sbin/ethtool -K eth1 lro off || true\n"),
        # our own line is merged; a line of ours for another device is not
        ("merge-own-line", "iface eth1 inet manual\n\tpost-up /usr/sbin/ethtool -K eth1 tso off gro off || true\n",
         ["lro", "gso"], False,
         "iface eth1 inet manual\n\tpost-up /usr/sbin/ethtool -K eth1 lro off gro off gso off tso off || true\n"),
        ("own-line-other-device", "iface eth1 inet manual\n    post-up /sbin/ethtool -K eth2 lro off || true\n",
         ["lro"], False, "iface eth1 inet manual\n    post-up /sbin/ethtool -K eth2 lro off || true\n"
         "    post-up /sbin/ethtool -K eth1 lro off || true\n"),
        # the last of two lines of ours is merged
        ("merge-last-own-line", "iface eth1 inet manual\n    post-up /sbin/ethtool -K eth1 gro off || true\n"
         "    post-up /sbin/ethtool -K eth1 gso off || true\n", ["lro"], False,
         "iface eth1 inet manual\n    post-up /sbin/ethtool -K eth1 gro off || true\n"
         "    post-up /sbin/ethtool -K eth1 lro off gso off || true\n"),
        # the only stanza of eth1 is the second one in the file
        ("second-stanza", "iface eth0 inet dhcp\n    mtu 1500\n\niface eth1 inet manual\n", ["tso"], True,
         "iface eth0 inet dhcp\n    mtu 1500\n\niface eth1 inet manual\n    offload-tso off\n"),
        # only the first stanza of eth1 is edited
        ("first-of-two-stanzas", "iface eth1 inet manual\n    mtu 1400\niface eth1 inet6 manual\n    mtu 1400\n",
         ["lro"], True,
         "iface eth1 inet manual\n    mtu 1400\n    offload-lro off\niface eth1 inet6 manual\n    mtu 1400\n"),
        # CRLF line endings: ifupdown strips the CR; the line ending of an edited line is kept
        ("crlf", "iface eth1 inet manual\r\n    offload-lro on\r\n    mtu 1400\r\n", ["lro", "gro"], True,
         "iface eth1 inet manual\r\n    offload-lro off\r\n    mtu 1400\r\n    offload-gro off\n"),
        ("crlf-merge", "iface eth1 inet manual\r\n  post-up /sbin/ethtool -K eth1 gro off || true\r\n", ["lro"], False,
         "iface eth1 inet manual\r\n  post-up /sbin/ethtool -K eth1 lro off gro off || true\r\n"),
        # a line of our shape may carry other ethtool settings: ethtool -K applies every pair,
        # so the merged line keeps them (the renderer used to drop `tx off` and `gro on`)
        ("merge-keeps-other-settings",
         "iface eth1 inet manual\n    post-up /sbin/ethtool -K eth1 tx off gro on rx-lro on || true\n", ["lro"], False,
         "iface eth1 inet manual\n    post-up /sbin/ethtool -K eth1 lro off tx off gro on || true\n"),
        ("merge-keeps-other-settings-2",
         "iface eth1 inet manual\n    post-up /sbin/ethtool -K eth1 gso off sg off || true\n", ["tso", "gro"], False,
         "iface eth1 inet manual\n    post-up /sbin/ethtool -K eth1 gro off gso off tso off sg off || true\n"),
        # `no-scripts` (names or patterns) keeps ifup from running if-up.d, the hook with it:
        # offload-* options do nothing there (the renderer used to count them and write them)
        ("no-scripts-no-hook", "no-scripts eth1\niface eth1 inet manual\n    offload-lro off\n", ["lro"], True,
         "no-scripts eth1\niface eth1 inet manual\n    offload-lro off\n"
         "    post-up /sbin/ethtool -K eth1 lro off || true\n"),
        ("no-scripts-pattern", "iface eth1 inet manual\n    mtu 1400\nno-scripts eth0 eth*\n", ["lro"], True,
         "iface eth1 inet manual\n    mtu 1400\n    post-up /sbin/ethtool -K eth1 lro off || true\nno-scripts eth0 eth*\n"),
        ("no-scripts-other", "no-scripts eth11 eth\n#no-scripts eth1\niface eth1 inet manual\n    offload-lro off\n",
         ["lro"], True, None),
        # a comment line ending in a backslash continues nothing (ifupdown drops comments
        # first); the renderer used to refuse the file (found by test_properties_ifupdown)
        ("comment-ending-in-backslash", "iface eth1 inet manual\n  # see \\\n    mtu 1400\n", ["lro"], True,
         "iface eth1 inet manual\n  # see \\\n    mtu 1400\n    offload-lro off\n"),
        # a stanza without options right before the next stanza
        ("bare-stanza-before-next", "iface eth1 inet manual\nauto eth2\niface eth2 inet manual\n    mtu 1500\n",
         ["lro"], True, "iface eth1 inet manual\n    offload-lro off\nauto eth2\niface eth2 inet manual\n    mtu 1500\n"),
        ("bare-stanza-blank-indent", "iface lo inet loopback\n  mtu 1500\niface eth1 inet manual\n", ["lro"], True,
         "iface lo inet loopback\n  mtu 1500\niface eth1 inet manual\n  offload-lro off\n"),
        # blank and comment lines inside a stanza do not end it
        ("blank-and-comment-inside", "iface eth1 inet manual\n\n    # off below\n    offload-lro off\n", ["lro"], True, None),
        ("blank-line-then-command", "iface eth1 inet manual\n\n    post-up ethtool -K eth1 lro off\n", ["lro"], False, None),
        ("two-up-lines", "iface eth1 inet manual\n    up ethtool -K eth1 lro off\n    up ethtool -K eth1 gro off\n",
         ["lro", "gro"], False, None),
        ("command-without-ethtool-first", "iface eth1 inet manual\n    up ip link set eth1 up\n"
         "    post-up ethtool -K eth1 lro off\n", ["lro"], False, None),
        # the hook hands both names of lro to one ethtool run, in the order of the variables'
        # names (lro, then rx-lro): ethtool 6.1 leaves it on, older ethtool takes rx-lro on;
        # the renderer used to count the file's last line (lro off) as applied
        ("hook-one-run-two-names", "iface eth1 inet manual\n    offload-rx-lro on\n    offload-lro  off\n", ["lro"], True,
         "iface eth1 inet manual\n    offload-rx-lro off\n    offload-lro  off\n"),
        ("hook-one-run-two-names-2", "iface eth1 inet manual\n    offload-lro  off\n    offload-rx-lro on\n", ["lro"], True,
         "iface eth1 inet manual\n    offload-lro  off\n    offload-rx-lro off\n"),
        ("no-final-newline", "iface eth1 inet manual\n    mtu 1400", ["lro"], True,
         "iface eth1 inet manual\n    mtu 1400\n    offload-lro off\n"),
        ("no-final-newline-bare", "iface eth1 inet manual", ["lro"], False,
         "iface eth1 inet manual\n    post-up /sbin/ethtool -K eth1 lro off || true\n"),
    ]
    return cases


RENDER_CASES = _render_cases()


@pytest.mark.parametrize("text,features,hook,expected", [c[1:] for c in RENDER_CASES], ids=[c[0] for c in RENDER_CASES])
def test_render_by_the_format(text, features, hook, expected):
    out = ifupdown.render(text, "eth1", features, {"ethtool_hook": hook})
    if expected is None:
        assert out is text
    else:
        assert out == expected
        assert ifupdown.render(out, "eth1", features, {"ethtool_hook": hook}) is out


# what sh runs (sh(1)) and what ethtool(8) sets: ``ethtool -K|--features|--offload DEV
# NAME on|off ...`` sets every pair or, on a bad pair list, nothing
SETTINGS_CASES = [
    ("ethtool -K eth1 lro off", [("lro", "off")]),
    ("/usr/sbin/ethtool --features eth1 large-receive-offload off rx-gro on", [("lro", "off"), ("gro", "on")]),
    ("ethtool --offload eth1 tx-generic-segmentation off tcp-segmentation-offload off gso on",
     [("gso", "off"), ("tso", "off"), ("gso", "on")]),
    ("ethtool -K $IFACE lro off", [("lro", "off")]),
    ("ethtool -K ${IFACE} gro off", [("gro", "off")]),
    ('ethtool -K "$IFACE" gro off', [("gro", "off")]),
    ("ethtool -K eth2 lro off", []),
    ("ethtool -K eth1x lro off", []),
    ("ethtool -k eth1", []),
    ("ethtool -G eth1 rx 512", []),
    ("ethtool -K", []),
    ("ethtool -K eth1", []),
    ("ethtool -K eth1 lro", []),
    ("ethtool -K eth1 lro of", []),
    ("ethtool -K eth1 lro off gro", []),
    ("ethtool -K eth1 rx off", []),
    ("ethtool -K eth1 lro off || true", [("lro", "off")]),
    ("ethtool -K eth1 lro off || :", [("lro", "off")]),
    ("ethtool -K eth1 lro off || /bin/true", [("lro", "off")]),
    ("FOO=1 BAR=2 ethtool -K eth1 lro off", [("lro", "off")]),
    ("EXTRA=1 ethtool -K eth1 lro off", [("lro", "off")]),
    # a command that sets nothing does not end the reading
    ("ip link set eth1 up; ethtool -K eth1 lro off", [("lro", "off")]),
    ("ethtool -k eth1; ethtool -K eth1 lro off", [("lro", "off")]),
    ("ethtool -K eth2 lro off; ethtool -K eth1 gro off", [("gro", "off")]),
    ("ethtool -K eth1 lro; ethtool -K eth1 gro off", [("gro", "off")]),
    ("A=1", []),
    ("ethtool -K eth1 lro off 2>/dev/null >/dev/null", [("lro", "off")]),
    ("ethtool -K eth1 lro off >> /tmp/log 2>&1", [("lro", "off")]),
    ("ethtool -K eth1 lro off </dev/null", [("lro", "off")]),
    ("ethtool -K eth1 lro off 2>&1 >/dev/null", [("lro", "off")]),
    ("ethtool -K eth1 lro off; ethtool -K eth1 gro off", [("lro", "off"), ("gro", "off")]),
    ("ethtool -K eth1 lro off && ethtool -K eth1 lro on", [("lro", "off"), ("lro", "on")]),
    ("[ -x /sbin/ethtool ] && /sbin/ethtool -K $IFACE lro off", [("lro", "off")]),
    ("test -x /sbin/ethtool && ethtool -K eth1 lro off", [("lro", "off")]),
    ("echo ethtool -K eth1 lro on", []),
    ('logger "ethtool -K eth1 lro on"; sleep 1; printf ethtool; :', []),
    (": ethtool -K eth1 lro on", []),
    ("true /sbin/ethtool -K eth1 lro on", []),
    ("sleep 0 /sbin/ethtool", []),
    ("for f in lro gro; do ethtool -K $IFACE $f off; done", [("lro", "off"), ("gro", "off")]),
    ("for f in lro gro ; do ethtool -K eth1 ${f} off || true; done", [("lro", "off"), ("gro", "off")]),
    ("for d in $IFACE eth2; do ethtool -K $d lro off; done", [("lro", "off")]),
    ("for f in lro; do ethtool -K eth1 $f off; done; ethtool -K eth1 lro on", [("lro", "off"), ("lro", "on")]),
    ("for f in gso lro; do ethtool -K eth1 $f off; ethtool -K eth1 $f on; done",
     [("gso", "off"), ("gso", "on"), ("lro", "off"), ("lro", "on")]),
    ("for f in; do ethtool -K eth1 lro off; done", []),
]

# sh refuses these lines (syntax error): nothing of them runs (sh -n says so in
# test_real_sh_refuses_the_syntax_errors)
SH_SYNTAX_ERRORS = [
    ("ethtool -K eth1 lro off ||", "sh syntax error: '||' without a command"),
    ("ethtool -K eth1 lro off || ; true", "sh syntax error: '||' without a command"),
    ("ethtool -K eth1 lro off)", "shell construct ')'"),
    ("ethtool -K eth1 (lro) off", "shell construct '('"),
    ("for f lro; do ethtool -K eth1 $f off; done", "for loop"),
    ("for f", "for loop"),
    ("for f in lro gro ethtool", "for loop"),
    ("for f in lro; ethtool -K eth1 $f off", "for loop"),
    ("for f in lro; do ethtool -K eth1 $f off", "for loop"),
    ("for f in lro do ethtool -K eth1 $f off; done", "for loop"),
    ("for f in lro;", "for loop"),
] + [("%s ethtool -K eth1 lro off" % w, "shell construct '%s'" % w)
     for w in ("then", "else", "elif", "fi", "do", "done", "esac", "}")]

UNCLEAR_CASES = [
    ("ethtool -K `cat /etc/nic` lro off", "command substitution"),
    ("ethtool -K $(cat /etc/nic) lro off", "command substitution"),
    ("ethtool -K eth1 lro 'off", "No closing quotation"),
    ("ethtool -K $NIC lro off", "device $NIC"),
    ("ethtool -K eth1 lro $V", "variable in ethtool -K eth1 lro $V"),
    ("ethtool -K eth1 lro off || logger failed", "a fallback other than true"),
    ("ethtool -K eth1 lro off | tee /tmp/x", "shell construct '|'"),
    ("ethtool -K eth1 lro off &", "shell construct '&'"),
    ("(ethtool -K eth1 lro off)", "shell construct '('"),
    ("if true; then ethtool -K eth1 lro off; fi", "shell construct 'if'"),
    ("sh -c 'ethtool -K eth1 lro off'", "ethtool run through sh"),
    ("/usr/bin/env ethtool -K eth1 lro off", "ethtool run through /usr/bin/env"),
    ("for f in lro; do for g in x; do ethtool -K eth1 $f off; done; done", "nested loop"),
    ("for f in $LIST; do ethtool -K eth1 $f off; done", "variable in ethtool -K eth1 $LIST off"),
    ("while true; do ethtool -K eth1 lro off; done", "shell construct 'while'"),
    ("until false; do ethtool -K eth1 lro off; done", "shell construct 'until'"),
    ("case $IFACE in eth1) ethtool -K eth1 lro off;; esac", "shell construct 'case'"),
    ("function f { ethtool -K eth1 lro off; }", "shell construct 'function'"),
    ("eval ethtool -K eth1 lro off", "shell construct 'eval'"),
    ("exec ethtool -K eth1 lro off", "shell construct 'exec'"),
    ("{ ethtool -K eth1 lro off; }", "shell construct '{'"),
    ("for f in lro; do ethtool -K eth1 $f off; done || ethtool -K eth1 lro on", "a fallback other than true"),
    ("for f in lro; do ethtool -K eth1 $f off; done | tee /tmp/x", "shell construct '|'"),
] + SH_SYNTAX_ERRORS


@pytest.mark.parametrize("command,expected", SETTINGS_CASES, ids=[c[0] for c in SETTINGS_CASES])
def test_ethtool_settings_as_sh_and_ethtool_run_them(command, expected):
    assert ifupdown.ethtool_settings(command, "eth1") == expected


@pytest.mark.parametrize("command,reason", UNCLEAR_CASES, ids=[c[0] for c in UNCLEAR_CASES])
def test_ethtool_settings_says_what_it_does_not_follow(command, reason):
    with pytest.raises(ifupdown._Unclear) as e:
        ifupdown.ethtool_settings(command, "eth1")
    assert str(e.value) == reason


def test_unclear_message_names_each_line_and_what_to_set():
    text = ("iface eth1 inet manual\n    mtu 1400\n    post-up for f lro; do ethtool -K eth1 $f off; done\n"
            "    pre-up ethtool -K $NIC lro off\n")
    with pytest.raises(PersistUnclear) as e:
        ifupdown.render(text, "eth1", ["gro", "lro"], {"ethtool_hook": False, "path": "/etc/network/interfaces"})
    assert str(e.value) == (
        "ifupdown back end /etc/network/interfaces: line 3 (for loop): post-up for f lro; do ethtool -K eth1 $f off; "
        "done; line 4 (device $NIC): pre-up ethtool -K $NIC lro off; it may already set the offloads of eth1, so "
        "nothing is added: check it and set lro off, gro off by hand")


@pytest.mark.parametrize("lines,features,why", [
    # the hook hands every offload-* option to one `ethtool --offload` run: a bad value in
    # one makes ethtool refuse them all, so the good one before it does not count either
    (["offload-lro off", "offload-gro bogus"], ["lro"], "line 3 (the ethtool hook fails on this value): offload-gro bogus"),
    (["offload-lro off", "offload-gro off # no"], ["lro"],
     "line 3 (the ethtool hook fails on this value): offload-gro off # no"),
    (["offload-gro off", "offload-lro off", "offload-gro off"], ["lro"],
     "line 4 (option given twice: ifupdown joins the values, the ethtool hook fails): offload-gro off"),
])
def test_a_failing_hook_applies_none_of_its_options(lines, features, why):
    text = "iface eth1 inet manual\n%s" % "".join("    %s\n" % l for l in lines)
    with pytest.raises(PersistUnclear) as e:
        ifupdown.render(text, "eth1", features, {"ethtool_hook": True})
    assert why in str(e.value)


def test_failing_commands_leave_the_hook_options_counted():
    # a command line the reader does not follow is no hook failure: the hook still applies
    # offload-lro off, which runs last
    text = "iface eth1 inet manual\n    up ethtool -K $NIC lro on\n    offload-lro off\n"
    assert ifupdown.render(text, "eth1", ["lro"], {"ethtool_hook": True}) is text


def test_option_without_the_hook_and_commands_without_ethtool_are_not_read():
    text = "iface eth1 inet manual\n    offload-lro bogus\n    up ip link set eth1 up; (true)\n"
    out = ifupdown.render(text, "eth1", ["lro"], {"ethtool_hook": False})
    assert out == text + "    post-up /sbin/ethtool -K eth1 lro off || true\n"


def test_render_refusals_say_why():
    cases = [
        ("auto eth1\n", {}, "no 'iface eth1' stanza to edit"),
        ("iface eth1 inet dhcp\n  pre-up foo \\\n    bar\n", {}, "line 2: continuation lines are not supported"),
        ("iface eth1 inet dhcp \\\r\n  static\r\n", {}, "line 1: continuation lines are not supported"),
        ("iface eth1 inet dhcp\n", {"ethtool_path": "/sbin/eth tool"}, "ethtool path '/sbin/eth tool' is not a plain absolute path"),
        ("iface eth1 inet dhcp\n", {"ethtool_path": "ethtool"}, "ethtool path 'ethtool' is not a plain absolute path"),
        ("iface eth1 inet dhcp\n", {"ethtool_path": "/sbin/ethtool\n"}, "ethtool path '/sbin/ethtool\\n' is not a plain absolute path"),
        ("iface eth1 inet dhcp\n", {"ethtool_path": "/sbin/ethtool;x"}, "ethtool path '/sbin/ethtool;x' is not a plain absolute path"),
    ]
    for text, info, why in cases:
        with pytest.raises(PersistError) as e:
            ifupdown.render(text, "eth1", ["lro"], dict(info, path="/etc/network/interfaces"))
        assert str(e.value) == "ifupdown back end /etc/network/interfaces: " + why
    # a continuation line outside the stanza is not the stanza's
    text = "iface eth0 inet dhcp\n  pre-up foo \\\n    bar\niface eth1 inet dhcp\n"
    assert ifupdown.render(text, "eth1", ["lro"], {"ethtool_hook": True}) == text + "  offload-lro off\n"


def test_ethtool_path_is_written_as_given():
    text = "iface eth1 inet manual\n"
    out = ifupdown.render(text, "eth1", ["lro"], {"ethtool_path": "/opt/eth+tool_1.2/bin/ethtool"})
    assert out == text + "    post-up /opt/eth+tool_1.2/bin/ethtool -K eth1 lro off || true\n"
    # None and "" are the default
    assert ifupdown.render(text, "eth1", ["lro"], {"ethtool_path": ""}) == text + "    post-up /sbin/ethtool -K eth1 lro off || true\n"
    assert ifupdown.render(text, "eth1", ["lro"]) == text + "    post-up /sbin/ethtool -K eth1 lro off || true\n"


# -------------------------------------------- which file: source, source-directory (interfaces(5))

def test_relative_source_is_read_from_the_directory_of_its_file():
    files = {
        "/etc/network/interfaces": "source interfaces.d/*\n",
        "/etc/network/interfaces.d/b": "source ../other/x\n",
        "/etc/network/interfaces.d/a": "# iface eth1 inet manual\n",
        "/etc/network/other/x": "iface eth1 inet manual\n",
        "/etc/network/interfaces.d.x/y": "iface eth1 inet manual\n",
        "/etc/network/x": "iface eth1 inet manual\n",
    }
    assert ifupdown.sourced_order(files) == [
        "/etc/network/interfaces", "/etc/network/interfaces.d/a", "/etc/network/interfaces.d/b", "/etc/network/other/x"]
    assert ifupdown.manages(files, "eth1") == "/etc/network/other/x"


def test_commented_and_bare_source_lines_read_nothing():
    files = {
        "/etc/network/interfaces": "#source /etc/network/a\n  # source /etc/network/b\nsource\n"
                                   "source-directory\nsource-directory /etc/network/c/\n",
        "/etc/network/a": "iface eth1 inet manual\n",
        "/etc/network/b": "iface eth1 inet manual\n",
        "/etc/network/c/eth1": "iface eth1 inet manual\n",
        "/etc/network/c/eth1.bak": "iface eth1 inet manual\n",
    }
    assert ifupdown.sourced_order(files) == ["/etc/network/interfaces", "/etc/network/c/eth1"]


def test_source_directory_takes_only_run_parts_names():
    names = ["eth1", "ETH_1-x", "eth1.cfg", "eth1~", ".eth1", "eth 1", "eth1.dpkg-old"]
    files = dict(("/etc/network/interfaces.d/%s" % n, "iface eth1 inet manual\n") for n in names)
    files["/etc/network/interfaces"] = "source-directory /etc/network/interfaces.d\n"
    assert ifupdown.sourced_order(files) == [
        "/etc/network/interfaces", "/etc/network/interfaces.d/ETH_1-x", "/etc/network/interfaces.d/eth1"]


def test_a_file_sourced_twice_and_a_source_loop_are_read_once():
    files = {
        "/etc/network/interfaces": "source /etc/network/a\nsource /etc/network/interfaces\nsource /etc/network/a\n",
        "/etc/network/a": "source /etc/network/interfaces\niface eth1 inet manual\n",
    }
    assert ifupdown.sourced_order(files) == ["/etc/network/interfaces", "/etc/network/a"]
    assert ifupdown.sourced_order(files, main="/etc/network/a") == ["/etc/network/a", "/etc/network/interfaces"]
    assert ifupdown.sourced_order({}) == []


def test_a_deep_source_chain_is_followed():
    # ifupdown 0.8 follows a chain of 40 sourced files (checked with ifquery): no depth limit
    files = dict(("/etc/network/f%d" % i, "source /etc/network/f%d\n" % (i + 1)) for i in range(1, 12))
    files["/etc/network/interfaces"] = "source /etc/network/f1\n"
    files["/etc/network/f12"] = "iface eth1 inet manual\n"
    assert ifupdown.manages(files, "eth1") == "/etc/network/f12"


def test_stanza_of_the_interface_only():
    # an indented iface line starts a stanza too (ifquery reads its options)
    files = {"/etc/network/interfaces": "iface eth10 inet manual\nauto eth1\nmapping eth1\n  script /bin/echo\n"
                                        "#iface eth1 inet manual\n  iface eth1 inet manual\n    mtu 1400\n"}
    assert ifupdown.manages(files, "eth1") == "/etc/network/interfaces"
    assert ifupdown.manages(files, "eth") is None
    assert ifupdown._stanza(files["/etc/network/interfaces"].splitlines(True), "eth1") == (5, 7)


# ------------------------------------------------------------ the back-end interface

def test_owns_the_interfaces_file_and_its_directory():
    assert ifupdown.owns("/etc/network/interfaces")
    assert ifupdown.owns("/etc/network/interfaces.d/eth1")
    assert not ifupdown.owns("/etc/systemd/network/10-eth1.link")
    assert not ifupdown.owns("/etc/sysconfig/network-scripts/ifcfg-eth1")


def test_choose_names_the_file_and_how_it_writes():
    files = {"/etc/network/interfaces": "source /etc/network/interfaces.d/*\n",
             "/etc/network/interfaces.d/eth1": "iface eth1 inet manual\n",
             "/etc/systemd/network/10-eth1.link": "[Match]\nOriginalName=eth1\n"}
    hook = "/etc/network/if-up.d/ethtool"
    c = ifupdown.choose({"managers": {"ethtool_hook": hook, "ethtool_path": "/usr/sbin/ethtool"}, "files": files},
                        "eth1", False)
    assert isinstance(c, Choice)
    assert (c.backend, c.path, c.kind) == ("ifupdown", "/etc/network/interfaces.d/eth1", "file")
    assert c.reason == ("ifupdown stanza for eth1 in /etc/network/interfaces.d/eth1 "
                        "(ethtool hook /etc/network/if-up.d/ethtool: offload-* options)")
    assert c.info == {"ethtool_hook": True, "ethtool_path": "/usr/sbin/ethtool"}
    c = ifupdown.choose({"managers": {}, "files": files}, "eth1", True)
    assert c.reason == "ifupdown stanza for eth1 in /etc/network/interfaces.d/eth1 (no ethtool hook: post-up line)"
    assert c.info == {"ethtool_hook": False, "ethtool_path": "/sbin/ethtool"}
    assert ifupdown.choose({"managers": {}, "files": files}, "eth2", False) is None
    # a no-scripts line in any file ifupdown reads keeps the hook from running for eth1
    ns = dict(files, **{"/etc/network/interfaces": "no-scripts eth1\nsource /etc/network/interfaces.d/*\n"})
    c = ifupdown.choose({"managers": {"ethtool_hook": hook}, "files": ns}, "eth1", False)
    assert c.reason == ("ifupdown stanza for eth1 in /etc/network/interfaces.d/eth1 (no-scripts names eth1: "
                        "the ethtool hook does not run: post-up line)")
    assert c.info == {"ethtool_hook": False, "ethtool_path": "/sbin/ethtool"}
    ns["/etc/network/interfaces.d/x.cfg"] = ns["/etc/network/interfaces"] = "source /etc/network/interfaces.d/*\n"
    assert ifupdown.choose({"managers": {"ethtool_hook": hook}, "files": ns}, "eth1", False).info["ethtool_hook"]
    # a file outside /etc/network/interfaces* is not read, even when the main file names it
    files = {"/etc/network/interfaces": "source /etc/systemd/network/x\n", "/etc/systemd/network/x": "iface eth1 inet manual\n"}
    assert ifupdown.choose({"managers": {}, "files": files}, "eth1", False) is None


_PROBE_RUN = r'''
set -e
mount -t tmpfs kcrash-test /etc/network
mkdir -p /etc/network/if-up.d /etc/network/if-pre-up.d /etc/network/interfaces.d "$1"
printf '%s' "$2" > /etc/network/if-up.d/ethtool
printf '%s' "$3" > /etc/network/if-pre-up.d/ethtool
[ "$4" = 0 ] || { printf '#!/bin/sh\n' > "$1/ifup"; chmod +x "$1/ifup"; }
touch /etc/network/interfaces /etc/network/interfaces.d/eth1 /etc/network/interfaces.d/.hidden
set +e
PATH="$1:/usr/bin:/bin"
kc_kv() { printf '%s=%s\n' "$1" "$2"; }
eval "$5"
for f in $6; do [ -f "$f" ] && printf 'file=%s\n' "$f"; done
exit 0
'''


@pytest.mark.parametrize("up,pre,ifup,expected", [
    # ethtool 6.1 (Debian 12): the offload options in if-up.d, if-pre-up.d without them
    (HOOK_TEXT, "#!/bin/sh\nexit 0\n", True, ["ifup=1", "ethtool_hook=/etc/network/if-up.d/ethtool"]),
    # a hook in if-pre-up.d that reads them (the module's docstring: older ethtool packages)
    ("", HOOK_TEXT, False, ["ethtool_hook=/etc/network/if-pre-up.d/ethtool"]),
    (HOOK_TEXT, HOOK_TEXT, False, ["ethtool_hook=/etc/network/if-up.d/ethtool", "ethtool_hook=/etc/network/if-pre-up.d/ethtool"]),
    ("", "", True, ["ifup=1"]),
])
def test_probe_finds_ifup_and_the_hook(tmp_path, up, pre, ifup, expected):
    """The PROBE lines run by sh in a mount namespace whose /etc/network is a fresh tmpfs;
    GLOBS expanded by the same sh."""
    require_tool("unshare", "util-linux")
    p = subprocess.run(["unshare", "-m", "sh", "-c", _PROBE_RUN, "probe", str(tmp_path / "bin"), up, pre,
                        "1" if ifup else "0", "\n".join(ifupdown.PROBE), " ".join(ifupdown.GLOBS)],
                       capture_output=True, text=True, check=True)
    assert p.stdout.splitlines() == expected + ["file=/etc/network/interfaces", "file=/etc/network/interfaces.d/eth1"]
    assert ifupdown.DETECT_GLOBS == ifupdown.GLOBS


# ------------------ the hand-written expectations above, checked with the real ifup and sh
# (a container: left out of the per-mutant runs of scripts/mutation.sh, see docs/testing.md)

@pytest.mark.parametrize("text,features,hook,expected", [c[1:] for c in RENDER_CASES], ids=[c[0] for c in RENDER_CASES])
def test_real_ifup_applies_the_hand_written_outputs(ifup_host, text, features, hook, expected):
    before = ifup_applies(ifup_host, text, hook)
    if expected is None:
        assert all(before.get(f) == "off" for f in features), before
        return
    assert not all(before.get(f) == "off" for f in features), before
    after = ifup_applies(ifup_host, expected, hook)
    assert all(after.get(f) == "off" for f in features), after


_SH_RUN = r'''rm -f /tmp/ethtool.log; touch /tmp/ethtool.log; IFACE=eth1 sh -c "$1" >/dev/null 2>&1; cat /tmp/ethtool.log'''


def test_real_sh_runs_the_settings_read(ifup_host):
    """Every SETTINGS_CASES command run by the container's sh with IFACE=eth1 (ethtool there
    logs its argv): the offload settings it makes, in order, are the expected ones."""
    from persist_golden import ETHTOOL_NAMES
    for command, expected in SETTINGS_CASES:
        p = podman("exec", ifup_host, "sh", "-c", _SH_RUN, "run", command)
        got = []
        for argv in (l.split() for l in p.stdout.splitlines()):
            pairs = argv[2:]
            if (len(argv) < 2 or argv[0] not in ("-K", "--offload", "--features") or argv[1] != "eth1"
                    or len(pairs) % 2 or any(v not in ("on", "off") for v in pairs[1::2])):
                continue
            got += [(f, v) for k, v in zip(pairs[::2], pairs[1::2]) for f, names in ETHTOOL_NAMES.items() if k in names]
        assert got == expected, (command, p.stdout)


def test_real_sh_refuses_the_syntax_errors(ifup_host):
    """The lines said to be sh syntax errors above: the container's sh (dash) refuses them."""
    for command, dummy in SH_SYNTAX_ERRORS:
        p = podman("exec", ifup_host, "sh", "-n", "-c", command, check=False)
        assert p.returncode == 2 and "Syntax error" in p.stderr, (command, p.returncode, p.stderr)


def test_feature_named_twice_in_one_run_is_not_off():
    """ethtool 6.1 on a veth in a network namespace: a feature named twice in one ``-K`` run
    with other values ends up on whatever the order; the reader counts it as not off."""
    from netns import NetNS
    require_tool("ethtool", "ethtool")
    runs = ["gro on gro off", "gro off rx-gro on", "rx-gro on generic-receive-offload off", "gro off gro off"]
    with NetNS("km4-ifupdown") as ns:
        ns.x("ip", "link", "add", "veth1", "type", "veth", "peer", "name", "veth2")
        for run in runs:
            ns.x("ethtool", "-K", "veth1", "gro", "on" if run == "gro off gro off" else "off")
            ns.x("ethtool", "-K", "veth1", *run.split())
            real = ns.x("ethtool", "-k", "veth1").stdout
            read = dict(ifupdown.ethtool_settings("ethtool -K veth1 " + run, "veth1"))
            assert ("generic-receive-offload: %s" % read["gro"]) in real, (run, real)
