# shellcheck shell=sh
# Build step of the `ssh-incident` image (runs with /bin/sh -eu inside the image): the seed host
# as a user reaches it: SSH as `ops` (key login), sudo NOPASSWD with `Defaults requiretty`
# (stock RHEL 6), no Python anywhere. /tmp is a noexec tmpfs (run-args).
pkgs=$(dpkg-query -W -f '${Package}\n' | grep -E '^(python3|libpython3)' || true)
# shellcheck disable=SC2086
[ -z "$pkgs" ] || dpkg --purge $pkgs
rm -rf /usr/lib/python3* /usr/local/lib/python3*
for p in python3 python python2; do
    if command -v "$p"; then echo "$p still present" >&2; exit 1; fi
done
useradd -m -s /bin/bash ops
usermod -p '*' ops                       # no password: key login only (not "locked")
install -d -m 0700 -o ops -g ops /home/ops/.ssh
install -m 0600 -o ops -g ops /etc/kcrash-lab/lab-ssh-key.pub /home/ops/.ssh/authorized_keys
printf 'Defaults requiretty\nops ALL=(ALL) NOPASSWD: ALL\n' >/etc/sudoers.d/ops
chmod 0440 /etc/sudoers.d/ops
visudo -c
# containers cannot write /proc/self/loginuid: PAM's loginuid step must not end the session
sed -i 's/^session\s\+required\s\+pam_loginuid.so/session optional pam_loginuid.so/' /etc/pam.d/sshd /etc/pam.d/login
# sshd's PATH for a user command is /usr/local/bin:/usr/bin:/bin: make the lab's el6
# stand-ins (uname, ethtool in /usr/local/sbin) first there too, as they are for root
ln -sf /usr/local/sbin/uname /usr/local/bin/uname
ln -sf /usr/local/sbin/ethtool /usr/local/bin/ethtool
mkdir -p /run/sshd && /usr/sbin/sshd -t
