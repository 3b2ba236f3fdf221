#!/usr/bin/env bash
# LAB STAND-IN for what RHEL 6/7 initscripts do with ETHTOOL_OPTS when an interface comes up
# (ifup-eth -> ethtool_set in network-functions). Reproduces initscripts 9.03.24 (the first
# el6 release with the multi-command form; same logic through 9.03.61 and el7's 9.49.x, whose
# only addition is the optional ETHTOOL_DELAY sleep, not reproduced):
#   * the ifcfg file is sourced by bash (`. ifcfg-X`, source_config), so the value is what
#     bash makes of it: any quoting, escapes, ${DEVICE} and other expansions;
#   * REALDEVICE is DEVICE up to the first ':';
#   * the value is split on ';' only; each part that contains a '-' anywhere (bash
#     `[[ part =~ [[:space:]]*- ]]`, which is not anchored) runs as `ethtool <part>`, any
#     other part as `ethtool -s REALDEVICE <part>`, the part unquoted (split on blanks,
#     globbed), an empty part included;
#   * a failing ethtool is ignored.
# Differences, all on purpose: `ethtool` is looked up in PATH (the lab's ethtool stand-in
# comes first there; initscripts call /sbin/ethtool, which here would be the real tool), and
# a failure is logged on stdout (initscripts print ethtool's own error only).
# Usage: ifup-ethtool.sh IFCFG_FILE    (run by /etc/kcrash-lab/init.d/10-incident.sh)
cfg=$1
# shellcheck disable=SC1090
. "$cfg" || exit 0
# the network service brings up at boot every ifcfg without ONBOOT=no
case "${ONBOOT-}" in [Nn][Oo]) exit 0 ;; esac
[ -n "${ETHTOOL_OPTS-}" ] || exit 0
REALDEVICE=${DEVICE%%:*}
saved_ifs=$IFS
IFS=';'
# shellcheck disable=SC2086
set -- $ETHTOOL_OPTS
IFS=$saved_ifs
for part in "$@"; do
    if [[ "$part" =~ [[:space:]]*- ]]; then
        # shellcheck disable=SC2086
        ethtool $part || printf 'ETHTOOL_OPTS of %s: ethtool %s failed (ignored, as ifup-eth does)\n' "$cfg" "$part"
    else
        # shellcheck disable=SC2086
        ethtool -s "$REALDEVICE" $part ||
            printf 'ETHTOOL_OPTS of %s: ethtool -s %s %s failed (ignored, as ifup-eth does)\n' "$cfg" "$REALDEVICE" "$part"
    fi
done
exit 0
