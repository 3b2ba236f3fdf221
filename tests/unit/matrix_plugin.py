# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest plugin of scripts/matrix.sh (``-p matrix_plugin``), not loaded by the unit gate.

Per ansible-core version the matrix runs the unit tests that go through ansible-core, less
those that start lab containers: the matrix's live step runs the same playbooks on fresh lab
hosts for that version, and the unit gate runs every test under the .venv's version. They are
deselected (reported as such), not skipped.

scripts/fresh-check.sh loads it too: its bare Debian 12 container has no lab images (the
lab-build gate builds them on the CI machine, where the unit gate runs these tests)."""

import inspect

# the fixtures that start lab containers, and a lab image run directly
LAB_CALLS = ("lab_hosts(", "run_on_lab_host(", "ssh_lab_hosts(", "localhost/kcrash-lab/")


def _source(func):
    try:
        return inspect.getsource(func)
    except (OSError, TypeError):
        return ""


def starts_lab_containers(item):
    funcs = [getattr(item, "function", None)]
    fixtureinfo = getattr(item, "_fixtureinfo", None)
    if fixtureinfo is not None:
        for defs in fixtureinfo.name2fixturedefs.values():
            funcs += [d.func for d in defs]
    return any(call in _source(f) for f in funcs if f is not None for call in LAB_CALLS)


def pytest_collection_modifyitems(config, items):
    lab = [i for i in items if starts_lab_containers(i)]
    if lab:
        config.hook.pytest_deselected(items=lab)
        items[:] = [i for i in items if i not in lab]
