# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The errors the pure core raises. Nothing else may escape a parser or planner."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class KcrashError(Exception):
    """Base class: a clear, user-facing message, never a traceback."""


class KcrashParseError(KcrashError):
    """Output of a command on a host could not be understood.

    ``command`` names what produced the text (e.g. ``iptables-save``), ``host`` is
    filled in by the action plugin when it knows it, ``line`` is the 1-based line
    number of the offending input when known.
    """

    def __init__(self, command, message, host=None, line=None):
        self.command = command
        self.message = message
        self.host = host
        self.line = line
        super(KcrashParseError, self).__init__(self.__str__())

    def with_host(self, host):
        return KcrashParseError(self.command, self.message, host=host, line=self.line)

    def __str__(self):
        where = "host %s: " % self.host if self.host else ""
        at = " (line %d)" % self.line if self.line else ""
        return "%scannot parse output of '%s'%s: %s" % (where, self.command, at, self.message)


class KcrashInputError(KcrashError):
    """A task argument or inventory value is not acceptable."""

    def __init__(self, name, message):
        self.name = name
        self.message = message
        super(KcrashInputError, self).__init__("invalid value for %s: %s" % (name, message))
