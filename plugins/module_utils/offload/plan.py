# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Strategy "offload", plan stage: turn LRO (and optionally GRO/GSO/TSO) off now and across
reboots. Pure: decides from what the read stage parsed (offload/read.py) which interfaces
change at runtime, which persistence back end carries each (the first of
``persist.BACKENDS`` whose ``choose`` answers, see :func:`choose_backend`), and what each
file becomes (the back end's ``render``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool, netdev
from ansible_collections.kcrash.nfqueue.plugins.module_utils import persist as persistence
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import (
    KcrashInputError,
    KcrashParseError,
)
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import nm
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import (
    PersistError,
    PersistUnclear,
    check_features,
)
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import (
    FileChange,
    posix_cksum,
    validate_ifname,
)


def choose_backend(read, iface, backend="auto", backends=None):
    """The :class:`~persist.base.Choice` of the back end that persists ``iface``: with
    ``backend`` ``auto`` the first of ``backends`` (default ``persist.BACKENDS``, in
    precedence order) whose ``choose`` answers, else only the one named. None when none
    does; raises PersistError when the one that manages it cannot be used safely, or when
    a file it owns could not be read (it may be the very file that configures ``iface``)."""
    backends = persistence.BACKENDS if backends is None else backends
    order = backends if backend == "auto" else [b for b in backends if b.NAME == backend]
    for b in order:
        for path, why in sorted(read.get("unreadable", {}).items()):
            if b.owns(path):
                raise PersistError(b.NAME, path, "cannot read it (%s), so it is unknown whether it configures %s; "
                                                 "nothing was written" % (why, iface))
        choice = b.choose(read, iface, backend == b.NAME)
        if choice is not None:
            return choice
    return None


def feature_state(parsed, f):
    """The state of short feature ``f`` in parsed ``ethtool -k`` output (a copy), or None."""
    st = parsed["features"].get(ethtool.SHORT[f])
    return dict(st) if st else None


_SECRET_RE = re.compile(r"^(\s*[A-Za-z0-9_.-]*(?:psk|password|passwd|secret|pin|private-key)[A-Za-z0-9_.-]*\s*=).*$",
                        re.I | re.M)


def _redact(text):
    """NetworkManager keyfiles may hold Wi-Fi/802.1X secrets: keep them out of diffs."""
    return _SECRET_RE.sub(lambda m: m.group(1) + "<redacted>", text)


def _diff(before, after, path):
    return "".join(difflib.unified_diff(
        before.splitlines(True), after.splitlines(True), "a" + path, "b" + path))


def plan(read, features=("lro",), interfaces="auto", persist=True, backend="auto", facts=None, host=None):
    """Decide per interface and per file. Returns a plan dict (see plugins/modules/offload.py
    RETURN for the keys); ``errors`` non-empty means the host must not be changed."""
    features = check_features(list(features), "offload")
    if not features:
        raise KcrashInputError("features", "at least one feature is needed")
    if backend != "auto" and persistence.by_name(backend) is None:
        raise KcrashInputError("backend", "%r is not one of auto, %s" % (backend, ", ".join(persistence.names())))
    out = {"interfaces": {}, "files": [], "changes": [], "nm_commands": [], "runtime": [],
           "errors": [], "warnings": [], "diff": [], "changed": False}
    if read.get("no_ethtool"):
        out["errors"].append("ethtool is not installed (looked in PATH, /usr/local/sbin, /usr/sbin, /sbin)")
        return out
    names = _select(read, interfaces, facts, out)
    if out["errors"]:
        return out
    persist_wanted = _runtime(read, names, features, out, host)
    if out["errors"] or not persist:
        out["changed"] = bool(out["runtime"]) and not out["errors"]
        return out
    texts, origin, owners = _persistence(read, names, persist_wanted, backend, out)
    if out["errors"]:
        out["changed"] = False
        return out
    _files(texts, origin, owners, out)
    _feature_diffs(features, out)
    out["changed"] = bool(out["runtime"] or out["changes"] or out["nm_commands"])
    return out


def _select(read, interfaces, facts, out):
    """The interfaces the plan covers, sorted; a name that does not exist is an error."""
    live = read["interfaces"]
    if interfaces in (None, "auto") or interfaces == ["auto"]:
        fi = (facts or {}).get("interfaces") if isinstance(facts, dict) else None
        if fi:
            names = [n for n in netdev.candidate_nics(fi) if n in live]
            source = "ansible_facts.kcrash_nfqueue.interfaces"
        else:
            names = netdev.candidate_nics(live)
            source = "live /sys/class/net"
        out["interfaces_source"] = source
    else:
        names = []
        for n in interfaces:
            validate_ifname(n, "interfaces")
            if n not in live:
                out["errors"].append("interface %s does not exist on this host (present: %s)"
                                     % (n, ", ".join(sorted(live)) or "none"))
            elif n not in names:
                names.append(n)
        out["interfaces_source"] = "task argument"
        if out["errors"]:
            return []
    names = sorted(set(names))
    return names


def _runtime(read, names, features, out, host):
    """Per interface: the features' state now and after, what ``ethtool -K`` changes.
    Returns ``{interface: [features to persist]}``."""
    live = read["interfaces"]
    persist_wanted = {}
    for n in names:
        raw = read["raw"].get(n, {})
        entry = {"kind": live.get(n, {}).get("kind"), "driver": live.get(n, {}).get("driver"),
                 "before": {}, "after": {}, "to_change": [], "fixed_off": [], "fixed_on": [],
                 "requested_on": [], "absent": [], "persist": None, "status": "ok"}
        out["interfaces"][n] = entry
        if raw.get("ethtool_rc") not in (0, None) or raw.get("ethtool_k") is None:
            out["errors"].append("%s: 'ethtool -k %s' failed: %s" % (n, n, (raw.get("ethtool_err") or "no output")[:200]))
            entry["status"] = "error"
            continue
        try:
            parsed = ethtool.parse(raw["ethtool_k"], "ethtool -k %s" % n)
        except KcrashParseError as e:
            out["errors"].append(str(e.with_host(host) if host else e))
            entry["status"] = "error"
            continue
        entry["format"] = parsed["format"]
        keep = []
        for f in features:
            st = feature_state(parsed, f)
            entry["before"][f] = st
            entry["after"][f] = dict(st) if st else None
            if st is None:
                entry["absent"].append(f)
                continue
            if st["fixed"]:
                if st["active"]:
                    entry["fixed_on"].append(f)
                else:
                    entry["fixed_off"].append(f)
                continue
            keep.append(f)
            if st["requested"] is True and not st["active"]:
                entry["requested_on"].append(f)
            if st["active"] or st["requested"] is True:
                entry["to_change"].append(f)
                entry["after"][f] = {"active": False, "fixed": False, "requested": False}
        if entry["fixed_on"]:
            entry["status"] = "not_remediable"
            out["errors"].append(
                "%s: %s is on and [fixed]: the driver cannot turn it off, so this strategy cannot "
                "remediate %s; use the nfqueue_drop or kernel_upgrade strategy"
                % (n, ", ".join("%s (%s)" % (f, ethtool.SHORT[f]) for f in entry["fixed_on"]), n))
        if entry["requested_on"]:
            out["warnings"].append("%s: %s reported off [requested on] (the kernel keeps it off for now, "
                                   "e.g. forwarding or a bond; it is switched off for good)"
                                   % (n, ", ".join(entry["requested_on"])))
        if entry["to_change"]:
            entry["status"] = "change"
            out["runtime"].append({"interface": n, "features": list(entry["to_change"]),
                                   "labels": [ethtool.label(parsed["format"], f) for f in entry["to_change"]]})
        persist_wanted[n] = keep
    return persist_wanted


def _persistence(read, names, persist_wanted, backend, out):
    """Per interface: the back end that persists it and what its file becomes. Returns
    ``(texts, origin, owners)``: ``{path: new text}``, ``{path: text read or None}``,
    ``{path: back end name}``."""
    texts = {}
    origin = {}
    owners = {}
    for n in names:
        feats = persist_wanted.get(n) or []
        entry = out["interfaces"][n]
        if not feats:
            entry["persist"] = {"backend": None, "path": None, "reason": "nothing to persist (features fixed off or absent)"}
            continue
        try:
            choice = choose_backend(read, n, backend)
        except PersistError as e:
            out["errors"].append("%s: %s" % (n, e))
            continue
        if choice is None:
            if backend != "auto":
                out["errors"].append("%s: backend %s does not manage this interface here" % (n, backend))
            else:
                entry["persist"] = {"backend": None, "path": None,
                                    "reason": "nothing on this host configures %s at boot (no NetworkManager, "
                                              "netplan, networkd, ifupdown or ifcfg entry, no udev)" % n}
                out["warnings"].append("%s: not persisted: %s" % (n, entry["persist"]["reason"]))
            continue
        entry["persist"] = {"backend": choice.backend, "path": choice.path, "reason": choice.reason}
        if choice.kind == "nmcli":
            cur = (read.get(nm.NAME) or {}).get("connections", {}).get(n, {}).get("features", {})
            if not all(cur.get(f) == "off" for f in feats):
                out["nm_commands"].append({"interface": n, "uuid": choice.uuid, "features": feats,
                                           "previous": dict((f, cur.get(f, "ignore")) for f in feats),
                                           "args": nm.nmcli_modify_args(choice.uuid, feats)})
                entry["persist"]["change"] = True
            continue
        path = choice.path
        if path in read["unreadable"]:
            out["errors"].append("%s: cannot read %s (%s); nothing was written" % (n, path, read["unreadable"][path]))
            continue
        if path not in texts:
            origin[path] = read["files"].get(path)
            texts[path] = origin[path] if origin[path] is not None else ""
            owners[path] = choice.backend
        info = dict(choice.info, path=path)
        try:
            texts[path] = persistence.by_name(choice.backend).render(texts[path], n, feats, info)
        except PersistUnclear as e:
            entry["persist"].update(change=False, reason="%s; not persisted: %s" % (choice.reason, e))
            out["warnings"].append("%s: not persisted: %s" % (n, e))
            continue
        except PersistError as e:
            out["errors"].append("%s: %s" % (n, e))
            continue
        entry["persist"]["change"] = texts[path] != (origin[path] or "") or origin[path] is None
    return texts, origin, owners


def _files(texts, origin, owners, out):
    """``files``, ``changes`` (FileChange, all-or-nothing) and the file diffs."""
    for path in sorted(texts):
        before = origin[path]
        after = texts[path]
        if before is not None and before == after:
            out["files"].append({"path": path, "backend": owners[path], "action": "none"})
            continue
        action = "create" if before is None else "update"
        owner = persistence.by_name(owners[path])
        mode = owner.FILE_MODE
        out["files"].append({"path": path, "backend": owners[path], "action": action})
        out["changes"].append(FileChange(path, after, mode=mode,
                                         expect="" if before is None else posix_cksum(before)))
        shown_before, shown_after = before or "", after
        if owner.SECRETS:
            shown_before, shown_after = _redact(shown_before), _redact(shown_after)
        out["diff"].append({"before": shown_before, "after": shown_after,
                            "before_header": path if before is not None else "%s (absent)" % path,
                            "after_header": path})
        out["files"][-1]["unified_diff"] = _diff(shown_before, shown_after, path)


def _feature_diffs(features, out):
    """One diff per interface: its features before and after."""
    for n, entry in out["interfaces"].items():
        if entry.get("before"):
            out["diff"].append({
                "before": "".join("%s: %s\n" % (f, state_text(entry["before"].get(f))) for f in features),
                "after": "".join("%s: %s\n" % (f, state_text(entry["after"].get(f))) for f in features),
                "before_header": "%s features (before)" % n, "after_header": "%s features (after)" % n})


def state_text(st):
    """A feature state as the diff shows it: ``on``, ``off [fixed]``, ``absent``..."""
    if st is None:
        return "absent"
    s = "on" if st["active"] else "off"
    if st.get("fixed"):
        s += " [fixed]"
    elif st.get("requested") is not None and st["requested"] != st["active"]:
        s += " [requested %s]" % ("on" if st["requested"] else "off")
    return s
