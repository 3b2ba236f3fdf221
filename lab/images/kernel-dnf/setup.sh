# shellcheck shell=sh
# Build step of `kernel-dnf` (sh -eu inside the image): real rpmbuild + createrepo_c build a
# local dnf repository of small el7-named kernel packages; one older "kernel" is installed
# with the real rpm and is the running one (uname stand-in) and the saved grub default.
spec=/usr/local/share/kcrash-lab/kernel.spec
top=/tmp/kc-rpmbuild
for kr in 957.el7 1160.el7 1160.119.1.el7; do
    rpmbuild -bb --quiet --target x86_64 --define "_topdir $top" --define "kv 3.10.0" \
        --define "kr $kr" "$spec"
done
mkdir -p /srv/kcrash-repo
cp "$top"/RPMS/x86_64/kernel-3.10.0-1160*.rpm /srv/kcrash-repo/
createrepo_c --quiet /srv/kcrash-repo
rpm -i "$top"/RPMS/x86_64/kernel-3.10.0-957.el7.x86_64.rpm
rm -rf "$top"
mkdir -p /boot/grub2
grub-editenv /boot/grub2/grubenv create
grub-editenv /boot/grub2/grubenv set saved_entry=kcrashlab-3.10.0-957.el7.x86_64
# sanity: the real dnf sees the repository, grubby stand-in reads the default
dnf -q --showduplicates list --available kernel
grubby --default-kernel
rpm -q kernel
