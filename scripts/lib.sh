# shellcheck shell=bash
# Shared helpers for the project scripts (sourced, not executed).
# Sets REPO, exports CONTAINERS_CONF (project-local podman config, see lab/README.md) and
# puts the project virtualenv first in PATH when it exists.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export REPO
export CONTAINERS_CONF="$REPO/lab/containers.conf"
export ANSIBLE_CONFIG="${ANSIBLE_CONFIG:-$REPO/ansible.cfg}"
if [ -x "$REPO/.venv/bin/python" ]; then
    export VIRTUAL_ENV="$REPO/.venv"
    case ":$PATH:" in
        *":$REPO/.venv/bin:"*) ;;
        *) PATH="$REPO/.venv/bin:$PATH" ;;
    esac
    export PATH
fi

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "$1 must run as root (rootful podman, apt-get): sudo $0 $*"; }
