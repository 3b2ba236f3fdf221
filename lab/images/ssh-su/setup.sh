# shellcheck shell=sh
# Build step of `ssh-su`: the ssh-incident host where ops has no sudo at all and escalation is
# `su` with root's password (lab-only password), as many el6 shops do it.
rm -f /etc/sudoers.d/ops
echo 'root:kcrash-lab-root' | chpasswd
if sudo -l -U ops | grep -q 'may run'; then echo "ops still has sudo" >&2; exit 1; fi
