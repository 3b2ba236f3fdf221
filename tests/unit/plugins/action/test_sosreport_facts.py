# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sosreport_facts action (plugins/action/sosreport_facts.py) run by ansible-playbook on
sosreport trees written here: what it reads, its label, its failures. The assessment itself
(module_utils/sosreport.py, the lab incident's tree) is tested in
tests/unit/plugins/module_utils/test_sosreport.py."""

import os

from conftest import run_play_json

UNAME = "Linux web49 2.6.32-358.el6.x86_64 #1 SMP Tue Jan 29 11:47:41 EST 2013 x86_64 x86_64 x86_64 GNU/Linux\n"
SAVE = "*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 80 -j NFQUEUE --queue-num 0\nCOMMIT\n"


def _write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def _results(out):
    return dict((t["task"]["name"], t["hosts"]["testhost"]) for t in out["plays"][0]["tasks"])


def test_sosreport_facts_action(tmp_path):
    root = str(tmp_path / "sosreport-web49-2017-10-31")
    _write(root, "uname", UNAME)
    _write(root, "sos_commands/networking/iptables-save", SAVE)
    _write(root, "sos_commands/networking/unrelated_big_file", "x" * 1000)
    outside = _write(str(tmp_path / "elsewhere"), "ip6tables-save", SAVE)
    os.symlink(outside, os.path.join(root, "sos_commands", "networking", "ip6tables-save"))
    truncated = str(tmp_path / "sosreport-truncated")
    _write(truncated, "uname", UNAME)
    _write(truncated, "sos_commands/networking/iptables-save", SAVE.replace("COMMIT\n", ""))
    (tmp_path / "run").mkdir()
    rc, out = run_play_json(tmp_path / "run", [
        {"name": "read", "kcrash.nfqueue.sosreport_facts": {"path": root}},
        {"name": "labelled", "kcrash.nfqueue.sosreport_facts": {"path": root, "name": "web49"}},
        {"name": "not a directory", "kcrash.nfqueue.sosreport_facts": {"path": os.path.join(root, "uname")},
         "ignore_errors": True},
        {"name": "truncated, strict", "kcrash.nfqueue.sosreport_facts": {"path": truncated, "partial": False},
         "ignore_errors": True},
        {"name": "truncated, partial", "kcrash.nfqueue.sosreport_facts": {"path": truncated}},
        {"name": "no path", "kcrash.nfqueue.sosreport_facts": {"name": "x"}, "ignore_errors": True},
    ])
    assert rc == 0
    res = _results(out)

    read = res["read"]
    assert not read.get("failed") and read["changed"] is False
    assert read["name"] == "sosreport-web49-2017-10-31"          # the directory's name by default
    facts = read["kcrash_nfqueue"]
    assert read["ansible_facts"]["kcrash_nfqueue"] == facts
    # uname and iptables-save: the unrelated file and the symlink out of the tree are not read
    assert facts["probe"]["files_read"] == 2 and facts["probe"]["path"] == root
    assert [(r["table"], r["chain"]) for r in facts["nfqueue_rules"]] == [("mangle", "PREROUTING")]
    assert read["exposure"] == facts["exposure"]["level"]
    assert read["msg"] == "sosreport-web49-2017-10-31: %s" % read["exposure"]
    # no ethtool output: LRO is unknown, so the verdict cannot be lower than unknown
    assert read["exposure"] in ("unknown", "at_risk", "exposed")

    assert res["labelled"]["name"] == "web49" and res["labelled"]["msg"].startswith("web49: ")

    bad = res["not a directory"]
    assert bad["failed"] is True and bad["msg"] == "sosreport %s: not a directory" % os.path.join(root, "uname")

    strict = res["truncated, strict"]
    assert strict["failed"] is True and strict["name"] == "sosreport-truncated"
    assert strict["msg"].startswith("sosreport %s: " % truncated) and "COMMIT" in strict["msg"]
    assert res["truncated, partial"]["partial"] is True

    assert res["no path"]["failed"] is True and "path" in res["no path"]["msg"]
