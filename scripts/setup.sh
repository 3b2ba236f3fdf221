#!/usr/bin/env bash
# Set up this checkout on Debian 12 (root): system packages, the project virtualenv (.venv)
# and the collection link. Idempotent: work already done is skipped.
#
#   sudo scripts/setup.sh
#
# - apt: the packages in requirements/apt-packages.txt (installed only if one is missing)
# - .venv: pip install -r requirements/controller.in -c requirements/constraints.txt, redone
#   only when those files or the Python version change (stamp .venv/.kcrash-setup-stamp)
# - .build/collections/ansible_collections/kcrash/nfqueue -> this checkout (ansible.cfg's
#   collections_path)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root "scripts/setup.sh"
t0=$SECONDS

# --- system packages --------------------------------------------------------------------
mapfile -t apt_pkgs < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$REPO/requirements/apt-packages.txt" | tr -s ' \t' '[\n*]' | sed '/^$/d')
missing=()
for p in "${apt_pkgs[@]}"; do
    if [ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # with Recommends, as LAB.md verified podman (netavark network stack, catatonit, ...)
    apt-get install -y -q "${missing[@]}"
else
    log "system packages present (${#apt_pkgs[@]})"
fi

# --- virtualenv ---------------------------------------------------------------------------
# Debian's own Python (python3-venv from apt) unless KCRASH_PYTHON says otherwise.
if [ -x /usr/bin/python3 ]; then PY="${KCRASH_PYTHON:-/usr/bin/python3}"; else PY="${KCRASH_PYTHON:-python3}"; fi
stamp_want="$(cat "$REPO/requirements/controller.in" "$REPO/requirements/constraints.txt" | sha256sum | cut -c1-32) $("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
stamp_file="$REPO/.venv/.kcrash-setup-stamp"
if [ -x "$REPO/.venv/bin/python" ] && [ "$(cat "$stamp_file" 2>/dev/null || true)" = "$stamp_want" ]; then
    log ".venv up to date"
else
    log "creating .venv ($PY) and installing requirements/controller.in"
    rm -rf "$REPO/.venv"
    "$PY" -m venv "$REPO/.venv"
    "$REPO/.venv/bin/pip" install -q --disable-pip-version-check -r "$REPO/requirements/controller.in" \
        -c "$REPO/requirements/constraints.txt"
    "$REPO/.venv/bin/pip" check
    printf '%s\n' "$stamp_want" >"$stamp_file"
fi

# --- collection link ----------------------------------------------------------------------
link="$REPO/.build/collections/ansible_collections/kcrash/nfqueue"
mkdir -p "$(dirname "$link")"
if [ "$(readlink "$link" 2>/dev/null || true)" != "$REPO" ]; then
    rm -rf "$link"
    ln -s "$REPO" "$link"
fi

version="$("$REPO/.venv/bin/ansible" --version)"
log "${version%%$'\n'*}"
log "setup done in $((SECONDS - t0)) s"
