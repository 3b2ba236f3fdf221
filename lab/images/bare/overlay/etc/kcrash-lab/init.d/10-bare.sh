# shellcheck shell=sh
# Lab init of the `bare` host (no Python, busybox sh): one NFQUEUE rule so actions have
# something to do, saved in the iptables-persistent layout.
iptables-restore </etc/iptables/rules.v4
iptables-save
