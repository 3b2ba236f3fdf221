#!/usr/bin/env bash
# THE test command of kcrash.nfqueue (root, Debian 12; setup included):
#
#   sudo scripts/test.sh            # every gate
#   sudo scripts/test.sh unit lint  # only the named gates (setup always runs first)
#
# Gates, in order: setup, lab-build, unit (pytest tests/unit), sanity (ansible-test sanity on a
# copy of the git files at .build/sanity/ansible_collections/kcrash/nfqueue), lint
# (ansible-lint, .ansible-lint), changelog (antsibull-changelog lint), galaxy (build the
# tarball, install it into a temp collections path, run kcrash.nfqueue.smoke from it on the
# lab and --syntax-check every playbook by FQCN), matrix (scripts/matrix.sh: every
# ansible-core of requirements/matrix.txt), then molecule-<scenario> for every
# molecule/<scenario>/molecule.yml (molecule test -s <scenario>).
# Every gate runs even after a failure (except when setup fails); the summary lists each
# gate's result and wall time; the exit status is non-zero if any gate failed.
# Logs: .build/test-logs/<gate>.log
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root "scripts/test.sh"
cd "$REPO"

LOG_DIR="$REPO/.build/test-logs"
mkdir -p "$LOG_DIR"
declare -a GATE_NAMES=() GATE_RESULTS=() GATE_TIMES=()
T_START=$SECONDS
ONLY=("$@")

wanted() {
    [ ${#ONLY[@]} -eq 0 ] && return 0
    [ "$1" = setup ] && return 0
    local g
    for g in "${ONLY[@]}"; do
        case "$1" in "$g"|"$g"-*) return 0 ;; esac
    done
    return 1
}

# run_gate NAME FUNCTION [ARG...]: run FUNCTION with output to the console and LOG_DIR/NAME.log
run_gate() {
    local name="$1" fn="$2" t0 rc
    shift 2
    wanted "$name" || return 0
    printf '\n===== gate %s =====\n' "$name"
    t0=$SECONDS
    set +e
    ( set -euo pipefail; "$fn" "$@" ) 2>&1 | tee "$LOG_DIR/$name.log"
    rc=${PIPESTATUS[0]}
    set -e
    GATE_NAMES+=("$name")
    GATE_TIMES+=("$((SECONDS - t0))")
    if [ "$rc" -eq 0 ]; then GATE_RESULTS+=(passed); else GATE_RESULTS+=("FAILED (rc $rc)"); fi
    printf '===== gate %s: %s in %s s =====\n' "$name" "${GATE_RESULTS[-1]}" "$((SECONDS - t0))"
    return 0
}

gate_failed() {
    local i
    for i in "${!GATE_NAMES[@]}"; do
        [ "${GATE_NAMES[$i]}" = "$1" ] && [ "${GATE_RESULTS[$i]}" != passed ] && return 0
    done
    return 1
}

summary() {
    local i failed=0
    printf '\n===== summary (total %s s) =====\n' "$((SECONDS - T_START))"
    for i in "${!GATE_NAMES[@]}"; do
        printf '%-28s %-16s %5s s\n' "${GATE_NAMES[$i]}" "${GATE_RESULTS[$i]}" "${GATE_TIMES[$i]}"
        [ "${GATE_RESULTS[$i]}" = passed ] || failed=$((failed + 1))
    done
    if [ ${#GATE_NAMES[@]} -eq 0 ]; then
        printf 'no gate ran\n'
        return 1
    fi
    printf 'gates: %s passed, %s failed\n' "$((${#GATE_NAMES[@]} - failed))" "$failed"
    [ "$failed" -eq 0 ]
}

# ---------------------------------------------------------------------------------------------
g_setup() { bash "$REPO/scripts/setup.sh"; }

g_lab_build() { bash "$REPO/scripts/lab.sh" build; }

g_unit() {
    local rc=0
    # KCRASH_SKIP_GATE=1: a skip not allowed by tests/unit/allowed_skips.txt fails the gate
    KCRASH_SKIP_GATE=1 python -m pytest tests/unit -q -ra || rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "pytest collected no tests under tests/unit: that is a failure here" >&2
    fi
    return "$rc"
}

# Files of the collection as git sees them (tracked + new, not ignored, still present).
collection_files() {
    git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
        [ -e "$f" ] && [ ! -d "$f" ] && printf '%s\0' "$f"
    done
}

# Seed ansible-test's cache with the get-pip stand-in (scripts/lib.sh write_get_pip_standin);
# the pip wheel itself comes from PyPI.
seed_ansible_test_get_pip() {
    local ver cache_dir script
    ver="$(python -c 'import types; from ansible_test._internal.python_requirements import get_venv_packages; print(get_venv_packages(types.SimpleNamespace(version="3.11"))["pip"])')"
    cache_dir="$HOME/.ansible/test/cache"
    script="$cache_dir/get_pip_${ver//./_}.py"
    if [ -f "$script" ]; then
        if ! grep -q 'kcrash.nfqueue stand-in' "$script" || ls "$cache_dir"/pip-"$ver"-*.whl >/dev/null 2>&1; then
            return 0
        fi
    fi
    mkdir -p "$cache_dir"
    python -m pip download -q --disable-pip-version-check --no-deps --only-binary :all: "pip==$ver" -d "$cache_dir"
    write_get_pip_standin "$ver" "$script"
}

g_sanity() {
    # ansible-test resolves symlinks and needs .../ansible_collections/<ns>/<name>; it also
    # reads the file list from git, so the copy gets a git index of its own.
    local root="$REPO/.build/sanity" dest
    dest="$root/ansible_collections/kcrash/nfqueue"
    seed_ansible_test_get_pip
    rm -rf "$root"
    mkdir -p "$dest"
    collection_files | tar --null -T - -cf - | tar -C "$dest" -xf -
    (
        cd "$dest"
        git init -q
        git add -A
        ansible-test sanity --color no --python 3.11 --requirements
    )
}

g_lint() { ansible-lint --nocolor; }

g_changelog() { antsibull-changelog lint; }

g_galaxy() {
    local dist="$REPO/.build/dist" inst tarball pb name failed=0
    local -a playbooks=()
    rm -rf "$dist"
    mkdir -p "$dist"
    ansible-galaxy collection build --force --output-path "$dist" "$REPO"
    tarball="$(ls "$dist"/kcrash-nfqueue-*.tar.gz)"
    inst="$(mktemp -d)"
    # shellcheck disable=SC2064
    trap "rm -rf '$inst'" RETURN
    # Only the installed tarball (and the venv's bundled collections) may be found from here on,
    # not the checkout that ansible.cfg links.
    export ANSIBLE_COLLECTIONS_PATH="$inst"
    ansible-galaxy collection install --force --offline --no-deps -p "$inst" "$tarball"
    ansible-galaxy collection list kcrash.nfqueue
    shopt -s nullglob
    playbooks=("$inst"/ansible_collections/kcrash/nfqueue/playbooks/*.yml)
    shopt -u nullglob
    if [ ${#playbooks[@]} -eq 0 ]; then
        echo "the built collection has no playbooks/*.yml" >&2
        return 1
    fi
    for pb in "${playbooks[@]}"; do
        name="kcrash.nfqueue.$(basename "$pb" .yml)"
        echo "--- ansible-playbook $name --syntax-check (installed tarball)"
        ansible-playbook -i "$REPO/lab/inventory.yml" "$name" --syntax-check || failed=1
    done
    local lab_was_up
    lab_was_up="$(podman ps -q --filter label=io.kcrash.lab=demo --filter "label=io.kcrash.lab.prefix=${KCRASH_LAB_NAME_PREFIX:-kcrash}")"
    bash "$REPO/scripts/lab.sh" up
    echo "--- ansible-playbook kcrash.nfqueue.smoke (installed tarball) on the lab"
    ansible-playbook -i "$REPO/lab/inventory.yml" kcrash.nfqueue.smoke || failed=1
    # README "Using it on a real fleet": the installed tarball alone, from a directory outside
    # the checkout, no project ansible.cfg (its inventory and collections_path), an inventory
    # file of the user's own
    echo "--- ansible-playbook kcrash.nfqueue.detect by FQCN from $inst/run (no ANSIBLE_CONFIG)"
    mkdir -p "$inst/run"
    cp "$REPO/lab/inventory.yml" "$inst/run/inventory.yml"
    # chained with &&: `set -e` does not apply inside a ( ... ) that `||` tests, so a failed
    # step would otherwise be hidden by the next one
    (
        cd "$inst/run" &&
        unset ANSIBLE_CONFIG &&
        ansible-playbook -i inventory.yml kcrash.nfqueue.detect &&
        test -s kcrash-report/kcrash-exposure.json &&
        python "$REPO/scripts/matrix_report.py" kcrash-report &&
        echo "report written: $inst/run/kcrash-report/kcrash-exposure.json"
    ) || failed=1
    [ -n "$lab_was_up" ] || bash "$REPO/scripts/lab.sh" down
    return "$failed"
}

# every ansible-core of requirements/matrix.txt: sanity, the core-facing unit tests and a live
# detect/remediate run on fresh lab hosts per version (scripts/matrix.sh; docs/testing.md)
g_matrix() {
    local -a args=()
    # the sanity and unit gates run the .venv's ansible-core (all tests); the matrix then only
    # adds its live run for that version
    if wanted sanity && wanted unit; then
        args=(--covered "$(python -c 'import ansible.release as r; print(r.__version__)')")
    fi
    bash "$REPO/scripts/matrix.sh" "${args[@]}"
}

g_molecule() {
    # molecule must not pick up the demo lab; scenario containers are <scenario>-<host>
    molecule test -s "$1"
}

# ---------------------------------------------------------------------------------------------
run_gate setup g_setup
if gate_failed setup; then
    summary || true
    echo "setup failed: nothing else can run" >&2
    exit 1
fi
# setup may have just created .venv: re-read lib.sh for PATH
. "$REPO/scripts/lib.sh"

run_gate lab-build g_lab_build
run_gate unit g_unit
run_gate sanity g_sanity
run_gate lint g_lint
run_gate changelog g_changelog
run_gate galaxy g_galaxy
if gate_failed lab-build; then
    wanted matrix && { GATE_NAMES+=(matrix); GATE_RESULTS+=("FAILED (no lab images)"); GATE_TIMES+=(0); }
else
    run_gate matrix g_matrix
fi

mapfile -t SCENARIOS < <(for f in "$REPO"/molecule/*/molecule.yml; do [ -f "$f" ] && basename "$(dirname "$f")"; done)
if wanted molecule && [ ${#SCENARIOS[@]} -eq 0 ]; then
    GATE_NAMES+=(molecule); GATE_RESULTS+=("FAILED (no scenario)"); GATE_TIMES+=(0)
fi
for s in "${SCENARIOS[@]}"; do
    if gate_failed lab-build; then
        wanted "molecule-$s" && { GATE_NAMES+=("molecule-$s"); GATE_RESULTS+=("FAILED (no lab images)"); GATE_TIMES+=(0); }
        continue
    fi
    run_gate "molecule-$s" g_molecule "$s"
done

# a requested gate that matched nothing is an error, not a silent skip
for g in "${ONLY[@]}"; do
    found=0
    for n in "${GATE_NAMES[@]}"; do case "$n" in "$g"|"$g"-*) found=1 ;; esac; done
    [ "$found" = 1 ] || { GATE_NAMES+=("$g"); GATE_RESULTS+=("FAILED (no such gate)"); GATE_TIMES+=(0); }
done

summary
