#!/usr/bin/env bash
# The main job on the running demo lab (scripts/lab.sh up): remediate.yml in check mode (drift),
# for real, then in check mode again (must show zero drift), then where the report is.
#   scripts/demo-job.sh [extra ansible-playbook args, e.g. -e kcrash_strategy=drop]
# Uses ansible.cfg (inventory lab/inventory.yml). Exit status non-zero if any step fails,
# drift remains after the real run, or a report JSON does not follow docs/schema/report-v1.json.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO"
REPORTS="${KCRASH_REPORT_DIR:-$REPO/reports}"
LOGS="$REPO/.build/demo-job"
mkdir -p "$LOGS"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0

step() {  # step NAME ARGS...: run remediate.yml, keep the log, return its recap's changed total
    local name="$1"
    shift
    log "remediate.yml: $name"
    ansible-playbook kcrash.nfqueue.remediate -e "kcrash_report_dir=$REPORTS" "$@" | tee "$LOGS/$name.log"
}

changed_total() {
    awk '/ : ok=[0-9]+ +changed=/ { for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) { split($i, a, "="); t += a[2] } }
         END { print t + 0 }' "$LOGS/$1.log"
}

step 1-check --check --diff "$@"
step 2-apply -e kcrash_confirm=true "$@"
step 3-check --check --diff "$@"

before=$(changed_total 1-check)
applied=$(changed_total 2-apply)
after=$(changed_total 3-check)
printf '\n'
log "drift before: $before change(s); applied: $applied change(s); drift after: $after change(s)"
log "report of the real run: $REPORTS/remediation-apply.html (also .json, .csv, .rules.csv; timestamped copies kept)"
log "report of the last check: $REPORTS/remediation-check.html"
if [ "$after" -ne 0 ]; then
    die "drift remains after the real run (see $LOGS/3-check.log)"
fi
python "$REPO/scripts/matrix_report.py" "$REPORTS" || die "a report in $REPORTS does not follow docs/schema/report-v1.json"
