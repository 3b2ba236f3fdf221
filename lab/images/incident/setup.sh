# shellcheck shell=sh
# Build step of the `incident` image (runs with /bin/sh -eu inside the image).
# el6 used iptables' legacy (x_tables) back end.
update-alternatives --set iptables /usr/sbin/iptables-legacy
update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy
# RHEL 6 has no os-release; it has /etc/redhat-release (overlay) and /etc/system-release.
rm -f /etc/os-release /usr/lib/os-release /etc/debian_version
ln -sf redhat-release /etc/system-release
# wtmp written by the real utmpdump from its text form: a session cut by a crash, so
# `last -x` prints "- crash" (2017-10-31, the seed's panic).
utmpdump -r </usr/local/share/kcrash-lab/wtmp.utmpdump >/var/log/wtmp 2>/dev/null
chmod 664 /var/log/wtmp
last -x -f /var/log/wtmp | grep -q crash
chmod 755 /usr/local/sbin/ethtool /usr/local/sbin/uname
# kdump's crash directory (its name has a ':' that git/ansible-test file names avoid)
mkdir -p '/var/crash/2017-10-31-11:53'
mv /usr/local/share/kcrash-lab/vmcore-dmesg.txt '/var/crash/2017-10-31-11:53/vmcore-dmesg.txt'
chmod 644 '/var/crash/2017-10-31-11:53/vmcore-dmesg.txt'
