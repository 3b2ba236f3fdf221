# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kcrash.nfqueue.exposure_facts: ONE POSIX sh probe per host -> ansible_facts.kcrash_nfqueue.

Thin edge: builds the probe (module_utils/probe.py), runs it with one low-level exec through
/bin/sh (no Python on the target, gather_facts not needed), parses the answer and computes
the verdict on the controller. Malformed output becomes a failed result naming the host
and the command, never a traceback.

The same round trip can carry the read scripts of strategies (``strategy_reads``); their
answers stay on the controller (plugin_utils/read_cache.py) for the strategy's task. With
``reuse_probe`` the probe answer a strategy's apply trip carried (``probe_after``) is used
instead of a new trip.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import time

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.probe import (
    build_probe,
    collect_facts,
    collect_facts_reread,
    walk_answer,
)
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import combine
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils import read_cache
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.shell_action import ShellActionBase

# the read script of each strategy that can ride along with the probe: (planner module,
# function). Imported only when asked for: every task imports its action afresh in each
# worker process, and the planners are the largest modules of the collection.
# The offload read leaves out its interface walk: the probe walks already (the offload action
# gets the probe's walk from the kept answer's extra "walk").
STRATEGY_READS = {
    "offload": ("plans.offload", "build_read_script", {"walk": False}),
    "drop": ("drop.read", "read_script", {}),
}


def strategy_read_script(kind):
    """``(script, nonce)`` of the read round trip of strategy ``kind``."""
    module, func, kwargs = STRATEGY_READS[kind]
    mod = importlib.import_module("ansible_collections.kcrash.nfqueue.plugins.module_utils." + module)
    return getattr(mod, func)(**kwargs)


ARGSPEC = {
    "include_raw": {"type": "bool", "default": False},
    "strategy_reads": {"type": "list", "elements": "str", "default": [], "choices": sorted(STRATEGY_READS)},
    "reuse_probe": {"type": "bool", "default": False},
    "reuse_max_age": {"type": "int", "default": 300},
}


class ActionModule(ShellActionBase):

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        _v, args = self.validate_argument_spec(argument_spec=ARGSPEC)
        host = self.host_label(task_vars)
        refs = read_cache.references(task_vars)
        out = nonce = None
        err = ""
        reads = []
        trips, secs, source = 0, 0.0, "probe trip"
        reread = None
        if args["reuse_probe"]:
            kept, dummy_reason = read_cache.load(task_vars, host, "probe", args["reuse_max_age"])
            if kept is not None:
                nonce, out = kept["nonce"], kept["stdout"]
                reread = kept["extra"].get("reread")
                if reread:
                    source = ("%s re-read after the change by the strategy's trip %.1f s earlier; the other "
                              "sections from this run's detection trip %.1f s earlier"
                              % (", ".join(reread["sections"]), kept["age"], kept["age"] + reread["base_age"]))
                else:
                    source = "probe carried after the change by the strategy's trip %.1f s earlier" % kept["age"]
            refs = read_cache.discard(task_vars, "probe")
        if out is None:
            script, nonce = build_probe()
            for kind in dict.fromkeys(args["strategy_reads"]):
                text, read_nonce = strategy_read_script(kind)
                reads.append((kind, text, read_nonce))
            if reads:
                script = combine([script] + [text for dummy, text, dummy2 in reads])
            rc, out, err, trips, secs = self.run_sh(script, task_vars, "detection probe")
            if rc != 0 or not out:
                return self.fail(
                    task_vars,
                    "detection probe: /bin/sh exited %s: %s" % (rc, (err or "").strip()[:500] or "(no message)"),
                    rc=rc,
                )
        try:
            if reread:
                facts = collect_facts_reread(out, reread["stdout"], nonce, reread["sections"], host=host)
            else:
                facts = collect_facts(out, nonce, host=host)
            # only the offload read left its walk to the probe
            walk = list(walk_answer(out, nonce, host)) if any(r[0] == "offload" for r in reads) else None
        except KcrashError as e:
            extra = {"probe_stderr": (err or "")[:2000]}
            if args["include_raw"]:
                extra["probe_stdout"] = out
            return self.fail(task_vars, str(e).replace("host %s: " % host, "", 1), **extra)
        for kind, dummy, read_nonce in reads:
            # the full probe answer is also what a later partial re-read (probe_after) completes
            extra = {"probe_nonce": nonce}
            if kind == "offload":
                extra["walk"] = walk
            refs[kind] = read_cache.store(host, kind, read_nonce, out, extra=extra)
        facts["probe"]["round_trips"] = trips
        facts["probe"]["seconds"] = round(secs, 3)
        facts["probe"]["source"] = source
        # when this answer was read (ISO 8601 UTC): fleet reports merge per host on it
        facts["probe"]["answered_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        result["changed"] = False
        result["ansible_facts"] = {"kcrash_nfqueue": facts, read_cache.FACT: refs}
        result["exposure"] = facts["exposure"]["level"]
        result["msg"] = "%s: %s" % (host, facts["exposure"]["level"])
        if args["include_raw"]:
            result["probe_stdout"] = out
        return result
