# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SSH port and proxying of a connection, from its settings (pure text functions).

The lockout guard must know the port the management connection uses. Under become, sudo's
``env_reset`` removes ``SSH_CONNECTION``; the controller's own settings still say how ssh
connects: ``ansible.builtin.ssh`` builds its command line from ``ssh_args``, then
``-o Port=<port>`` (``ansible_port``), then ``ssh_common_args`` and ``ssh_extra_args``, and
OpenSSH takes the FIRST value it is given for an option (``-p N`` and ``-o Port=N`` alike);
what the command line leaves open comes from ``ssh_config`` (``ssh -G`` prints the result).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex

SSH_TRANSPORTS = ("ssh", "ansible.builtin.ssh", "ansible.legacy.ssh")


def _split(text):
    if not text:
        return []
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _port(value):
    try:
        p = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return p if 0 < p < 65536 else None


def option_words(ssh_args=None, port=None, ssh_common_args=None, ssh_extra_args=None):
    """``(words, origin of each word)`` in the order ``ansible.builtin.ssh`` puts them."""
    words, origin = [], []
    for name, text in (("ssh_args", ssh_args), ("ansible_port", None if port in (None, "") else "-o Port=%s" % port),
                       ("ssh_common_args", ssh_common_args), ("ssh_extra_args", ssh_extra_args)):
        for w in _split(text):
            words.append(w)
            origin.append(name)
    return words, origin


def _options(words):
    """Yield ``(index, key lowercased, value)`` for every ``-o K=V``/``-oK=V``/``-o "K V"``,
    ``-p N``/``-pN`` and ``-J X`` of ssh ``words``."""
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("-o", "-p", "-J") and i + 1 < len(words):
            flag, val, step = w, words[i + 1], 2
        elif w.startswith(("-o", "-p", "-J")) and len(w) > 2:
            flag, val, step = w[:2], w[2:], 1
        else:
            i += 1
            continue
        if flag == "-p":
            yield i, "port", val
        elif flag == "-J":
            yield i, "proxyjump", val
        else:
            sep = min([x for x in (val.find("="), val.find(" "), val.find("\t")) if x >= 0] or [len(val)])
            yield i, val[:sep].strip().lower(), val[sep + 1:].strip().lstrip("=").strip()
        i += step


def from_args(words, origin=None):
    """``{"port", "port_from", "proxied", "proxy"}`` from the ssh option words (first value
    wins, as in OpenSSH); port None when no word sets it (``ssh_config`` or 22 then)."""
    out = {"port": None, "port_from": None, "proxied": False, "proxy": None}
    for i, key, val in _options(words):
        if key == "port" and out["port"] is None:
            out["port"] = _port(val)
            if out["port"] is not None:
                out["port_from"] = "%s (%s)" % ((origin or [None] * len(words))[i] or "ssh arguments",
                                                " ".join(words[i:i + 2]) if words[i] in ("-o", "-p") else words[i])
        elif key in ("proxyjump", "proxycommand") and out["proxy"] is None and val.lower() != "none":
            out["proxied"], out["proxy"] = True, "%s %s" % (key, val)
    return out


def parse_ssh_G(text):
    """``ssh -G`` output -> ``{"port", "hostname", "proxied", "proxy"}`` (None when absent)."""
    kv = {}
    for line in (text or "").splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and parts[0].lower() not in kv:
            kv[parts[0].lower()] = parts[1]
    proxy = None
    for key in ("proxyjump", "proxycommand"):
        if kv.get(key) and kv[key].lower() != "none":
            proxy = "%s %s" % (key, kv[key])
            break
    return {"port": _port(kv.get("port")), "hostname": kv.get("hostname"),
            "proxied": proxy is not None, "proxy": proxy}
