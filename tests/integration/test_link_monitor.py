"""The link monitor on a real router (a container): carrier loss, its rules, its life cycle.

The router's link A ends in the namespace isp_a inside the container; taking
isp_a's end down removes wana's carrier, as a provider's outage would.
"""

import json
import time

CARRIER_DOWN = "ip -n isp_a link set eth0 down"
# The far end's IPv6 address goes with the link; put it back with it.
CARRIER_UP = "ip -n isp_a link set eth0 up; ip -n isp_a -6 addr replace 2001:db8:a::1/64 dev eth0 nodad"
OUT_OF_SERVICE_GROUP = "21337"
GENERAL_V4 = "10900:\tfrom all lookup main suppress_ifgroup 21337"
GENERAL_V6 = "10902:\tfrom all lookup symroute_wan_b suppress_ifgroup 21337"


def _group(router, interface):
    return json.loads(router.sh(f"ip -json link show dev {interface}").stdout)[0]["group"]


def _link_a(state):
    return state["links"]["wan_a"]


def test_carrier_loss_gates_the_link_and_a_converge_keeps_the_monitors_rules(router):
    router.wait_for_monitor(lambda s: _link_a(s)["up"] and not _link_a(s)["gated"], 10, "wan_a up")
    rules = router.sh("ip rule").stdout
    assert GENERAL_V4 not in rules and _group(router, "wana") == "default"  # all links up: no monitor change
    router.sh(CARRIER_DOWN)
    try:
        state = router.wait_for_monitor(lambda s: _link_a(s)["gated"], 2, "wan_a out of service after carrier loss")
        assert _link_a(state)["reason"] == "carrier lost" and state["general_rules"]
        assert state["kernel_holds_decision"] and _group(router, "wana") == OUT_OF_SERVICE_GROUP
        assert GENERAL_V4 in router.sh("ip rule").stdout and GENERAL_V6 in router.sh("ip -6 rule").stdout
        # A converge while the link is out of service: verification expects the
        # partners elsewhere, the reconciler leaves the monitor's rules and the group alone.
        converge = router.playbook()
        assert converge.returncode == 0, converge.stdout
        assert GENERAL_V4 in router.sh("ip rule").stdout and _group(router, "wana") == OUT_OF_SERVICE_GROUP
        route = router.sh("ip -json route get 100.64.20.10 mark 0x100").stdout
        assert json.loads(route)[0]["dev"] == "wanb"  # partner-api fails over
        refused = router.sh("ip route get 100.64.21.10 mark 0x8100", check=False)
        assert refused.returncode != 0  # the fail-closed ledger is prohibited
    finally:
        router.sh(CARRIER_UP)
    # Carrier back is not enough: up_after (10) good rounds of 250 ms first (the first may start at once).
    started = time.monotonic()
    router.wait_for_monitor(lambda s: _link_a(s)["up"] and not _link_a(s)["gated"], 10, "wan_a back in service")
    assert time.monotonic() - started >= 2.0
    assert GENERAL_V4 not in router.sh("ip rule").stdout and _group(router, "wana") == "default"


def test_disabling_the_monitor_stops_it_and_enabling_starts_it(router):
    disabled = router.playbook(inventory_vars={"symroute_monitor_enabled": False})
    assert disabled.returncode == 0, disabled.stdout
    status = router.sh("/usr/local/sbin/symroute-monitor-ctl status", check=False)
    assert status.returncode == 3, status.stdout
    enabled = router.playbook()
    assert enabled.returncode == 0, enabled.stdout
    assert router.sh("/usr/local/sbin/symroute-monitor-ctl status").returncode == 0
    pid = router.sh("cat /run/symroute/monitor.pid").stdout
    again = router.playbook()
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout
    assert router.sh("cat /run/symroute/monitor.pid").stdout == pid  # an unchanged converge leaves it running


def test_an_interface_bounce_gets_the_link_table_back_and_the_link_back_in_service(router):
    """ip link set wana down/up (ifdown/ifup, a NIC reset, a reconfigure) deletes table 200's routes."""
    router.wait_for_monitor(lambda s: _link_a(s)["up"] and not _link_a(s)["gated"], 10, "wan_a up")
    table = "ip route show table 200"
    before = router.sh(table).stdout
    assert "default via 198.51.100.1 dev wana" in before
    table6 = "ip -6 route show table 200"
    before6 = router.sh(table6).stdout
    # The kernel also drops wana's IPv6 address with the link; a network manager puts it back, as here.
    # Whichever of wana's events comes first repairs: its carrier's return, or its address (or default route)
    # changing as the kernel flushes them with the link; the other then finds nothing left to repair.
    carrier_repairs = (
        "grep -cE 'repaired symroute.s rules and routes after (carrier up on wana|an address or "
        "default route changed on wana)' /var/log/symroute-monitor.log"
    )
    repaired_before = int(router.sh(carrier_repairs, check=False).stdout.strip() or 0)
    router.sh("ip link set wana down; ip link set wana up; ip -6 addr add 2001:db8:a::2/64 dev wana nodad")
    bounced = time.monotonic()
    while router.sh(table).stdout != before:
        assert time.monotonic() - bounced < 1.0, f"table 200 not repaired within 1 s: {router.sh(table).stdout!r}"
        time.sleep(0.05)
    # The IPv6 routes need the address back first: the periodic reconcile (5 s in the lab) completes them.
    while router.sh(table6).stdout != before6:
        assert time.monotonic() - bounced < 8.0, f"IPv6 table 200 not repaired: {router.sh(table6).stdout!r}"
        time.sleep(0.1)
    state = router.wait_for_monitor(lambda s: _link_a(s)["up"] and not _link_a(s)["gated"], 10, "wan_a back in service")
    # wana's bounce triggered a repair (the periodic reconcile may have repaired again since).
    assert state["repairs"]["total"] >= 1
    assert int(router.sh(carrier_repairs, check=False).stdout.strip() or 0) > repaired_before
    route = json.loads(router.sh("ip -json route get 100.64.20.10 mark 0x100").stdout)[0]
    assert route["dev"] == "wana" and route.get("prefsrc", "198.51.100.2") == "198.51.100.2"
    assert router.sh("ip route get 100.64.21.10 mark 0x8100").returncode == 0  # the fail-closed ledger again
    metrics = router.sh("cat /var/lib/prometheus/node-exporter/symroute.prom").stdout
    assert 'symroute_repairs_total{router="symroute-test-router",what="routing"}' in metrics


def test_a_rule_and_a_route_deleted_by_hand_are_repaired_by_the_periodic_reconcile(router):
    router.sh("ip rule del priority 10200 fwmark 0x100/0x7f00 lookup 200; ip route del default table 201")
    deadline = time.monotonic() + 15  # the lab repairs every 5 s (inventories/lab)
    while time.monotonic() < deadline:
        rules, routes = router.sh("ip rule").stdout, router.sh("ip route show table 201").stdout
        if "10200:\tfrom all fwmark 0x100/0x7f00 lookup symroute_wan_a" in rules and "default via" in routes:
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the deleted rule and route were not repaired")
    # The state file is rewritten every second: wait for it to tell the repair.
    router.wait_for_monitor(
        lambda s: s["repairs"]["last"]["reason"] == "periodic reconcile", 3, "the repair in the state file"
    )
