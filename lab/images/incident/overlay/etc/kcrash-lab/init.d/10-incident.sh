# shellcheck shell=sh
# Lab init of the `incident` host (seed replica), run at every container start.
# 1. "Driver default" NIC offload state: reset the ethtool stand-in state of each emulated
#    interface from its recording (a reboot resets NIC settings).
state=/var/lib/kcrash-lab/ethtool
mkdir -p "$state"
while read -r iface recording; do
    [ -n "$iface" ] || continue
    sed "1s/^Features for [^:]*:/Features for $iface:/" \
        "/usr/local/share/kcrash-lab/ethtool/$recording" >"$state/.$iface.k.tmp"
    mv -f "$state/.$iface.k.tmp" "$state/$iface.k"
done </usr/local/share/kcrash-lab/ethtool/interfaces

# 2. What el6 initscripts (ifup-eth) do with ETHTOOL_OPTS at boot: run each ';'-separated
#    command that starts with '-' as `ethtool <command>`, else `ethtool -s DEV <opts>`.
#    Errors are ignored, as ifup-eth does. Here `ethtool` is the PATH one (the stand-in).
for cfg in /etc/sysconfig/network-scripts/ifcfg-*; do
    [ -f "$cfg" ] || continue
    opts=$(sed -n 's/^ETHTOOL_OPTS=//p' "$cfg" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/")
    dev=$(sed -n 's/^DEVICE=//p' "$cfg" | tail -n 1 | tr -d '"')
    [ -n "$opts" ] || continue
    case "$opts" in
        -*)
            old_ifs=$IFS
            IFS=';'
            for cmd in $opts; do
                IFS=$old_ifs
                # shellcheck disable=SC2086
                ethtool $cmd || printf 'ETHTOOL_OPTS of %s: ethtool %s failed (ignored, as ifup-eth does)\n' "$cfg" "$cmd"
            done
            IFS=$old_ifs
            ;;
        *)
            # shellcheck disable=SC2086
            ethtool -s "$dev" $opts || printf 'ETHTOOL_OPTS of %s failed (ignored)\n' "$cfg"
            ;;
    esac
done

# 3. Firewall as the seed host had it: the saved filter table (service iptables start), then
#    the seed's exact ipset + mangle rule, loaded live.
iptables-restore -T filter </etc/sysconfig/iptables
ipset create lee hash:ip hashsize 819200 maxelem 100000 timeout 300
ipset add lee 1.1.1.1 timeout 300
iptables -t mangle -I PREROUTING -p tcp -m multiport --dports 80,443 -m set --match-set lee src -m string --string t.test.com --algo kmp --from 0 --to 1480 -j NFQUEUE
iptables-save -t mangle
