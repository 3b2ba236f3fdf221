# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action ``kcrash.nfqueue.offload``: turn LRO (and optionally GRO/GSO/TSO) off now and
across reboots. Thin: one read trip, the pure planner, one apply trip (none in check
mode or when nothing changes). Documentation: plugins/modules/offload.py.

Round trips saved by carrying two steps in one trip (plugin_utils/read_cache.py):
the read can come from the detection trip (``exposure_facts`` ``strategy_reads: [offload]``,
used here when ``reuse_read``); the own read carries the detection probe when the interfaces
are chosen automatically and the host has no detection facts yet (``detect``); the apply trip
can carry the detection probe for the re-detection that follows (``probe_after``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils import ethtool, persist
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import apply as offload_apply
from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import plan as offload_plan
from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import read as offload_read
from ansible_collections.kcrash.nfqueue.plugins.module_utils.offload import report as offload_report
from ansible_collections.kcrash.nfqueue.plugins.module_utils.probe import build_probe, collect_facts, walk_answer
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import combine, validate_abs_path
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils import read_cache
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.shell_action import ShellActionBase

ARGSPEC = {
    "features": {"type": "list", "elements": "str", "default": ["lro"], "choices": list(ethtool.OFFLOAD_FEATURES)},
    "interfaces": {"type": "raw", "default": "auto"},
    "persist": {"type": "bool", "default": True},
    "backend": {"type": "str", "default": "auto", "choices": ["auto"] + list(persist.names())},
    "backup": {"type": "bool", "default": True},
    "backup_dir": {"type": "str", "default": "/var/backups/kcrash-nfqueue"},
    "reuse_read": {"type": "bool", "default": True},
    "read_max_age": {"type": "int", "default": 600},
    "detect": {"type": "bool", "default": True},
    "probe_after": {"type": "bool", "default": False},
    "partial_ok": {"type": "bool", "default": False},
}


class ActionModule(ShellActionBase):

    ARGSPEC = ARGSPEC

    def run_action(self, args, task_vars, result):
        host = self.host_label(task_vars)
        interfaces = offload_report.interfaces_argument(args["interfaces"])
        validate_abs_path(args["backup_dir"], "backup_dir")
        if not 0 <= args["read_max_age"] <= 86400:
            raise KcrashError("read_max_age must be 0..86400 seconds")
        facts = (task_vars.get("ansible_facts") or {}).get("kcrash_nfqueue") or task_vars.get("kcrash_nfqueue")
        refs = read_cache.references(task_vars)
        new_facts = {}

        trips = 0
        out = nonce = walk = kept = read_source = None
        if args["reuse_read"]:
            kept, read_source, refs = read_cache.take(task_vars, host, "offload", args["read_max_age"],
                                                      self._task.check_mode)
            if kept is not None:
                nonce, out = kept["nonce"], kept["stdout"]
                # the read rode with the probe and left the interface walk to it
                walk = kept["extra"].get("walk")
        if out is None:
            probe_nonce = None
            if args["detect"] and interfaces == "auto" and not facts:
                # the interface choice follows detection: carry the probe in the same trip, and
                # let the read use the probe's interface walk instead of walking again
                script, nonce = offload_read.build_read_script(walk=False)
                probe_script, probe_nonce = build_probe()
                script = combine([script, probe_script])
            else:
                script, nonce = offload_read.build_read_script()
            rc, out, err, n, secs = self.run_sh(script, task_vars, "offload read probe")
            trips += n
            if rc != 0:
                return self.fail(task_vars, "offload read probe exited %s: %s" % (rc, (err or out)[-500:]))
            read_source = dict(read_source or {"source": "own trip"}, detection_carried=probe_nonce is not None)
            if probe_nonce is not None:
                facts = collect_facts(out, probe_nonce, host=host)
                walk = walk_answer(out, probe_nonce, host)
                facts["probe"]["source"] = "carried by the offload read trip"
                new_facts["kcrash_nfqueue"] = facts
        read = offload_read.parse_read(out, nonce, host, walk=tuple(walk) if walk else None)
        plan = offload_plan.plan(read, args["features"], interfaces, args["persist"], args["backend"],
                                 facts=facts, host=host)
        result["read"] = read_source
        new_facts[read_cache.FACT] = refs
        result["ansible_facts"] = new_facts

        result.update(offload_report.report(plan))
        if plan["warnings"]:
            result["warnings"] = list(plan["warnings"])
        result["round_trips"] = trips
        if plan["errors"]:
            result["failed"] = True
            result["changed"] = False
            result["msg"] = "host %s: nothing changed: %s" % (host, "; ".join(plan["errors"]))
            return result
        result["changed"] = plan["changed"]
        if self._task.diff and plan["changed"]:
            result["diff"] = plan["diff"]
        if not plan["changed"] or self._task.check_mode:
            result["msg"] = offload_report.summary(plan, check=self._task.check_mode)
            return result
        return self._apply(args, task_vars, result, plan, kept, refs, host)

    def _apply(self, args, task_vars, result, plan, kept, refs, host):
        # unique per run (two runs in the same second must not share one)
        run_dir = offload_apply.run_dir(args["backup_dir"])
        script, nonce = offload_apply.build_apply_script(plan, run_dir, keep_backup=args["backup"],
                                                         partial_ok=args["partial_ok"])
        probe_nonce = reread = None
        if args["probe_after"]:
            # the re-detection that follows (exposure_facts reuse_probe) rides along
            probe_script, probe_nonce, reread = read_cache.carried_probe(kept, "offload")
            script = combine([script, probe_script])
        rc, out, err, n, secs = self.run_sh(script, task_vars, "offload apply")
        result["round_trips"] += n
        if probe_nonce is not None:
            refs["probe"] = read_cache.store_carried_probe(host, kept, probe_nonce, reread, out)
        try:
            res = offload_apply.parse_apply(out, nonce, plan, run_dir, args["backup"], host,
                                            partial_ok=args["partial_ok"])
        except KcrashError as e:
            result.update(failed=True, msg="host %s: %s (backup in %s)" % (host, e, run_dir))
            return result
        for name, after in res["after"].items():
            if name in result["interfaces"]:
                result["interfaces"][name]["after"] = after
        result["steps"] = res["steps"]
        if plan["changes"] and args["backup"]:
            result["backup_dir"] = run_dir
        if not res["ok"]:
            if res.get("partial"):
                # the safe part stays: changed, and failed for the interfaces put back
                result["partial"] = res["partial"]
                result["changed"] = bool(res["partial"]["kept"])
            result["failed"] = True
            result["msg"] = "host %s: %s" % (host, res["msg"])
            return result
        result["msg"] = offload_report.summary(plan, check=False)
        return result
