# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters run through a real ansible-playbook (templating), on recorded outputs."""

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.kcrash.nfqueue.plugins.filter import detection

from conftest import COLLECTIONS, CORPUS, FIXTURES, REPO

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.copy:
        dest: "{{ out }}"
        content: "{{ {
          'eth': lookup('file', eth) | kcrash.nfqueue.ethtool_features(true),
          'ipt': lookup('file', ipt) | kcrash.nfqueue.nfqueue_rules,
          'nftj': lookup('file', nftj) | kcrash.nfqueue.nfqueue_rules,
          'oops': lookup('file', oops) | kcrash.nfqueue.oops_signature,
          'kv': '2.6.32-358.el6.x86_64' | kcrash.nfqueue.kernel_verdict,
          'rep': {'h1': None} | kcrash.nfqueue.fleet_report | kcrash.nfqueue.fleet_report_summary,
        } | to_json }}"
"""


def test_filters_in_a_real_play(tmp_path):
    if not os.path.exists(ANSIBLE_PLAYBOOK):
        pytest.skip("ansible-playbook missing")
    (tmp_path / "p.yml").write_text(PLAY)
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    saved = tmp_path / "saved"
    saved.write_text(open(os.path.join(REPO, "lab", "images", "incident", "overlay", "etc", "sysconfig", "iptables")).read())
    ev = {
        "out": str(tmp_path / "out.json"),
        "eth": os.path.join(FIXTURES, "ethtool", "el6_offload-hyphen_reconstructed.txt"),
        "ipt": str(saved),
        "nftj": os.path.join(CORPUS, "nft", "n02_nftables-testsuite_single_flag.json"),
        "oops": os.path.join(REPO, "lab", "images", "incident", "overlay", "usr", "local", "share", "kcrash-lab",
                             "vmcore-dmesg.txt"),
    }
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="false")
    p = subprocess.run([ANSIBLE_PLAYBOOK, str(tmp_path / "p.yml"), "-e", json.dumps(ev)], capture_output=True, env=env,
                       timeout=300, check=False)
    assert p.returncode == 0, p.stdout.decode()[-3000:]
    d = json.loads((tmp_path / "out.json").read_text())
    assert d["eth"]["lro"]["active"] is True
    assert [(r["table"], r["chain"], r["queue"]["num"]) for r in d["ipt"]] == [("mangle", "PREROUTING", 0)]
    assert [r["statement"] for r in d["nftj"]] == ["queue flags bypass,fanout to 1-10"]
    assert "rip-nf_queue+0x98" in [h["signature"] for h in d["oops"]]
    assert d["kv"]["family"] == "el6" and d["kv"]["code_vulnerable"] is True
    assert d["rep"][0] == "1 hosts: exposed 0, at_risk 0, not_exposed 0, not_run 1"


@pytest.mark.parametrize("text,fmt", [
    ("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", "iptables-save"),
    ("table inet t {\n}\n", "nft"),
    ('{"nftables": []}', "nft-json"),
    ("# only a comment\n", "iptables-save"),
])
def test_detect_format(text, fmt):
    assert detection.detect_format(text) == fmt


def test_filter_errors_are_ansible_errors():
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError):
        detection.ethtool_features("garbage")
    with pytest.raises(AnsibleFilterError):
        detection.nfqueue_rules(42)
    with pytest.raises(AnsibleFilterError):
        detection.kernel_verdict("not a release!")
