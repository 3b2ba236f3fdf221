# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""drop/read.py: the read script's parts run for real through /bin/sh, and the parser of its
answer."""

import subprocess

from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import read as drop_read
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import Script

from .drop_rules import SAVED, fixture


def test_parse_read_of_a_framed_answer():
    s = Script()
    s.section("version.iptables", "echo 'iptables v1.4.7'")
    s.section("save.iptables-save", "printf '%s' " + _q(fixture("iptables", "legacy-save.txt")))
    s.section("save.ip6tables-save", "exit 127")
    s.section("nft", "exit 127")
    s.section("file.etc_sysconfig_iptables", "printf '%s' " + _q(SAVED))
    s.section("file.etc_iptables_rules.v4", "exit 3")
    marker = "@@KCFILE:%s:" % s.nonce
    s.section("nftconf", "printf '\\n%sBEGIN:/etc/nftables.conf\\nflush ruleset\\n\\n%sEND\\n'" % (marker, marker))
    s.section("ssh", "echo '10.0.0.1 5000 10.0.0.2 22'")
    out = subprocess.run(["/bin/sh", "-c", s.render()], capture_output=True, text=True, check=False).stdout
    rr = drop_read.parse_read(out, s.nonce)
    assert rr.version == (1, 4, 7) and not drop_read.restore_supports_wait(rr.version)
    assert [(d.tool, d.backend, d.family) for d in rr.dumps] == [("iptables-save", "legacy", "ipv4")]
    assert rr.dumps[0].restore_tool == "iptables-restore"
    assert "ip6tables-save" in rr.missing and "nft" in rr.missing
    assert rr.saved["/etc/sysconfig/iptables"] == SAVED and rr.saved["/etc/iptables/rules.v4"] is None
    assert rr.nft_saved == {"/etc/nftables.conf": "flush ruleset\n"}
    assert rr.ssh_connection == "10.0.0.1 5000 10.0.0.2 22"
    assert drop_read.restore_supports_wait((1, 6, 2)) and drop_read.restore_supports_wait((1, 8, 9))


def _q(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


def test_read_script_collects_nft_includes(tmp_path):
    """The nftables.conf include walker, run for real against a temp /etc layout."""
    drop_read.read_script()
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "a.nft").write_text('table ip a { chain c { queue to 1; } }\ninclude "%s/b.conf"\n' % inc)
    (inc / "b.conf").write_text("table ip b {}\n")
    main = tmp_path / "main.conf"
    main.write_text('include "%s/*.nft"\nflush ruleset\n' % inc)
    walker = drop_read._nft_files_section("@@M:").replace(" ".join(drop_read.SAVED_NFT_FILES), str(main))
    out = subprocess.run(["/bin/sh", "-c", walker], capture_output=True, text=True, check=False).stdout
    files = drop_read.split_files(out, "@@M:")
    assert sorted(files) == sorted([str(main), str(inc / "a.nft"), str(inc / "b.conf")])
    assert files[str(inc / "b.conf")] == "table ip b {}\n"
