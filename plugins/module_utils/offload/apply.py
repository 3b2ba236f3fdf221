# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Strategy "offload", apply stage: the one apply round trip (:func:`build_apply_script`)
that writes the files all-or-nothing, runs ``nmcli`` and ``ethtool -K``, verifies with a
fresh ``ethtool -k`` and, when the verification fails, puts runtime state and files back in
the same trip; and its reader (:func:`parse_apply`)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError, KcrashParseError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload.plan import feature_state, state_text
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import nm
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import (
    FILE_FUNCS,
    Script,
    backup_name,
    backup_stamp,
    file_transaction,
    quote,
    split_sections,
    validate_abs_path,
)

APPLY_COMMAND = "offload apply"
FAIL_TAG = "KCRASH-FAIL"


def run_dir(backup_dir, now=None):
    """``<backup_dir>/offload-<UTC timestamp>-<8 hex>``: one backup directory per run, unique
    even for two runs in the same second."""
    validate_abs_path(backup_dir, "backup_dir")
    return posixpath.join(backup_dir, "offload-" + backup_stamp(now))


def build_apply_script(the_plan, backup_dir, keep_backup=True, nonce=None, partial_ok=False):
    """``(script, nonce)`` of the apply round trip: files (all-or-nothing), ``nmcli``,
    ``ethtool -K``, verification from a fresh ``ethtool -k``, rollback on failure: of
    everything, or with ``partial_ok`` only of the interfaces that failed (their runtime
    state, NetworkManager profiles, and every file that configures one of them)."""
    validate_abs_path(backup_dir, "backup_dir")
    s = Script(nonce)
    changes = the_plan["changes"]
    if changes:
        s.section("files", file_transaction(changes, backup_dir, FAIL_TAG) + "echo committed")
        s.raw('[ "$kc_rc" = 0 ] || exit 0')
    for i, c in enumerate(the_plan["nm_commands"]):
        s.section("nmcli.%d" % i, "nmcli " + " ".join(quote(a) for a in c["args"]))
    # section and temp file names come from an index, never from an interface name (any
    # byte but '/', ':' and white space is valid for the kernel); names reach the shell
    # only through quote()
    index = _iface_index(the_plan)
    for r in the_plan["runtime"]:
        n = r["interface"]
        s.section("runtime.%d" % index[n], ethtool.set_command(quote(_ethtool_dev(n)), r["features"]))
    # verification in the main shell so its verdict can drive the rollback below
    s.raw("kc_bad=''")
    for n in sorted(the_plan["interfaces"]):
        e = the_plan["interfaces"][n]
        if e.get("status") not in ("change", "ok") or not e.get("format"):
            continue
        i = index[n]
        s.raw("ethtool -k %s > \"$KC_T/v.%d\" 2>&1 || kc_bad=\"$kc_bad %d:ethtool\"" % (quote(_ethtool_dev(n)), i, i))
        for f in e["to_change"]:
            label = ethtool.label(e["format"], f)
            s.raw("grep -q %s \"$KC_T/v.%d\" || kc_bad=\"$kc_bad %d:%s\"" % (quote("^%s: off" % label), i, i, f))
        s.section("verify.%d" % i, "cat \"$KC_T/v.%d\"" % i)
    s.section("outcome", "printf '%s\\n' \"${kc_bad:-ok}\"")
    # rollback: runtime back to what it was, files back from the backup, NM values back
    rb = ["[ -n \"$kc_bad\" ] || exit 0", FILE_FUNCS.rstrip("\n")]
    if partial_ok:
        # kc_hit "I J": one of the interfaces numbered I, J failed its verification
        rb.append("kc_hit() { for kc_i in $1; do case \" $kc_bad \" in *\" $kc_i:\"*) return 0;; esac; done; return 1; }")

    def undo(names, text):
        if partial_ok:
            text = "if kc_hit %s; then %s; fi" % (quote(" ".join(str(index[n]) for n in sorted(names))), text)
        rb.append(text)
    for r in the_plan["runtime"]:
        n = r["interface"]
        e = the_plan["interfaces"][n]
        on = [f for f in r["features"] if (e["before"].get(f) or {}).get("active")]
        if on:
            undo([n], "%s || echo %s" % (ethtool.set_command(quote(_ethtool_dev(n)), on, "on"),
                                         quote("could not restore %s" % n)))
    for c in the_plan["nm_commands"]:
        args = ["connection", "modify", "uuid", c["uuid"]]
        for f in c["features"]:
            args += [nm.nmcli_property(f), c["previous"].get(f) or "ignore"]
        undo([c["interface"]], "nmcli %s || echo %s" % (" ".join(quote(a) for a in args), quote(
            "could not restore NetworkManager connection %s" % c["uuid"])))
    owners = file_interfaces(the_plan)
    for ch in changes:
        b = posixpath.join(backup_dir, backup_name(ch.path))
        if ch.expect == "":
            # created through a dangling symlink: the file goes, the link stays as it was
            undo(owners.get(ch.path, the_plan["interfaces"]), "kc_real %s && rm -f \"$kc_r\"" % quote(ch.path))
        else:
            undo(owners.get(ch.path, the_plan["interfaces"]), "cp -p %s %s || echo %s" % (
                quote(b), quote(ch.path), quote("could not restore %s from %s" % (ch.path, b))))
    rb.append("echo restored")
    s.section("rollback", "\n".join(rb))
    if changes and not keep_backup:
        s.raw('[ -n "$kc_bad" ] || rm -rf %s' % quote(backup_dir))
    return s.render(), s.nonce


def file_interfaces(the_plan):
    """``{path: [interface, ...]}``: which interfaces each written file configures."""
    out = {}
    for n, e in the_plan["interfaces"].items():
        path = (e.get("persist") or {}).get("path")
        if path:
            out.setdefault(path, []).append(n)
    return out


def _iface_index(the_plan):
    """``{interface: index}``: the stable numbering that names the apply trip's sections."""
    return dict((n, i) for i, n in enumerate(sorted(the_plan["interfaces"])))


def _ethtool_dev(name):
    """An interface name as ethtool's device word: the kernel allows nearly any byte, but a
    name that starts with '-' would be read as an option (refused)."""
    if not name or name.startswith("-") or "\n" in name or "\x00" in name:
        raise KcrashInputError("interface", "%r cannot be passed to ethtool" % (name,))
    return name


def parse_apply(stdout, nonce, the_plan, backup_dir, keep_backup=True, host=None, partial_ok=False):
    """Read the apply trip. Returns ``{"ok": bool, "msg": str, "after": {iface: {f: state}},
    "steps": {...}}``."""
    try:
        secs = split_sections(stdout, nonce, APPLY_COMMAND)
    except KcrashParseError as e:
        raise e.with_host(host) if host else e
    steps = {}
    if the_plan["changes"]:
        f = secs.get("files")
        if f is None:
            return {"ok": False, "msg": "the file step did not run", "steps": steps, "after": {}}
        steps["files"] = {"rc": f.rc, "stderr": f.stderr.strip()}
        if f.rc != 0:
            why = [l for l in f.stderr.splitlines() if l.startswith(FAIL_TAG)]
            return {"ok": False, "steps": steps, "after": {},
                    "msg": "no change made: writing the configuration failed (%s); files untouched"
                           % ("; ".join(why) or f.stderr.strip()[:300])}
    index = _iface_index(the_plan)
    names = dict(("runtime.%d" % i, "runtime.%s" % n) for n, i in index.items())
    for name, sec in secs.items():
        if name.startswith(("runtime.", "nmcli.")):
            steps[names.get(name, name)] = {"rc": sec.rc, "stdout": sec.stdout.strip()[:500],
                                            "stderr": sec.stderr.strip()[:500]}
    after = {}
    problems = []
    for n, e in the_plan["interfaces"].items():
        sec = secs.get("verify.%d" % index[n])
        if sec is None:
            continue
        try:
            parsed = ethtool.parse(sec.stdout, "ethtool -k %s" % n)
        except KcrashParseError as err:
            problems.append(str(err.with_host(host) if host else err))
            continue
        after[n] = dict((f, feature_state(parsed, f)) for f in e["before"])
        for f in e["to_change"]:
            st = after[n].get(f)
            if st is None or st["active"] or st.get("requested") is True:
                problems.append("%s: %s still %s after 'ethtool -K'" % (n, f, state_text(st)))
    outcome = secs.get("outcome")
    bad = outcome.stdout.strip() if outcome else "no outcome"
    if bad != "ok" and outcome:
        by_index = dict((str(i), n) for n, i in index.items())
        bad = " ".join("%s:%s" % (by_index.get(w.partition(":")[0], w.partition(":")[0]), w.partition(":")[2])
                       if ":" in w else w for w in bad.split())
    if bad != "ok" or problems:
        rb = secs.get("rollback")
        restored = rb is not None and "restored" in rb.stdout
        msg = "verification failed (%s)" % ("; ".join(problems) or bad.strip())
        if restored and partial_ok:
            failed = sorted(set(w.rpartition(":")[0] for w in bad.split()) & set(the_plan["interfaces"])
                            | set(p.split(":")[0] for p in problems if p.split(":")[0] in the_plan["interfaces"]))
            owners = file_interfaces(the_plan)
            back = [c.path for c in the_plan["changes"] if set(owners.get(c.path, the_plan["interfaces"])) & set(failed)]
            kept = sorted(set(r["interface"] for r in the_plan["runtime"]) - set(failed))
            msg += ("; partial_ok: kept the change on %s%s; put back %s%s"
                    % (", ".join(kept) or "no interface",
                       " and the files %s" % ", ".join(c.path for c in the_plan["changes"] if c.path not in back)
                       if len(back) < len(the_plan["changes"]) else "",
                       ", ".join(failed) or "nothing", " and the files %s" % ", ".join(back) if back else ""))
            return {"ok": False, "partial": {"kept": kept, "put_back": failed, "files_put_back": back},
                    "msg": msg, "steps": steps, "after": after}
        if restored:
            msg += "; runtime offload state, NetworkManager profiles and files were put back"
            if the_plan["changes"]:
                msg += " (copies of the original files in %s)" % backup_dir
        else:
            msg += "; ROLLBACK DID NOT COMPLETE: check the host; original files in %s" % backup_dir
        if rb is not None and rb.stdout.strip() not in ("", "restored"):
            msg += ": " + rb.stdout.strip()[:300]
        return {"ok": False, "msg": msg, "steps": steps, "after": after}
    failed = [k for k, v in steps.items() if k.startswith("nmcli.") and v["rc"] != 0]
    if failed:
        return {"ok": False, "steps": steps, "after": after,
                "msg": "nmcli failed: %s (runtime change verified; files in place; backup in %s)"
                       % ("; ".join(steps[k]["stderr"] or steps[k]["stdout"] for k in failed), backup_dir)}
    return {"ok": True, "msg": "", "steps": steps, "after": after}
