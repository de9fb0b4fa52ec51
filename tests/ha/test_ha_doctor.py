"""symroute doctor on the HA pair (issue #25; playbooks/doctor.yml and the router's own command line, one
code): on the converged pair each router's report has its `ha` section and no HA problem; conntrackd stopped
on the backup is a finding with its evidence and fix, on that router only; restarted, the pair is whole."""

import json

import halab
import haplaybooks

ON_ROUTER = "cd /usr/local/lib/symroute && python3 -m symroute_router.doctor --format json"


def _ha_problems(report):
    return [f["id"] for f in report["findings"] if f["id"].startswith("ha-") and f["severity"] == "problem"]


def test_the_doctor_playbook_reports_the_pair_healthy(lab):
    reports = lab["directory"] / "doctor-reports"
    result = haplaybooks.run(lab["inventory"], "doctor.yml", report_dir=reports)
    master = halab.master()
    for router in halab.ROUTERS:
        report = haplaybooks.report(reports, "doctor", router)
        assert _ha_problems(report) == [], (report["findings"], result.stdout[-3000:])
        section = report["ha"]
        assert section["vrrp"]["state"] == ("master" if router == master else "backup")
        assert section["services"]["keepalived"]["state"] == section["services"]["conntrackd"]["state"] == "active"
        assert section["keepalived_config_test"]["passed"] is True and section["sync"]["reachable"] is True
        held = [a for entry in section["addresses"].values() for a in entry["held"]]
        assert (f"{halab.SHARED_WAN_A}/29" in held) == (router == master), section["addresses"]
        assert "## HA pair edge-pair" in (reports / f"doctor-{router}.md").read_text()


def test_conntrackd_stopped_on_the_backup_is_a_finding_there_only(lab):
    master = halab.master()
    backup = "edge-2" if master == "edge-1" else "edge-1"
    halab.on(backup, "systemctl stop conntrackd.service")
    try:
        found = json.loads(halab.on(backup, ON_ROUTER, check=False).stdout)
        healthy = json.loads(halab.on(master, ON_ROUTER, check=False).stdout)
    finally:
        halab.on(backup, "systemctl start conntrackd.service")
    assert _ha_problems(found) == ["ha-service/conntrackd", "ha-conntrackd-caches/conntrackd"], found["findings"]
    service = next(f for f in found["findings"] if f["id"] == "ha-service/conntrackd")
    assert service["evidence"]["state"] == "inactive" and "systemctl restart conntrackd.service" in service["fix"]
    assert _ha_problems(healthy) == []
    halab.wait_for(
        lambda: halab.on(backup, "systemctl is-active conntrackd.service", check=False).stdout.strip() == "active",
        15,
        f"conntrackd active again on {backup}",
    )
