# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""drop/digest.py: the controller's digest of the affected chains equals what the host's
``grep -F | cut | cksum`` prints."""

import importlib.util
import os
import subprocess

from hypothesis import given, settings, strategies as st

from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save as ips
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import digest
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import posix_cksum

from .drop_rules import HERE, table


# the dump strategies of the parser's tests
_spec = importlib.util.spec_from_file_location("kc_test_iptables_save", os.path.join(HERE, "..", "test_iptables_save.py"))
TIS = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(TIS)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_fast_cksum_equals_reference_and_real_cksum(data):
    assert posix_cksum(data) == posix_cksum(data)
    real = subprocess.run(["cksum"], input=data, capture_output=True, check=False).stdout.decode().split()
    assert posix_cksum(data).split() == real[:2]


@settings(max_examples=300, deadline=None)
@given(TIS.grouped_dumps(), st.data())
def test_digest_ranges_give_the_lines_grep_gives(text, data):
    rs = ips.parse(text)
    for t in rs.table_list:
        names = sorted(set(t.chains) | set(ips.BUILTIN_CHAINS.get(t.name, ())))
        chains = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
        want = digest.digest_lines(t.rule_texts, chains)
        assert digest.digest_text(t.rule_texts, chains, digest.digest_ranges(t.rule_texts, chains)) == (
            "\n".join(want) + "\n" if want else "")


def test_digest_mimics_grep_cut_on_a_real_counter_save():
    """The controller's digest is what `grep -F -e '] -A C' | cut -d ' ' -f 2- | cksum` prints
    on the -c save of the same rules (prefix-named chains and a quoted needle included)."""
    text = table(["-A FORWARD -p tcp -j ACCEPT", "-A FORWARDX -j DROP",
                  '-A INPUT -m comment --comment "x] -A FORWARD y" -j ACCEPT', "-A FORWARD -j NFQUEUE"],
                 extra=("FORWARDX",))
    counted = "".join(("[1:2] " + l if l.startswith("-A ") else l) + "\n" for l in text.splitlines())
    t = ips.parse(text).tables["filter"]
    cmd = digest.digest_command(["FORWARD"], "/dev/stdin")
    real = subprocess.run(["sh", "-c", cmd], input=counted.encode(), capture_output=True, check=True).stdout.decode().strip()
    assert real == digest.chain_digest(t, ["FORWARD"])
    assert len(digest.digest_lines(t.rule_texts, ["FORWARD"])) == 4
