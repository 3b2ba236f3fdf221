#!/bin/sh
# Build the AWX execution environment image for kcrash.nfqueue.
#   scripts/build-ee.sh [create|build] [extra ansible-builder args...]
# create (default): render the build context into .build/ee/context (offline).
# build: also build the image with podman. Needs the base image's registry and Galaxy (for
#        awx.awx) to be reachable: not the case on the project's own machines.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-create}
[ $# -gt 0 ] && shift
PATH="$PWD/.venv/bin:$PATH"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/lab/containers.conf}"
mkdir -p .build/ee
rm -f .build/ee/kcrash-nfqueue-*.tar.gz
ansible-galaxy collection build --force --output-path .build/ee .
case "$mode" in
  create) ansible-builder create -f execution-environment.yml -c .build/ee/context "$@" ;;
  build)  ansible-builder build -f execution-environment.yml -c .build/ee/context \
            --container-runtime podman "$@" ;;
  *) printf 'usage: %s [create|build] [ansible-builder args]\n' "$0" >&2; exit 2 ;;
esac
