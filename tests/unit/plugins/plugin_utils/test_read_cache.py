# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugin_utils/read_cache.py: answers kept on the controller, referenced from facts."""

import os
import stat
import time

import pytest

from ansible_collections.kcrash.nfqueue.plugins.plugin_utils import read_cache


def _vars(ref, kind="offload", under_facts=False):
    refs = {kind: ref}
    return {"ansible_facts": {read_cache.FACT: refs}} if under_facts else {read_cache.FACT: refs}


def test_store_then_load_gives_the_answer_back(tmp_path):
    ref = read_cache.store("web1", "offload", "abc123", "answer\ntext", extra={"walk": ["t", "m"]},
                           root=str(tmp_path))
    assert set(ref) == {"id", "kind", "taken"} and ref["kind"] == "offload"
    path = tmp_path / "kcrash-reads" / (ref["id"] + ".json")
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(str(tmp_path / "kcrash-reads")).st_mode) == 0o700
    for under_facts in (False, True):
        kept, why = read_cache.load(_vars(ref, under_facts=under_facts), "web1", "offload", 60, root=str(tmp_path))
        assert why is None and 0 <= kept.pop("age") < 60
        assert kept == {"nonce": "abc123", "stdout": "answer\ntext", "extra": {"walk": ["t", "m"]}}


def test_the_answer_is_bound_to_its_host_and_kind(tmp_path):
    ref = read_cache.store("web1", "offload", "n", "x", root=str(tmp_path))
    kept, why = read_cache.load(_vars(ref), "web2", "offload", 60, root=str(tmp_path))
    assert kept is None and "another host" in why
    # a reference filed under another kind is refused too
    assert read_cache.load(_vars(ref, kind="drop"), "web1", "drop", 60, root=str(tmp_path))[0] is None


def test_too_old_an_answer_is_not_used(tmp_path):
    ref = read_cache.store("web1", "probe", "n", "x", root=str(tmp_path))
    time.sleep(0.05)
    kept, why = read_cache.load(_vars(ref, "probe"), "web1", "probe", 0, root=str(tmp_path))
    assert kept is None and "old" in why


def test_missing_or_forged_reference(tmp_path):
    assert "no offload read" in read_cache.load({}, "web1", "offload", 60, root=str(tmp_path))[1]
    forged = {"id": "../../etc/passwd", "kind": "offload", "taken": 0}
    kept, why = read_cache.load(_vars(forged), "web1", "offload", 60, root=str(tmp_path))
    assert kept is None and "not available" in why
    gone = {"id": "0" * 32, "kind": "offload", "taken": 0}
    assert read_cache.load(_vars(gone), "web1", "offload", 60, root=str(tmp_path))[0] is None


def test_discard_removes_the_file_and_the_reference(tmp_path):
    a = read_cache.store("web1", "offload", "n", "x", root=str(tmp_path))
    b = read_cache.store("web1", "probe", "n", "y", root=str(tmp_path))
    tv = {read_cache.FACT: {"offload": a, "probe": b}}
    left = read_cache.discard(tv, "offload", root=str(tmp_path))
    assert left == {"probe": b}
    assert not (tmp_path / "kcrash-reads" / (a["id"] + ".json")).exists()
    assert (tmp_path / "kcrash-reads" / (b["id"] + ".json")).exists()
    assert tv[read_cache.FACT] == {"offload": a, "probe": b}, "the caller's facts are not mutated"
    assert read_cache.discard(tv, "drop", root=str(tmp_path)) == {"offload": a, "probe": b}


def test_unknown_kind_is_refused(tmp_path):
    with pytest.raises(ValueError):
        read_cache.store("web1", "kernel", "n", "x", root=str(tmp_path))


def test_take_uses_an_answer_once_in_a_real_run_and_keeps_it_in_check_mode(tmp_path):
    ref = read_cache.store("web1", "drop", "n", "x", root=str(tmp_path))
    tv = _vars(ref, "drop")
    kept, read, refs = read_cache.take(tv, "web1", "drop", 60, True, root=str(tmp_path))
    assert kept["stdout"] == "x" and read["source"] == "detection trip" and refs == {"drop": ref}
    kept, read, refs = read_cache.take(tv, "web1", "drop", 60, False, root=str(tmp_path))
    assert kept["stdout"] == "x" and refs == {}
    assert not (tmp_path / "kcrash-reads" / (ref["id"] + ".json")).exists()
    kept, read, refs = read_cache.take(tv, "web1", "drop", 60, False, root=str(tmp_path))
    assert kept is None and read["source"] == "own trip" and "not available" in read["why"]
