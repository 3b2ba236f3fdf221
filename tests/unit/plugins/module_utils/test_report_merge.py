# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import copy

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.report_merge import merge

from report_docs import check_report

HOSTS = {"web1": "incident", "db1": "clean", "ips1": "modern", "edge1": "bare"}
RUN_METADATA = ("generated", "run", "merged_from", "conflicts")


def strip(rep):
    return dict((k, v) for k, v in rep.items() if k not in RUN_METADATA)


def test_disjoint_slices_merge_to_the_whole():
    whole = check_report(HOSTS)
    slices = [check_report(dict((h, HOSTS[h]) for h in part)) for part in (["web1", "ips1"], ["db1", "edge1"])]
    m = merge(slices, ["s1.json", "s2.json"])
    assert m["conflicts"] == [] and strip(m) == strip(whole)
    assert [s["source"] for s in m["merged_from"]] == ["s1.json", "s2.json"]


def test_newest_answer_wins_and_the_disagreement_is_flagged():
    old = check_report({"web1": "incident"}, answered_at="2026-12-06T01:00:00Z")
    new = check_report({"web1": "clean"}, answered_at="2026-12-06T02:00:00Z", generated="2026-12-06T00:00:00Z")
    for inputs, names in (([old, new], ["old", "new"]), ([new, old], ["new", "old"])):
        m = merge(inputs, names)
        assert m["hosts"][0]["outcome"] == "compliant"     # newest answered_at, not newest file
        assert m["counts"]["outcome"] == {"compliant": 1} and m["drift"] == 0
        (c,) = m["conflicts"]
        assert c["host"] == "web1" and c["kept"] == "new"
        assert [a["outcome"] for a in c["answers"]] == ["drift", "compliant"]


def test_same_answer_twice_is_no_conflict():
    a = check_report({"web1": "incident"}, answered_at="2026-12-06T01:00:00Z")
    b = check_report({"web1": "incident"}, answered_at="2026-12-06T01:05:00Z")
    m = merge([a, b])
    assert m["conflicts"] == [] and m["total"] == 1 and m["hosts"][0]["answered_at"] == "2026-12-06T01:05:00Z"


def test_inputs_are_not_modified():
    inputs = [check_report({"web1": "incident"}), check_report({"web1": "clean"})]
    before = copy.deepcopy(inputs)
    merge(inputs)
    assert inputs == before


def test_kinds_and_modes_are_not_mixed():
    a = check_report({"web1": "incident"})
    with pytest.raises(KcrashInputError) as e:
        merge([a, dict(a, mode="apply")])
    assert "one kind and mode" in str(e.value)


@pytest.mark.parametrize("reports", [[], [{}], [dict(check_report({"a": "clean"}), schema="kcrash.nfqueue/report/v0")],
                                     [dict(check_report({"a": "clean"}), hosts=[{"outcome": "drift"}])]])
def test_bad_inputs(reports):
    with pytest.raises(KcrashInputError):
        merge(reports)
