# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Golden-case loader shared by the persist tests (not a test module itself)."""

import importlib
import json
import os

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "persist")
FIX = os.path.abspath(FIX)


def backend(name):
    return importlib.import_module(
        "ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.%s" % name)


def read(*parts):
    with open(os.path.join(FIX, *parts), encoding="utf-8", newline="") as f:
        return f.read()


def cases(name):
    with open(os.path.join(FIX, name, "cases.json"), encoding="utf-8") as f:
        data = json.load(f)
    out = []
    for key, case in sorted(data.items()):
        inp = case.get("input", key)
        if inp is None:
            text = ""
        else:
            fname = inp if "." in inp and not inp.endswith(".in") and os.path.exists(os.path.join(FIX, name, inp)) else (
                inp if inp.endswith(".in") else inp + ".in")
            text = read(name, fname)
        info = dict(case.get("host_info", {}))
        if "template_file" in info:
            info["template"] = read(name, info.pop("template_file"))
        out.append((key, text, case, info))
    return out


def link_match_cases():
    """networkd/match-cases.json: {case: {match or file, systemd_252, planner, why}}."""
    data = json.loads(read("networkd", "match-cases.json"))
    data.pop("_about")
    return data


def link_match_text(case):
    """The whole .link file of a match case."""
    return case.get("file") or "[Match]\n%s\n\n[Link]\nDescription=x\n" % case["match"]


def expected_path(name, key):
    return os.path.join(FIX, name, key + ".expected")


# What ethtool -K does with its arguments: <name> on|off pairs, the last one of a name wins,
# any value other than on/off makes ethtool refuse the whole command. Names as ethtool's
# off_flag_def table spells them (short, long) plus the kernel feature strings.
ETHTOOL_NAMES = {
    "lro": {"lro", "large-receive-offload", "rx-lro"},
    "gro": {"gro", "generic-receive-offload", "rx-gro"},
    "gso": {"gso", "generic-segmentation-offload", "tx-generic-segmentation"},
    "tso": {"tso", "tcp-segmentation-offload"},
}


def applied_state(commands, iface):
    """{feature: "on"|"off"} after ethtool ran ``commands`` (argv lists) in order."""
    state = {}
    for c in commands:
        if len(c) < 2 or c[0] not in ("-K", "--offload", "--features") or c[1] != iface:
            continue
        pairs = c[2:]
        if len(pairs) % 2 or any(v not in ("on", "off") for v in pairs[1::2]):
            continue  # ethtool rejects the command: nothing applied
        for name, value in zip(pairs[::2], pairs[1::2]):
            for f, names in ETHTOOL_NAMES.items():
                if name in names:
                    state[f] = value
    return state
