# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""persist/__init__.py: every module in BACKENDS has the back-end interface, and the read,
the planner and the detection probe are driven by BACKENDS (a back end added to the list is
read, chosen and rendered without touching them)."""

import types

import pytest

from ansible_collections.kcrash.nfqueue.plugins.action.offload import ARGSPEC
from ansible_collections.kcrash.nfqueue.plugins.module_utils import persist, probe
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import plan as P
from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import read as R
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import Choice, PersistError

ATTRIBUTES = ("NAME", "GLOBS", "DETECT_GLOBS", "PROBE", "FILE_MODE", "SECRETS", "read_script", "parse_read")
FUNCTIONS = ("owns", "choose", "render")

LRO_ON = "Features for eth0:\nlarge-receive-offload: on\n"


@pytest.mark.parametrize("backend", persist.BACKENDS, ids=persist.names())
def test_every_backend_has_the_interface(backend):
    for name in ATTRIBUTES:
        assert hasattr(backend, name), "%s lacks %s" % (backend.__name__, name)
    for name in FUNCTIONS:
        assert callable(getattr(backend, name)), "%s.%s" % (backend.__name__, name)
    assert (backend.read_script is None) == (backend.parse_read is None)
    assert backend.GLOBS and all(g.startswith("/") for g in backend.GLOBS + backend.DETECT_GLOBS)
    assert all(isinstance(line, str) for line in backend.PROBE)
    assert backend.FILE_MODE in ("0600", "0644")
    # every file it reads is its own, and no other back end claims it
    for g in backend.GLOBS:
        path = g.replace("*", "x")
        assert backend.owns(path), (backend.NAME, path)
        assert [b.NAME for b in persist.BACKENDS if b.owns(path)] == [backend.NAME], path


def test_names_are_unique_and_the_option_choices_follow():
    assert len(set(persist.names())) == len(persist.BACKENDS)
    assert ARGSPEC["backend"]["choices"] == ["auto"] + list(persist.names())


def test_probe_and_read_take_their_files_from_the_backends():
    for b in persist.BACKENDS:
        assert set(b.DETECT_GLOBS) <= set(probe.PERSIST_GLOBS), b.NAME
        assert set(b.GLOBS) <= set(R.config_globs()), b.NAME
    assert set(persist.HAND_WRITTEN_GLOBS) <= set(probe.PERSIST_GLOBS)


def _read(files=None, managers=None):
    return {"raw": {"eth0": {"name": "eth0", "attrs": {"type": "1"}, "ethtool_k": LRO_ON, "ethtool_rc": 0}},
            "interfaces": {"eth0": {"kind": "physical", "driver": "ixgbe", "lower": []}},
            "no_ethtool": False, "managers": dict({"ethtool_path": "/sbin/ethtool"}, **(managers or {})),
            "macs": {"eth0": "90:e2:ba:4c:1a:30"}, "files": files or {}, "unreadable": {}, "nm": None}


def fake_backend(name="fake", path="/etc/fake/eth0.conf"):
    """A whole back end in a few lines: it persists every interface into one file."""
    mod = types.ModuleType("fake_backend")
    mod.NAME = name
    mod.GLOBS = ("/etc/fake/*.conf",)
    mod.DETECT_GLOBS = mod.GLOBS
    mod.PROBE = ("[ -d /etc/fake ] && kc_kv fake_present 1",)
    mod.FILE_MODE = "0644"
    mod.SECRETS = False
    mod.read_script = None
    mod.parse_read = None
    mod.owns = lambda p: p.startswith("/etc/fake/")
    mod.choose = lambda read, iface, forced: (Choice(name, path, "fake manages %s" % iface)
                                              if forced or read["managers"].get("fake_present") else None)
    mod.render = lambda text, iface, feats, info: text + "%s %s\n" % (iface, " ".join(feats))
    return mod


def test_a_backend_added_to_the_list_is_read_chosen_and_rendered(monkeypatch):
    fake = fake_backend()
    monkeypatch.setattr(persist, "BACKENDS", (fake,) + persist.BACKENDS)
    # read: its probe line and its files are in the read script
    script, _nonce = R.build_read_script()
    assert "kc_kv fake_present 1" in script and "/etc/fake/*.conf" in script
    # plan: first in the list, so chosen ahead of everything else, and rendered
    p = P.plan(_read({"/etc/fake/eth0.conf": "# mine\n"}, {"fake_present": "1", "udevadm": "1"}), ["lro"])
    assert not p["errors"], p["errors"]
    assert p["interfaces"]["eth0"]["persist"]["backend"] == "fake"
    [ch] = p["changes"]
    assert ch.path == "/etc/fake/eth0.conf" and ch.content == "# mine\neth0 lro\n"
    # forced by name, the option value is accepted because it is in the list
    p = P.plan(_read({}, {}), ["lro"], backend="fake")
    assert p["interfaces"]["eth0"]["persist"]["backend"] == "fake"
    # not present: the next back end in the list (udev here) takes over
    p = P.plan(_read({}, {"udevadm": "1"}), ["lro"])
    assert p["interfaces"]["eth0"]["persist"]["backend"] == "udev"


def test_an_unreadable_file_of_a_backend_stops_the_plan(monkeypatch):
    fake = fake_backend()
    monkeypatch.setattr(persist, "BACKENDS", (fake,) + persist.BACKENDS)
    read = _read({}, {"fake_present": "1"})
    read["unreadable"] = {"/etc/fake/eth0.conf": "permission denied"}
    with pytest.raises(PersistError) as e:
        P.choose_backend(read, "eth0")
    assert "/etc/fake/eth0.conf" in str(e.value) and "permission denied" in str(e.value)
    p = P.plan(read, ["lro"])
    assert p["errors"] and not p["changes"]


def test_unknown_backend_name_is_refused():
    with pytest.raises(KcrashInputError):
        P.plan(_read(), ["lro"], backend="fake")
