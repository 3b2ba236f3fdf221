# shellcheck shell=sh
# Base lab init step: nothing host specific, just record what the container sees.
ifaces=
for i in /sys/class/net/*; do ifaces="$ifaces ${i##*/}"; done
printf 'kernel %s, ifaces:%s\n' "$(cat /proc/sys/kernel/osrelease)" "$ifaces"
