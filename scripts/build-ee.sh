#!/usr/bin/env bash
# Build the AWX / Automation Controller execution environment (EE) image of kcrash.nfqueue.
#
#   scripts/build-ee.sh create                 # render the build context (.build/ee/context), offline
#   scripts/build-ee.sh build [options] [-- ansible-builder build args...]
#   scripts/build-ee.sh base  [options]        # only the local Debian base image
#
# options:
#   --base IMAGE      base image (default: images.base_image of execution-environment.yml,
#                     the public awx-ee)
#   --local-base      build the base image here from Debian packages (debootstrap bookworm:
#                     python3 3.11, pip, openssh-client) and use it: for machines that reach
#                     no container registry (as this project's own)
#   --ca-bundle FILE  CA bundle for HTTPS from inside the build (pip behind a TLS-inspecting
#                     proxy). Local base: installed into it. Other bases: mounted into the
#                     build and pointed to by PIP_CERT / SSL_CERT_FILE (not kept in the image).
#   --tag TAG         image tag (default: kcrash-nfqueue-ee:<galaxy.yml version>)
#
# The collection is installed from the tarball built here (ansible-galaxy collection build),
# never from Galaxy; nothing else comes from Galaxy. Python packages come from the package
# index (pip), so build needs HTTPS to it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PATH="$ROOT/.venv/bin:$PATH"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$ROOT/lab/containers.conf}"

die() { printf 'build-ee.sh: %s\n' "$*" >&2; exit 1; }
log() { printf 'build-ee.sh: %s\n' "$*" >&2; }

mode=${1:-create}
[ $# -gt 0 ] && shift
base="" local_base=0 ca_bundle="" tag=""
while [ $# -gt 0 ]; do
    case "$1" in
        --base) base=${2:?--base needs an image}; shift 2 ;;
        --local-base) local_base=1; shift ;;
        --ca-bundle) ca_bundle=${2:?--ca-bundle needs a file}; shift 2 ;;
        --tag) tag=${2:?--tag needs a name}; shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
[ -z "$ca_bundle" ] || [ -r "$ca_bundle" ] || die "CA bundle $ca_bundle is not readable"

version=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
tag=${tag:-kcrash-nfqueue-ee:$version}
LOCAL_BASE_SUITE=bookworm
LOCAL_BASE_PACKAGES="python3,python3-pip,python3-venv,openssh-client,ca-certificates,bash"
LOCAL_BASE_REVISION=2   # bump when local_base_image() changes what it puts into the image
MIRROR="${KCRASH_EE_MIRROR:-http://deb.debian.org/debian}"

# localhost/kcrash-ee-base:<hash of suite, packages and CA bundle>; rebuilt only when they change
local_base_image() {
    local key root
    key=$( { printf '%s\n%s\n%s\n' "$LOCAL_BASE_SUITE" "$LOCAL_BASE_PACKAGES" "$LOCAL_BASE_REVISION"; [ -z "$ca_bundle" ] || cat "$ca_bundle"; } \
        | sha256sum | cut -c1-16)
    base="localhost/kcrash-ee-base:$key"
    if podman image exists "$base"; then
        log "base $base cached"
        return 0
    fi
    command -v debootstrap >/dev/null || die "debootstrap missing (apt-get install debootstrap)"
    root="$ROOT/.build/ee/rootfs-$key"
    rm -rf "$root"
    log "debootstrap --variant=minbase --include=$LOCAL_BASE_PACKAGES $LOCAL_BASE_SUITE"
    if ! debootstrap --variant=minbase --include="$LOCAL_BASE_PACKAGES" "$LOCAL_BASE_SUITE" "$root" "$MIRROR" \
            >"$ROOT/.build/ee/debootstrap.log" 2>&1; then
        tail -n 30 "$ROOT/.build/ee/debootstrap.log" >&2
        die "debootstrap failed (log: .build/ee/debootstrap.log)"
    fi
    # ansible-builder's pip_install step runs "python -m ensurepip", which Debian disables for
    # the system python; pip is there already (python3-pip), so ensurepip only checks that
    printf '%s\n' '# kcrash.nfqueue EE base: pip comes from the python3-pip package' \
        'import pip  # noqa: F401' >"$root/usr/lib/python3/dist-packages/ensurepip_debian_pip_check.py"
    printf '%s\n' '# kcrash.nfqueue EE base: pip is installed by the python3-pip package; check it is there' \
        'import ensurepip_debian_pip_check  # noqa: F401' >"$root/usr/lib/python3.11/ensurepip/__main__.py"
    if [ -n "$ca_bundle" ]; then
        # the bundle replaces the image's; pip and Python's ssl read it from there
        cp "$ca_bundle" "$root/etc/ssl/certs/ca-certificates.crt"
        printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$root/etc/pip.conf"
    fi
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/bootstrap.log
    tar --numeric-owner -C "$root" -cf - . | podman import --quiet - "$base" >/dev/null
    rm -rf "$root"
    log "base $base built"
}

mkdir -p .build/ee
rm -f .build/ee/kcrash-nfqueue-*.tar.gz
ansible-galaxy collection build --force --output-path .build/ee . >/dev/null

case "$mode" in
  create)
    exec ansible-builder create -f execution-environment.yml -c .build/ee/context "$@" ;;
  base)
    local_base_image; printf '%s\n' "$base"; exit 0 ;;
  build) ;;
  *) printf 'usage: %s create|build|base [--base IMAGE|--local-base] [--ca-bundle FILE] [--tag TAG] [-- args]\n' "$0" >&2
     exit 2 ;;
esac

[ "$local_base" = 1 ] && local_base_image
build_args=(--build-arg "ANSIBLE_GALAXY_CLI_COLLECTION_OPTS=--offline")
[ -z "$base" ] || build_args+=(--build-arg "EE_BASE_IMAGE=$base")
extra_cli=()
if [ -n "$ca_bundle" ] && [ "$local_base" = 0 ]; then
    # RUN steps see it; the final image does not keep it (a build-time mount, not a COPY)
    extra_cli+=(--volume "$(readlink -f "$ca_bundle"):/run/kcrash-build-ca.crt:ro,z")
    build_args+=(--build-arg "PIP_CERT=/run/kcrash-build-ca.crt" --build-arg "SSL_CERT_FILE=/run/kcrash-build-ca.crt")
fi
[ "$local_base" = 1 ] && build_args+=(--build-arg "PKGMGR=/usr/bin/apt-get")
log "ansible-builder build -t $tag (base: ${base:-as execution-environment.yml says})"
ansible-builder build -f execution-environment.yml -c .build/ee/context --container-runtime podman \
    -t "$tag" "${build_args[@]}" ${extra_cli[@]:+--extra-build-cli-args "${extra_cli[*]}"} "$@"
printf '%s\n' "$tag"
