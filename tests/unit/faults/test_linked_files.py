# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection, linked configuration files: a file the collection rewrites (ifcfg,
/etc/sysconfig/iptables, rules.v4, ...) that is a symlink is written through (the link
stays a link), one that is hard-linked (RHEL 6's system-config-network links ifcfg files)
is rewritten in place so every name sees the new content; mode, owner and the SELinux
context (``chcon --reference``, recorded by a stand-in: this machine has no SELinux) are
kept; a failed commit puts every file back the same way; drop's restore.sh does the same."""

import os
import subprocess

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import apply as drop_apply
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import management
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import plan as drop_plan
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import read as drop_read
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import FileChange, file_transaction, posix_cksum
from conftest import stand_ins
from faultlab import NEEDS_ROOT, NS

OLD = "DEVICE=eth0\nONBOOT=yes\n"
NEW = "DEVICE=eth0\nONBOOT=yes\nETHTOOL_OPTS=\"-K eth0 lro off\"\n"

CHCON = '#!/bin/sh\nprintf "%s\\n" "$*" >> "$CHCON_LOG"\n'


def run(script, tmp_path):
    path = stand_ins(tmp_path / "bin", {"chcon": CHCON})
    env = dict(os.environ, PATH=path, CHCON_LOG=str(tmp_path / "chcon.log"))
    p = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, env=env, check=False)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture
def tree(tmp_path):
    """real/ifcfg-eth0 (0640, uid 4321), etc/ifcfg-eth0 -> ../real/ifcfg-eth0 (relative),
    etc/abs -> etc/ifcfg-eth0 (a chain, absolute), linkdir -> real (a symlinked directory),
    devices/ifcfg-eth0 and profiles/ifcfg-eth0 hard links of one file."""
    for d in ("real", "etc", "devices", "profiles"):
        (tmp_path / d).mkdir()
    real = tmp_path / "real" / "ifcfg-eth0"
    real.write_text(OLD)
    os.chmod(real, 0o640)
    if os.geteuid() == 0:
        os.chown(real, 4321, 4321)
    os.symlink("../real/ifcfg-eth0", str(tmp_path / "etc" / "ifcfg-eth0"))
    os.symlink(str(tmp_path / "etc" / "ifcfg-eth0"), str(tmp_path / "etc" / "abs"))
    os.symlink(str(tmp_path / "real"), str(tmp_path / "linkdir"))
    hard = tmp_path / "devices" / "ifcfg-eth0"
    hard.write_text(OLD)
    os.chmod(hard, 0o644)
    os.link(str(hard), str(tmp_path / "profiles" / "ifcfg-eth0"))
    return tmp_path


def assert_kept(path, mode):
    st = os.stat(path)
    assert oct(st.st_mode & 0o777) == oct(mode)
    if os.geteuid() == 0 and "real" in path:
        assert (st.st_uid, st.st_gid) == (4321, 4321)


@pytest.mark.parametrize("name", ["etc/ifcfg-eth0", "etc/abs", "linkdir/ifcfg-eth0"])
def test_symlinked_file_is_written_through_and_stays_a_link(tree, name):
    path = str(tree / name)
    was_link = os.path.islink(path)
    rc, out, err = run(file_transaction([FileChange(path, NEW, expect=posix_cksum(OLD))], str(tree / "bk"))
                       + "echo done\n", tree)
    assert rc == 0 and out == "done\n", err
    assert os.path.islink(path) == was_link
    assert (tree / "real" / "ifcfg-eth0").read_text() == NEW
    assert_kept(str(tree / "real" / "ifcfg-eth0"), 0o640)
    assert "--reference=%s" % os.path.realpath(path) in (tree / "chcon.log").read_text()
    assert not [f for f in os.listdir(str(tree / "real")) if f.startswith(".kcrash")]


def test_hard_linked_file_is_rewritten_in_place(tree):
    a, b = tree / "devices" / "ifcfg-eth0", tree / "profiles" / "ifcfg-eth0"
    ino = os.stat(a).st_ino
    rc, out, err = run(file_transaction([FileChange(str(a), NEW, expect=posix_cksum(OLD))], str(tree / "bk")), tree)
    assert rc == 0, err
    assert a.read_text() == NEW and b.read_text() == NEW
    assert os.stat(a).st_ino == ino == os.stat(b).st_ino and os.stat(a).st_nlink == 2
    assert (tree / "bk" / ("%s" % str(a).strip("/").replace("/", "_"))).read_text() == OLD


def test_failed_commit_puts_linked_files_back_through_their_links(tree):
    link, hard = tree / "etc" / "ifcfg-eth0", tree / "devices" / "ifcfg-eth0"
    text = file_transaction([FileChange(str(link), NEW, expect=posix_cksum(OLD)),
                             FileChange(str(hard), NEW, expect=posix_cksum(OLD)),
                             FileChange(str(tree / "etc" / "third"), "x\n", expect="")], str(tree / "bk"))
    text = text.replace('kc_put "$kc_s2"', 'false "$kc_s2"')
    rc, out, err = run(text, tree)
    assert rc == 3 and "rename" in err
    assert os.path.islink(str(link)) and (tree / "real" / "ifcfg-eth0").read_text() == OLD
    assert hard.read_text() == OLD and (tree / "profiles" / "ifcfg-eth0").read_text() == OLD
    assert os.stat(str(hard)).st_nlink == 2
    assert not (tree / "etc" / "third").exists()


def test_dangling_symlink_creates_its_target(tree):
    os.symlink("../real/ifcfg-new", str(tree / "etc" / "ifcfg-new"))
    rc, out, err = run(file_transaction([FileChange(str(tree / "etc" / "ifcfg-new"), NEW, mode="0600", expect="")],
                                        str(tree / "bk")), tree)
    assert rc == 0, err
    assert os.path.islink(str(tree / "etc" / "ifcfg-new")) and (tree / "real" / "ifcfg-new").read_text() == NEW


def test_symlink_loop_is_refused_with_a_message(tree):
    os.symlink("loop2", str(tree / "etc" / "loop1"))
    os.symlink("loop1", str(tree / "etc" / "loop2"))
    rc, out, err = run(file_transaction([FileChange(str(tree / "etc" / "loop1"), NEW)], str(tree / "bk")), tree)
    assert rc == 3 and "resolve the links of %s" % (tree / "etc" / "loop1") in err


@NEEDS_ROOT
def test_drop_rewrites_and_restores_a_symlinked_and_a_hard_linked_saved_file(tree):
    """/etc/sysconfig/iptables as a symlink and rules.v4 hard-linked: the apply writes
    through, the rollback's restore.sh puts the old content back the same way."""
    text = ("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
            "-A FORWARD -p udp -m udp --dport 5000 -j NFQUEUE --queue-num 5\nCOMMIT\n")
    real = tree / "real" / "iptables"
    real.write_text(text)
    os.chmod(str(real), 0o600)
    link = tree / "etc" / "iptables"
    os.symlink(str(real), str(link))
    hard = tree / "devices" / "rules.v4"
    hard.write_text(text)
    os.link(str(hard), str(tree / "profiles" / "rules.v4"))
    ns = NS()
    try:
        ns.ok("iptables-legacy -A FORWARD -p udp --dport 5000 -j NFQUEUE --queue-num 5")
        script, nonce = drop_read.read_script()
        rr = drop_read.parse_read(ns.sh(script)[1], nonce)
        opts = drop_options.Options()
        plan = drop_plan.plan(rr.dumps, opts, management.management(None, opts), rr.nft_text,
                              {"/etc/sysconfig/iptables": text, "/etc/iptables/rules.v4": text}, {}, True)
        assert len(plan["files"]) == 2
        paths = {"/etc/sysconfig/iptables": str(link), "/etc/iptables/rules.v4": str(hard)}
        for f in plan["files"]:
            f["path"] = paths[f["path"]]
        broot = str(tree / "b")
        bdir = drop_apply.backup_dir(broot, "20260126T101500Z-00000001")
        rc, out, err = ns.sh(drop_apply.apply_script(plan, bdir, seconds=30, wait=True))
        assert rc == 0, err
        new = text.replace("-j NFQUEUE --queue-num 5", "-j DROP")
        assert os.path.islink(str(link)) and real.read_text() == new
        assert (tree / "profiles" / "rules.v4").read_text() == new and os.stat(str(hard)).st_nlink == 2
        assert ns.sh(drop_apply.confirm_script(bdir, broot, 3))[0] == 0
        rc, out, err = ns.sh(drop_apply.rollback_script(broot))
        assert rc == 0, err
        assert os.path.islink(str(link)) and real.read_text() == text
        assert oct(os.stat(str(real)).st_mode & 0o777) == "0o600"
        assert (tree / "profiles" / "rules.v4").read_text() == text and os.stat(str(hard)).st_nlink == 2
    finally:
        ns.close()
