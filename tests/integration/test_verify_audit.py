"""playbooks/audit.yml, the read-only audit, on a router container: never configured, converged, drifted,
a partner forced off its link; the router's state is the same before and after every audit."""

import json

import pytest

from routerlab import remove_router, start_router

NAME = "symroute-test-audit"


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    device = start_router(NAME, tmp_path_factory.mktemp("audit"))
    yield device
    remove_router(NAME)


@pytest.fixture()
def reports(tmp_path):
    return tmp_path / "reports"


def _state(router):
    """Everything symroute could touch, without the kernel's own local table (IPv6 adds link-local and
    anycast entries there for a while after an interface comes up; symroute never touches it)."""
    return "".join(line for line in router.live_state().splitlines(True) if " table local " not in line)


def _settled(router):
    """The router's state once the kernel has settled."""
    previous = None
    for _ in range(30):
        now = _state(router)
        if now == previous:
            return now
        previous = now
        router.sh("sleep 0.3")
    raise AssertionError("the router's state did not settle")


def _audit(router, reports, *args):
    """Run the audit; (result, JSON report, Markdown report); the router's state must not change."""
    before = _settled(router)
    result = router.playbook(*args, playbook="playbooks/audit.yml", extra_vars={"symroute_report_dir": str(reports)})
    assert _state(router) == before, "the audit changed the router"
    report = json.loads((reports / f"audit-{NAME}.json").read_text())
    return result, report, (reports / f"audit-{NAME}.md").read_text()


def _texts(report):
    return [finding["text"] for finding in report["findings"]]


def test_1_on_a_router_never_configured_the_audit_fails_naming_what_is_missing_and_writes_nothing(router, reports):
    for args in ((), ("--check",)):
        result, report, markdown = _audit(router, reports, *args)
        assert result.returncode != 0, result.stdout[-3000:]
        assert "symroute audit of symroute-test-audit failed" in result.stdout
        texts = _texts(report)
        assert any(text.startswith("nftables: first load") for text in texts), texts
        assert "rule missing: ipv4 priority 10000 to 100.64.99.0/24 lookup 254" in texts, texts
        assert any(text.startswith("and ") and text.endswith(" more rules missing") for text in texts), texts
        assert "partner partner-ledger (IPv4, 100.64.21.1) leaves by wan_a" not in texts  # on wana by the main table
        assert markdown.startswith(f"# symroute audit of {NAME}: FAILED")
        assert router.sh("ls /etc/symroute 2>&1 || true").stdout.strip().endswith("No such file or directory")


def test_2_a_converged_router_passes_and_the_report_shows_paths_connections_and_the_monitor(router, reports):
    converged = router.playbook()
    assert converged.returncode == 0, converged.stdout[-3000:]
    router.wait_for_monitor(lambda state: all(link["up"] for link in state["links"].values()), 30, "all links up")
    # A live partner connection through the audit (one ICMP echo flow; its entry outlives the run).
    router.sh("ip netns exec lan ping -q -i 1 -c 120 100.64.20.10 >/dev/null 2>&1 & echo $! > /tmp/audit-ping.pid")
    try:
        result, report, markdown = _audit(router, reports)
    finally:
        router.sh("kill $(cat /tmp/audit-ping.pid) 2>/dev/null || true")
    assert result.returncode == 0, result.stdout[-3000:]
    assert report["passed"] and report["findings"] == []
    assert {
        (row["partner"], row["family"], row["link_now"], row["source_now"], row["ok"]) for row in report["partners"]
    } == {
        ("partner-api", 4, "wan_a", "198.51.100.2", True),
        ("partner-api", 6, "wan_a", "2001:db8:a::2", True),
        ("partner-ledger", 4, "wan_a", "198.51.100.2", True),
        ("partner-ledger", 6, "wan_a", "2001:db8:a::2", True),
    }
    assert report["connections"]["partner-api"] == {"wan_a": {"icmp": 1}}
    assert report["monitor"]["running"] and report["monitor"]["kernel_holds_decision"] is True
    assert "| partner-api | IPv4 | 100.64.20.1 | wan_a | wan_a (pinned) | wan_a | 198.51.100.2 | yes |" in markdown


def test_3_drift_by_hand_fails_the_audit_naming_it_and_a_converge_clears_it(router, reports):
    # Drift the monitor does not repair (it repairs rules, routes and the nft table, see
    # test_link_monitor and test_monitor_repair): a sysctl and the table names file changed by hand.
    router.sh(
        "sysctl -qw net.ipv4.conf.wanb.rp_filter=1; echo '250 by_hand' >> /etc/iproute2/rt_tables.d/symroute.conf"
    )
    try:
        result, report, _ = _audit(router, reports)
        assert result.returncode != 0
        texts = _texts(report)
        assert texts == [
            "file /etc/iproute2/rt_tables.d/symroute.conf differs from the plan",
            "sysctl net.ipv4.conf.wanb.rp_filter: 1 -> 2",
        ], texts
    finally:
        assert router.playbook().returncode == 0
    result, report, _ = _audit(router, reports)
    assert result.returncode == 0 and report["passed"], _texts(report)


def test_4_a_partner_forced_off_its_link_in_service_fails_the_audit(router, reports):
    router.sh("ip rule add priority 100 to 100.64.20.0/24 lookup 201")  # a foreign rule, before symroute's band
    try:
        result, report, _ = _audit(router, reports)
    finally:
        router.sh("ip rule del priority 100 to 100.64.20.0/24 lookup 201")
    assert result.returncode != 0
    assert _texts(report) == [
        "partner partner-api (IPv4, 100.64.20.1) leaves by wan_b while its link wan_a is in service"
    ]


def test_5_with_link_a_out_of_service_failover_paths_pass_and_a_routable_ledger_fails(router, reports):
    router.sh("ip netns exec isp_a ip link set eth0 down")  # wana loses carrier; the monitor gates it
    try:
        router.wait_for_monitor(lambda state: state["links"]["wan_a"]["gated"], 30, "wan_a out of service")
        result, report, _ = _audit(router, reports)
        assert result.returncode == 0, _texts(report)
        assert {row["partner"]: row["link_now"] for row in report["partners"] if row["family"] == 4} == {
            "partner-api": "wan_b",
            "partner-ledger": None,
        }
        router.sh("ip rule add priority 100 to 100.64.21.0/24 lookup 201")
        try:
            result, report, _ = _audit(router, reports)
        finally:
            router.sh("ip rule del priority 100 to 100.64.21.0/24 lookup 201")
        assert result.returncode != 0
        assert _texts(report) == [
            "partner partner-ledger (IPv4, 100.64.21.1) leaves by wan_b; with wan_a out of "
            "service it must be rejected (fail-closed, or no link of its failover order in "
            "service)"
        ]
    finally:
        router.sh("ip netns exec isp_a ip link set eth0 up")
        router.wait_for_monitor(lambda state: not state["links"]["wan_a"]["gated"], 60, "wan_a back in service")
