# shellcheck shell=sh
# Build step of `kernel-apt` (sh -eu inside the image): real dpkg-deb + apt-ftparchive build a
# local apt repository of small packages named like Debian kernels; the old one is installed
# with the real dpkg and is the "running" one (uname stand-in). Then every Python package is
# purged: this host has no Python, like `bare`.
build_deb() { # $1 release $2 version
    d=/tmp/kc-deb/linux-image-$1
    mkdir -p "$d/DEBIAN" "$d/boot"
    printf 'KCRASH LAB TEST KERNEL %s (not a kernel)\n' "$1" >"$d/boot/vmlinuz-$1"
    cat >"$d/DEBIAN/control" <<CTL
Package: linux-image-$1
Version: $2
Architecture: amd64
Maintainer: kcrash.nfqueue lab <lab@invalid>
Section: kernel
Priority: optional
Description: kcrash.nfqueue lab test package named like a Debian kernel (not a kernel)
 A text /boot/vmlinuz and Debian's kernel hook calls, nothing else.
CTL
    for s in postinst postrm; do
        printf '#!/bin/sh\nset -e\n[ -d /etc/kernel/%s.d ] && run-parts --report --exit-on-error --arg=%s --arg=/boot/vmlinuz-%s /etc/kernel/%s.d\nexit 0\n' \
            "$s" "$1" "$1" "$s" >"$d/DEBIAN/$s"
        chmod 755 "$d/DEBIAN/$s"
    done
    dpkg-deb --root-owner-group --build "$d" "/srv/kcrash-apt/linux-image-$1_$2_amd64.deb" >/dev/null
}
mkdir -p /srv/kcrash-apt
build_deb 3.16.0-6-amd64 3.16.56-1
build_deb 6.1.0-99-amd64 6.1.999-1
rm -rf /tmp/kc-deb
cd /srv/kcrash-apt || exit 1
apt-ftparchive packages . >Packages
apt-ftparchive release . >Release
cd / || exit 1
# only the local repository from now on (hermetic tests)
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/debian.sources
# The real update-grub (grub2-common) runs grub-mkconfig, which cannot probe a container's
# root device: divert it (the Debian way to replace a packaged file) to the labelled stand-in.
dpkg-divert --local --rename --add /usr/sbin/update-grub
ln -s /usr/local/sbin/update-grub /usr/sbin/update-grub
mkdir -p /boot/grub
grub-editenv /boot/grub/grubenv create
dpkg -i /srv/kcrash-apt/linux-image-3.16.0-6-amd64_3.16.56-1_amd64.deb
apt-get -q update
apt-cache policy linux-image-6.1.0-99-amd64
# no Python on this host
pkgs=$(dpkg-query -W -f '${Package}\n' | grep -E '^(python3|libpython3)' || true)
# shellcheck disable=SC2086
[ -z "$pkgs" ] || dpkg --purge $pkgs
rm -rf /usr/lib/python3* /usr/local/lib/python3*
if command -v python3 || command -v python; then echo "python still present" >&2; exit 1; fi
grep -c menuentry /boot/grub/grub.cfg
