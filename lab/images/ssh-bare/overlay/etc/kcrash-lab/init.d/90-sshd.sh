# shellcheck shell=sh
# Lab init of the SSH hosts: start sshd (it forks after binding its port, so the host is
# reachable once the lab marks it ready).
mkdir -p /run/sshd
chmod 0755 /run/sshd
/usr/sbin/sshd -t
/usr/sbin/sshd
