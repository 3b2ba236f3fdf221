# shellcheck shell=sh
# Lab init of the `modern` host (Debian 12 inline IPS), run at every container start.
# Data interface for ifupdown: a veth pair (lab0 <-> lab0p), brought up by the real ifup,
# whose ethtool hook applies the offload-* options of /etc/network/interfaces.
ip link show lab0 >/dev/null 2>&1 || ip link add lab0 type veth peer name lab0p
ip link set lab0p up
mkdir -p /run/network
ifup lab0
# Real GRO/GSO on for podman's eth0 too (veth offloads toggle for real).
ethtool -K eth0 gro on gso on
# iptables-persistent layout: /etc/iptables/rules.v4 and rules.v6 (iptables-nft back end).
iptables-restore </etc/iptables/rules.v4
ip6tables-restore </etc/iptables/rules.v6
iptables-save
ip6tables-save
printf 'ip_forward=%s\n' "$(cat /proc/sys/net/ipv4/ip_forward)"
