# -*- coding: utf-8 -*-
import copy

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.report_merge import merge


def row(host, outcome, level="exposed", actions=("offload",)):
    return {"host": host, "outcome": outcome, "level_before": level, "level_after": None,
            "actions": list(actions), "strategy": "auto", "results": {}}


def report(generated, rows, mode="check"):
    return {"report": "kcrash.nfqueue remediation", "mode": mode, "generated": generated, "hosts": rows}


def test_disjoint_slices_give_every_host_and_recomputed_counts():
    m = merge([report("2026-12-06 01:00:00 UTC", [row("a", "drift"), row("c", "compliant", "not_exposed", ())]),
               report("2026-12-06 01:00:01 UTC", [row("b", "drift")])], ["s1.json", "s2.json"])
    assert [r["host"] for r in m["hosts"]] == ["a", "b", "c"]   # report order: worst outcome first
    assert m["outcomes"] == {"drift": 2, "compliant": 1} and m["drift"] == 2 and m["hosts_total"] == 3
    assert m["levels_before"] == {"exposed": 2, "not_exposed": 1}
    assert m["conflicts"] == [] and m["generated"] == "2026-12-06 01:00:01 UTC"
    assert [s["source"] for s in m["merged_from"]] == ["s1.json", "s2.json"]


def test_newest_answer_wins_and_the_disagreement_is_flagged():
    old = report("2026-12-06 01:00:00 UTC", [row("a", "drift")])
    new = report("2026-12-06 02:00:00 UTC", [row("a", "compliant", "not_exposed", ())])
    for inputs, names in (([old, new], ["old", "new"]), ([new, old], ["new", "old"])):
        m = merge(inputs, names)
        assert m["hosts"][0]["outcome"] == "compliant"
        assert m["conflicts"][0]["host"] == "a" and m["conflicts"][0]["kept"] == "new"
        assert sorted(a["outcome"] for a in m["conflicts"][0]["answers"]) == ["compliant", "drift"]


def test_same_answer_twice_is_no_conflict_and_modes_are_kept_apart():
    m = merge([report("t1", [row("a", "drift")]), report("t2", [row("a", "drift")])])
    assert m["conflicts"] == [] and m["hosts_total"] == 1
    m = merge([report("t1", [row("a", "drift")]), report("t2", [row("b", "remediated")], mode="apply")])
    assert m["mode"] == "mixed" and m["drift"] is None


def test_inputs_are_not_modified():
    inputs = [report("t1", [row("a", "drift")]), report("t2", [row("a", "compliant")])]
    before = copy.deepcopy(inputs)
    merge(inputs)
    assert inputs == before


@pytest.mark.parametrize("reports", [[], [{}], [report("t", [{"outcome": "drift"}])],
                                     [dict(report("t", []), mode="sometimes")]])
def test_bad_inputs(reports):
    with pytest.raises(KcrashInputError):
        merge(reports)
