# shellcheck shell=sh
# Build step of `ssh-sudo-password`: the ssh-incident host, but sudo asks for ops' password
# (ansible_become_password in ssh-host-vars.yml; a lab-only password).
echo 'ops:kcrash-lab-ops' | chpasswd
printf 'Defaults requiretty\nops ALL=(ALL) ALL\n' >/etc/sudoers.d/ops
chmod 0440 /etc/sudoers.d/ops
visudo -c
