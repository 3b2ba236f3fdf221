# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one os-release parser (os_release.py), shared by the detection probe, the sosreport
reader and the kernel_upgrade read trip; the shell that sources the file is the oracle."""

import json
import os
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import os_release, shell

from conftest import FIXTURES


ORACLE = 'set -a; . "$1"; printf "%s\\0" "$ID" "$VERSION_ID" "$NAME" "$PRETTY_NAME" "$ID_LIKE"'


def sourced(path):
    """What a shell sees after sourcing the file (os-release(5): the format is shell-compatible)."""
    p = subprocess.run(["/bin/sh", "-c", ORACLE, "sh", str(path)], capture_output=True, check=True)
    return p.stdout.decode("utf-8", "surrogateescape").split("\0")[:5]


def _ours(text):
    o = os_release.parse(text)
    return [o.get(k, "") for k in ("id", "version_id", "name", "pretty_name", "id_like")]


def test_this_machine_os_release_matches_the_shell():
    if not os.path.exists("/etc/os-release"):
        pytest.skip("no /etc/os-release here")
    with open("/etc/os-release", encoding="utf-8") as f:
        assert _ours(f.read()) == sourced("/etc/os-release")


_VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x17F, blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=80, deadline=None)
@given(st.fixed_dictionaries({"ID": _VALUE, "VERSION_ID": _VALUE, "NAME": _VALUE, "PRETTY_NAME": _VALUE,
                              "ID_LIKE": _VALUE}), st.sampled_from(["quote", "double"]))
def test_quoting_and_escapes_as_the_shell_reads_them(tmp_path_factory, values, style):
    lines = []
    for k, v in values.items():
        if style == "double":
            lines.append('%s="%s"' % (k, "".join("\\" + c if c in '"\\$`' else c for c in v)))
        else:
            lines.append("%s=%s" % (k, shell.quote(v)))
    text = "# comment\n\n" + "\n".join(lines) + "\n"
    path = tmp_path_factory.mktemp("osr") / "os-release"
    path.write_text(text, encoding="utf-8")
    assert _ours(text) == sourced(path)


def test_os_facts_el6_and_debian():
    el6 = os_release.os_facts({"redhat-release": "CentOS release 6.10 (Final)\n"})
    assert (el6["id"], el6["version_id"], el6["family"]) == ("centos", "6.10", "redhat")
    deb = os_release.os_facts({"os-release": 'ID=debian\nVERSION_ID="12"\nNAME="Debian GNU/Linux"\n',
                               "debian_version": "12.5\n"})
    assert (deb["id"], deb["version_id"], deb["family"], deb["debian_version"]) == ("debian", "12", "debian", "12.5")


def test_kernel_trip_uses_the_same_os_facts():
    """The kernel_upgrade trip used to call an el6 host without os-release 'rhel-like'."""
    with open(os.path.join(FIXTURES, "kernel", "incident-el6.json"), encoding="utf-8") as f:
        rec = json.load(f)
    assert os_release.os_facts({"os-release": rec["os_release"]["stdout"],
                                "redhat-release": rec["redhat_release"]["stdout"]})["id"] == "rhel"


def test_parse_os_el6_without_os_release():
    info = os_release.os_facts({"redhat-release": "Red Hat Enterprise Linux Server release 6.4 (Santiago)\n"})
    assert (info["id"], info["version_id"], info["family"]) == ("rhel", "6.4", "redhat")
