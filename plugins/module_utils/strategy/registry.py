# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one list of remediation strategies: what each is called and where its parts live.

Everything else that knows the strategies is derived from :data:`REGISTRY` or checked
against it by a unit test:

- ``choose.STRATEGIES`` (what ``kcrash_strategy`` may say) and ``choose.ACTION_ORDER``;
- ``exposure_facts``' option ``strategy_reads`` (its choices and the read script of each);
- ``playbooks/remediate.yml``'s ``kcrash_strategy_reads`` and ``kcrash_strategy_roles``, and
  the strategy roles ``roles/remediate`` checks, through the ``kcrash.nfqueue.strategy_registry``
  filter;
- the static YAML (``roles/*/meta/argument_specs.yml`` choices, the modules' docs): checked by
  ``tests/unit/plugins/module_utils/strategy/test_registry.py``.

Pure data: no I/O, no import of the planners (``exposure_facts`` imports a read's module by
name only when a play asks for that read).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

#: One strategy. ``name``: what the user chooses (``kcrash_strategy``, the plan's actions, the
#: tag that selects it in remediate.yml); ``role``: the role that applies it; ``action``: its
#: action/module; ``catalog_id``: the workaround row of ``catalog.py`` it implements;
#: ``read``: ``(module under module_utils, function, kwargs)`` returning ``(script, nonce)``,
#: the read trip the detection trip can carry for it, or None; ``result_var``: what its role
#: registers (the remediation report reads it); ``tags``: the tags that select it;
#: ``immediate``: the fix holds as soon as it is applied, no reboot (a host re-detected as
#: still exposed after it failed).
Strategy = namedtuple("Strategy", "name role action catalog_id read result_var tags immediate")

#: The strategies, in the order they are applied on one host: the immediate fixes first, the
#: reboot last.
REGISTRY = (
    Strategy(
        name="offload", role="offload", action="offload", catalog_id="lro-off",
        # the probe walks the interfaces already: the offload action gets the probe's walk
        # from the kept answer's extra "walk"
        read=("offload.read", "build_read_script", {"walk": False}),
        result_var="kcrash_offload_result", tags=("offload",), immediate=True,
    ),
    Strategy(
        name="drop", role="nfqueue_drop", action="nfqueue_target", catalog_id="nfqueue-to-drop",
        read=("drop.read", "read_script", {}),
        result_var="kcrash_drop_result", tags=("drop",), immediate=True,
    ),
    Strategy(
        name="kernel", role="kernel_upgrade", action="kernel_upgrade", catalog_id="kernel-upgrade",
        read=None, result_var="kcrash_kernel_result", tags=("kernel",), immediate=False,
    ),
)

BY_NAME = dict((s.name, s) for s in REGISTRY)

#: Order in which the actions of one host's plan run.
ACTION_ORDER = tuple(s.name for s in REGISTRY)

#: The choices of ``kcrash_strategy`` that are not one strategy, and what each may plan:
#: ``auto`` LRO off now, a kernel upgrade in a window when a fix is documented; ``none``
#: report only.
AUTO = ("offload", "kernel")
COMPOSITE = (("auto", AUTO), ("none", ()))

#: The strategies whose fix holds without a reboot.
IMMEDIATE = tuple(s.name for s in REGISTRY if s.immediate)

#: What ``kcrash_strategy`` may say: ``auto``, each strategy, ``none``.
CHOICES = ("auto",) + ACTION_ORDER + ("none",)


def may_plan(choice):
    """The strategies a ``kcrash_strategy`` value may put in a host's plan, in apply order."""
    plans = dict(COMPOSITE).get(choice, (choice,) if choice in BY_NAME else ())
    return tuple(name for name in ACTION_ORDER if name in plans)


#: Strategy name -> its read (module, function, kwargs), for the strategies that have one.
READS = dict((s.name, s.read) for s in REGISTRY if s.read)


def reads_for_choices():
    """``{kcrash_strategy value: [strategies whose read the detection trip carries]}`` (values
    that need no read left out): remediate.yml's ``kcrash_strategy_reads``."""
    out = {}
    for choice in CHOICES:
        reads = [name for name in may_plan(choice) if name in READS]
        if reads:
            out[choice] = reads
    return out


def as_data():
    """The registry as plain data for playbooks (the ``kcrash.nfqueue.strategy_registry``
    filter): ``strategies`` (one dict per strategy, in apply order), ``choices``, ``order``,
    ``roles`` (name -> role), ``reads`` (choice -> reads carried), ``result_vars``,
    ``immediate`` (the strategies whose fix holds without a reboot)."""
    return {
        "strategies": [
            {"name": s.name, "role": s.role, "action": s.action, "catalog_id": s.catalog_id,
             "read": list(s.read[:2]) if s.read else None, "result_var": s.result_var,
             "tags": list(s.tags), "immediate": s.immediate}
            for s in REGISTRY
        ],
        "choices": list(CHOICES),
        "order": list(ACTION_ORDER),
        "roles": dict((s.name, s.role) for s in REGISTRY),
        "reads": reads_for_choices(),
        "result_vars": dict((s.name, s.result_var) for s in REGISTRY),
        "immediate": list(IMMEDIATE),
    }
