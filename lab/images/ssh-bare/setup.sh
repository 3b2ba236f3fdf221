# shellcheck shell=sh
# Build step of `ssh-bare`: the busybox host over SSH. /bin/sh (already busybox ash) is also
# ops' login shell, and busybox applets come first in every PATH (sshd's user PATH and sudo's
# secure_path both start with /usr/local/bin after /usr/local/sbin): `last` (no -x), `ps`,
# `ip`, `sed`, `awk`, `find`, `mktemp`, ... are busybox's. No Python (from `bare`).
/bin/busybox --install -s /usr/local/bin
rm -f /usr/local/bin/sh
useradd -m -s /bin/sh ops
usermod -p '*' ops
install -d -m 0700 -o ops -g ops /home/ops/.ssh
install -m 0600 -o ops -g ops /etc/kcrash-lab/lab-ssh-key.pub /home/ops/.ssh/authorized_keys
printf 'ops ALL=(ALL) NOPASSWD: ALL\n' >/etc/sudoers.d/ops
chmod 0440 /etc/sudoers.d/ops
visudo -c
sed -i 's/^session\s\+required\s\+pam_loginuid.so/session optional pam_loginuid.so/' /etc/pam.d/sshd /etc/pam.d/login
# a wtmp for the crash-evidence leg, read here by busybox `last` (which has no -x)
utmpdump -r </usr/local/share/kcrash-lab/wtmp.utmpdump >/var/log/wtmp 2>/dev/null
chmod 664 /var/log/wtmp
case "$(readlink -f /usr/local/bin/last)" in */busybox) ;; *) echo "last is not busybox" >&2; exit 1 ;; esac
mkdir -p /run/sshd && /usr/sbin/sshd -t
