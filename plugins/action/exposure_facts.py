# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kcrash.nfqueue.exposure_facts: ONE POSIX sh probe per host -> ansible_facts.kcrash_nfqueue.

Thin edge: builds the probe (module_utils/probe.py), runs it with one low-level exec through
/bin/sh (no Python on the target, gather_facts not needed), parses the answer and computes
the verdict on the controller. Malformed output becomes a failed result naming the host
and the command, never a traceback.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.probe import build_probe, collect_facts
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.shell_action import ShellActionBase

ARGSPEC = {
    "include_raw": {"type": "bool", "default": False},
}


class ActionModule(ShellActionBase):

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        _v, args = self.validate_argument_spec(argument_spec=ARGSPEC)
        host = self.host_label(task_vars)
        script, nonce = build_probe()
        rc, out, err, trips, secs = self.run_sh(script, task_vars, "detection probe")
        if rc != 0 or not out:
            return self.fail(
                task_vars,
                "detection probe: /bin/sh exited %s: %s" % (rc, (err or "").strip()[:500] or "(no message)"),
                rc=rc,
            )
        try:
            facts = collect_facts(out, nonce, host=host)
        except KcrashError as e:
            extra = {"probe_stderr": (err or "")[:2000]}
            if args["include_raw"]:
                extra["probe_stdout"] = out
            return self.fail(task_vars, str(e).replace("host %s: " % host, "", 1), **extra)
        facts["probe"]["round_trips"] = trips
        facts["probe"]["seconds"] = round(secs, 3)
        result["changed"] = False
        result["ansible_facts"] = {"kcrash_nfqueue": facts}
        result["exposure"] = facts["exposure"]["level"]
        result["msg"] = "%s: %s" % (host, facts["exposure"]["level"])
        if args["include_raw"]:
            result["probe_stdout"] = out
        return result
