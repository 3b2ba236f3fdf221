# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the "drop" strategy: replace NFQUEUE/QUEUE targets (and native nft ``queue``
statements) by DROP (or REJECT/ACCEPT), touching nothing else.

Pure: text in (what the read round trip brought back), data out (what to change, the
restore transactions, the rewritten saved files, the refusals, the diff). Nothing here
runs a process; :mod:`..rollback` turns a plan into shell text.

Live transaction (iptables, legacy and nft back ends, IPv4 and IPv6)
--------------------------------------------------------------------
One ``<tool>-restore --noflush`` per table::

    *mangle
    -R PREROUTING 1 -p tcp -m multiport --dports 80,443 ... -j DROP
    COMMIT

``-R CHAIN N`` keeps every selected rule at its place (a replacement never changes the
length of a chain, so several replacements in one chain keep their positions) and never
touches another rule or its counters. Positions are only right if the chain did not change
since it was read, so the apply script first saves the table (that save is also the
backup) and compares a POSIX ``cksum`` of the affected chains' rule lines with the digest
the controller computed from the probe (:func:`chain_digest`); any difference (another
process added, removed or moved a rule) stops the apply before anything changed, and the
action reads again and re-plans. Why not ``-D <exact spec>`` + ``-I CHAIN N``: it is also
exact about *which* rule goes, but on iptables-nft every ``-D`` by spec converts the whole
chain again (measured: 1,000 deletions in a 100,000-rule chain took 52 s against 5 s for
``-R``), and the insert position has the same staleness problem, so the digest check is
needed either way.

Native nftables
---------------
``replace rule <family> <table> <chain> handle <N> <rule with the queue statement replaced
by the verdict>`` for every selected statement, all in one ``nft -f`` file (one kernel
transaction); handles are unique and stable, so concurrent changes elsewhere do not matter
and a rule deleted meanwhile makes the whole file fail (nothing changes). Rules of tables
owned by iptables-nft are changed through ``iptables-nft-restore`` instead, never here.

Lockout guard
-------------
See :func:`lockout_risk` and docs/drop.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    import ipaddress
except ImportError:  # pragma: no cover - Python 2 controllers are not supported
    ipaddress = None

from ansible_collections.kcrash.nfqueue.plugins.module_utils import iptables_save as ips
from ansible_collections.kcrash.nfqueue.plugins.module_utils import nft as nftm
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import (
    KcrashInputError,
    KcrashParseError,
)
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import (
    Script,
    posix_cksum,
    quote,
    split_sections,
    tool_command,
)

TARGETS = ("DROP", "REJECT", "ACCEPT")

IPTABLES_TOOLS = ips.SAVE_TOOLS
# The saved files grouped by family (IPv4 first), the order plans and messages list them in.
SAVED_IPTABLES_FILES = tuple(sorted(ips.SAVED_FILES, key=lambda pf: pf[1]))
SAVED_NFT_FILES = nftm.SAVED_FILES
FIREWALLD_DIRECT = "/etc/firewalld/direct.xml"

NFT_FAMILY_ALIASES = {"ipv4": ("ipv4", "ip"), "ipv6": ("ipv6", "ip6")}

INBOUND_CHAINS = ("PREROUTING", "INPUT")
OUTBOUND_CHAINS = ("OUTPUT", "POSTROUTING")
INBOUND_HOOKS = ("prerouting", "input", "ingress")
OUTBOUND_HOOKS = ("output", "postrouting", "egress")

# tables in which each replacement target is valid
_TARGET_TABLES = {
    "DROP": ("filter", "mangle", "raw", "security"),
    "ACCEPT": ("filter", "mangle", "raw", "security", "nat"),
    "REJECT": ("filter",),
}
_REJECT_CHAINS = ("INPUT", "FORWARD", "OUTPUT")


# ------------------------------------------------------------------------ options

class Options(object):
    """Validated task options of the nfqueue_target action."""

    def __init__(self, target="DROP", families=None, tables=None, chains=None, queue_nums=None,
                 comment_regex=None, force=False, ssh_port=None, controller_address=None,
                 persist=True, include_nft=True):
        target = str(target or "DROP").upper()
        if target not in TARGETS:
            raise KcrashInputError("target", "%r is not one of %s" % (target, ", ".join(TARGETS)))
        self.target = target
        self.families = _str_list(families, "families", r"^(ipv4|ipv6|ip|ip6|inet|arp|bridge|netdev)\Z")
        self.tables = _str_list(tables, "tables", r"^[A-Za-z0-9_.-]{1,32}\Z")
        self.chains = _str_list(chains, "chains", r"^[^\s\"']{1,64}\Z")
        self.queue_nums = None
        if queue_nums is not None:
            if not isinstance(queue_nums, (list, tuple)):
                queue_nums = [queue_nums]
            try:
                self.queue_nums = [int(q) for q in queue_nums]
            except (TypeError, ValueError):
                raise KcrashInputError("queue_nums", "must be a list of integers")
            if any(q < 0 or q > 65535 for q in self.queue_nums):
                raise KcrashInputError("queue_nums", "queue numbers are 0..65535")
        self.comment_re = None
        if comment_regex:
            try:
                self.comment_re = re.compile(comment_regex)
            except (re.error, TypeError) as e:
                raise KcrashInputError("comment_regex", "not a valid regular expression: %s" % e)
        self.force = bool(force)
        self.ssh_port = None
        if ssh_port is not None:
            try:
                self.ssh_port = int(ssh_port)
            except (TypeError, ValueError):
                raise KcrashInputError("ssh_port", "must be a port number")
            if not 0 < self.ssh_port < 65536:
                raise KcrashInputError("ssh_port", "must be 1..65535")
        self.controller_address = None
        if controller_address:
            self.controller_address = _ip(controller_address)
            if self.controller_address is None:
                raise KcrashInputError("controller_address", "%r is not an IP address" % (controller_address,))
        self.persist = bool(persist)
        self.include_nft = bool(include_nft)


def _str_list(value, name, pattern):
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise KcrashInputError(name, "must be a list of strings")
    out = []
    for v in value:
        if not isinstance(v, str) or not re.match(pattern, v):
            raise KcrashInputError(name, "%r is not acceptable" % (v,))
        out.append(v)
    return out


def _ip(text):
    try:
        return ipaddress.ip_address(str(text).strip().split("%", 1)[0])
    except ValueError:
        return None


# ------------------------------------------------------------------------ management

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
        c, s = _ip(parts[0]), _ip(parts[2])
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


# ------------------------------------------------------------------------ lockout guard

_PORT_OPTS_DST = ("--dport", "--destination-port", "--dports", "--destination-ports")
_PORT_OPTS_SRC = ("--sport", "--source-port", "--sports", "--source-ports")
_PORT_OPTS_ANY = ("--ports",)
_STATE_OPTS = ("--state", "--ctstate")
_HARMLESS_STATES = frozenset(("INVALID", "UNTRACKED", "RELATED", "SNAT", "DNAT"))


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
            lo, hi = _ip(a), _ip(b)
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
        if w in remote_addr_opts and val is not None:
            hit = _addr_in(mgmt.client, val)
            if hit is not None and hit == neg:
                reasons.append("%s%s %s (controller %s)" % ("! " if neg else "", w, val, mgmt.client))
            i += 2
            continue
        if w in local_addr_opts and val is not None:
            hit = _addr_in(mgmt.server, val)
            if hit is not None and hit == neg:
                reasons.append("%s%s %s (host address %s)" % ("! " if neg else "", w, val, mgmt.server))
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


# ------------------------------------------------------------------------ selection

def _comment_of_words(words):
    out = []
    for i, w in enumerate(words[:-1]):
        if w == "--comment" and not ips.is_quoted(w):
            out.append(str(words[i + 1]))
    return " ".join(out)


def selected(rule, options, comment=None):
    """Does the task's selection (families, tables, chains, queue numbers, comment regex)
    take ``rule`` (shared shape)?"""
    o = options
    if o.families is not None:
        fams = set()
        for f in o.families:
            fams.update(NFT_FAMILY_ALIASES.get(f, (f,)))
        if rule["family"] not in fams:
            return False
    if o.tables is not None and rule["table"] not in o.tables:
        return False
    if o.chains is not None and rule["chain"] not in o.chains:
        return False
    if o.queue_nums is not None:
        q = rule.get("queue") or {}
        nums = set()
        if q.get("num") is not None:
            nums.add(q["num"])
        if q.get("balance"):
            nums.update(range(q["balance"][0], q["balance"][1] + 1))
        if not nums & set(o.queue_nums):
            return False
    if o.comment_re is not None:
        if comment is None or not o.comment_re.search(comment):
            return False
    return True


def target_allowed(target, table, chain, reachable_from):
    """None if ``target`` is valid where the rule sits, else the reason."""
    if table not in _TARGET_TABLES.get(target, ()):
        return "-j %s is not valid in the %s table" % (target, table)
    if target == "REJECT":
        bad = [c for c in (reachable_from or [chain]) if c not in _REJECT_CHAINS]
        if bad:
            return "-j REJECT is only valid in INPUT, FORWARD and OUTPUT (reached from %s)" % ", ".join(bad)
    return None


def ipt_replacement(rule, target):
    """New ``-A ...`` text of ``rule`` (:class:`iptables_save.Rule`) with its target
    replaced by ``-j target``: every byte before the ``-j``/``-g`` is kept."""
    cut = _target_offset(rule.text, rule.words, rule.target_index)
    return rule.text[:cut].rstrip(" \t") + " -j " + target


def _target_offset(text, words, index):
    """Character offset of word ``index`` in ``text`` (re-scanning with the tokenizer's
    rules, so quoted words containing '-j' do not confuse it)."""
    if '"' not in text:
        head = " ".join(words[:index]) + " "
        if text.startswith(head):
            return len(head)  # single blanks, no quotes: the words are the text
    count = -1
    i = 0
    n = len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            break
        count += 1
        start = i
        in_q = False
        esc = False
        while i < n:
            ch = text[i]
            if in_q:
                if esc:
                    esc = False
                elif ch == "\\":
                    esc = True
                elif ch == '"':
                    in_q = False
                    i += 1
                    break
            elif ch == '"':
                in_q = True
            elif ch in " \t":
                break
            i += 1
        if count == index:
            return start
    raise KcrashParseError("iptables-save", "cannot locate the target of %r" % text)


def nft_replacement(rule_text, verdict):
    """``rule_text`` with its queue statement replaced by ``verdict`` (lower case)."""
    span = nftm.queue_span(rule_text)
    if span is None:
        raise KcrashParseError("nft", "no queue statement in %r" % rule_text)
    return rule_text[:span[0]] + verdict + rule_text[span[1]:]


# ------------------------------------------------------------------------ digests

def digest_needles(chains):
    """The fixed strings the apply script greps for in ``<tool>-save -c -t TABLE``: a rule
    line there reads ``[p:b] -A CHAIN ...``, so ``] -A CHAIN`` finds the rules of CHAIN
    (and of chains whose name starts with it, or a quoted text holding it: more lines than
    needed, never fewer, and the controller counts the same ones)."""
    return ["] -A %s" % c for c in sorted(set(chains))]


def digest_lines(texts, chains):
    """The lines (counters cut) the apply script's ``grep -F -e <needle>... | cut -d ' '
    -f 2-`` prints from a ``-save -c`` whose rule texts are ``texts``, in order."""
    needles = tuple(digest_needles(chains))
    prefixes = tuple(n[2:] for n in needles)
    if len(needles) == 1:
        n = needles[0]
        return [t for t in texts if t.startswith(prefixes) or n in t]
    return [t for t in texts if t.startswith(prefixes) or any(n in t for n in needles)]


def digest_ranges(texts, chains):
    """``[(start, end)]`` slices of ``texts`` that :func:`digest_lines` selects, when that
    is simply the rules of ``chains``, each printed together (what iptables-save does):
    no other chain's name starts with one of them and no rule text holds a needle. None
    otherwise (then :func:`digest_lines` goes line by line)."""
    blk = "\n" + "\n".join(texts) + "\n"
    out = []
    for c in sorted(set(chains)):
        if ("] -A " + c) in blk or ("\n-A %s\n" % c) in blk:
            return None
        pat = "\n-A %s " % c
        n = blk.count(pat)
        if n != blk.count("\n-A " + c):
            return None  # a chain whose name starts with c
        if n == 0:
            continue
        f = blk.find(pat)
        fo = blk.count("\n", 0, f)
        if blk.count("\n", f, blk.rfind(pat)) + 1 != n:
            return None
        out.append((fo, fo + n))
    out.sort()
    return out


def _digest_text(texts, chains, ranges):
    if ranges is None:
        lines = digest_lines(texts, chains)
    else:
        lines = [x for a, b in ranges for x in texts[a:b]] if len(ranges) != 1 else texts[ranges[0][0]:ranges[0][1]]
    return "\n".join(lines) + "\n" if lines else ""


def chain_lines(table, chains):
    """The text :func:`chain_digest` sums (see :func:`digest_lines`)."""
    return _digest_text(table.rule_texts, chains, digest_ranges(table.rule_texts, chains))


def chain_digest(table, chains):
    return posix_cksum(chain_lines(table, chains))


def digest_command(chains, path=None):
    """Shell text printing the ``cksum`` of the affected chains' lines of ``path`` (a
    ``<tool>-save -c -t TABLE``; standard input when None), counters cut: the host side of
    :func:`chain_digest`."""
    return "grep -F %s%s | cut -d ' ' -f 2- | cksum" % (
        " ".join("-e %s" % quote(n) for n in digest_needles(chains)), "" if path is None else " " + quote(path))


# ------------------------------------------------------------------------ saved files

def _norm_words(words):
    """Tokens of a rule for matching a live rule with its saved twin: drops the implicit
    ``-m tcp``/``-m udp`` iptables adds for --dport/--sport, ``--queue-num 0`` and string's
    ``--from 0``, and the target options."""
    out = []
    i = 0
    ws = [str(w) for w in words]
    tgt = ips.find_target(words)
    end = tgt + 2 if tgt is not None else len(ws)
    proto = None
    while i < end:
        w = ws[i]
        if w in ("-p", "--protocol") and i + 1 < end:
            proto = ws[i + 1]
        if w == "-m" and i + 1 < end and ws[i + 1] == proto:
            i += 2
            continue
        if w == "--from" and i + 1 < end and ws[i + 1] == "0":
            i += 2
            continue
        out.append(w)
        i += 1
    if tgt is not None:
        q = ips.queue_options_words(ws[end:]) if ws[tgt + 1] == "NFQUEUE" else None
        if q:
            out.append(repr(sorted(q.items())))
    return tuple(out)


class SavedIptables(object):
    def __init__(self, path, family, text):
        self.path = path
        self.family = family
        self.text = text
        self.ruleset = None
        self.error = None
        if text is not None:
            try:
                self.ruleset = ips.parse(text, command=path)
            except KcrashParseError as e:
                self.error = str(e)


# ------------------------------------------------------------------------ the plan

class Dump(object):
    """One live ``*-save`` output: family, backend, the save tool that produced it."""

    def __init__(self, family, backend, tool, text):
        self.family = family
        self.backend = backend
        self.tool = tool
        self.text = text
        # only queue rules and jumps are tokenized; every rule line is still checked and
        # counted (ips.scan gives the same positions and queue rules as ips.parse)
        self.ruleset = ips.scan(text, command=tool)

    @property
    def restore_tool(self):
        return self.tool[:-len("-save")] + "-restore"

    @property
    def label(self):
        return "%s (%s %s)" % (self.tool, self.family, self.backend)


def _iptables_nft_tables(dumps):
    out = set()
    for d in dumps:
        if d.backend == "nft":
            fam = "ip" if d.family == "ipv4" else "ip6"
            for t in d.ruleset.table_list:
                out.add((fam, t.name))
    return out


def plan(dumps, options, mgmt, nft_text=None, saved=None, nft_saved=None, restore_wait=False):
    """Build the plan.

    ``dumps``: list of :class:`Dump`; ``nft_text``: ``nft -a list ruleset`` or None;
    ``saved``: ``{path: text or None}`` for :data:`SAVED_IPTABLES_FILES` (None = absent);
    ``nft_saved``: ``{path: text or None}`` for nftables.conf and its includes;
    ``restore_wait``: the restore tools accept ``-w``.
    """
    saved = saved or {}
    nft_saved = nft_saved or {}
    result = {
        "management": mgmt.as_dict(),
        "target": options.target,
        "changes": [],
        "refused": [],
        "iptables": [],   # one transaction per (tool, table)
        "nft": None,      # one nft -f transaction
        "files": [],      # rewritten saved files
        "saved_unparsed": [],
        "diff": [],
        "warnings": [],
    }
    verdict = options.target.lower()

    # ---------------- saved iptables files: parse, find twins
    saved_files = []
    for path, fam in SAVED_IPTABLES_FILES:
        if path in saved:
            sf = SavedIptables(path, fam, saved[path])
            saved_files.append(sf)
            if sf.error:
                result["saved_unparsed"].append({"path": path, "error": sf.error})
    twins = {}  # (family, table, chain, normwords) -> list of (SavedIptables, Rule)
    for sf in saved_files:
        if sf.ruleset is None:
            continue
        for r in ips.queue_rule_objects(sf.ruleset):
            key = (sf.family, r.table, r.chain, _norm_words(r.words))
            twins.setdefault(key, []).append((sf, r))

    # ---------------- live iptables
    file_edits = {}  # path -> {id(rule): new text}
    for d in dumps:
        per_table = {}
        for t in d.ruleset.table_list:
            reach = None
            for r in t.rules:
                if not r.is_queue:
                    continue
                if reach is None:
                    reach = ips.reachability(t)
                info = ips.rule_dict(r, reach, d.family, d.backend)
                info["tool"] = d.tool
                comment = _comment_of_words(r.words)
                if not selected(info, options, comment):
                    continue
                new = ipt_replacement(r, options.target)
                info["new_rule"] = new
                why = target_allowed(options.target, t.name, r.chain, info["reachable_from"])
                if why:
                    info["reason"] = why
                    result["refused"].append(info)
                    continue
                if options.target != "ACCEPT":
                    risky, reason = lockout_risk(info, mgmt)
                    info["lockout"] = reason
                    if risky and not options.force:
                        info["reason"] = "lockout guard: " + reason + " (set force to override)"
                        result["refused"].append(info)
                        continue
                key = (d.family, r.table, r.chain, _norm_words(r.words))
                found = twins.get(key) or []
                info["persisted_in"] = sorted(set(pair[0].path for pair in found))
                per_table.setdefault(t.name, (t, []))[1].append((r, info))
                result["changes"].append(info)
        for tname, (t, items) in per_table.items():
            lines = ["*%s" % tname]
            for r, info in items:
                spec = info["new_rule"][len("-A "):]
                chain, rest = spec.split(" ", 1) if " " in spec else (spec, "")
                lines.append("-R %s %d %s" % (chain, r.position, rest))
            lines.append("COMMIT")
            chains = sorted(set(pair[0].chain for pair in items))
            # el6's iptables-save ends every rule with a blank: expect the new rule the same way
            after = list(t.rule_texts)
            for r, info in items:
                after[r.index] = info["new_rule"] + (" " if r.text.endswith(" ") else "")
            # the replaced lines keep their chain and hold no needle the old ones did not
            ranges = digest_ranges(t.rule_texts, chains)
            result["iptables"].append({
                "family": d.family,
                "backend": d.backend,
                "save_tool": d.tool,
                "restore_tool": d.restore_tool,
                "wait": bool(restore_wait) and d.backend == "legacy",
                "table": tname,
                "chains": chains,
                "digest": posix_cksum(_digest_text(t.rule_texts, chains, ranges)),
                "post_digest": posix_cksum(_digest_text(after, chains, ranges)),
                "text": "\n".join(lines) + "\n",
                "count": len(items),
            })
            before = "".join(pair[1]["rule"] + "\n" for pair in items)
            after = "".join(pair[1]["new_rule"] + "\n" for pair in items)
            result["diff"].append({
                "before_header": "%s table %s (live)" % (d.label, tname),
                "after_header": "%s table %s (live, after)" % (d.label, tname),
                "before": before, "after": after,
            })

    # ---------------- saved iptables files: rewrite every selected queue rule
    for sf in saved_files:
        if sf.ruleset is None:
            continue
        edits = []
        reach_cache = {}
        for r in ips.queue_rule_objects(sf.ruleset):
            t = sf.ruleset.tables[r.table]
            if id(t) not in reach_cache:
                reach_cache[id(t)] = ips.reachability(t)
            info = ips.rule_dict(r, reach_cache[id(t)], sf.family, "file")
            if not selected(info, options, _comment_of_words(r.words)):
                continue
            if target_allowed(options.target, r.table, r.chain, info["reachable_from"]):
                continue
            if options.target != "ACCEPT":
                risky = lockout_risk(info, mgmt)[0]
                if risky and not options.force:
                    continue
            edits.append(r)
        if not edits or not options.persist:
            continue
        before_text = sf.text
        for r in edits:
            new_text = ipt_replacement(r, options.target)
            r.text = new_text
        after_text = ips.render(sf.ruleset)
        result["files"].append({
            "path": sf.path, "kind": "iptables", "family": sf.family,
            "before": before_text, "after": after_text, "expect": posix_cksum(before_text),
            "count": len(edits),
        })
        result["diff"].append({"before_header": sf.path, "after_header": sf.path + " (after)",
                               "before": before_text, "after": after_text})

    # ---------------- native nft
    if nft_text and options.include_nft:
        rs = nftm.parse_text(nft_text, command="nft -a list ruleset")
        owned = _iptables_nft_tables(dumps)
        stmts = []
        for t in rs.tables:
            hooks = dict((c.name, c.hook) for c in t.chains.values())
            reach = None
            for c in t.chains.values():
                for r in c.rules:
                    if r.queue_statement is None:
                        continue
                    if (t.family, t.name) in owned or r.xt:
                        continue  # iptables-nft rule: handled through iptables-nft-restore
                    if reach is None:
                        reach = nftm.reachability(t)
                    info = {
                        "family": t.family, "backend": "nftables", "table": t.name, "chain": c.name,
                        "position": r.position, "handle": r.handle, "rule": r.text,
                        "statement": r.queue_statement, "queue": dict(r.queue), "counters": None,
                        "reachable_from": list(reach.get(c.name, [])),
                    }
                    if not selected(info, options, r.comment):
                        continue
                    info["new_rule"] = nft_replacement(r.text, verdict if verdict != "reject" else "reject")
                    if r.handle is None:
                        info["reason"] = "no rule handle in the nft listing (need nft -a)"
                        result["refused"].append(info)
                        continue
                    if options.target != "ACCEPT":
                        risky, reason = lockout_risk(info, mgmt, hooks)
                        info["lockout"] = reason
                        if risky and not options.force:
                            info["reason"] = "lockout guard: " + reason + " (set force to override)"
                            result["refused"].append(info)
                            continue
                    info["persisted_in"] = []
                    stmts.append(info)
                    result["changes"].append(info)
        if stmts:
            lines = []
            for s in stmts:
                lines.append("replace rule %s %s %s handle %d %s" % (
                    s["family"], _nft_name(s["table"]), _nft_name(s["chain"]), s["handle"], s["new_rule"]))
            result["nft"] = {"text": "\n".join(lines) + "\n",
                             "tables": sorted(set((s["family"], s["table"]) for s in stmts)),
                             "count": len(stmts)}
            result["diff"].append({
                "before_header": "nft list ruleset (live)", "after_header": "nft list ruleset (live, after)",
                "before": "".join("%s %s %s: %s\n" % (s["family"], s["table"], s["chain"], s["rule"]) for s in stmts),
                "after": "".join("%s %s %s: %s\n" % (s["family"], s["table"], s["chain"], s["new_rule"]) for s in stmts),
            })

    # ---------------- saved nft files (chains with a refused live rule are left alone)
    nft_refused = set((r["family"], r["table"], r["chain"]) for r in result["refused"]
                      if r.get("backend") == "nftables")
    if options.persist:
        for path in sorted(nft_saved):
            text = nft_saved[path]
            if text is None:
                continue
            new_text, edits = rewrite_nft_config(text, options, mgmt, verdict, nft_refused)
            for e in edits:
                for ch in result["changes"]:
                    if (ch["backend"] == "nftables" and ch["family"] == e["family"] and ch["table"] == e["table"]
                            and ch["chain"] == e["chain"] and path not in ch["persisted_in"]):
                        ch["persisted_in"].append(path)
            if edits:
                result["files"].append({"path": path, "kind": "nft", "family": None, "before": text,
                                        "after": new_text, "expect": posix_cksum(text), "count": len(edits)})
                result["diff"].append({"before_header": path, "after_header": path + " (after)",
                                       "before": text, "after": new_text})

    # ---------------- persisted verdicts
    present = [pf[0] for pf in SAVED_IPTABLES_FILES if saved.get(pf[0]) is not None] + \
        [p for p in sorted(nft_saved) if nft_saved.get(p) is not None]
    for ch in result["changes"]:
        if ch.get("persisted_in"):
            ch["persisted"] = True
            ch["persist_reason"] = "rewritten in %s" % ", ".join(ch["persisted_in"])
        else:
            ch["persisted"] = False
            if not options.persist:
                ch["persist_reason"] = "persist is false: saved files left alone"
            elif not present:
                ch["persist_reason"] = ("no saved ruleset file found (%s): the rule comes from elsewhere "
                                        "(a script, an IDS package, firewalld, ...) and will come back at boot"
                                        % ", ".join([pf[0] for pf in SAVED_IPTABLES_FILES] + list(SAVED_NFT_FILES)))
            else:
                ch["persist_reason"] = ("no saved file contains this rule (looked in %s): it comes from elsewhere "
                                        "and will come back at boot" % ", ".join(present))
    if saved.get(FIREWALLD_DIRECT) and "NFQUEUE" in saved[FIREWALLD_DIRECT]:
        result["warnings"].append("%s holds NFQUEUE direct rules: firewalld re-creates them; edit it with "
                                  "firewall-cmd --direct (not changed by this action)" % FIREWALLD_DIRECT)
    result["changed"] = bool(result["iptables"] or result["nft"] or result["files"])
    return result


def _nft_name(name):
    return name if re.match(r"^[A-Za-z_][A-Za-z0-9_.-]*\Z", name) else '"%s"' % name


# ------------------------------------------------------------------------ nftables.conf

_NFT_CMD_RE = re.compile(r"^\s*(?:add|insert|create)\s+rule\s+(?:(ip|ip6|inet|arp|bridge|netdev)\s+)?(\S+)\s+(\S+)\s")


def rewrite_nft_config(text, options, mgmt, verdict, skip=None):
    """Rewrite the queue statements of an nftables script (``/etc/nftables.conf`` and its
    includes) that the selection takes. Returns ``(new_text, edits)``; every other byte
    stays as it was. Tolerant of script commands (``flush ruleset``, ``include``,
    ``define``, ``add rule ...``), of one-line blocks and of several statements on one
    line separated by ``;``. Declarations (``map m { typeof ... : queue }``) are skipped.
    """
    lines = text.split("\n")
    out = []
    edits = []
    stack = []  # ("table", fam, name) / ("chain", name) / ("block",) / ("anon",)
    for lineno, raw in enumerate(lines, 1):
        code, _comment = nftm._split_comment(raw)
        if code is None:
            out.append(raw)
            continue
        m = _NFT_CMD_RE.match(code)
        toks = nftm.lex(code)
        repl = []
        k = 0
        prev = None
        while k < len(toks):
            tok, ts, te = toks[k]
            if tok == "{":
                head = [tk[0] for tk in toks[:k]]
                j = len(head)
                while j > 0 and head[j - 1] not in (";", "{", "}"):
                    j -= 1
                head = head[j:]
                inner = next((x for x in reversed(stack) if x[0] != "anon"), None)
                if inner is not None and inner[0] == "chain":
                    stack.append(("anon",))
                elif len(head) >= 2 and head[0] == "table":
                    if len(head) >= 3 and head[1] in nftm.FAMILIES:
                        stack.append(("table", head[1], head[2]))
                    else:
                        stack.append(("table", "ip", head[1]))
                elif len(head) >= 2 and head[0] == "chain" and inner is not None and inner[0] == "table":
                    stack.append(("chain", head[1]))
                else:
                    stack.append(("block",))
            elif tok == "}":
                if stack:
                    stack.pop()
            elif tok == "queue" and prev not in ("jump", "goto", ":", "typeof", "type"):
                inner = next((x for x in reversed(stack) if x[0] != "anon"), None)
                tbl = next((x for x in reversed(stack) if x[0] == "table"), None)
                chn = inner if inner is not None and inner[0] == "chain" else None
                if m and chn is None:
                    tbl = ("table", m.group(1) or "ip", m.group(2))
                    chn = ("chain", m.group(3))
                if tbl is not None and chn is not None:
                    span = nftm.queue_span(code, start=ts)
                    key = (tbl[1], _unq(tbl[2]), _unq(chn[1]))
                    seg_start = max(code.rfind(";", 0, ts), code.rfind("{", 0, ts)) + 1
                    _stmt, q = nftm.parse_queue_words(nftm.words(code[span[0]:span[1]])[1:])
                    info = {"family": key[0], "backend": "nftables", "table": key[1], "chain": key[2],
                            "queue": q, "rule": code[seg_start:span[1]].strip(), "reachable_from": []}
                    mm = re.match(r'\s*comment\s+"([^"]*)"', code[span[1]:])
                    comment = mm.group(1) if mm else None
                    if not (skip and key in skip) and selected(info, options, comment):
                        repl.append(span)
                        edits.append({"family": key[0], "table": key[1], "chain": key[2], "line": lineno})
                    while k + 1 < len(toks) and toks[k + 1][1] < span[1]:
                        k += 1
                    prev = toks[k][0]
                    k += 1
                    continue
            prev = tok
            k += 1
        new_code = code
        for a, b in reversed(repl):
            new_code = new_code[:a] + verdict + new_code[b:]
        out.append(new_code + raw[len(code):])
    return "\n".join(out), edits


def _unq(s):
    return s[1:-1] if len(s) >= 2 and s[0] == '"' and s[-1] == '"' else s


# ------------------------------------------------------------------------ read round trip

RC_ABSENT = 3
RC_SKIPPED = 4
NFT_INCLUDE_DEPTH = 3


def _save_launch(tool, backend, index):
    """Shell text starting ``tool`` in the background into ``$KC_T/save.<index>`` (the
    saves run side by side; the script waits for all of them before the sections)."""
    run = ("if command -v %s >/dev/null 2>&1; then ( %s > \"$KC_T/save.%d\" 2> \"$KC_T/save.%d.err\"; "
           "echo $? > \"$KC_T/save.%d.rc\" ) & fi\n" % (quote(tool), quote(tool), index, index, index))
    if backend is None:
        base = tool[:-len("-save")]
        return ("if command -v %s-legacy-save >/dev/null 2>&1 || command -v %s-nft-save >/dev/null 2>&1; "
                "then : > \"$KC_T/save.%d.skip\"; else %sfi\n" % (quote(base), quote(base), index, run))
    return run


def _save_section(tool, backend, family, index):
    """Print what ``tool`` wrote (see :func:`_save_launch`); keep its ``*table`` lines in
    ``$KC_T/own.<family>`` so the nft section can leave the tables iptables-nft owns to it
    (a legacy table never shows in nft), and those of the nft back end in
    ``$KC_T/nftown.<family>`` (the tables ``nft list flowtables`` must show)."""
    f = "\"$KC_T/save.%d" % index
    nftown = ("grep '^\\*' %s\" >> \"$KC_T/nftown.%s\" 2>/dev/null; " % (f, family)) if backend == "nft" else ""
    return ("[ -e %s.skip\" ] && exit %d\n"
            "[ -e %s.rc\" ] || { echo 'kcrash: %s: command not found' >&2; exit 127; }\n"
            "cat %s\"; cat %s.err\" >&2; grep '^\\*' %s\" >> \"$KC_T/own.%s\" 2>/dev/null; %s"
            "exit \"$(cat %s.rc\")\""
            % (f, RC_SKIPPED, f, tool, f, f, f, family, nftown, f))


def _nft_section():
    """``nft -a list table`` for every table except those an iptables save printed
    (iptables-nft's own: read and changed through iptables-nft-save/-restore).

    The table names come from ``nft list flowtables`` (started in the background next to
    the saves): it prints the header of every table and costs nothing, where ``nft list
    tables`` (nft 1.0.6) fetches every rule, as long as a full dump on a big iptables-nft
    rule set. It is trusted only when it ran, printed at least one table and holds every
    table the iptables-nft saves printed; else ``nft list tables`` is run."""
    return (
        "if ! command -v nft >/dev/null 2>&1; then echo 'kcrash: nft: command not found' >&2; exit 127; fi\n"
        "kc_ok=0\n"
        "if [ \"$(cat \"$KC_T/ft.rc\" 2>/dev/null)\" = 0 ] && grep -q '^table ' \"$KC_T/ft\"; then kc_ok=1; fi\n"
        "for kc_fam in ipv4 ipv6; do\n"
        "  [ $kc_ok = 1 ] && [ -f \"$KC_T/nftown.$kc_fam\" ] || continue\n"
        "  kc_nf=ip; [ $kc_fam = ipv6 ] && kc_nf=ip6\n"
        "  while read -r kc_n; do\n"
        "    grep -q -x -F \"table $kc_nf ${kc_n#?} {\" \"$KC_T/ft\" || kc_ok=0\n"
        "  done < \"$KC_T/nftown.$kc_fam\"\n"
        "done\n"
        "if [ $kc_ok = 1 ]; then kc_tl=\"$KC_T/ft\"; else\n"
        "  kc_tl=\"$KC_T/tables\"\n"
        "  nft list tables > \"$kc_tl\" || exit $?\n"
        "fi\n"
        "while read -r kc_kw kc_fam kc_name kc_rest; do\n"
        "  [ \"$kc_kw\" = table ] || continue\n"
        "  kc_own=''\n"
        "  case \"$kc_fam\" in ip) kc_own=\"$KC_T/own.ipv4\";; ip6) kc_own=\"$KC_T/own.ipv6\";; esac\n"
        "  if [ -n \"$kc_own\" ] && [ -f \"$kc_own\" ] && grep -q -x -F \"*$kc_name\" \"$kc_own\"; then\n"
        "    printf '# kcrash: table %s %s is iptables-nft'\"'\"'s (see its save output)\\n' \"$kc_fam\" \"$kc_name\"; continue\n"
        "  fi\n"
        "  nft -a list table \"$kc_fam\" \"$kc_name\" || exit $?\n"
        "done < \"$kc_tl\"\n"
        "exit 0"
    )


def _file_section(path):
    p = quote(path)
    return "if [ -e %s ]; then cat %s; else exit %d; fi" % (p, p, RC_ABSENT)


def _nft_files_section(marker):
    """Print /etc/nftables.conf (and the sysconfig variant) and every file they include
    (globs expanded, relative names looked up in /etc and /etc/nftables), each framed by
    ``<marker>BEGIN:<path>`` / ``<marker>END`` lines, up to NFT_INCLUDE_DEPTH levels."""
    m = marker
    return (
        "kc_todo='%s'\nkc_seen=' '\nkc_depth=0\n"
        "while [ -n \"$kc_todo\" ] && [ $kc_depth -lt %d ]; do\n"
        "  kc_next=''\n"
        "  for kc_f in $kc_todo; do\n"
        "    case \"$kc_seen\" in *\" $kc_f \"*) continue;; esac\n"
        "    kc_seen=\"$kc_seen$kc_f \"\n"
        "    [ -f \"$kc_f\" ] || continue\n"
        "    printf '\\n%%sBEGIN:%%s\\n' '%s' \"$kc_f\"\n"
        "    cat \"$kc_f\"\n"
        "    printf '\\n%%sEND\\n' '%s'\n"
        "    kc_inc=$(sed -n 's/^[[:space:]]*include[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p' \"$kc_f\")\n"
        "    for kc_i in $kc_inc; do\n"
        "      case \"$kc_i\" in /*) kc_next=\"$kc_next $kc_i\";; *) kc_next=\"$kc_next /etc/$kc_i /etc/nftables/$kc_i\";; esac\n"
        "    done\n"
        "  done\n"
        "  kc_todo=$kc_next\n"
        "  kc_depth=$((kc_depth + 1))\n"
        "done\nexit 0"
        % (" ".join(SAVED_NFT_FILES), NFT_INCLUDE_DEPTH, m, m)
    )


# $SSH_CONNECTION, or under become (sudo's env_reset drops it) that of the nearest ancestor
# process that has it: the login shell sshd started (root may read its /proc environ).
# Prints the value, then where it came from.
SSH_CONNECTION_COMMAND = (
    "kc_s=\"${SSH_CONNECTION:-}\"; kc_f=env; kc_p=$$; kc_n=0\n"
    "while [ -z \"$kc_s\" ] && [ \"${kc_p:-0}\" -gt 1 ] 2>/dev/null && [ $kc_n -lt 32 ]; do\n"
    "  kc_s=$(tr '\\000' '\\n' < /proc/$kc_p/environ 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p' | head -n 1)\n"
    "  kc_f=\"process $kc_p\"\n"
    "  kc_p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$kc_p/status 2>/dev/null); kc_n=$((kc_n + 1))\n"
    "done\n"
    "[ -n \"$kc_s\" ] || kc_f=none\n"
    "printf '%s\\n%s\\n' \"$kc_s\" \"$kc_f\""
)


def read_script(nonce=None):
    """The read round trip: ``(script, nonce)``. Sections: iptables version, every
    ``*-save`` present, ``nft -a list table`` of every table iptables-nft does not own, the
    saved rule files, nftables.conf with its
    includes, ``$SSH_CONNECTION`` and the effective user id."""
    s = Script(nonce)
    # every save and `nft list flowtables` (the table names, see _nft_section) run side by
    # side in the background; the sections print their results in a fixed order
    s.raw("if command -v nft >/dev/null 2>&1; then "
          "( nft list flowtables > \"$KC_T/ft\" 2>/dev/null; echo $? > \"$KC_T/ft.rc\" ) & fi")
    for i, (fam, backend, tool) in enumerate(IPTABLES_TOOLS):
        s.raw(_save_launch(tool, backend, i))
    s.section("version.iptables", tool_command("iptables", "--version"))
    s.raw("wait")
    for i, (fam, backend, tool) in enumerate(IPTABLES_TOOLS):
        s.section("save." + tool, _save_section(tool, backend, fam, i))
    s.section("nft", _nft_section())
    for path, _fam in SAVED_IPTABLES_FILES + ((FIREWALLD_DIRECT, None),):
        s.section("file." + path.strip("/").replace("/", "_"), _file_section(path))
    s.section("nftconf", _nft_files_section("@@KCFILE:%s:" % s.nonce))
    s.section("ssh", SSH_CONNECTION_COMMAND)
    s.section("uid", "id -u")
    return s.render(), s.nonce


_VERSION_RE = re.compile(r"v(\d+)\.(\d+)(?:\.(\d+))?")


def iptables_version(text):
    """``iptables v1.8.9 (nf_tables)`` -> ((1, 8, 9), "nft"); None when unknown."""
    m = _VERSION_RE.search(text or "")
    if not m:
        return None, None
    v = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    backend = "nft" if "nf_tables" in text else "legacy"
    return v, backend


def restore_supports_wait(version):
    """``iptables-restore -w`` exists since iptables 1.6.2 (el6's 1.4.7 and el7's 1.4.21
    have none)."""
    return version is not None and tuple(version) >= (1, 6, 2)


class ReadResult(object):
    def __init__(self):
        self.version = None
        self.default_backend = None
        self.dumps = []
        self.nft_text = None
        self.saved = {}
        self.nft_saved = {}
        self.ssh_connection = None
        self.ssh_connection_from = None
        self.uid = None
        self.missing = []
        self.errors = []


def parse_read(stdout, nonce, host=None):
    """Split and parse the read round trip's answer. Raises KcrashParseError (naming
    host and command) on garbled tool output."""
    sections = split_sections(stdout, nonce, command="nfqueue_target read")
    rr = ReadResult()
    sec = sections.get("version.iptables")
    if sec is not None and sec.ok:
        rr.version, rr.default_backend = iptables_version(sec.stdout)
    for fam, backend, tool in IPTABLES_TOOLS:
        sec = sections.get("save." + tool)
        if sec is None or sec.rc == RC_SKIPPED:
            continue
        if sec.missing:
            rr.missing.append(tool)
            continue
        if not sec.ok:
            rr.errors.append("%s failed (rc %s): %s" % (tool, sec.rc, sec.stderr.strip()[:300]))
            continue
        b = backend
        if b is None:
            m = re.search(r"^# Generated by \S+ v[\d.]+ \(([a-z_]+)\)", sec.stdout, re.M)
            if m:
                b = "nft" if m.group(1) == "nf_tables" else "legacy"
            else:
                b = rr.default_backend or "legacy"
        try:
            rr.dumps.append(Dump(fam, b, tool, sec.stdout))
        except KcrashParseError as e:
            raise e.with_host(host) if host else e
    sec = sections.get("nft")
    if sec is not None:
        if sec.ok:
            rr.nft_text = sec.stdout
        elif sec.missing:
            rr.missing.append("nft")
        elif sec.stdout.strip() or sec.stderr.strip():
            rr.errors.append("nft -a list ruleset failed (rc %s): %s" % (sec.rc, sec.stderr.strip()[:300]))
    for path, _fam in SAVED_IPTABLES_FILES + ((FIREWALLD_DIRECT, None),):
        sec = sections.get("file." + path.strip("/").replace("/", "_"))
        if sec is None or sec.rc == RC_ABSENT:
            rr.saved[path] = None
        elif sec.ok:
            rr.saved[path] = sec.stdout
        else:
            rr.errors.append("cannot read %s: %s" % (path, sec.stderr.strip()[:300]))
            rr.saved[path] = None
    sec = sections.get("nftconf")
    if sec is not None and sec.ok:
        rr.nft_saved = split_files(sec.stdout, "@@KCFILE:%s:" % nonce)
    sec = sections.get("ssh")
    if sec is not None and sec.ok:
        lines = sec.stdout.split("\n")
        rr.ssh_connection = lines[0].strip() or None
        rr.ssh_connection_from = (lines[1].strip() if len(lines) > 1 else "env") if rr.ssh_connection else None
    sec = sections.get("uid")
    if sec is not None and sec.ok and sec.stdout.strip().isdigit():
        rr.uid = int(sec.stdout.strip())
    return rr


def split_files(text, marker):
    """``{path: content}`` from ``\\n<marker>BEGIN:<path>\\n<content>\\n<marker>END\\n``."""
    out = {}
    pos = 0
    begin = "\n" + marker + "BEGIN:"
    while True:
        b = text.find(begin, pos)
        if b < 0:
            break
        nl = text.find("\n", b + len(begin))
        if nl < 0:
            break
        path = text[b + len(begin):nl]
        end_tag = "\n" + marker + "END\n"
        e = text.find(end_tag, nl + 1)
        if e < 0:
            raise KcrashParseError("nftables.conf", "output truncated inside %s" % path)
        out[path] = text[nl + 1:e]
        pos = e + len(end_tag) - 1
    return out


# ------------------------------------------------------------------------ verification

VERIFIED = object()  # marker: the host compared the post-apply digest itself and it matched


def verify(result, listings):
    """Compare the post-apply listings (``rollback.split_verify``) with the plan.

    For every planned replacement the new rule must be in its chain and no selected old
    rule may be left. Returns ``{"ok": bool, "problems": [...], "moved": [...]}``; a
    replacement found in its chain but not at its planned position (another process
    inserted or removed rules meanwhile) is listed in ``moved``, not a problem.
    """
    problems = []
    moved = []
    for i, tx in enumerate(result["iptables"]):
        text = listings.get(("ipt", i))
        if text is None:
            problems.append("no verification listing for %s table %s" % (tx["save_tool"], tx["table"]))
            continue
        if text is VERIFIED:
            # the host found the affected chains exactly as planned (digest of the rule lines)
            continue
        try:
            rs = ips.parse(text, command="%s -t %s (verify)" % (tx["save_tool"], tx["table"]))
        except KcrashParseError as e:
            problems.append(str(e))
            continue
        t = rs.tables.get(tx["table"])
        rules = t.rules if t is not None else []
        texts = {}
        for r in rules:
            texts.setdefault(r.chain, []).append(r.text.rstrip(" "))
        counts = {}
        for chain, lst in texts.items():
            c = counts[chain] = {}
            for x in lst:
                c[x] = c.get(x, 0) + 1
        for ch in result["changes"]:
            if ch.get("tool") != tx["save_tool"] or ch["table"] != tx["table"]:
                continue
            chain = texts.get(ch["chain"], [])
            cnt = counts.get(ch["chain"], {})
            if cnt.get(ch["rule"].rstrip(" ")):
                problems.append("%s %s %s: the NFQUEUE rule is still there: %s"
                                % (tx["save_tool"], tx["table"], ch["chain"], ch["rule"]))
            if not cnt.get(ch["new_rule"]):
                problems.append("%s %s %s: the replacement is missing: %s"
                                % (tx["save_tool"], tx["table"], ch["chain"], ch["new_rule"]))
            elif len(chain) < ch["position"] or chain[ch["position"] - 1] != ch["new_rule"]:
                moved.append("%s %s %s #%d" % (tx["save_tool"], tx["table"], ch["chain"], ch["position"]))
    nft_tx = result.get("nft")
    if nft_tx:
        for i, (fam, name) in enumerate(nft_tx["tables"]):
            text = listings.get(("nft", i))
            if text is None:
                problems.append("no verification listing for nft table %s %s" % (fam, name))
                continue
            try:
                rs = nftm.parse_text(text, command="nft -a list table %s %s (verify)" % (fam, name))
            except KcrashParseError as e:
                problems.append(str(e))
                continue
            got = {}
            for r in rs.rules():
                got.setdefault(r.chain, []).append(r.text)
            for ch in result["changes"]:
                if ch["backend"] != "nftables" or (ch["family"], ch["table"]) != (fam, name):
                    continue
                if ch["new_rule"] not in got.get(ch["chain"], []):
                    problems.append("nft %s %s %s: the replacement is missing: %s"
                                    % (fam, name, ch["chain"], ch["new_rule"]))
                if ch["rule"] in got.get(ch["chain"], []):
                    problems.append("nft %s %s %s: the queue rule is still there: %s"
                                    % (fam, name, ch["chain"], ch["rule"]))
    return {"ok": not problems, "problems": problems, "moved": moved}
