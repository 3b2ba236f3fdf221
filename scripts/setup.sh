#!/usr/bin/env bash
# Set up this checkout on Debian 12 (root): system packages, the project virtualenv (.venv)
# and the collection link. Idempotent: work already done is skipped.
#
#   sudo scripts/setup.sh
#
# - apt: the packages in requirements/apt-packages.txt (installed only if one is missing; the
#   test tools without Recommends and with no service started)
# - .venv: pip install -r requirements/controller.in -c requirements/constraints.txt, redone
#   only when those files or the Python version change (stamp .venv/.kcrash-setup-stamp)
# - .build/collections/ansible_collections/kcrash/nfqueue -> this checkout (ansible.cfg's
#   collections_path)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root "scripts/setup.sh"
t0=$SECONDS

# --- system packages --------------------------------------------------------------------
# requirements/apt-packages.txt: packages above the "--- test tools" line are installed with
# Recommends (podman needs them); the test tools below it without Recommends and with a
# temporary policy-rc.d that refuses to start services (network-manager must not start
# managing this machine's network just because a test runs `nmcli --offline`).
apt_list() {
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' | tr -s ' \t' '[\n*]' | sed '/^$/d'
}
pkgs_file="$REPO/requirements/apt-packages.txt"
mapfile -t apt_pkgs < <(sed '/^# --- test tools/,$d' "$pkgs_file" | apt_list)
mapfile -t tool_pkgs < <(sed -n '/^# --- test tools/,$p' "$pkgs_file" | apt_list)
missing_of() {
    local p
    for p in "$@"; do
        if [ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]; then
            printf '%s\n' "$p"
        fi
    done
}
mapfile -t missing < <(missing_of "${apt_pkgs[@]}")
mapfile -t missing_tools < <(missing_of "${tool_pkgs[@]}")
if [ ${#missing[@]} -gt 0 ] || [ ${#missing_tools[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
fi
if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    # with Recommends, as LAB.md verified podman (netavark network stack, catatonit, ...)
    apt-get install -y -q "${missing[@]}"
fi
if [ ${#missing_tools[@]} -gt 0 ]; then
    log "apt-get install --no-install-recommends ${missing_tools[*]} (test tools, no service started)"
    policy=/usr/sbin/policy-rc.d
    own_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# scripts/setup.sh: no service starts while test tools are installed\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        own_policy=1
    fi
    rc=0
    apt-get install -y -q --no-install-recommends "${missing_tools[@]}" || rc=$?
    [ "$own_policy" = 0 ] || rm -f "$policy"
    # the package enables NetworkManager for the next boot: a test machine keeps the network
    # set-up it had (the tests only run `nmcli --offline`)
    case " ${missing_tools[*]} " in
        *" network-manager "*)
            if command -v systemctl >/dev/null; then
                systemctl disable --quiet NetworkManager.service NetworkManager-wait-online.service \
                    NetworkManager-dispatcher.service 2>/dev/null || true
            fi ;;
    esac
    [ "$rc" -eq 0 ] || die "apt-get install of the test tools failed (rc $rc)"
fi
if [ ${#missing[@]} -eq 0 ] && [ ${#missing_tools[@]} -eq 0 ]; then
    log "system packages present ($((${#apt_pkgs[@]} + ${#tool_pkgs[@]})))"
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
