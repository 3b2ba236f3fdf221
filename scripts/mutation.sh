#!/usr/bin/env bash
# Mutation testing of the controller-side core (mutmut 2.5.1, pinned in requirements/): for each
# module given, mutmut changes it one small edit at a time (in place; the file is restored at
# the end, also on Ctrl-C) and runs ONLY the tests mapped to that module below, stopping at the
# first failure. A mutant the tests do not notice "survived": kill it with a test, or list it
# as equivalent (with the reason) in docs/testing.md.
#
#   scripts/mutation.sh plugins/module_utils/oops.py [MODULE...]
#   scripts/mutation.sh --list            # the module -> tests map
#   scripts/mutation.sh --survivors MODULE   # after new tests: re-run only the last run's
#                                            # survivors of MODULE (its mutmut cache is kept)
#
# Not a CI gate: a module takes minutes to an hour on 2 shared cores; run one module at a time.
# MUTATION_PYTEST_ARGS (optional) is added to the mapped tests, e.g. `--deselect FILE::TEST` to
# leave slow property tests out of a first pass; then `--survivors MODULE` without it gives
# every survivor the complete mapped tests (a mutant the subset kills, the whole file kills).
# Prints one summary line per module (mutants, killed, survivors' ids, score); the survivors'
# diffs go to .build/mutation/<module>.survivors, mutmut's log to .build/mutation/<module>.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO"

UT=tests/unit/plugins/module_utils

# module -> pytest arguments: the mirrored test file, plus whatever else covers the module
tests_for() {
    local t d b f
    d="$(dirname "${1#plugins/}")"
    b="$(basename "$1" .py)"
    t="tests/unit/plugins/$d/test_$b.py"
    case "$1" in
        plugins/module_utils/persist/__init__.py) t="$UT/persist/test_interface.py $UT/persist/test_golden.py $UT/persist/test_properties.py" ;;
        plugins/module_utils/persist/base.py) t="$t $UT/persist/test_golden.py" ;;
        plugins/module_utils/persist/ini.py) t="$t $UT/persist/test_golden.py $UT/persist/test_properties.py" ;;
        # its reader and renderer against bash and rpm first (fast, word for word), then as below
        plugins/module_utils/persist/ifcfg.py)
            t="$UT/persist/test_ifcfg_shell.py $t $UT/persist/test_golden.py $UT/persist/test_properties.py -k $b" ;;
        # networkd: also its row of the interface checks (read_script/parse_read both None)
        plugins/module_utils/persist/networkd.py)
            t="$t $UT/persist/test_golden.py $UT/persist/test_properties.py $UT/persist/test_interface.py -k $b" ;;
        # a back end: its own tests, its golden and property cases (selected by name with -k)
        plugins/module_utils/persist/*.py) t="$t $UT/persist/test_golden.py $UT/persist/test_properties.py -k $b" ;;
        # the kernel upgrade stages and the formats they read: every stage test covers them
        plugins/module_utils/kernel_upgrade/*.py | plugins/module_utils/grub.py | plugins/module_utils/bls.py | \
        plugins/module_utils/packages.py | plugins/module_utils/df.py)
            t="$t $UT/kernel_upgrade/test_read.py $UT/kernel_upgrade/test_boot.py $UT/kernel_upgrade/test_plan.py"
            t="$t $UT/kernel_upgrade/test_apply.py" ;;
        # the drop stages: their own tests, plus the end-to-end runs on real iptables
        plugins/module_utils/drop/apply.py) t="$t $UT/drop/test_outcome.py" ;;
        plugins/module_utils/drop/management.py) t="$UT/drop/test_lockout.py $UT/test_ssh_settings.py" ;;
        plugins/module_utils/drop/options.py) t="$t $UT/drop/test_plan.py $UT/drop/test_outcome.py" ;;
        plugins/module_utils/drop/verify.py) t="$UT/drop/test_plan.py $UT/drop/test_apply.py" ;;
    esac
    for f in $t; do
        case "$f" in -k | "$b") continue ;; esac
        [ -f "$f" ] || { echo "no test file $f for $1 (map it in scripts/mutation.sh)" >&2; return 1; }
    done
    echo "$t"
}

if [ "${1:-}" = --list ]; then
    for m in plugins/module_utils/*.py plugins/module_utils/*/*.py; do
        case "$m" in */__init__.py | */errors.py) continue ;; esac
        printf '%s -> %s\n' "$m" "$(tests_for "$m" 2>/dev/null || echo '(no test file)')"
    done
    exit 0
fi
[ $# -gt 0 ] || { sed -n '2,15p' "$0"; exit 2; }
SURVIVORS_ONLY=
if [ "$1" = --survivors ]; then
    SURVIVORS_ONLY=1
    shift
fi

python -m mutmut version >/dev/null 2>&1 || die "mutmut not importable by $(command -v python) (scripts/setup.sh installs it)"
OUT="$REPO/.build/mutation"
mkdir -p "$OUT"

run_module() {
    local mod="$1" tests name backup rc=0
    [ -f "$mod" ] || die "no module $mod"
    tests="$(tests_for "$mod")"
    name="$(echo "${mod#plugins/}" | tr / _)"
    backup="$OUT/$name.orig"
    cp -p "$mod" "$backup"
    MUTMUT_PID=
    # on any exit: stop mutmut's whole process group (its worker could still write a mutant),
    # then put the module back
    # shellcheck disable=SC2064
    trap "[ -z \"\$MUTMUT_PID\" ] || kill -TERM -- -\$MUTMUT_PID 2>/dev/null; sleep 1; cp -p '$backup' '$mod'; rm -f '$mod.bak'" EXIT
    trap 'exit 130' INT TERM
    # one mutmut cache per module, kept for --survivors
    local cache="$OUT/$name.mutmut-cache" ids=""
    if [ -n "$SURVIVORS_ONLY" ]; then
        [ -f "$cache" ] || die "no earlier run of $mod ($cache)"
        cp -p "$cache" .mutmut-cache
        ids="$(python - <<'EOF'
import sqlite3
db = sqlite3.connect(".mutmut-cache")
print(" ".join(str(r[0]) for r in db.execute("select id from Mutant where status = 'bad_survived'")))
EOF
)"
        log "mutmut: survivors $ids of $mod with $tests"
    else
        rm -f .mutmut-cache
        : >"$OUT/$name.log"
        log "mutmut: $mod with $tests ${MUTATION_PYTEST_ARGS:-}"
    fi
    # -x: the first failing test kills the mutant; -p no:cacheprovider keeps runs independent.
    # mutmut 2.5.1 counts only exit status 1 as "tests failed" (tests_pass: returncode != 1): a
    # mutant that breaks the import (pytest exit 2, collection error) would be "survived", so
    # every failure status is turned into 1 (in the pytest process itself: with a `sh -c` wrapper
    # mutmut's timeout killed only the shell and an endless-loop mutant's pytest ran on)
    local id
    for id in ${ids:-ALL}; do
        [ "$id" = ALL ] && id=
        # its own process group (setsid), so that the trap can stop all of it
        # shellcheck disable=SC2086
        setsid python -m mutmut run $id --paths-to-mutate "$mod" --tests-dir tests/unit --no-progress \
            --runner "python -c 'import sys, pytest; sys.exit(1 if pytest.main(sys.argv[1:]) else 0)' -x -q -p no:cacheprovider $tests ${MUTATION_PYTEST_ARGS:-}" >>"$OUT/$name.log" 2>&1 &
        MUTMUT_PID=$!
        wait "$MUTMUT_PID" || rc=$?
        MUTMUT_PID=
        [ $((rc & 1)) -eq 0 ] || break
    done
    cp -p .mutmut-cache "$cache"
    cp -p "$backup" "$mod"
    rm -f "$mod.bak"
    trap - EXIT INT TERM
    # mutmut's exit status is a bit field (2 survivors, 4 timeouts, 8 suspicious); 1: it failed
    if [ $((rc & 1)) -ne 0 ]; then
        tail -n 30 "$OUT/$name.log" >&2
        die "mutmut failed on $mod (log: $OUT/$name.log)"
    fi
    python "$REPO/scripts/mutation_summary.py" "$mod" .mutmut-cache "$OUT/$name.survivors"
}

for m in "$@"; do
    run_module "$m"
done
