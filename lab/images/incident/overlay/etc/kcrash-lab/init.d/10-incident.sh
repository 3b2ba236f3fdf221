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

# 2. What el6 initscripts (ifup-eth -> ethtool_set) do with ETHTOOL_OPTS at boot, by the
#    lab stand-in /usr/local/lib/kcrash-lab/ifup-ethtool.sh (bash, as initscripts are; it says
#    which initscripts version it reproduces). Same file selection as the el6 network service:
#    no backup files, no aliases (':'). Errors are ignored, as ifup-eth does.
for cfg in /etc/sysconfig/network-scripts/ifcfg-*; do
    [ -f "$cfg" ] || continue
    case "$cfg" in
        *~ | *.bak | *.old | *.orig | *.rpmnew | *.rpmorig | *.rpmsave | *:*) continue ;;
    esac
    bash /usr/local/lib/kcrash-lab/ifup-ethtool.sh "$cfg"
done

# 3. Firewall as the seed host had it: the saved filter table (service iptables start), then
#    the seed's exact ipset + mangle rule, loaded live.
iptables-restore -T filter </etc/sysconfig/iptables
ipset create lee hash:ip hashsize 819200 maxelem 100000 timeout 300
ipset add lee 1.1.1.1 timeout 300
iptables -t mangle -I PREROUTING -p tcp -m multiport --dports 80,443 -m set --match-set lee src -m string --string t.test.com --algo kmp --from 0 --to 1480 -j NFQUEUE
iptables-save -t mangle
