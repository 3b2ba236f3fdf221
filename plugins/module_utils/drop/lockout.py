# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lockout guard: could a rule the drop strategy would turn into DROP match the
management (SSH) connection? See :func:`lockout_risk` and docs/drop.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import ipaddress
except ImportError:  # pragma: no cover - Python 2 controllers are not supported
    ipaddress = None

from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save as ips
from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft as nftm
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.options import parse_ip


INBOUND_CHAINS = ("PREROUTING", "INPUT")
OUTBOUND_CHAINS = ("OUTPUT", "POSTROUTING")
INBOUND_HOOKS = ("prerouting", "input", "ingress")
OUTBOUND_HOOKS = ("output", "postrouting", "egress")


_PORT_OPTS_DST = ("--dport", "--destination-port", "--dports", "--destination-ports")
_PORT_OPTS_SRC = ("--sport", "--source-port", "--sports", "--source-ports")
_PORT_OPTS_ANY = ("--ports",)
_STATE_OPTS = ("--state", "--ctstate")
# Conntrack states no management packet can be in. Not UNTRACKED, SNAT or DNAT: a raw-table
# notrack rule, SSH reached through a REDIRECT/DNAT, or a nat INPUT SNAT on the host puts every
# packet of the SSH connection in them (seen on a real kernel: tests/unit/plugins/module_utils/
# drop/test_lockout.py::test_guard_states_on_a_real_kernel).
_HARMLESS_STATES = frozenset(("INVALID", "RELATED"))


def _port_set(text):
    """'22', '1024:65535', '80,443,8000:8080' -> list of (lo, hi); None if unparseable."""
    out = []
    for part in text.split(","):
        if not part:
            return None
        if ":" in part:
            a, b = part.split(":", 1)
            try:
                lo = int(a) if a else 0
                hi = int(b) if b else 65535
            except ValueError:
                return None
        else:
            try:
                lo = hi = int(part)
            except ValueError:
                return None  # service names: cannot tell
        out.append((lo, hi))
    return out


def _in_ports(port, ranges):
    return any(lo <= port <= hi for lo, hi in ranges)


def _has_high_port(ranges):
    return any(hi >= 1024 for lo, hi in ranges)


def _net(text):
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _addr_in(addr, text):
    """True/False when known, None when the address or the network text is unknown.
    ``text`` may be a comma list (iptables -s a,b) or a range a-b."""
    if addr is None:
        return None
    hits = []
    for part in text.split(","):
        if "-" in part and "/" not in part:
            a, b = part.split("-", 1)
            lo, hi = parse_ip(a), parse_ip(b)
            if lo is None or hi is None or lo.version != addr.version:
                return None
            hits.append(lo <= addr <= hi)
            continue
        n = _net(part)
        if n is None:
            return None  # host names etc.
        if n.version != addr.version:
            hits.append(False)
            continue
        hits.append(addr in n)
    return any(hits)


def _ipt_exclusions(words, direction, mgmt):
    """Reasons why the iptables rule ``words`` cannot match the management packet going
    ``direction`` ("in": controller -> host, "out": host -> controller). Empty list: it
    could match."""
    reasons = []
    n = len(words)
    i = 2
    local_port_opts, remote_port_opts = (
        (_PORT_OPTS_DST, _PORT_OPTS_SRC) if direction == "in" else (_PORT_OPTS_SRC, _PORT_OPTS_DST))
    remote_addr_opts = ("-s", "--source", "--src-range") if direction == "in" else ("-d", "--destination", "--dst-range")
    local_addr_opts = ("-d", "--destination", "--dst-range") if direction == "in" else ("-s", "--source", "--src-range")
    iface_opts = ("-i", "--in-interface") if direction == "in" else ("-o", "--out-interface")
    target_at = ips.find_target(words)
    end = target_at if target_at is not None else n
    while i < end:
        w = words[i]
        neg = False
        if w == "!" and i + 1 < end:
            neg = True
            i += 1
            w = words[i]
        val = words[i + 1] if i + 1 < end else None
        if val == "!" and i + 2 < end and w.startswith("-"):  # old syntax: --dport ! 22
            neg = not neg
            val = words[i + 2]
            i += 1
        if ips.is_quoted(w):
            i += 1
            continue
        if w in ("-p", "--protocol") and val is not None:
            is_tcp = val.lower() in ("tcp", "6", "all", "0")
            if is_tcp == neg:
                reasons.append("%s%s %s (management is tcp)" % ("! " if neg else "", w, val))
            i += 2
            continue
        if w in local_port_opts and val is not None:
            r = _port_set(val)
            if r is not None and _in_ports(mgmt.port, r) == neg:
                reasons.append("%s%s %s (SSH port %d %s)" % ("! " if neg else "", w, val, mgmt.port,
                                                             "in it" if neg else "not in it"))
            i += 2
            continue
        if w in remote_port_opts and val is not None:
            r = _port_set(val)
            # the controller's port is ephemeral (>= 1024): only a set of low ports excludes it
            if r is not None and not neg and not _has_high_port(r):
                reasons.append("%s %s (the controller's ephemeral port is >= 1024)" % (w, val))
            i += 2
            continue
        if w in _PORT_OPTS_ANY and val is not None:
            r = _port_set(val)
            if r is not None and not neg and not _in_ports(mgmt.port, r) and not _has_high_port(r):
                reasons.append("%s %s (neither the SSH port nor an ephemeral port)" % (w, val))
            i += 2
            continue
        if (w in remote_addr_opts or w in local_addr_opts) and val is not None:
            # an address match on the controller's side of the connection, or on the host's
            addr, label = (mgmt.client, "controller") if w in remote_addr_opts else (mgmt.server, "host address")
            hit = _addr_in(addr, val)
            if hit is not None and hit == neg:
                reasons.append("%s%s %s (%s %s)" % ("! " if neg else "", w, val, label, addr))
            i += 2
            continue
        if w in iface_opts and val is not None:
            remote_is_loopback = mgmt.client is not None and mgmt.client.is_loopback
            if val == "lo" and not neg and not remote_is_loopback:
                reasons.append("%s lo (management does not use loopback)" % w)
            i += 2
            continue
        if w in _STATE_OPTS and val is not None:
            states = set(s.upper() for s in val.split(","))
            if not neg and states and states <= _HARMLESS_STATES:
                reasons.append("%s %s (management packets are NEW/ESTABLISHED)" % (w, val))
            i += 2
            continue
        if w in ("-f", "--fragment") and not neg:
            reasons.append("-f (management packets are not fragments)")
        i += 1
    return reasons


def _nft_exclusions(text, direction, mgmt):
    """Same for a native nft rule text (the common match forms only)."""
    toks = nftm.words(text)
    reasons = []
    local_port, remote_port = ("dport", "sport") if direction == "in" else ("sport", "dport")
    remote_addr, local_addr = ("saddr", "daddr") if direction == "in" else ("daddr", "saddr")
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        if t == "queue":
            break
        if t == "ct" and i + 1 < n and toks[i + 1] in ("original", "reply"):
            # a conntrack tuple (ct original|reply [ip|ip6] saddr|daddr|proto-src|proto-dst X), not
            # the packet's own header: the reply tuple of inbound SSH has the host as its source.
            # No exclusion; its words are skipped so that none is read as a match of the packet.
            i += 3 if i + 2 < n and toks[i + 2] in ("ip", "ip6") else 2
            continue
        if t in ("tcp", "udp", "sctp", "dccp", "th", "udplite") and i + 2 < n and toks[i + 1] in ("dport", "sport"):
            proto, field = t, toks[i + 1]
            neg = toks[i + 2] == "!="
            val = toks[i + 3] if neg and i + 3 < n else toks[i + 2]
            vals = _nft_values(toks, i + (3 if neg else 2))
            if proto not in ("tcp", "th"):
                reasons.append("%s %s (management is tcp)" % (proto, field))
            elif field == local_port and vals is not None:
                r = _port_set(",".join(v.replace("-", ":") for v in vals))
                if r is not None and _in_ports(mgmt.port, r) == neg:
                    reasons.append("tcp %s %s%s (SSH port %d %s)" % (field, "!= " if neg else "", val, mgmt.port,
                                                                     "in it" if neg else "not in it"))
            elif field == remote_port and vals is not None and not neg:
                r = _port_set(",".join(v.replace("-", ":") for v in vals))
                if r is not None and not _has_high_port(r):
                    reasons.append("tcp %s %s (the controller's ephemeral port is >= 1024)" % (field, val))
            i += 2
            continue
        if t in ("ip", "ip6") and i + 2 < n and toks[i + 1] in ("saddr", "daddr"):
            field = toks[i + 1]
            neg = toks[i + 2] == "!="
            vals = _nft_values(toks, i + (3 if neg else 2))
            who = mgmt.client if field == remote_addr else (mgmt.server if field == local_addr else None)
            if vals is not None and who is not None:
                hit = _addr_in(who, ",".join(vals))
                if hit is not None and hit == neg:
                    reasons.append("%s %s %s (%s %s)" % (t, field, " ".join(vals), "controller" if field == remote_addr
                                                         else "host address", who))
            i += 2
            continue
        if t in ("meta", "ip") and i + 2 < n and toks[i + 1] in ("l4proto", "protocol"):
            neg = toks[i + 2] == "!="
            vals = _nft_values(toks, i + (3 if neg else 2))
            if vals is not None:
                is_tcp = any(v in ("tcp", "6") for v in vals)
                if is_tcp == neg:
                    reasons.append("%s %s %s (management is tcp)" % (t, toks[i + 1], " ".join(vals)))
            i += 2
            continue
        if t in ("iifname", "iif", "oifname", "oif") and i + 1 < n:
            if (t.startswith("i") and direction == "in") or (t.startswith("o") and direction == "out"):
                if toks[i + 1] in ('"lo"', "lo") and not (mgmt.client is not None and mgmt.client.is_loopback):
                    reasons.append("%s lo (management does not use loopback)" % t)
            i += 2
            continue
        if t == "ct" and i + 2 < n and toks[i + 1] == "state":
            vals = _nft_values(toks, i + 2)
            if vals and all(v.upper() in _HARMLESS_STATES for v in vals):
                reasons.append("ct state %s (management packets are new/established)" % ",".join(vals))
            i += 3
            continue
        i += 1
    return reasons


def _nft_values(toks, i):
    """Values at toks[i]: a single word, ``a,b`` or an anonymous set ``{ a, b }``; None for
    named sets (@x) and anything unknown."""
    if i >= len(toks):
        return None
    t = toks[i]
    if t == "{":
        vals = []
        j = i + 1
        while j < len(toks) and toks[j] != "}":
            v = toks[j].rstrip(",")
            if v and v != ",":
                vals.append(v)
            j += 1
        return vals
    if t.startswith("@") or t.startswith("$"):
        return None
    return [v for v in t.split(",") if v]


def _directions_ipt(reachable_from):
    d = []
    if any(c in INBOUND_CHAINS for c in reachable_from):
        d.append("in")
    if any(c in OUTBOUND_CHAINS for c in reachable_from):
        d.append("out")
    return d


def lockout_risk(rule, mgmt, base_hooks=None):
    """Could ``rule`` (shared shape) match the management connection?

    Returns ``(risky, reason)``. A rule is risky when it is reached from a chain the
    management traffic crosses (INPUT/PREROUTING for what the controller sends,
    OUTPUT/POSTROUTING for the answers; FORWARD is never crossed) and, for at least one of
    those directions, none of its matches provably excludes the management packet (tcp, the
    SSH port on the host side, an ephemeral port >= 1024 on the controller side, the
    controller's and the host's addresses when known). A match the planner cannot evaluate
    (ipset membership, string, mark, ...) never counts as an exclusion.
    """
    if rule.get("backend") == "nftables":
        hooks = base_hooks or {}
        dirs = []
        for c in rule.get("reachable_from") or []:
            h = hooks.get(c)
            if h in INBOUND_HOOKS and "in" not in dirs:
                dirs.append("in")
            if h in OUTBOUND_HOOKS and "out" not in dirs:
                dirs.append("out")
    else:
        dirs = _directions_ipt(rule.get("reachable_from") or [])
    if not dirs:
        where = ", ".join(rule.get("reachable_from") or []) or "no built-in chain"
        return False, "reached only from %s: management traffic never crosses it" % where
    if mgmt.unknown:
        return True, ("the management connection is unknown (%s): nothing can prove this rule spares it; "
                      "give ssh_port (and controller_address), or force" % mgmt.unknown)
    why_safe = []
    for d in dirs:
        if rule.get("backend") == "nftables":
            reasons = _nft_exclusions(rule["rule"], d, mgmt)
        else:
            reasons = _ipt_exclusions(ips.tokenize(rule["rule"]), d, mgmt)
        if not reasons:
            return True, ("could match the management connection (%s, %s): no match excludes it"
                          % (mgmt.describe(), "inbound" if d == "in" else "outbound"))
        why_safe.append("%s: %s" % ("inbound" if d == "in" else "outbound", "; ".join(reasons)))
    return False, "excluded from the management connection by " + " | ".join(why_safe)
