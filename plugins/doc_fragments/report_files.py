# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options of the actions that write report files on the controller (``exposure_report``,
``remediation_report``; plugin_utils/report_action.py). A module adds what differs (``dir``'s
default or ``required``) under the same option name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  dir:
    description: Directory on the controller for the report files (created if missing).
    type: path
  keep:
    description: Timestamped report files of this many runs are kept.
    type: int
    default: 10
"""
