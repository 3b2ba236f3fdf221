# shellcheck shell=sh
# Lab init of the `clean` host: nothing to remediate. A plain firewall with no NFQUEUE rule;
# the veth's LRO is "off [fixed]" (real ethtool), GRO/GSO left at their defaults.
iptables-restore </etc/iptables/rules.v4
iptables-save
ethtool -k eth0 | grep -E 'large-receive-offload|generic-(receive|segmentation)-offload'
