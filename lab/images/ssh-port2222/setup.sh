# shellcheck shell=sh
# Build step of `ssh-port2222`: sshd moved to 2222 (overlay), and the saved el6 filter table
# opens 2222 instead of 22, as the admin who moved sshd would have done.
sed -i 's/--dport 22 -j ACCEPT/--dport 2222 -j ACCEPT/' /etc/sysconfig/iptables
grep -q -- '--dport 2222 -j ACCEPT' /etc/sysconfig/iptables
mkdir -p /run/sshd && /usr/sbin/sshd -T | grep -qx 'port 2222'
