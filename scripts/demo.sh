#!/usr/bin/env bash
# The demo in one command (root, Debian 12): set up, build the lab images, start the lab hosts
# and run the main job on them (scripts/demo-job.sh): remediate.yml in check mode (drift),
# for real, in check mode again (zero drift), then where the HTML report is.
#
#   sudo scripts/demo.sh [extra ansible-playbook args...]     e.g. -e kcrash_strategy=drop
#
# The lab stays up afterwards (scripts/lab.sh status / down).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root "scripts/demo.sh"

bash "$REPO/scripts/setup.sh"
. "$REPO/scripts/lib.sh"
bash "$REPO/scripts/lab.sh" build
bash "$REPO/scripts/lab.sh" up
cd "$REPO"
bash "$REPO/scripts/demo-job.sh" "$@"
log "lab still running: scripts/lab.sh status | scripts/lab.sh down"
