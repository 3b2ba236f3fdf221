# shellcheck shell=bash
# Shared helpers for the project scripts (sourced, not executed).
# Sets REPO, exports CONTAINERS_CONF (project-local podman config, see lab/README.md) and
# puts the project virtualenv first in PATH when it exists.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export REPO
# the lab's SSH key pair: one per machine (not per checkout), so SSH images any checkout on the
# machine built accept every checkout's login (scripts/lab.sh generates it)
LAB_SSH_DIR="${KCRASH_LAB_SSH_DIR:-/var/lib/kcrash-nfqueue/lab-ssh}"
export LAB_SSH_DIR
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

# ansible-test bootstraps pip in each sanity venv with get-pip-<ver>.py downloaded from
# ci-files.testing.ansible.com, which is not reachable from these machines; it uses a cached
# copy when present. write_get_pip_standin VER FILE writes, atomically, the stand-in that does
# what get-pip.py does: run pip VER from the pip wheel beside FILE (the caller puts it there) to
# install the requested packages into the running interpreter (scripts/test.sh, scripts/matrix.sh).
write_get_pip_standin() {
    local ver="$1" file="$2"
    cat >"$file.tmp" <<EOF
# kcrash.nfqueue stand-in for ansible-test's get-pip-$ver.py (written by scripts/lib.sh):
# runs pip $ver from the wheel beside this file, as get-pip.py runs its embedded copy, to
# install the requested packages into the running interpreter.
import glob, os, runpy, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, sorted(glob.glob(os.path.join(here, "pip-$ver-*.whl")))[0])
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.argv = ["pip", "install", "--upgrade", "--force-reinstall"] + args
runpy.run_module("pip", run_name="__main__", alter_sys=True)
EOF
    mv "$file.tmp" "$file"
}
