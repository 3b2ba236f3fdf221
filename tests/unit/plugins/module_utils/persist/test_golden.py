# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Golden files for every persistence back end: real sample files in, reviewed output out.

Fixtures and their sources: tests/unit/fixtures/persist/<backend>/SOURCES.md.
"""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils import persist
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import PersistError

import persist_golden as golden

# every back end in persist.BACKENDS has golden cases (a new back end brings its own)
BACKENDS = persist.names()
CASES = [(b,) + c for b in BACKENDS for c in golden.cases(b)]


@pytest.mark.parametrize("backend,key,text,case,info", CASES, ids=["%s/%s" % (c[0], c[1]) for c in CASES])
def test_golden(backend, key, text, case, info):
    mod = golden.backend(backend)
    if "refused" in case:
        with pytest.raises(PersistError) as e:
            mod.render(text, case["iface"], case["features"], info)
        assert case["refused"] in str(e.value)
        return
    out = mod.render(text, case["iface"], case["features"], info)
    with open(golden.expected_path(backend, key), encoding="utf-8", newline="") as f:
        assert out == f.read()
    # idempotent: a second render changes nothing and returns the very same text
    again = mod.render(out, case["iface"], case["features"], info if not info.get("template") else
                       dict(info, template=None))
    assert again == out
    # asking for a subset of what is already there changes nothing either
    assert mod.render(out, case["iface"], case["features"][:1], info) == out


@pytest.mark.parametrize("backend", BACKENDS)
def test_unsupported_feature_is_refused(backend):
    assert golden.cases(backend), "no golden cases for %s" % backend
    with pytest.raises(PersistError) as e:
        golden.backend(backend).render("", "eth0", ["lro", "rx"], {})
    assert "unsupported feature" in str(e.value)
