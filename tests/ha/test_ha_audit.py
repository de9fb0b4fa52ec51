"""The audit of the HA pair (issue #25, playbooks/audit.yml) on the converged lab, with real packets: a live
TCP stream from the client to the partner through the master; both reports have the `ha` section and the
pair's checks (one master, the peer reachable, the master's connection in the backup's external cache);
then the sync link cut at the switch: the audit reports the peer unreachable and fails; the link restored."""

import time

import halab
import haplaybooks


def test_the_audit_reports_one_master_and_caches_in_sync_with_a_live_stream(lab):
    reports = lab["directory"] / "audit-reports"
    master = halab.master()
    backup = "edge-2" if master == "edge-1" else "edge-1"
    stream = halab.Stream(lab["directory"], port=9000, seconds=40)
    try:
        time.sleep(4)  # the stream's connection is settled (older than audit_ha.SETTLE_S) and replicated
        result = haplaybooks.run(lab["inventory"], "audit.yml", report_dir=reports)
    finally:
        stream.kill()
    assert result.returncode == 0, result.stdout[-5000:]
    for router in halab.ROUTERS:
        report = haplaybooks.report(reports, "audit", router)
        assert report["passed"] and report["findings"] == [], report["findings"]
        ha = report["ha"]
        assert ha["vrrp_state"] == ("master" if router == master else "backup"), ha
        assert ha["services"] == {"conntrackd": "active", "keepalived": "active"}, ha
        assert ha["sync"]["reachable"] is True and ha["yield"] is False, ha
        held = [address for entry in ha["addresses"].values() for address in entry["held"]]
        assert (f"{halab.SHARED_WAN_A}/29" in held) == (router == master), ha["addresses"]
        assert report["drift"]["ha"] == {"files": [], "services": []}, report["drift"]
        pair = report["pair"]
        assert pair["checked"] and pair["master"] == master and pair["states"] == {master: "master", backup: "backup"}
        assert pair["held"][backup] == [] and f"{halab.SHARED_WAN_A}/29" in pair["held"][master], pair["held"]
        caches = pair["caches"]
        # The live stream: one settled connection of symroute's (the partner's mark) in both reads of the
        # master's internal cache (before and after the backup's external one), found in the backup's
        # external cache by its original tuple.
        assert caches["master_internal"] >= 1 and caches["missing"] == 0 and caches["in_sync"], caches
        assert ha["caches"]["internal" if router == master else "external"]["active"] >= 1, ha["caches"]
    markdown = (reports / f"audit-{master}.md").read_text()
    assert "## The pair" in markdown and "in sync." in markdown, markdown


def test_the_audit_reports_the_sync_link_cut_and_fails(lab):
    reports = lab["directory"] / "audit-cut"
    halab.set_port("edge-1", "sync0", up=False)
    try:
        result = haplaybooks.run(lab["inventory"], "audit.yml", report_dir=reports)
    finally:
        halab.set_port("edge-1", "sync0", up=True)
    assert result.returncode != 0, result.stdout[-4000:]
    assert {router: failed for router, (_ok, _changed, failed) in haplaybooks.recap(result).items()} == {
        "edge-1": 1,
        "edge-2": 1,
    }, result.stdout[-3000:]
    for router in halab.ROUTERS:
        report = haplaybooks.report(reports, "audit", router)
        assert report["ha"]["sync"]["reachable"] is False, report["ha"]["sync"]
        texts = [finding["text"] for finding in report["findings"]]
        assert any("does not answer over the sync link sync0" in text for text in texts), texts
        assert any("the sync link is cut" in text for text in texts), texts
        assert report["pair"]["master"] == halab.master(), report["pair"]  # VRRP crosses the segments: one master
    # Restored: the peers answer again (the monitor says so), and the pair is whole for the next test.
    for router in halab.ROUTERS:
        halab.wait_for(
            lambda router=router: (
                (halab.monitor_state(router) or {}).get("ha", {}).get("sync", {}).get("peer_reachable") is True
            ),
            10,
            f"{router} reports its peer reachable again",
        )
