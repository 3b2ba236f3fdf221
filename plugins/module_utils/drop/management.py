# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What is known of the management connection (the SSH port, the controller's and the
host's addresses) from ``$SSH_CONNECTION``, the task options and the connection's settings:
the input of the lockout guard (:mod:`.lockout`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.options import parse_ip


class Management(object):
    """What is known of the management connection: the SSH server port, the controller
    (client) address and the host (server) address as the host sees them."""

    def __init__(self, port=22, client=None, server=None, source="default", unknown=None):
        self.port = port
        self.client = client
        self.server = server
        self.source = source
        # why the port cannot be known (an SSH connection whose port nothing tells): the
        # guard then treats every rule the management traffic crosses as risky
        self.unknown = unknown

    def describe(self):
        who = str(self.client) if self.client is not None else "any address"
        return "tcp port %d from %s" % (self.port, who)

    def as_dict(self):
        return {"port": None if self.unknown else self.port, "client": str(self.client) if self.client else None,
                "server": str(self.server) if self.server else None, "source": self.source,
                "unknown": self.unknown}


def management(ssh_connection=None, options=None, ansible_port=None, connection=None):
    """Combine ``$SSH_CONNECTION`` (``client cport server sport``, as the host saw it), task
    options and the connection's settings into a :class:`Management`. Options win, then
    ``SSH_CONNECTION``, then the settings.

    ``connection``: None for a connection that is not SSH (podman, local: the inventory port
    or 22 as before), else what :mod:`ssh_settings` read from the SSH connection's settings
    (``port``/``port_from``, ``proxied``/``proxy``); when neither it nor ``SSH_CONNECTION`` nor
    ``ssh_port`` gives the port, the management connection is unknown (``Management.unknown``).
    """
    port, client, server, source = 22, None, None, "default port 22"
    unknown = None
    if connection is not None:
        if connection.get("port"):
            port, source = int(connection["port"]), "connection settings: %s" % connection.get("port_from")
        else:
            unknown = ("the SSH port is not in the connection's settings and SSH_CONNECTION could not be read "
                       "on the host")
        if connection.get("proxied"):
            source += " (through %s)" % connection.get("proxy")
    elif ansible_port:
        try:
            port, source = int(ansible_port), "ansible_port"
        except (TypeError, ValueError):
            pass
    parts = (ssh_connection or "").split()
    if len(parts) == 4:
        c, s = parse_ip(parts[0]), parse_ip(parts[2])
        try:
            sport = int(parts[3])
        except ValueError:
            sport = None
        if c is not None and s is not None and sport:
            if connection is not None and connection.get("port") and connection["port"] != sport:
                source = "SSH_CONNECTION (port %d as the host sees it; the connection settings say %d)" % (
                    sport, connection["port"])
            else:
                source = "SSH_CONNECTION"
            port, client, server, unknown = sport, c, s, None
    if options is not None:
        if options.ssh_port:
            port, source, unknown = options.ssh_port, source + "+ssh_port option", None
        if options.controller_address is not None:
            client, source = options.controller_address, source + "+controller_address option"
    return Management(port, client, server, source, unknown)
