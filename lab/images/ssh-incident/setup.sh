# shellcheck shell=sh
# Build step of the `ssh-incident` image (runs with /bin/sh -eu inside the image): the seed host
# as a user reaches it: SSH as `ops` (key login), sudo NOPASSWD with `Defaults requiretty`
# (stock RHEL 6), no Python anywhere. /tmp is a noexec tmpfs (run-args). The user `ops` with
# key login comes from `ssh-login` (scripts/lab.sh).
pkgs=$(dpkg-query -W -f '${Package}\n' | grep -E '^(python3|libpython3)' || true)
# shellcheck disable=SC2086
[ -z "$pkgs" ] || dpkg --purge $pkgs
rm -rf /usr/lib/python3* /usr/local/lib/python3*
for p in python3 python python2; do
    if command -v "$p"; then echo "$p still present" >&2; exit 1; fi
done
printf 'Defaults requiretty\nops ALL=(ALL) NOPASSWD: ALL\n' >/etc/sudoers.d/ops
chmod 0440 /etc/sudoers.d/ops
visudo -c
# sshd's PATH for a user command is /usr/local/bin:/usr/bin:/bin: make the lab's el6
# stand-ins (uname, ethtool in /usr/local/sbin) first there too, as they are for root
ln -sf /usr/local/sbin/uname /usr/local/bin/uname
ln -sf /usr/local/sbin/ethtool /usr/local/bin/ethtool
