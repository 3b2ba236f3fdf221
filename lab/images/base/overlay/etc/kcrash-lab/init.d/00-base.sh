# Base lab init step: nothing host specific, just record what the container sees.
printf 'kernel %s, ifaces: %s\n' "$(cat /proc/sys/kernel/osrelease)" "$(ls /sys/class/net | tr '\n' ' ')"
