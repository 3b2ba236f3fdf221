# shellcheck shell=sh
# Build step of `ssh-bare`: the busybox host over SSH. /bin/sh (already busybox ash) is also
# ops' login shell (ssh-login), and busybox applets come first in every PATH (sshd's user PATH and sudo's
# secure_path both start with /usr/local/bin after /usr/local/sbin): `last` (no -x), `ps`,
# `ip`, `sed`, `awk`, `find`, `mktemp`, ... are busybox's. No Python (from `bare`).
/bin/busybox --install -s /usr/local/bin
rm -f /usr/local/bin/sh
printf 'ops ALL=(ALL) NOPASSWD: ALL\n' >/etc/sudoers.d/ops
chmod 0440 /etc/sudoers.d/ops
visudo -c
# a wtmp for the crash-evidence leg, read here by busybox `last` (which has no -x)
utmpdump -r </usr/local/share/kcrash-lab/wtmp.utmpdump >/var/log/wtmp 2>/dev/null
chmod 664 /var/log/wtmp
case "$(readlink -f /usr/local/bin/last)" in */busybox) ;; *) echo "last is not busybox" >&2; exit 1 ;; esac
