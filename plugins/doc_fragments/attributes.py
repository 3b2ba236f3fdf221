# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``attributes`` the modules' docs share, one variable per kind of action.

``kcrash.nfqueue.attributes``: an action that changes hosts (check mode and diff supported;
a module states what its check mode and diff show by giving the attribute a ``description``,
which takes precedence). ``kcrash.nfqueue.attributes.facts``: a read-only action returning
``ansible_facts.kcrash_nfqueue``. ``kcrash.nfqueue.attributes.report``: an action that writes a
report on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Reads the host and reports what would change; changes nothing.
    support: full
  diff_mode:
    description: Returns what changes (or would change in check mode), before and after.
    support: full
"""

    FACTS = r"""
options: {}
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
  facts:
    description: Returns C(ansible_facts.kcrash_nfqueue).
    support: full
"""

    REPORT = r"""
options: {}
attributes:
  check_mode:
    description: Writes the report in check mode too; changes nothing on any host.
    support: full
  diff_mode:
    description: The report is output, not managed state; there is nothing to diff.
    support: none
"""
