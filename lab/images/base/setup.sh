# shellcheck shell=sh
# Build step of the shared lab base (runs with /bin/sh -eu inside the image).
mkdir -p /var/lib/kcrash-lab /etc/kcrash-lab/init.d
# No daemons are started in lab containers; keep policy-rc.d strict for later apt installs.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
