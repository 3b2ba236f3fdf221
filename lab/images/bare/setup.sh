# shellcheck shell=sh
# Build step of the `bare` image (runs with /bin/sh -eu inside the image): no Python at all,
# and busybox's ash as /bin/sh (busybox-level shell expectations).
pkgs=$(dpkg-query -W -f '${Package}\n' | grep -E '^(python3|libpython3)' || true)
# shellcheck disable=SC2086
[ -z "$pkgs" ] || dpkg --purge $pkgs
rm -rf /usr/lib/python3* /usr/local/lib/python3*
if command -v python3 || command -v python || ls /usr/bin/python* 2>/dev/null; then
    echo "python still present" >&2
    exit 1
fi
ln -sf /usr/bin/busybox /bin/sh.busybox
mv -f /bin/sh.busybox /bin/sh
/bin/sh -c 'echo "busybox sh ok"'
