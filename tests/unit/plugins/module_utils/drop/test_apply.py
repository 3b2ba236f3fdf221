# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The drop strategy end to end on REAL iptables (legacy and nft back ends, IPv4 and IPv6)
inside throwaway network namespaces: read script -> plan -> apply script (backup, digest
check, watchdog, restore, verify) -> confirm / watchdog restore / rollback.

Every script runs through /bin/sh exactly as the action sends it. The backup root is a
temp dir; saved files are temp copies (the namespace shares this machine's /etc)."""

import os
import subprocess
import time
import uuid

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save as ips
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import apply as drop_apply
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import digest
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import management
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import plan as drop_plan
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import read as drop_read
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import verify as drop_verify
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import posix_cksum

from conftest import require_tool

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (ip netns)")


@pytest.fixture(autouse=True)
def _real_tools():
    require_tool("ip", "iproute2")
    require_tool("iptables-legacy", "iptables")


SEED = ("-t mangle -I PREROUTING -p tcp -m multiport --dports 80,443 -m set --match-set lee src "
        "-m string --string t.test.com --algo kmp --from 0 --to 1480 -j NFQUEUE")


class NS(object):
    def __init__(self):
        self.name = "fw-test-%s" % uuid.uuid4().hex[:8]
        subprocess.run(["ip", "netns", "add", self.name], check=True)

    def sh(self, script):
        p = subprocess.run(["ip", "netns", "exec", self.name, "/bin/sh", "-c", script],
                           capture_output=True, text=True, check=False)
        return p.returncode, p.stdout, p.stderr

    def ok(self, script):
        rc, out, err = self.sh(script)
        assert rc == 0, (script, err)
        return out

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name], check=False)


@pytest.fixture
def ns():
    n = NS()
    yield n
    n.close()


@pytest.fixture
def broot(tmp_path):
    return str(tmp_path / "backups")


def stamp():
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]


def read_and_plan(ns, options=None, saved=None, nft_saved=None):
    script, nonce = drop_read.read_script()
    rc, out, err = ns.sh(script)
    assert rc == 0, err
    rr = drop_read.parse_read(out, nonce)
    opts = options or drop_options.Options()
    mgmt = management.management(rr.ssh_connection, opts)
    plan = drop_plan.plan(rr.dumps, opts, mgmt, rr.nft_text, saved or {}, nft_saved or {},
                          drop_read.restore_supports_wait(rr.version))
    return rr, plan


def apply(ns, plan, broot, seconds=30, **kw):
    bdir = drop_apply.backup_dir(broot, stamp())
    rc, out, err = ns.sh(drop_apply.apply_script(plan, bdir, seconds=seconds, wait=True, **kw))
    return bdir, rc, out, err


def rules_without_counters(ns, tool):
    text = ns.ok("%s" % tool)
    rs = ips.parse(text)
    return [(r.table, r.chain, r.text) for r in rs.rules()]


@pytest.mark.parametrize("flavour", ["legacy", "nft"])
def test_seed_rule_becomes_drop_with_all_matches_and_others_untouched(ns, broot, flavour):
    ns.ok("ipset create lee hash:ip hashsize 819200 maxelem 100000 timeout 300; ipset add lee 1.1.1.1 timeout 300")
    ns.ok("iptables-%s %s" % (flavour, SEED))
    ns.ok("iptables-%s -t mangle -A PREROUTING -p udp -j ACCEPT" % flavour)
    ns.ok("iptables-%s -A INPUT -p tcp --dport 22 -j ACCEPT" % flavour)
    # counters of an untouched rule must survive
    ns.ok("iptables-%s -t mangle -Z" % flavour)
    before = ns.ok("iptables-%s-save -c -t mangle" % flavour)
    _rr, plan = read_and_plan(ns)
    (ch,) = plan["changes"]
    assert ch["table"] == "mangle" and ch["chain"] == "PREROUTING" and ch["position"] == 1
    assert ch["new_rule"] == ("-A PREROUTING -p tcp -m multiport --dports 80,443 -m set --match-set lee src "
                              "-m string --string \"t.test.com\" --algo kmp --to 1480 -j DROP")
    assert "dports 80,443" in ch["lockout"]
    bdir, rc, out, err = apply(ns, plan, broot)
    assert rc == 0, err
    assert drop_verify.verify(plan, drop_apply.split_verify(out))["ok"]
    assert ns.sh(drop_apply.confirm_script(bdir, broot, 5))[0] == 0
    after = rules_without_counters(ns, "iptables-%s-save" % flavour)
    mangle = [x for x in after if x[0] == "mangle"]
    assert mangle == [("mangle", "PREROUTING", ch["new_rule"]), ("mangle", "PREROUTING", "-A PREROUTING -p udp -j ACCEPT")]
    assert ("filter", "INPUT", "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT") in after
    assert not any("NFQUEUE" in x[2] for x in after)
    # backups: mode 0700 dir / 0600 files, and the backup holds the pre-state byte for byte
    st = os.stat(bdir)
    assert oct(st.st_mode & 0o777) == "0o700"
    for f in os.listdir(bdir):
        assert oct(os.stat(os.path.join(bdir, f)).st_mode & 0o777) in ("0o600", "0o700"), f
    assert _strip_comments(open(os.path.join(bdir, "live-0.rules")).read()) == _strip_comments(before)
    # idempotent: nothing left to do
    _rr, plan2 = read_and_plan(ns)
    assert plan2["changes"] == [] and not plan2["changed"]
    # rollback restores the rules byte for byte (ignoring counters and comments)
    rc, out, err = ns.sh(drop_apply.rollback_script(broot))
    assert rc == 0, err
    restored = ns.ok("iptables-%s-save -t mangle" % flavour)
    assert _strip_comments(restored) == _strip_comments(_no_counters(before))


def _strip_comments(text):
    return "".join(line + "\n" for line in text.splitlines() if not line.startswith("#"))


def _no_counters(text):
    import re
    out = []
    for line in text.splitlines():
        line = re.sub(r"^\[\d+:\d+\] ", "", line)
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("flavour", ["legacy", "nft"])
def test_modern_forward_balance_bypass_ipv4_and_ipv6(ns, broot, flavour):
    for t in ("iptables", "ip6tables"):
        ns.ok("%s-%s -A FORWARD -p tcp --dport 22 -j ACCEPT" % (t, flavour))
        ns.ok("%s-%s -A FORWARD -j NFQUEUE --queue-balance 0:1 --queue-bypass" % (t, flavour))
        ns.ok("%s-%s -A FORWARD -p udp -j NFQUEUE --queue-balance 2:3 --queue-cpu-fanout" % (t, flavour))
    _rr, plan = read_and_plan(ns)
    assert sorted((c["family"], c["chain"], c["position"]) for c in plan["changes"]) == [
        ("ipv4", "FORWARD", 2), ("ipv4", "FORWARD", 3), ("ipv6", "FORWARD", 2), ("ipv6", "FORWARD", 3)]
    bdir, rc, out, err = apply(ns, plan, broot)
    assert rc == 0, err
    assert drop_verify.verify(plan, drop_apply.split_verify(out)) == {"ok": True, "problems": [], "moved": []}
    ns.sh(drop_apply.confirm_script(bdir, broot, 5))
    for t in ("iptables", "ip6tables"):
        got = [x[2] for x in rules_without_counters(ns, "%s-%s-save" % (t, flavour))]
        assert got == ["-A FORWARD -p tcp -m tcp --dport 22 -j ACCEPT", "-A FORWARD -j DROP",
                       "-A FORWARD -p udp -j DROP"]


@pytest.mark.parametrize("flavour", ["legacy", "nft"])
def test_concurrent_rule_added_between_probe_and_apply_survives(ns, broot, flavour):
    ns.ok("iptables-%s -A FORWARD -p tcp --dport 1 -j ACCEPT" % flavour)
    ns.ok("iptables-%s -A FORWARD -j NFQUEUE --queue-num 1" % flavour)
    ns.ok("iptables-%s -A FORWARD -p tcp --dport 3 -j ACCEPT" % flavour)
    _rr, plan = read_and_plan(ns)
    assert [c["position"] for c in plan["changes"]] == [2]
    # another process inserts a rule at the top of the same chain after the probe
    ns.ok("iptables-%s -I FORWARD 1 -s 192.0.2.9 -j DROP" % flavour)
    bdir, rc, out, err = apply(ns, plan, broot)
    assert rc == drop_apply.RC_CHANGED and "KCRASH-CHANGED" in out
    assert not os.path.exists(bdir)  # nothing kept, nothing changed
    assert "NFQUEUE" in ns.ok("iptables-%s-save" % flavour)
    # the action reads again and re-plans: the concurrent rule stays, order is intact
    _rr, plan = read_and_plan(ns)
    assert [c["position"] for c in plan["changes"]] == [3]
    bdir, rc, out, err = apply(ns, plan, broot)
    assert rc == 0, err
    assert drop_verify.verify(plan, drop_apply.split_verify(out))["ok"]
    ns.sh(drop_apply.confirm_script(bdir, broot, 5))
    got = [x[2] for x in rules_without_counters(ns, "iptables-%s-save" % flavour)]
    assert got == ["-A FORWARD -s 192.0.2.9/32 -j DROP", "-A FORWARD -p tcp -m tcp --dport 1 -j ACCEPT",
                   "-A FORWARD -j DROP", "-A FORWARD -p tcp -m tcp --dport 3 -j ACCEPT"]


def test_concurrent_rule_in_another_chain_does_not_block(ns, broot):
    ns.ok("iptables-legacy -A FORWARD -j NFQUEUE")
    _rr, plan = read_and_plan(ns)
    ns.ok("iptables-legacy -A OUTPUT -p tcp --dport 9 -j ACCEPT")
    bdir, rc, out, err = apply(ns, plan, broot)
    assert rc == 0, err
    ns.sh(drop_apply.confirm_script(bdir, broot, 5))
    got = [x[2] for x in rules_without_counters(ns, "iptables-legacy-save")]
    assert got == ["-A FORWARD -j DROP", "-A OUTPUT -p tcp -m tcp --dport 9 -j ACCEPT"]


@pytest.mark.parametrize("flavour", ["legacy", "nft"])
def test_catch_all_input_nfqueue_is_refused(ns, broot, flavour):
    ns.ok("iptables-%s -A INPUT -j NFQUEUE" % flavour)
    ns.ok("iptables-%s -N IDS; iptables-%s -A INPUT -p tcp -j IDS; iptables-%s -A IDS -j NFQUEUE --queue-num 2"
          % (flavour, flavour, flavour))
    ns.ok("iptables-%s -A INPUT -p tcp -m multiport --dports 80,443 -j NFQUEUE" % flavour)
    _rr, plan = read_and_plan(ns)
    refused = sorted((r["chain"], r["position"]) for r in plan["refused"])
    assert refused == [("IDS", 1), ("INPUT", 1)]
    assert all("lockout guard" in r["reason"] for r in plan["refused"])
    assert [(c["chain"], c["position"]) for c in plan["changes"]] == [("INPUT", 3)]
    forced = drop_plan.plan(*_replan_args(ns, drop_options.Options(force=True)))
    assert len(forced["changes"]) == 3 and not forced["refused"]


def _replan_args(ns, opts):
    script, nonce = drop_read.read_script()
    rc, out, err = ns.sh(script)
    rr = drop_read.parse_read(out, nonce)
    return rr.dumps, opts, management.management(rr.ssh_connection, opts), rr.nft_text, {}, {}, True


@pytest.mark.parametrize("flavour", ["legacy", "nft"])
def test_watchdog_restores_when_no_confirmation(ns, broot, flavour):
    ns.ok("iptables-%s -A FORWARD -j NFQUEUE --queue-num 3" % flavour)
    before = ns.ok("iptables-%s-save -t filter" % flavour)
    _rr, plan = read_and_plan(ns)
    bdir, rc, out, err = apply(ns, plan, broot, seconds=2)
    assert rc == 0, err
    assert "NFQUEUE" not in ns.ok("iptables-%s-save" % flavour)
    assert os.path.exists(os.path.join(bdir, "armed"))
    deadline = time.time() + 30
    while time.time() < deadline and not os.path.exists(os.path.join(bdir, "rolled-back")):
        time.sleep(0.2)
    while time.time() < deadline and os.path.exists(os.path.join(bdir, "watchdog.pid")):
        time.sleep(0.2)
    assert os.path.exists(os.path.join(bdir, "rolled-back"))
    log = open(os.path.join(bdir, "watchdog.log")).read()
    assert "restore.sh exit 0" in log, log
    assert _strip_comments(ns.ok("iptables-%s-save -t filter" % flavour)) == _strip_comments(before)


def test_confirmed_watchdog_does_nothing(ns, broot):
    ns.ok("iptables-legacy -A FORWARD -j NFQUEUE --queue-num 3")
    _rr, plan = read_and_plan(ns)
    bdir, rc, out, err = apply(ns, plan, broot, seconds=2)
    assert rc == 0, err
    assert ns.sh(drop_apply.confirm_script(bdir, broot, 5))[0] == 0
    time.sleep(3)
    assert not os.path.exists(os.path.join(bdir, "rolled-back"))
    assert "NFQUEUE" not in ns.ok("iptables-legacy-save")


def test_failed_restore_puts_everything_back(ns, broot, tmp_path):
    ns.ok("iptables-legacy -A FORWARD -j NFQUEUE --queue-num 3")
    saved = tmp_path / "rules.v4"
    text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -j NFQUEUE --queue-num 3\nCOMMIT\n"
    saved.write_text(text)
    _rr, plan = read_and_plan(ns, saved={"/etc/iptables/rules.v4": text})
    assert plan["files"] and plan["changes"][0]["persisted"]
    plan["files"][0]["path"] = str(saved)
    # make the live transaction fail after the saved file was rewritten (no --test first)
    plan["iptables"][0]["text"] = plan["iptables"][0]["text"].replace("-j DROP", "-j NO_SUCH_TARGET")
    bdir, rc, out, err = apply(ns, plan, broot, test_first=False)
    assert rc == drop_apply.RC_APPLY and "put back" in err
    assert saved.read_text() == text
    assert "NFQUEUE --queue-num 3" in ns.ok("iptables-legacy-save")
    assert os.path.exists(os.path.join(bdir, "confirmed"))  # the timer is disarmed


@pytest.mark.parametrize("flavour", ["legacy", "nft"])
def test_failed_test_changes_nothing_across_tables(ns, broot, tmp_path, flavour):
    """--test of every transaction runs (next to the backup saves) before the first change:
    one bad table stops all of them, the saved file and the live rules stay, no backup
    directory or timer is left."""
    ns.ok("iptables-%s -A FORWARD -j NFQUEUE --queue-num 3; "
          "iptables-%s -t mangle -A PREROUTING -p udp -j NFQUEUE --queue-num 4" % (flavour, flavour))
    saved = tmp_path / "rules.v4"
    text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -j NFQUEUE --queue-num 3\nCOMMIT\n"
    saved.write_text(text)
    _rr, plan = read_and_plan(ns, saved={"/etc/iptables/rules.v4": text})
    plan["files"][0]["path"] = str(saved)
    tx = dict((t["table"], t) for t in plan["iptables"])
    assert sorted(tx) == ["filter", "mangle"]
    # (iptables-nft-restore --test does not look up targets in the kernel; a bad option it sees)
    tx["mangle"]["text"] = tx["mangle"]["text"].replace("-j DROP", "-j DROP --no-such-option")
    before = ns.ok("iptables-%s-save" % flavour)
    bdir, rc, out, err = apply(ns, plan, broot)
    assert rc == drop_apply.RC_TEST, (rc, out, err)
    assert "KCRASH-TEST:" in err and "--test of table mangle failed: nothing changed" in err
    assert saved.read_text() == text
    assert rules_without_counters(ns, "iptables-%s-save" % flavour) == [
        (r.table, r.chain, r.text) for r in ips.parse(before).rules()]
    assert not os.path.exists(bdir)


def test_failing_backup_save_changes_nothing(ns, broot, tmp_path):
    """The backup save runs in a pipeline (tee into the digest); its own exit status is what
    counts: a failing save stops the apply, nothing changed, no backup directory left."""
    ns.ok("iptables-legacy -A FORWARD -j NFQUEUE --queue-num 3")
    _rr, plan = read_and_plan(ns)
    # a failing stand-in first in PATH (the tool name itself is checked: no other word passes)
    (tmp_path / "iptables-legacy-save").write_text("#!/bin/sh\nexit 1\n")
    (tmp_path / "iptables-legacy-save").chmod(0o755)
    bdir = drop_apply.backup_dir(broot, stamp())
    rc, out, err = ns.sh("PATH=%s:$PATH\n%s" % (tmp_path, drop_apply.apply_script(plan, bdir, seconds=30, wait=True)))
    assert rc == drop_apply.RC_APPLY and "KCRASH-FAIL: iptables-legacy-save -t filter failed" in err, (rc, out, err)
    assert "NFQUEUE --queue-num 3" in ns.ok("iptables-legacy-save")
    assert not os.path.exists(bdir)


def test_without_verification_the_result_is_the_plan(ns, broot):
    """verify=False: no verification save, no listing; the result is still exactly the plan."""
    ns.ok("iptables-legacy -A FORWARD -p tcp --dport 1 -j ACCEPT; iptables-legacy -A FORWARD -j NFQUEUE; "
          "iptables-legacy -A FORWARD -p udp -j ACCEPT")
    _rr, plan = read_and_plan(ns)
    script = drop_apply.apply_script(plan, drop_apply.backup_dir(broot, stamp()), seconds=30, wait=True, verify=False)
    assert "post-0.rules" not in script and "@@KCRASH-VERIFY:ipt" not in script
    bdir, rc, out, err = apply(ns, plan, broot, verify=False)
    assert rc == 0, err
    assert drop_apply.split_verify(out) == {}
    assert [r[2] for r in rules_without_counters(ns, "iptables-legacy-save")] == [
        "-A FORWARD -p tcp -m tcp --dport 1 -j ACCEPT", "-A FORWARD -j DROP", "-A FORWARD -p udp -j ACCEPT"]
    assert posix_cksum("".join(l + "\n" for l in digest.digest_lines(
        ips.parse(ns.ok("iptables-legacy-save -t filter")).table_list[0].rule_texts, ["FORWARD"]))) == \
        plan["iptables"][0]["post_digest"]
    ns.sh(drop_apply.confirm_script(bdir, broot, 5))


def test_saved_file_rewritten_byte_for_byte(ns, broot, tmp_path):
    ns.ok("iptables-legacy -A FORWARD -p udp --dport 5000 -j NFQUEUE --queue-num 5")
    saved = tmp_path / "iptables"
    text = ("# Generated by iptables-save v1.4.7 on Tue Oct 31 11:00:00 2017\n*filter\n:INPUT ACCEPT [0:0]\n"
            ":FORWARD ACCEPT [10:20]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -p udp --dport 5000 -j NFQUEUE --queue-num 5\n"
            "-A FORWARD -m comment --comment \"keep \\\"me\\\"\" -j ACCEPT\nCOMMIT\n# Completed\n")
    saved.write_text(text)
    os.chmod(str(saved), 0o640)
    _rr, plan = read_and_plan(ns, saved={"/etc/sysconfig/iptables": text})
    (ch,) = plan["changes"]
    assert ch["persisted"] and ch["persisted_in"] == ["/etc/sysconfig/iptables"]
    plan["files"][0]["path"] = str(saved)
    bdir, rc, out, err = apply(ns, plan, broot)
    assert rc == 0, err
    ns.sh(drop_apply.confirm_script(bdir, broot, 5))
    assert saved.read_text() == text.replace("-p udp --dport 5000 -j NFQUEUE --queue-num 5", "-p udp --dport 5000 -j DROP")
    assert oct(os.stat(str(saved)).st_mode & 0o777) == "0o640"  # mode of the existing file kept
    # rollback puts the file back too
    assert ns.sh(drop_apply.rollback_script(broot))[0] == 0
    assert saved.read_text() == text


def test_retention_keeps_the_newest(ns, broot):
    for i in range(4):
        ns.ok("iptables-legacy -A FORWARD -j NFQUEUE --queue-num %d" % i)
        _rr, plan = read_and_plan(ns)
        bdir, rc, out, err = apply(ns, plan, broot)
        assert rc == 0, err
        assert ns.sh(drop_apply.confirm_script(bdir, broot, 2))[0] == 0
        time.sleep(1.1)
    assert len(os.listdir(broot)) == 2
    assert os.path.basename(bdir) in os.listdir(broot)


def test_verification_fallback_sends_the_table_when_the_digest_differs(ns, broot):
    """The host compares a digest; on a difference it sends the table and the controller
    analyses it (here the planned digest is tampered with, the result itself is right, so the
    listing proves it; then a listing that lacks the replacement is a problem)."""
    ns.ok("iptables-legacy -A FORWARD -p tcp --dport 1 -j ACCEPT; iptables-legacy -A FORWARD -j NFQUEUE")
    _rr, plan = read_and_plan(ns)
    plan["iptables"][0]["post_digest"] = "1 1"
    bdir, rc, out, err = apply(ns, plan, broot)
    assert rc == 0, err
    listings = drop_apply.split_verify(out)
    assert listings[("ipt", 0)] is not drop_verify.VERIFIED and "-A FORWARD -j DROP" in listings[("ipt", 0)]
    assert drop_verify.verify(plan, listings) == {"ok": True, "problems": [], "moved": []}
    bad = {("ipt", 0): listings[("ipt", 0)].replace("-A FORWARD -j DROP", "-A FORWARD -j NFQUEUE --queue-num 0")}
    v = drop_verify.verify(plan, bad)
    assert not v["ok"] and any("still there" in p for p in v["problems"])
    ns.sh(drop_apply.confirm_script(bdir, broot, 5))


def test_host_side_verification_marks_verified(ns, broot):
    ns.ok("iptables-nft -A FORWARD -j NFQUEUE --queue-num 2")
    _rr, plan = read_and_plan(ns)
    bdir, rc, out, err = apply(ns, plan, broot)
    assert rc == 0, err
    assert drop_apply.split_verify(out) == {("ipt", 0): drop_verify.VERIFIED}
    ns.sh(drop_apply.confirm_script(bdir, broot, 5))


def test_read_lists_native_nft_tables_and_leaves_iptables_nft_ones(ns):
    ns.ok("iptables-nft -A FORWARD -j NFQUEUE --queue-num 1")
    ns.ok("nft add table inet fw; nft add chain inet fw in '{ type filter hook input priority 0; }'; "
          "nft add rule inet fw in tcp dport 22 accept")
    rr, plan = read_and_plan(ns)
    assert "table inet fw {" in rr.nft_text and "tcp dport 22 accept # handle" in rr.nft_text
    assert "# kcrash: table ip filter is iptables-nft's" in rr.nft_text
    assert "NFQUEUE" not in rr.nft_text and "queue" not in rr.nft_text.replace("iptables-nft", "")
    assert [(c["backend"], c["chain"]) for c in plan["changes"]] == [("nft", "FORWARD")]


@pytest.mark.parametrize("flowtables", ["fails", "empty", "misses-iptables-nft-table", "real"])
def test_read_table_names_from_nft_list_flowtables_with_fallback(ns, tmp_path, flowtables):
    """The nft table names come from `nft list flowtables` (every table header, no rules
    fetched); when it fails, prints no table or misses a table iptables-nft printed, the read
    falls back to `nft list tables`. Either way the same tables are read."""
    ns.ok("iptables-nft -A FORWARD -j NFQUEUE --queue-num 1")
    ns.ok("nft add table inet fw; nft add chain inet fw in '{ type filter hook input priority 0; }'; "
          "nft add rule inet fw in tcp dport 22 accept")
    real = require_tool("nft", "nftables")
    log = tmp_path / "nft.log"
    wrapper = tmp_path / "bin" / "nft"
    wrapper.parent.mkdir()
    fake = {"fails": "exit 1", "empty": "exit 0", "misses-iptables-nft-table": "printf 'table inet fw {\\n}\\n'; exit 0",
            "real": 'exec %s "$@"' % real}[flowtables]
    wrapper.write_text("#!/bin/sh\necho \"$*\" >> %s\nif [ \"$*\" = 'list flowtables' ]; then %s; fi\nexec %s \"$@\"\n"
                       % (log, fake, real))
    wrapper.chmod(0o755)
    script, nonce = drop_read.read_script()
    rc, out, err = ns.sh("PATH=%s:$PATH; export PATH\n%s" % (wrapper.parent, script))
    assert rc == 0, err
    rr = drop_read.parse_read(out, nonce)
    assert "table inet fw {" in rr.nft_text and "tcp dport 22 accept # handle" in rr.nft_text
    assert "# kcrash: table ip filter is iptables-nft's" in rr.nft_text
    calls = log.read_text().splitlines()
    assert "list flowtables" in calls
    assert ("list tables" in calls) == (flowtables != "real")


def test_native_nft_transaction_machinery_live(ns, broot):
    """This kernel cannot load native queue statements (CONFIG_NFT_QUEUE unset), so the nft
    path of the apply script (backup by `nft list table`, `nft -c -f` + `nft -f` of
    `replace rule ... handle N`, verification listing, restore.sh's delete-and-reload, the
    watchdog) is run for real on a plan whose statement is an ordinary verdict."""
    ns.ok("nft add table inet fw; nft add chain inet fw fchain '{ type filter hook forward priority 0; }'; "
          "nft add rule inet fw fchain tcp dport 9 counter accept; nft add rule inet fw fchain udp dport 53 accept")
    rr, base = read_and_plan(ns)
    from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft as nftm
    rs = nftm.parse_text(rr.nft_text)
    r = rs.tables[0].chains["fchain"].rules[0]
    assert r.text.startswith("tcp dport 9 counter packets 0 bytes 0 accept")
    new = r.text.replace(" accept", " drop")
    change = {"family": "inet", "backend": "nftables", "table": "fw", "chain": "fchain", "position": 1,
              "handle": r.handle, "rule": r.text, "new_rule": new}
    plan = dict(base, changes=[change], iptables=[], files=[],
                nft={"text": "replace rule inet fw fchain handle %d %s\n" % (r.handle, new),
                     "tables": [("inet", "fw")], "count": 1})
    before = ns.ok("nft list table inet fw")
    bdir, rc, out, err = apply(ns, plan, broot, seconds=2)
    assert rc == 0, err
    assert drop_verify.verify(plan, drop_apply.split_verify(out))["ok"]
    assert "tcp dport 9 counter packets 0 bytes 0 drop" in ns.ok("nft list table inet fw")
    # not confirmed: the watchdog reloads the table from the backup
    deadline = time.time() + 30
    while time.time() < deadline and (not os.path.exists(os.path.join(bdir, "rolled-back"))
                                      or os.path.exists(os.path.join(bdir, "watchdog.pid"))):
        time.sleep(0.2)
    assert "restore.sh exit 0" in open(os.path.join(bdir, "watchdog.log")).read()
    assert ns.ok("nft list table inet fw") == before
