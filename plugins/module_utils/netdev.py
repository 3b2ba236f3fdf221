# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Interface kinds from what the probe read in /sys/class/net, and which NICs can feed a rule.

Works with what el6's 2.6.32 sysfs offers (``master`` link, ``bonding/slaves``,
``brport/``, ``/proc/net/vlan/config``) and with the ``lower_*``/``upper_*`` links and
``uevent`` DEVTYPE of newer kernels.

Kinds: ``loopback``, ``physical``, ``bond``, ``bond_slave``, ``team``, ``team_slave``,
``bridge``, ``bridge_port``, ``vlan``, ``virtual`` (veth, tun/tap, macvlan, vxlan, dummy ...;
``virtual_type`` says which when known).

LRO is done by the driver that receives a packet from the wire (or from its peer): a
physical NIC, a bond or team slave, a bridge port, or a virtual leaf device (veth, tap).
A bond, team, bridge, VLAN or macvlan on top only mirrors the flags of what is below
it, so :func:`candidate_nics` never returns those: it returns the devices below them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import quote

MAX_INTERFACES = 512
_KV_RE = re.compile(r"^([A-Za-z0-9_.]+)=(.*)\Z")

KINDS = ("loopback", "physical", "bond", "bond_slave", "team", "team_slave", "bridge",
         "bridge_port", "vlan", "virtual")

# Kinds that aggregate or stack on other devices: their LRO flag is not where LRO happens.
STACKED = ("bond", "team", "bridge", "vlan", "loopback")

# Drivers that implement LRO that can be on (FACTS.md; ixgbe RSC on by default in el6 6.5-6.7)
LRO_DRIVERS = ("ixgbe", "bnx2x", "vmxnet3", "qlcnic", "netxen_nic", "myri10ge", "s2io",
               "bnxt_en", "mlx5_core", "mlx4_en", "enic", "qlge", "sfc", "be2net", "cxgb4",
               "ixgbevf", "nfp", "ionic", "ice", "i40e", "hinic", "hns3")

_VIRTUAL_DRIVERS = {
    "veth": "veth", "tun": "tun", "macvlan": "macvlan", "macvtap": "macvtap", "ipvlan": "ipvlan",
    "vxlan": "vxlan", "dummy": "dummy", "ifb": "ifb", "geneve": "geneve", "gre": "gre",
    "ip_gre": "gre", "ipip": "ipip", "sit": "sit", "wireguard": "wireguard", "openvswitch": "openvswitch",
    "vrf": "vrf", "nlmon": "nlmon", "802.1Q VLAN Support": "vlan", "bridge": "bridge",
    "bonding": "bond", "team": "team",
}


def parse_vlan_config(text):
    """``/proc/net/vlan/config`` -> {vlan_dev: lower_dev}."""
    out = {}
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[0] and parts[2] and re.match(r"^\d+$", parts[1]):
            out[parts[0]] = parts[2]
    return out


def _attr_int(attrs, key):
    v = attrs.get(key, "").strip()
    return int(v) if re.match(r"^-?\d+$", v) else None


def _base_kind(r, vlans):
    a = r["attrs"]
    name = r["name"]
    driver = a.get("driver") or a.get("device_driver")
    devtype = a.get("devtype")
    if name == "lo" or _attr_int(a, "type") == 772:
        return "loopback", None
    if a.get("bonding") == "1" or devtype == "bond" or driver == "bonding":
        return "bond", None
    if driver == "team" or devtype == "team":
        return "team", None
    if a.get("bridge") == "1" or devtype == "bridge" or driver == "bridge":
        return "bridge", None
    if name in vlans or devtype == "vlan" or driver == "802.1Q VLAN Support":
        return "vlan", None
    if a.get("device") == "1":
        return "physical", None
    vt = None
    if driver in _VIRTUAL_DRIVERS:
        vt = _VIRTUAL_DRIVERS[driver]
    elif devtype:
        vt = devtype
    elif a.get("tun") == "1":
        vt = "tun"
    return "virtual", vt


def build_interfaces(raw, vlans=None):
    """``raw``: [{name, attrs{...}, lower[], upper[]}] from the probe -> interface facts."""
    vlans = vlans or {}
    base = {}
    for r in raw:
        base[r["name"]] = _base_kind(r, vlans)
    out = {}
    for r in raw:
        a = r["attrs"]
        name = r["name"]
        kind, vtype = base[name]
        master = a.get("master") or None
        role = None
        if master:
            mk = base.get(master, (None, None))[0]
            if mk == "bond" or a.get("bonding_slave") == "1":
                role = "bond_slave"
            elif mk == "team":
                role = "team_slave"
            elif mk == "bridge" or a.get("brport") == "1":
                role = "bridge_port"
        elif a.get("brport") == "1":
            role = "bridge_port"
        elif a.get("bonding_slave") == "1":
            role = "bond_slave"
        lower = list(r.get("lower") or [])
        if kind == "vlan" and name in vlans and vlans[name] not in lower:
            lower.append(vlans[name])
        if kind == "bond":
            for s in (a.get("bond_slaves") or "").split():
                if s not in lower:
                    lower.append(s)
        out[name] = {
            "kind": role if (role and kind in ("physical", "virtual")) else kind,
            "physical": a.get("device") == "1",
            "virtual_type": vtype,
            "driver": a.get("driver") or a.get("device_driver") or None,
            "master": master,
            "lower": lower,
            "upper": list(r.get("upper") or []),
            "operstate": a.get("operstate") or None,
            "mtu": _attr_int(a, "mtu"),
        }
    # masters learn their slaves from the slaves' master links (el6 has no lower_* links)
    for name, info in out.items():
        m = info["master"]
        if m in out and name not in out[m]["lower"]:
            out[m]["lower"].append(name)
        for lo in info["lower"]:
            if lo in out and name not in out[lo]["upper"]:
                out[lo]["upper"].append(name)
    return out


def is_candidate(info):
    """True when LRO on this device would aggregate packets the stack then sees."""
    kind = info.get("kind")
    if kind in STACKED:
        return False
    if kind in ("physical", "bond_slave", "team_slave", "bridge_port"):
        return True
    if kind == "virtual":
        # a stacked virtual device (macvlan, ipvlan, vxlan) gets its packets from below
        return not info.get("lower")
    return False


def leaves_below(interfaces, name, _seen=None):
    """The candidate devices below ``name`` (a bond, VLAN, bridge ...), depth first."""
    seen = _seen if _seen is not None else set()
    if name in seen or name not in interfaces:
        return []
    seen.add(name)
    info = interfaces[name]
    if is_candidate(info):
        return [name]
    out = []
    for lo in info.get("lower") or []:
        for x in leaves_below(interfaces, lo, seen):
            if x not in out:
                out.append(x)
    return out


def candidate_nics(facts):
    """Names of the NICs that can feed an NFQUEUE rule with LRO-aggregated packets:
    physical NICs, bond/team slaves, bridge ports and virtual leaf devices; never a
    bond/team/bridge/VLAN on top (its slaves are returned instead). Sorted by name.

    ``facts`` is the ``kcrash_nfqueue`` facts dict or its ``interfaces`` mapping."""
    interfaces = facts.get("interfaces", facts) if isinstance(facts, dict) else {}
    if not isinstance(interfaces, dict):
        return []
    return sorted(n for n, i in interfaces.items() if isinstance(i, dict) and is_candidate(i))


def describe(name, info):
    """``eth0 (physical, ixgbe)`` style label for reasons."""
    bits = [info.get("kind") or "?"]
    if info.get("virtual_type") and info.get("virtual_type") != info.get("kind"):
        bits.append(info["virtual_type"])
    if info.get("driver"):
        bits.append(info["driver"])
    if info.get("master"):
        bits.append("in " + info["master"])
    return "%s (%s)" % (name, ", ".join(bits))


# ======================================================= the walk over /sys/class/net

def walk_script(marker):
    """Shell text of the interface walk (the probe's ``interfaces`` section, also the offload
    read's): sysfs attributes, links and driver of every device, ``ethtool -k`` of each,
    then ``/proc/net/vlan/config``. Marker lines start with ``marker``."""
    m = quote(marker)
    return (
        "M=%(m)s\n"
        "kc_et=''; command -v ethtool >/dev/null 2>&1 && kc_et=1\n"
        "[ -n \"$kc_et\" ] || printf '%%sNO_ETHTOOL\\n' \"$M\"\n"
        "kc_n=0\n"
        "for d in /sys/class/net/*; do\n"
        "  [ -d \"$d\" ] || continue\n"
        "  n=${d##*/}\n"
        "  kc_n=$((kc_n+1))\n"
        "  if [ \"$kc_n\" -gt %(max)d ]; then printf '%%sTRUNCATED\\n' \"$M\"; break; fi\n"
        "  printf '%%sIF %%s\\n' \"$M\" \"$n\"\n"
        "  for a in type ifindex iflink operstate mtu; do\n"
        "    kc_v=''; [ -r \"$d/$a\" ] && read -r kc_v < \"$d/$a\" 2>/dev/null; printf '%%s=%%s\\n' \"$a\" \"$kc_v\"\n"
        "  done\n"
        "  [ -e \"$d/device\" ] && printf 'device=1\\n'\n"
        "  if [ -L \"$d/device/driver\" ]; then kc_l=$(readlink \"$d/device/driver\" 2>/dev/null); "
        "printf 'device_driver=%%s\\n' \"${kc_l##*/}\"; fi\n"
        "  if [ -d \"$d/bonding\" ]; then kc_v=''; read -r kc_v < \"$d/bonding/slaves\" 2>/dev/null; "
        "printf 'bonding=1\\nbond_slaves=%%s\\n' \"$kc_v\"; fi\n"
        "  [ -d \"$d/bonding_slave\" ] && printf 'bonding_slave=1\\n'\n"
        "  [ -d \"$d/bridge\" ] && printf 'bridge=1\\n'\n"
        "  [ -d \"$d/brport\" ] && printf 'brport=1\\n'\n"
        "  [ -e \"$d/tun_flags\" ] && printf 'tun=1\\n'\n"
        "  if [ -L \"$d/master\" ]; then kc_l=$(readlink \"$d/master\" 2>/dev/null); printf 'master=%%s\\n' \"${kc_l##*/}\"; fi\n"
        "  for l in \"$d\"/lower_*; do [ -L \"$l\" ] && printf 'lower=%%s\\n' \"${l##*/lower_}\"; done\n"
        "  for l in \"$d\"/upper_*; do [ -L \"$l\" ] && printf 'upper=%%s\\n' \"${l##*/upper_}\"; done\n"
        "  if [ -r \"$d/uevent\" ]; then while IFS='=' read -r kc_k kc_v; do "
        "[ \"$kc_k\" = DEVTYPE ] && printf 'devtype=%%s\\n' \"$kc_v\"; done < \"$d/uevent\"; fi\n"
        "  if [ -n \"$kc_et\" ]; then\n"
        "    ethtool -i \"$n\" > \"$KC_T/i\" 2>/dev/null\n"
        "    while read -r kc_k kc_v; do [ \"$kc_k\" = driver: ] && printf 'driver=%%s\\n' \"$kc_v\"; done < \"$KC_T/i\"\n"
        "    printf '%%sETHTOOL_K\\n' \"$M\"\n"
        "    ethtool -k \"$n\" 2>\"$KC_T/e\"\n"
        "    printf '\\n%%sETHTOOL_RC %%s\\n' \"$M\" \"$?\"\n"
        "    [ -s \"$KC_T/e\" ] && head -c 2048 \"$KC_T/e\" 2>/dev/null\n"
        "  fi\n"
        "  printf '\\n%%sEND\\n' \"$M\"\n"
        "done\n"
        "if [ -r /proc/net/vlan/config ]; then printf '%%sVLAN\\n' \"$M\"; head -c 65536 /proc/net/vlan/config; fi\n"
        "exit 0"
    ) % {"m": m, "max": MAX_INTERFACES}


def parse_walk(text, marker):
    """The answer of :func:`walk_script` -> (interfaces [raw per device], vlan_config_text, flags)."""
    ifaces = {}
    order = []
    cur = None
    mode = None  # None | "k"
    buf = []
    vlan = None
    flags = {"no_ethtool": False, "truncated": False}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith(marker):
            tag = line[len(marker):]
            if tag == "NO_ETHTOOL":
                flags["no_ethtool"] = True
            elif tag == "TRUNCATED":
                flags["truncated"] = True
            elif tag.startswith("IF "):
                name = tag[3:]
                cur = {"name": name, "attrs": {}, "lower": [], "upper": [], "ethtool_k": None,
                       "ethtool_rc": None, "ethtool_err": ""}
                ifaces[name] = cur
                order.append(name)
                mode = None
            elif tag == "ETHTOOL_K":
                mode = "k"
                buf = []
            elif tag.startswith("ETHTOOL_RC "):
                if cur is not None:
                    # the script adds one newline before the RC marker
                    cur["ethtool_k"] = "\n".join(buf)
                    try:
                        cur["ethtool_rc"] = int(tag.split()[1])
                    except (ValueError, IndexError):
                        cur["ethtool_rc"] = None
                mode = "err"
                buf = []
            elif tag == "END":
                if cur is not None and mode == "err":
                    cur["ethtool_err"] = "\n".join(buf).strip()
                mode = None
                cur = None
            elif tag == "VLAN":
                vlan = "\n".join(lines[i:])
                break
            continue
        if mode in ("k", "err"):
            buf.append(line)
            continue
        if cur is None:
            continue
        m = _KV_RE.match(line.strip())
        if not m:
            continue
        k, v = m.group(1), m.group(2)
        if k == "lower":
            cur["lower"].append(v)
        elif k == "upper":
            cur["upper"].append(v)
        else:
            cur["attrs"][k] = v
    return [ifaces[n] for n in order], vlan, flags
