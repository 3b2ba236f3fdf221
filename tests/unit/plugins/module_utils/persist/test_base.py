# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""persist/base.py: the feature check, the text helpers, the Choice a back end returns."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import (
    Choice,
    PersistError,
    PersistUnclear,
    check_features,
    effective_files,
    ensure_trailing_newline,
    split_lines,
)


def test_check_features_canonical_order_and_refusal():
    assert check_features(["tso", "lro", "lro", "gro"]) == ["lro", "gro", "tso"]
    assert check_features("gso") == ["gso"]
    assert check_features([]) == []
    with pytest.raises(PersistError) as e:
        check_features(["lro", "rx", "sg", "rx"], "udev")
    assert str(e.value) == "udev back end: unsupported feature(s) rx, sg (supported: lro, gro, gso, tso)"
    assert e.value.backend == "udev" and e.value.path is None


def test_errors_name_backend_and_path():
    e = PersistUnclear("ifupdown", "/etc/network/interfaces", "line 3")
    assert isinstance(e, PersistError)
    assert str(e) == "ifupdown back end /etc/network/interfaces: line 3"


def test_text_helpers():
    assert "".join(split_lines("a\r\nb\nc")) == "a\r\nb\nc" and split_lines("a\nb") == ["a\n", "b"]
    assert ensure_trailing_newline("") == "" and ensure_trailing_newline("x") == "x\n"
    assert ensure_trailing_newline("x\n") == "x\n"
    files = {"/etc/d/a.link": "", "/lib/d/a.link": "", "/lib/d/b.link": "", "/lib/d/c.txt": "", "/lib/d/s/d.link": ""}
    assert effective_files(files, ("/etc/d", "/lib/d"), ".link") == {"a.link": "/etc/d/a.link", "b.link": "/lib/d/b.link"}


def test_choice_defaults():
    c = Choice("udev", "/etc/x", "why")
    assert (c.backend, c.path, c.reason, c.kind, c.uuid, c.info) == ("udev", "/etc/x", "why", "file", None, {})
    assert Choice("nm", None, "r", kind="nmcli", uuid="u", info={"a": 1}).info == {"a": 1}
