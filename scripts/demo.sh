#!/usr/bin/env bash
# The demo in one command (root, Debian 12): set up, build the lab images, start the lab hosts
# and run the collection's main playbook on them.
#
#   sudo scripts/demo.sh [ansible-playbook args...]     e.g. --check --diff
#
# The lab stays up afterwards (scripts/lab.sh status / down).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root "scripts/demo.sh"
MAIN_PLAYBOOK="${KCRASH_DEMO_PLAYBOOK:-kcrash.nfqueue.smoke}"

bash "$REPO/scripts/setup.sh"
. "$REPO/scripts/lib.sh"
bash "$REPO/scripts/lab.sh" build
bash "$REPO/scripts/lab.sh" up
cd "$REPO"
log "ansible-playbook -i lab/inventory.yml $MAIN_PLAYBOOK $*"
ansible-playbook -i "$REPO/lab/inventory.yml" "$MAIN_PLAYBOOK" "$@"
log "lab still running: scripts/lab.sh status | scripts/lab.sh down"
