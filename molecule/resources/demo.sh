#!/bin/bash
# `make demo`: the incident, then the operating sequence of README "Operating" on the lab:
# doctor -> the partner entry -> the plan (the PR comment) -> check/diff -> apply -> audit -> drill.
# Leaves the lab running (`make lab-down` removes it; `make lab-shell HOST=edge` opens a shell).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
# ansible.cfg names no default inventory (a production command without -i targets nothing): the lab's.
export ANSIBLE_INVENTORY="$PWD/inventories/lab/hosts.yml"
checks="$here/lab-checks.sh"
reports="${SYMROUTE_DEMO_REPORTS:-$PWD/symroute-reports}"
title() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

title "1. The lab: app -- edge ==(link A: fw-a | link B: fw-b | link C: fw-c)== partner"
"$here/lab.sh" up || exit 1

title "2. The incident: the app calls the partner API"
if "$checks" incident; then before="request timed out; SYN left by link A, fw-b dropped the SYN-ACK"
else before="(the incident did not reproduce)"; fi

title "3. Triage: symroute doctor on the edge (read-only), which proposes the partner entry"
"$checks" doctor-before || echo "(the doctor did not find the incident)"

title "4. The pull request's plan comment: bin/symroute plan (the partner entry is in inventories/lab)"
bin/symroute plan --inventory inventories/lab | head -n 40

title "5. Check mode first: ansible-playbook symmetric-routing.yml --check --diff (nothing changes)"
ansible-playbook symmetric-routing.yml --check --diff | tail -n 5

title "6. The fix: ansible-playbook symmetric-routing.yml"
ansible-playbook symmetric-routing.yml || { echo "the playbook failed"; exit 1; }

title "7. After: the same request"
if "$checks" partner-via-a 4 && "$checks" partner-via-a 6 && "$checks" doctor-after; then
    after="answered through link A with link A's address; SYN and SYN-ACK both on wana"
    status=0
else
    after="STILL FAILING"
    status=1
fi

title "8. The audit: ansible-playbook playbooks/audit.yml (read-only; reports in $reports)"
ansible-playbook playbooks/audit.yml -e "symroute_report_dir=$reports" | tail -n 4 || status=1
sed -n '1,/^## Live connections/p' "$reports/audit-edge.md" 2>/dev/null | head -n 30

title "9. The failover drill: ansible-playbook playbooks/failover-drill.yml -e symroute_drill_link=wan_a"
ansible-playbook playbooks/failover-drill.yml -e symroute_drill_link=wan_a -e symroute_drill_seconds=30 \
    -e "symroute_report_dir=$reports" | tail -n 4 || status=1

title "Summary"
printf '  before symroute: %s\n' "$before"
printf '  after symroute:  %s\n' "$after"
printf '  reports:         %s\n' "$reports"
printf '  explore: make lab-shell HOST=edge   (nft list table inet symroute; ip rule)\n'
printf '           bin/symroute explain --inventory inventories/lab --host edge 100.64.20.10\n'
printf '  remove:  make lab-down\n'
exit "$status"
