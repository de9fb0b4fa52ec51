#!/bin/bash
# `make demo`: the incident, the fix, the proof. Leaves the lab running
# (`make lab-down` removes it; `make lab-shell HOST=edge` opens a shell).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
checks="$here/lab-checks.sh"
title() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

title "1. The lab: app -- edge ==(link A: fw-a | link B: fw-b)== partner"
"$here/lab.sh" up || exit 1

title "2. The incident: the app calls the partner API"
if "$checks" incident; then before="request timed out; SYN left by link A, fw-b dropped the SYN-ACK"
else before="(the incident did not reproduce)"; fi

title "3. The fix: ansible-playbook symmetric-routing.yml"
ansible-playbook symmetric-routing.yml || { echo "the playbook failed"; exit 1; }

title "4. After: the same request"
if "$checks" partner-via-a 4 && "$checks" partner-via-a 6; then
    after="answered through link A with link A's address; SYN and SYN-ACK both on wana"
    status=0
else
    after="STILL FAILING"
    status=1
fi

title "Summary"
printf '  before symroute: %s\n' "$before"
printf '  after symroute:  %s\n' "$after"
printf '  explore: make lab-shell HOST=edge   (nft list table inet symroute; ip rule)\n'
printf '           bin/symroute explain --inventory inventories/lab --host edge 100.64.20.10\n'
printf '  remove:  make lab-down\n'
exit "$status"
