#!/usr/bin/env bash
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Controller matrix: every ansible-core of requirements/matrix.txt (root, Debian 12).
#
#   scripts/matrix.sh [--skip sanity|unit|live]... [--covered VERSION] [VERSION...]
#                     all versions, or the named ones; --covered: scripts/test.sh's sanity and
#                     unit gates run VERSION (the .venv's) already, so only its live step runs
#
# Per version: the version-dependent ansible-test sanity tests (SANITY_TESTS; ignores in
# tests/sanity/ignore-<major.minor>.txt), the unit
# tests that go through ansible-core (tests/unit/plugins/action, tests/unit/plugins/filter,
# tests/unit/playbooks; the whole unit suite is the `unit` gate, under the .venv version), and
# a live run on fresh lab hosts: detect, remediate --check --diff (drift expected), remediate
# -e kcrash_confirm=true, remediate --check (zero drift). One summary line per version.
#
# Where each version runs (docs/testing.md "Controller matrix"):
#   python 3.11  a venv of Debian 12's python3 per version
#   python 3.13  a Debian 13 (trixie) root made with debootstrap, entered with chroot in a
#                private mount namespace (the checkout, ../shared, /tmp, /proc, /sys, /dev bound
#                in at the same paths). Inside, `podman` is a wrapper that runs the host's podman
#                with nsenter (the lab containers live there). pip over TLS fails inside Debian
#                13 (../shared/LAB.md), so every wheel is downloaded on the host (pip download
#                --python-version 3.13 --only-binary=:all:) and installed with --no-index.
# Caches, keyed by a content hash, live outside the checkout (a fresh clone reuses them):
#   $KCRASH_CACHE (default /var/cache/kcrash-nfqueue)/matrix/{venv-*,trixie-*,wheels-cp313}
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root "scripts/matrix.sh"
cd "$REPO"

CACHE="${KCRASH_CACHE:-/var/cache/kcrash-nfqueue}/matrix"
MATRIX_FILE="$REPO/requirements/matrix.txt"
# what a version venv holds besides ansible-core (the unit tests' runner)
VENV_PKGS=(pytest==9.2.0 jsonschema==4.26.0)
TRIXIE_PKGS="python3,python3-venv,openssh-client,git,shellcheck,iproute2,iptables,ipset,ethtool,nftables,procps,ca-certificates"
HOST_PY=/usr/bin/python3
BUNDLE="$("$REPO/.venv/bin/python" -c 'import ansible_collections.containers.podman as m; print(list(m.__path__)[0])')"
BUNDLE="${BUNDLE%/containers/podman}"
SHARED_DIR="$(cd "$REPO/.." && pwd -P)/shared"
mkdir -p "$CACHE" "$REPO/.build/matrix"
# the checkout as kcrash.nfqueue for the live runs (ansible.cfg is not read there: the runs use
# what a user's machine has, the collection and the lab inventory only)
COLLECTIONS="$REPO/.build/matrix/collections"
mkdir -p "$COLLECTIONS/ansible_collections/kcrash"
ln -sfn "$REPO" "$COLLECTIONS/ansible_collections/kcrash/nfqueue"

SKIP=()
COVERED=""
while [ $# -gt 0 ]; do
    case "$1" in
        --skip) SKIP+=("$2"); shift 2 ;;
        # --covered VERSION: the sanity and unit gates of scripts/test.sh run that version
        # (the .venv's) in the same invocation; only its live step runs here
        --covered) COVERED="$2"; shift 2 ;;
        *) break ;;
    esac
done
skipped() { local s; for s in "${SKIP[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

mapfile -t ROWS < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$MATRIX_FILE")
if [ $# -gt 0 ]; then
    want=" $* "
    mapfile -t ROWS < <(for r in "${ROWS[@]}"; do read -r v _ <<<"$r"; case "$want" in *" $v "*|*" ${v%.*} "*) echo "$r" ;; esac; done)
    [ ${#ROWS[@]} -gt 0 ] || die "no version of $MATRIX_FILE matches: $*"
fi

hash_of() { sha256sum | cut -c1-16; }
podman_collection_version() { cat "$BUNDLE"/containers/podman/MANIFEST.json "$BUNDLE"/ansible/posix/MANIFEST.json | grep -m2 '"version"'; }

# ------------------------------------------------------------------ python 3.11 venvs
venv311() {
    local ver="$1" key dir
    key="$(printf '%s\n' "$ver" "$("$HOST_PY" -VV)" "${VENV_PKGS[@]}" "$(podman_collection_version)" | hash_of)"
    dir="$CACHE/venv-$ver-$key"
    if [ ! -x "$dir/bin/ansible-playbook" ] || [ ! -f "$dir/.ready" ]; then
        log "matrix: creating $dir"
        rm -rf "$dir"
        "$HOST_PY" -m venv "$dir"
        "$dir/bin/pip" install -q --disable-pip-version-check "ansible-core==$ver" "${VENV_PKGS[@]}"
        add_podman_collection "$dir/lib/python3.11/site-packages"
        touch "$dir/.ready"
    fi
    prune_stale "$CACHE"/venv-"$ver"-* -- "$dir"
    printf '%s\n' "$dir"
}

# prune_stale PATH... -- KEEP: remove the cache entries of older inputs (other hashes)
prune_stale() {
    local keep="${*: -1}" d
    for d in "$@"; do
        [ "$d" = -- ] && break
        [ "$d" = "$keep" ] || [ ! -e "$d" ] || rm -rf "$d"
    done
}

# containers.podman (the lab's connection) and ansible.posix (the json callback of the action
# tests; ansible-core has no json callback of its own) from the .venv's `ansible` bundle: the
# same versions for every ansible-core of the matrix
add_podman_collection() {
    local c
    for c in containers/podman ansible/posix; do
        mkdir -p "$1/ansible_collections/${c%/*}"
        rm -rf "$1/ansible_collections/$c"
        cp -a "$BUNDLE/$c" "$1/ansible_collections/$c"
    done
}

# ------------------------------------------------------------------ python 3.13 (trixie)
# ansible-test's pinned requirement files of one ansible-core version (for offline sanity)
sanity_requirement_files() {
    local site="$1"
    local f
    for f in "$site"/ansible_test/_data/requirements/*.txt; do
        case "$f" in *windows*|*units*) ;; *) printf '%s\n' "$f" ;; esac
    done
}

trixie_root() {
    local key root
    key="$(printf '%s\n' trixie "$TRIXIE_PKGS" podman_wrapper_v1 | hash_of)"
    root="$CACHE/trixie-$key"
    if [ ! -f "$root/.ready" ]; then
        log "matrix: debootstrap trixie ($TRIXIE_PKGS) into $root"
        rm -rf "$root"
        debootstrap --variant=minbase --include="$TRIXIE_PKGS" trixie "$root" >"$CACHE/debootstrap.log" 2>&1 \
            || { tail -20 "$CACHE/debootstrap.log" >&2; die "debootstrap trixie failed"; }
        # podman_wrapper_v1: the host's podman, run in the host's mount namespace and root.
        # `podman mount` is refused: its path would not exist in this root (the podman
        # connection then copies with podman cp, as for rootless podman).
        cat >"$root/usr/local/bin/podman" <<'EOF'
#!/bin/sh
# kcrash.nfqueue matrix chroot: run the host's podman (scripts/matrix.sh)
if [ "${1:-}" = mount ]; then
    echo "podman mount is not available from the matrix chroot" >&2
    exit 125
fi
exec nsenter -t "$KCRASH_HOST_PID" -m -r -w /usr/bin/podman "$@"
EOF
        chmod 0755 "$root/usr/local/bin/podman"
        touch "$root/.ready"
    fi
    prune_stale "$CACHE"/trixie-* -- "$root"
    printf '%s\n' "$root"
}

# in_trixie ROOT CMD...: run CMD (as bash -c text) in the trixie root, cwd = the checkout
in_trixie() {
    local root="$1"
    shift
    # shellcheck disable=SC2016  # the script is expanded by the inner bash
    unshare --mount --propagation private /bin/bash -euc '
        root="$1"; repo="$2"; shared="$3"; keydir="$4"; cmd="$5"
        # the root is a mount point of its own (ip netns exec remounts / as a slave)
        mount --bind "$root" "$root"
        mount --rbind /proc "$root/proc"
        mount --rbind /sys "$root/sys"
        mount --rbind /dev "$root/dev"
        mount --bind /tmp "$root/tmp"
        mkdir -p "$root$repo" "$root$shared"
        mount --bind "$repo" "$root$repo"
        [ ! -d "$shared" ] || mount --bind "$shared" "$root$shared"
        # the lab SSH key: the inventory of the SSH leg names it by its host path
        if [ -d "$keydir" ]; then mkdir -p "$root$keydir"; mount --bind "$keydir" "$root$keydir"; fi
        cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
        exec chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LANG=C.UTF-8 CI="${CI:-}" KCRASH_HOST_PID="$KCRASH_HOST_PID" KCRASH_LAB_SSH_DIR="$keydir" \
            CONTAINERS_CONF="$CONTAINERS_CONF" PIP_NO_INDEX=1 PIP_FIND_LINKS="$WHEELS" \
            PIP_DISABLE_PIP_VERSION_CHECK=1 /bin/bash -euc "cd \"$repo\"; $cmd"
    ' trixie-run "$root" "$REPO" "$SHARED_DIR" "$LAB_SSH_DIR" "$*"
}
export KCRASH_HOST_PID=$$

WHEELS="$CACHE/wheels-cp313"
export WHEELS

venv313() {
    local ver="$1" root="$2" key vdir dir site
    key="$(printf '%s\n' "$ver" "${VENV_PKGS[@]}" "$(podman_collection_version)" "$root" | hash_of)"
    vdir="/opt/kcrash-matrix/venv-$ver-$key"
    dir="$root$vdir"
    if [ ! -f "$dir/.ready" ]; then
        log "matrix: wheels for ansible-core $ver (python 3.13) into $WHEELS"
        mkdir -p "$WHEELS"
        "$REPO/.venv/bin/pip" download -q --disable-pip-version-check --python-version 3.13 --only-binary=:all: \
            -d "$WHEELS" "ansible-core==$ver" "${VENV_PKGS[@]}" pip
        rm -rf "$dir"
        mkdir -p "$root/opt/kcrash-matrix" "$root$WHEELS"
        # the wheels directory is visible inside at the same path
        in_trixie "$root" "mkdir -p '$WHEELS' && true" >/dev/null
        cp -a "$WHEELS/." "$root$WHEELS/"
        in_trixie "$root" "python3 -m venv '$vdir' && '$vdir/bin/pip' install -q 'ansible-core==$ver' ${VENV_PKGS[*]}"
        site="$(ls -d "$dir"/lib/python3.*/site-packages)"
        # offline sanity: ansible-test's own requirement pins of this version, as cp313 wheels
        # (ansible-test installs them with pip, which reads PIP_NO_INDEX/PIP_FIND_LINKS)
        local f
        for f in $(sanity_requirement_files "$site"); do
            "$REPO/.venv/bin/pip" download -q --disable-pip-version-check --python-version 3.13 --only-binary=:all: \
                -d "$WHEELS" -r "$f" -c "$site/ansible_test/_data/requirements/constraints.txt" \
                || log "matrix: some wheels of $(basename "$f") are not available for 3.13"
        done
        cp -a "$WHEELS/." "$root$WHEELS/"
        add_podman_collection "$site"
        touch "$dir/.ready"
    fi
    printf '%s\n' "$vdir"
}

# ------------------------------------------------------------------ per-version steps
# pip inside the trixie root: only the host-downloaded wheels. A config file, not PIP_*
# variables: ansible-test runs pip with an environment of its own.
trixie_pip_conf() {
    printf '[global]\nno-index = true\nfind-links = %s\ndisable-pip-version-check = true\n' "$WHEELS" \
        >"$TRIXIE/etc/pip.conf"
}

# run_in VER PY BIN CMD: CMD (bash text) with BIN (the version's venv bin) first in PATH
run_in() {
    local py="$1" bin="$2" cmd="$3"
    if [ "$py" = 3.13 ]; then
        in_trixie "$TRIXIE" "export PATH='$bin':\$PATH VIRTUAL_ENV='${bin%/bin}' TMPDIR=/tmp; $cmd"
    else
        env PATH="$bin:$PATH" VIRTUAL_ENV="${bin%/bin}" bash -euc "$cmd"
    fi
}

# The sanity tests whose verdict depends on the ansible-core version: plugin docs and argument
# specs against that core's schema, imports and compilation under its Python, runtime metadata.
# The style tests (pep8, pylint, shellcheck, boilerplate, ...) check the same files the same way
# for every core and run once, in the `sanity` gate (.venv's 2.19.14): running all of them for
# six cores would cost ~5-9 min per core on 2 cores.
SANITY_TESTS=(ansible-doc validate-modules import compile runtime-metadata yamllint)

step_sanity() {
    local ver="$1" py="$2" bin="$3" dest="$REPO/.build/matrix/sanity-$1/ansible_collections/kcrash/nfqueue"
    rm -rf "$REPO/.build/matrix/sanity-$ver"
    mkdir -p "$dest"
    git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
        [ -e "$f" ] && [ ! -d "$f" ] && printf '%s\0' "$f"
    done | tar --null -T - -cf - | tar -C "$dest" -xf -
    (cd "$dest" && git init -q && git add -A)
    seed_get_pip "$py" "$bin"
    # shellcheck disable=SC2046
    run_in "$py" "$bin" "cd '$dest' && ansible-test sanity --color no --python $py --requirements $(printf -- '--test %s ' "${SANITY_TESTS[@]}")"
}

# ansible-test's get-pip stand-in (scripts/lib.sh write_get_pip_standin), per version
seed_get_pip() {
    local py="$1" bin="$2" ver cache script home=/root
    ver="$(run_in "$py" "$bin" "python -c 'import types; from ansible_test._internal.python_requirements import get_venv_packages; print(get_venv_packages(types.SimpleNamespace(version=\"$py\"))[\"pip\"])'")"
    if [ "$py" = 3.13 ]; then cache="$TRIXIE$home/.ansible/test/cache"; else cache="$HOME/.ansible/test/cache"; fi
    script="$cache/get_pip_${ver//./_}.py"
    mkdir -p "$cache"
    ls "$cache"/pip-"$ver"-*.whl >/dev/null 2>&1 \
        || "$REPO/.venv/bin/pip" download -q --disable-pip-version-check --no-deps --only-binary :all: "pip==$ver" -d "$cache"
    # the stand-in installs pip==$ver with pip: offline in the trixie root, from the wheels
    [ "$py" != 3.13 ] || { cp -n "$cache"/pip-"$ver"-*.whl "$WHEELS/"; cp -n "$cache"/pip-"$ver"-*.whl "$TRIXIE$WHEELS/"; }
    [ -f "$script" ] && return 0
    write_get_pip_standin "$ver" "$script"
}

step_unit() {
    local ver="$1" py="$2" bin="$3"
    # the controller-side offload test plans for `lo` of this machine, which persists with a
    # udev rule where /etc/udev/rules.d exists (it does on the host, not in a minbase root)
    [ "$py" != 3.13 ] || mkdir -p "$TRIXIE/etc/udev/rules.d"
    # lab-container tests deselected (tests/unit/matrix_plugin.py): the live step covers them
    run_in "$py" "$bin" "PYTHONPATH=tests/unit python -m pytest -q -ra -p no:cacheprovider -p matrix_plugin tests/unit/plugins/action tests/unit/plugins/filter tests/unit/playbooks"
}

# live_runs PY BIN DIR INVENTORY REPORTS FLAGS LABEL: detect, remediate --check --diff (drift
# wanted), remediate (apply), and a second check (zero drift wanted), each with FLAGS (e.g. -b)
live_runs() {
    local py="$1" bin="$2" dir="$3" inv="$4" reports="$5" flags="$6" label="$7"
    local play="ANSIBLE_CONFIG= ANSIBLE_COLLECTIONS_PATH='$COLLECTIONS' ANSIBLE_LOCAL_TEMP='$dir/tmp' ANSIBLE_NOCOLOR=1 ansible-playbook -i '$inv' $flags"
    local rep="-e kcrash_report_dir='$reports' -e kcrash_detect_report_dir='$reports'"
    run_in "$py" "$bin" "cd '$dir' &&
        echo '--- ${label}detect $flags' && $play kcrash.nfqueue.detect $rep &&
        echo '--- ${label}remediate $flags --check --diff' && $play kcrash.nfqueue.remediate --check --diff $rep &&
        python '$REPO/scripts/matrix_report.py' '$reports' check drift &&
        echo '--- ${label}remediate $flags (apply)' && $play kcrash.nfqueue.remediate -e kcrash_confirm=true $rep &&
        echo '--- ${label}remediate $flags --check (second check)' && $play kcrash.nfqueue.remediate --check --diff $rep &&
        python '$REPO/scripts/matrix_report.py' '$reports' check zero"
}

# live run on fresh lab hosts [KCRASH_TEST_NAME_PREFIX]kmat-<ver>-<host> (own names: other
# runs, and other checkouts that set their own prefix, are left alone)
step_live() {
    local ver="$1" py="$2" bin="$3" tag dir inv h rc=0
    tag="${KCRASH_TEST_NAME_PREFIX:-}kmat-${ver//./-}"
    dir="$REPO/.build/matrix/live-$ver"
    rm -rf "$dir"
    mkdir -p "$dir/tmp"
    inv="$dir/inventory.yml"
    {
        echo "all:"
        echo "  vars: {ansible_connection: containers.podman.podman}"
        echo "  hosts:"
        for h in incident modern bare clean; do echo "    $h: {ansible_host: $tag-$h}"; done
    } >"$inv"
    for h in incident modern bare clean; do
        podman rm -f -t 0 "$tag-$h" >/dev/null 2>&1 || true
        # shellcheck disable=SC2046
        podman run -d --name "$tag-$h" --hostname "$h" --cap-add NET_ADMIN --cap-add NET_RAW \
            $(lab_run_args "$h") "localhost/kcrash-lab/$h:latest" >/dev/null
    done
    for h in incident modern bare clean; do
        for _ in $(seq 60); do podman exec "$tag-$h" test -e /run/kcrash-lab/ready && break; sleep 0.5; done
    done
    run_in "$py" "$bin" "cd '$dir' && ansible --version | sed -n 1p" &&
        live_runs "$py" "$bin" "$dir" "$inv" "$dir/reports" "" "" || rc=$?
    for h in incident modern bare clean; do podman rm -f -t 0 "$tag-$h" >/dev/null 2>&1 || true; done
    [ "$rc" -eq 0 ] || return "$rc"
    step_live_ssh "$ver" "$py" "$bin" "$tag" "$dir" || rc=$?
    return "$rc"
}

# The same runs as users make them: ansible.builtin.ssh as `ops` with -b (sudo with requiretty,
# no Python, /tmp noexec) on a fresh ssh-incident lab host on the lab's own podman network.
step_live_ssh() {
    local ver="$1" py="$2" bin="$3" tag="$4" dir="$5" name inv rc=0
    name="$tag-ssh-incident"
    inv="$dir/ssh-inventory.yml"
    podman network exists "${KCRASH_LAB_NETWORK:-kcrash-lab}" || podman network create "${KCRASH_LAB_NETWORK:-kcrash-lab}" >/dev/null
    podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
    # shellcheck disable=SC2046
    podman run -d --name "$name" --hostname ssh-incident --network "${KCRASH_LAB_NETWORK:-kcrash-lab}" \
        --cap-add NET_ADMIN --cap-add NET_RAW $(lab_run_args ssh-incident) "localhost/kcrash-lab/ssh-incident:latest" >/dev/null
    for _ in $(seq 120); do podman exec "$name" test -e /run/kcrash-lab/ready && break; sleep 0.5; done
    bash "$REPO/scripts/lab.sh" ssh-inventory --network "${KCRASH_LAB_NETWORK:-kcrash-lab}" --out "$inv" "$name" >/dev/null
    live_runs "$py" "$bin" "$dir" "$inv" "$dir/ssh-reports" "-b" "over SSH: " || rc=$?
    podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
    return "$rc"
}

lab_run_args() {
    local f="$REPO/lab/images/$1/run-args"
    [ -f "$f" ] && sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$f" | tr '\n' ' '
    return 0
}

# ------------------------------------------------------------------ main
declare -a SUMMARY=()
failed=0
TRIXIE=""
for row in "${ROWS[@]}"; do
    read -r ver py <<<"$row"
    printf '\n=== ansible-core %s (python %s) ===\n' "$ver" "$py"
    t0=$SECONDS
    line="ansible-core $ver python $py:"
    ok=1
    if [ "$py" = 3.13 ]; then
        [ -n "$TRIXIE" ] || { TRIXIE="$(trixie_root)"; trixie_pip_conf; }
        bin="$(venv313 "$ver" "$TRIXIE")/bin"
    else
        bin="$(venv311 "$ver")/bin"
    fi
    for step in sanity unit live; do
        if skipped "$step"; then line+=" $step=skipped"; continue; fi
        if [ "$ver" = "$COVERED" ] && [ "$step" != live ]; then line+=" $step=in-gate-$step"; continue; fi
        ts=$SECONDS
        echo "--- $step (ansible-core $ver)"
        if "step_$step" "$ver" "$py" "$bin"; then line+=" $step=ok($((SECONDS - ts))s)"; else line+=" $step=FAILED($((SECONDS - ts))s)"; ok=0; fi
    done
    [ "$ok" = 1 ] || failed=$((failed + 1))
    SUMMARY+=("$line total $((SECONDS - t0)) s")
done

printf '\n===== matrix summary =====\n'
printf '%s\n' "${SUMMARY[@]}"
printf 'matrix: %s passed, %s failed\n' "$((${#ROWS[@]} - failed))" "$failed"
[ "$failed" -eq 0 ]
