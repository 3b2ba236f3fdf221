#!/usr/bin/env bash
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Does a fresh Debian 12 pass the tool-dependent tests as written? (root, podman)
#
#   scripts/fresh-check.sh [PYTEST-PATH...]
#
# A bare `debootstrap --variant=minbase bookworm` root (nothing else installed; cached as the
# podman image localhost/kmat/fresh-bookworm) runs, on a fresh `git clone` of this checkout's
# HEAD, `bash scripts/setup.sh` and then, with CI=true, the unit tests that use real tools
# (default: every test file that calls require_tool, less those that need lab images or test
# the lab itself: tests/unit/matrix_plugin.py, tests/unit/lab). A tool that setup.sh does not install
# fails its test there. The container is privileged (ip netns) and uses the host's CA bundle for
# pip (../shared/LAB.md: a Debian 12 container's own store fails against this network's chain).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root "scripts/fresh-check.sh"
cd "$REPO"

image=localhost/kmat/fresh-bookworm:latest
work="${KCRASH_CACHE:-/var/cache/kcrash-nfqueue}/fresh"
mkdir -p "$work"
if ! podman image exists "$image"; then
    log "debootstrap --variant=minbase bookworm (fresh Debian 12, nothing added)"
    rm -rf "$work/rootfs"
    debootstrap --variant=minbase bookworm "$work/rootfs" >"$work/debootstrap.log" 2>&1
    tar -C "$work/rootfs" -c . | podman import - "$image" >/dev/null
    rm -rf "$work/rootfs"
fi
# container and clone names: KCRASH_TEST_NAME_PREFIX first, as the test fixtures' containers,
# so parallel checkouts do not remove each other's
name="${KCRASH_TEST_NAME_PREFIX:-}kmat-fresh"
clone="$work/${name}-clone"
rm -rf "$clone"
mkdir -p "$clone/shared"
git clone -q "$REPO" "$clone/kcrash"
git -C "$clone/kcrash" checkout -q "$(git rev-parse HEAD)"
if [ $# -eq 0 ]; then
    # tests/unit/lab tests the lab itself (podman and lab images: not in this container)
    mapfile -t tests < <(git grep -l 'require_tool(' -- 'tests/unit/**/test_*.py' 'tests/unit/test_*.py' ':!tests/unit/lab/')
else
    tests=("$@")
fi
shared="$(cd "$REPO/.." && pwd -P)/shared"
podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
podman run --rm --name "$name" --privileged --network host \
    -v "$clone:/src" -v "$shared:/src/shared:ro" \
    -v /etc/ssl/certs/ca-certificates.crt:/etc/kcrash-host-ca.crt:ro -e PIP_CERT=/etc/kcrash-host-ca.crt \
    -e CI=true "$image" /bin/bash -euc '
        cd /src/kcrash
        t0=$SECONDS
        bash scripts/setup.sh
        echo "fresh-check: setup.sh took $((SECONDS - t0)) s"
        . scripts/lib.sh
        # matrix_plugin deselects the tests that need lab images (built by the lab-build gate)
        PYTHONPATH=tests/unit python -m pytest -q -p no:cacheprovider -p matrix_plugin -ra "$@"
    ' fresh-check "${tests[@]}"
