# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The template ``ShellActionBase.run()`` (plugin_utils/shell_action.py): arguments are
validated against ``ARGSPEC`` before any command reaches the host, ``run_action`` gets them
with their defaults, and a ``KcrashError`` becomes a failed result naming the host.

In process: the real ansible-core ``ActionBase`` and the real ``local`` connection, whose
command runner is wrapped to record what reaches it (the commands still run for real). Through
ansible-playbook: a throw-away action next to the play, so the host label is the one Ansible
gives (``inventory_hostname``)."""

import os
import types

import pytest
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader

from ansible_collections.kcrash.nfqueue.plugins.action import reboot_schedule
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.shell_action import ShellActionBase

from conftest import run_play_json


class Recorder(object):
    """The real local connection; ``exec_command`` recorded, then run."""

    def __init__(self):
        self.pc = PlayContext()
        self.pc.remote_addr = "10.0.0.7"
        self.conn = connection_loader.get("local", self.pc)
        self.conn._shell.set_options()
        self.commands = []
        real = self.conn.exec_command

        def exec_command(cmd, in_data=None, sudoable=True):
            self.commands.append(cmd)
            return real(cmd, in_data=in_data, sudoable=sudoable)
        self.conn.exec_command = exec_command


def task(args, check_mode=False):
    return types.SimpleNamespace(args=dict(args), async_val=0, check_mode=check_mode, diff=False,
                                 action="test", delegate_to=None, become=False, no_log=False)


def make(cls, args, rec=None):
    rec = rec or Recorder()
    action = cls(task(args), rec.conn, rec.pc, loader=DataLoader(), templar=None, shared_loader_obj=None)
    action._load_name = "test"
    return action, rec


class Echo(ShellActionBase):
    ARGSPEC = {
        "word": {"type": "str", "required": True},
        "mode": {"type": "str", "default": "ok", "choices": ["ok", "refuse"]},
        "count": {"type": "int", "default": 2},
    }
    seen = None

    def run_action(self, args, task_vars, result):
        Echo.seen = dict(args)
        rc, out, err, trips, secs = self.run_sh("printf '%s\\n' " + args["word"], task_vars, "echo")
        if args["mode"] == "refuse":
            raise KcrashError("the answer %r cannot be read" % out.strip())
        result.update({"rc": rc, "out": out, "trips": trips})
        return result


@pytest.mark.parametrize("args", [
    {},                                          # required option missing
    {"word": "hi", "mode": "reboot"},            # not one of the choices
    {"word": "hi", "count": "many"},             # wrong type
    {"word": "hi", "bogus": 1},                  # unknown option
])
def test_bad_arguments_fail_before_any_command_reaches_the_host(args):
    Echo.seen = None
    action, rec = make(Echo, args)
    with pytest.raises(AnsibleActionFail):
        action.run(task_vars={"inventory_hostname": "web7"})
    assert rec.commands == [] and Echo.seen is None


def test_run_action_gets_validated_arguments_with_defaults_and_runs_its_script():
    action, rec = make(Echo, {"word": "hello"})
    res = action.run(task_vars={"inventory_hostname": "web7"})
    assert Echo.seen == {"word": "hello", "mode": "ok", "count": 2}
    assert res["rc"] == 0 and res["out"] == "hello\n" and res["trips"] == 1
    assert len(rec.commands) == 1 and "hello" in rec.commands[0]
    assert not res.get("failed")


def test_kcrash_error_becomes_a_failure_naming_the_host():
    action, rec = make(Echo, {"word": "garbled", "mode": "refuse"})
    res = action.run(task_vars={"inventory_hostname": "web7"})
    assert res == {"failed": True, "msg": "host web7: the answer 'garbled' cannot be read"}
    assert len(rec.commands) == 1


def test_host_label_falls_back_to_the_address():
    action, dummy = make(Echo, {"word": "x", "mode": "refuse"})
    assert action.run(task_vars={})["msg"].startswith("host 10.0.0.7: ")


def test_action_without_run_action_says_so():
    class Incomplete(ShellActionBase):
        ARGSPEC = {}
    action, dummy = make(Incomplete, {})
    with pytest.raises(NotImplementedError, match="Incomplete must implement run_action"):
        action.run(task_vars={})


def test_fail_keeps_the_extra_keys():
    action, dummy = make(Echo, {"word": "x"})
    assert action.fail({"inventory_hostname": "h"}, "why", rc=3) == {"failed": True, "msg": "host h: why", "rc": 3}


@pytest.mark.parametrize("args", [{"state": "reboot"}, {"method": "cron"}, {"bogus": True}])
def test_a_real_action_refuses_bad_arguments_before_its_probe(args):
    action, rec = make(reboot_schedule.ActionModule, args)
    with pytest.raises(AnsibleActionFail):
        action.run(task_vars={"inventory_hostname": "web7"})
    assert rec.commands == []


ACTION = '''
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashError
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils.shell_action import ShellActionBase


class ActionModule(ShellActionBase):
    ARGSPEC = {"marker": {"type": "str", "required": True}, "refuse": {"type": "bool", "default": False}}

    def run_action(self, args, task_vars, result):
        self.run_sh("touch '%s'" % args["marker"], task_vars, "marker")
        if args["refuse"]:
            raise KcrashError("marker: the answer cannot be read")
        result["changed"] = True
        return result
'''


def test_through_ansible_playbook(tmp_path):
    (tmp_path / "action_plugins").mkdir()
    (tmp_path / "action_plugins" / "kc_template.py").write_text(ACTION)
    ok, refused, bad = (str(tmp_path / n) for n in ("ok", "refused", "bad"))
    rc, out = run_play_json(tmp_path, [
        {"name": "ok", "kc_template": {"marker": ok}},
        {"name": "refused", "kc_template": {"marker": refused, "refuse": True}, "ignore_errors": True},
        {"name": "bad", "kc_template": {"marker": bad, "refuse": "perhaps"}, "ignore_errors": True},
    ])
    assert rc == 0
    res = dict((t["task"]["name"], t["hosts"]["testhost"]) for t in out["plays"][0]["tasks"])
    assert res["ok"]["changed"] is True and not res["ok"].get("failed") and os.path.exists(ok)
    assert res["refused"]["failed"] is True and os.path.exists(refused)
    assert res["refused"]["msg"] == "host testhost: marker: the answer cannot be read"
    assert res["bad"]["failed"] is True and "refuse" in res["bad"]["msg"] and not os.path.exists(bad)
