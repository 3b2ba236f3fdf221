# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nfqueue_target action run by a real ansible-playbook (local connection) inside a
throwaway network namespace with real iptables: check mode, apply, idempotence, refusal,
rollback and bad input. Backups go to a temp dir; no saved file of this machine is touched
(persist is off: the namespace shares the machine's /etc)."""

import json
import os
import subprocess
import uuid

import pytest

from conftest import ANSIBLE_PLAYBOOK, require_tool, run_play_json

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists(ANSIBLE_PLAYBOOK),
    reason="needs root (ip netns) and ansible-playbook next to this python",
)


@pytest.fixture(autouse=True)
def _real_tools():
    require_tool("ip", "iproute2")
    require_tool("iptables-legacy", "iptables")


@pytest.fixture
def ns():
    name = "fw-test-act-%s" % uuid.uuid4().hex[:6]
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield name
    subprocess.run(["ip", "netns", "del", name], check=False)


def sh(ns, script):
    p = subprocess.run(["ip", "netns", "exec", ns, "/bin/sh", "-c", script], capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stderr
    return p.stdout


def play(ns, tmp_path, args, check=False, diff=False):
    args = dict({"backup_root": str(tmp_path / "backups"), "persist": False}, **args)
    extra = (["--check"] if check else []) + (["--diff"] if diff else [])
    rc, out = run_play_json(tmp_path, [{"name": "drop", "kcrash.nfqueue.nfqueue_target": args}], extra=extra,
                            wrap=["ip", "netns", "exec", ns])
    return rc, out["plays"][0]["tasks"][0]["hosts"]["testhost"]


def forward(ns, tool="iptables-legacy-save"):
    return [line for line in sh(ns, tool).splitlines() if line.startswith("-A ")]


def test_check_apply_idempotence_rollback(ns, tmp_path):
    sh(ns, "iptables-legacy -A FORWARD -p tcp --dport 1 -j ACCEPT; "
           "iptables-legacy -A FORWARD -j NFQUEUE --queue-balance 0:1 --queue-bypass; "
           "ip6tables-nft -A FORWARD -p udp -j NFQUEUE --queue-num 4")
    before = forward(ns)
    rc, res = play(ns, tmp_path, {}, check=True, diff=True)
    assert rc == 0, res
    assert res["changed"] and res["round_trips"] == 1 and "backup_dir" not in res
    assert [(c["backend"], c["family"], c["chain"], c["position"]) for c in res["changes"]] == [
        ("legacy", "ipv4", "FORWARD", 2), ("nft", "ipv6", "FORWARD", 1)]
    assert res["diff"][0]["before"] == "-A FORWARD -j NFQUEUE --queue-balance 0:1 --queue-bypass\n"
    assert res["diff"][0]["after"] == "-A FORWARD -j DROP\n"
    assert forward(ns) == before  # check mode changed nothing

    rc, res = play(ns, tmp_path, {})
    assert rc == 0, res
    assert res["changed"] and res["round_trips"] == 3 and res["watchdog"]["confirmed"]
    # verify is off by default: nothing compared after the restores, and said so
    assert res["verify"] == {"checked": False, "ok": None, "problems": [], "moved": []}
    assert forward(ns) == ["-A FORWARD -p tcp -m tcp --dport 1 -j ACCEPT", "-A FORWARD -j DROP"]
    assert forward(ns, "ip6tables-nft-save") == ["-A FORWARD -p udp -j DROP"]
    assert all(c["persisted"] is False and c["persist_reason"] for c in res["changes"])
    assert os.path.exists(os.path.join(res["backup_dir"], "confirmed"))
    first_backup = res["backup_dir"]

    rc, res = play(ns, tmp_path, {})
    assert rc == 0 and not res["changed"] and res["round_trips"] == 1

    rc, res = play(ns, tmp_path, {"rollback": "latest"}, check=True)
    assert rc == 0 and res["changed"] and "would restore" in res["msg"]
    rc, res = play(ns, tmp_path, {"rollback": "latest"})
    assert rc == 0 and res["changed"], res
    assert forward(ns) == before
    assert res["backup_dir"] == first_backup

    # verify: true compares the changed tables after the restores (on the host, by digest)
    rc, res = play(ns, tmp_path, {"verify": True})
    assert rc == 0, res
    assert res["changed"] and res["verify"] == {"checked": True, "ok": True, "problems": [], "moved": []}
    assert forward(ns) == ["-A FORWARD -p tcp -m tcp --dport 1 -j ACCEPT", "-A FORWARD -j DROP"]
    rc, res = play(ns, tmp_path, {"rollback": "latest"})
    assert rc == 0 and forward(ns) == before
    assert forward(ns, "ip6tables-nft-save") == ["-A FORWARD -p udp -j NFQUEUE --queue-num 4"]


def test_refused_rule_fails_the_host_and_changes_nothing(ns, tmp_path):
    sh(ns, "iptables-legacy -A INPUT -j NFQUEUE; iptables-legacy -A FORWARD -j NFQUEUE")
    rc, res = play(ns, tmp_path, {})
    assert rc != 0 and res["failed"] and not res["changed"]
    assert "refused" in res["msg"] and "lockout guard" in res["msg"]
    assert sum("NFQUEUE" in line for line in forward(ns)) == 2
    rc, res = play(ns, tmp_path, {"on_refused": "skip"})
    assert rc == 0 and res["changed"] and len(res["refused"]) == 1
    assert forward(ns) == ["-A INPUT -j NFQUEUE --queue-num 0", "-A FORWARD -j DROP"]


@pytest.mark.parametrize("args,words", [
    ({"target": "QUEUE"}, "target"),
    ({"comment_regex": "("}, "comment_regex"),
    ({"watchdog_timeout": 1}, "watchdog_timeout"),
    ({"backup_root": "relative/dir"}, "backup_root"),
    ({"rollback": "../etc"}, "stamp"),
])
def test_bad_input_is_a_clean_message(ns, tmp_path, args, words):
    rc, res = play(ns, tmp_path, args)
    assert rc != 0 and res["failed"] and words in res["msg"]
    assert "Traceback" not in json.dumps(res)
