"""The real monitor daemon against faults, on the three-link router in namespaces (tests/threelinklab.py).

Probes every 100 ms, down after 3 missed rounds, up after 5 good ones. Each
test starts its own monitor and leaves the lab as it found it: links back,
monitor stopped (a stopped monitor puts every link back in service).
"""

import signal
import time

import pytest

from threelinklab import ISPS, OUT_OF_SERVICE_GROUP, Monitor, sh

UP_AFTER_S = 5 * 0.1


def _out(state, *links):
    """True when exactly ``links`` are out of service as the kernel holds it, and it holds the decision."""
    gated = {name for name, link in state["links"].items() if link["gated"]}
    return gated == set(links) and state["kernel_holds_decision"]


@pytest.fixture
def monitor(three_links):
    daemon = Monitor(three_links).start()
    daemon.wait_for(lambda s: _out(s) and all(link["up"] for link in s["links"].values()), 10, "every link up")
    yield daemon
    for link in ISPS:
        three_links.blackhole(link, False)
        three_links.carrier(link, True)
    daemon.stop()
    three_links.apply()
    assert {three_links.group(link) for link in ISPS} == {0}


def test_blackhole_then_carrier_loss_moves_the_partner_to_the_third_link_and_back(three_links, monitor):
    three_links.blackhole("wan_b", True)
    monitor.wait_for(lambda s: _out(s, "wan_b"), 2, "wan_b out of service after its blackhole")
    three_links.carrier("wan_a", False)
    state = monitor.wait_for(lambda s: _out(s, "wan_a", "wan_b"), 1, "wan_a out of service after carrier loss")
    assert state["links"]["wan_a"]["reason"] == "carrier lost" and state["general_rules"]
    seen = three_links.connect()
    assert seen["100.64.20.1"] == ["wan_c", "198.51.100.10"]  # fail-over partner of wan_a: on wan_c, not wan_b
    assert seen["2001:db8:20::1"] == ["wan_c", "2001:db8:c::2"]
    assert seen["100.64.21.1"] == "refused"  # fail_closed
    assert seen["100.64.60.1"] == ["wan_c", "198.51.100.10"]  # its own order: wan_b, then wan_c
    three_links.carrier("wan_a", True)
    three_links.apply()  # the routes the kernel dropped with the carrier (the monitor's repair does this on a router)
    three_links.blackhole("wan_b", False)
    monitor.wait_for(lambda s: _out(s), 5, "both links back in service")
    assert three_links.connect(["100.64.20.1", "100.64.60.1"]) == {
        "100.64.20.1": ["wan_a", "198.51.100.2"],
        "100.64.60.1": ["wan_b", "198.51.100.6"],
    }


def test_kill_9_in_an_outage_never_brings_the_dead_link_back_and_the_restart_recovers(three_links, monitor):
    three_links.blackhole("wan_b", True)
    monitor.wait_for(lambda s: _out(s, "wan_b"), 2, "wan_b out of service")
    monitor.kill9()
    assert three_links.group("wan_b") == OUT_OF_SERVICE_GROUP  # the kernel keeps the decision meanwhile
    monitor.start()
    samples = []
    for _ in range(int(3 * UP_AFTER_S / 0.05)):  # longer than a link needs to earn its way back
        samples.append(three_links.group("wan_b"))
        time.sleep(0.05)
    assert set(samples) == {OUT_OF_SERVICE_GROUP}  # never back to the dead link, not even for a moment
    state = monitor.state()
    assert _out(state, "wan_b"), state
    assert state["links"]["wan_b"]["reason"] == "out of service when the monitor started"
    assert three_links.connect(["100.64.60.1"]) == {"100.64.60.1": ["wan_c", "198.51.100.10"]}
    three_links.blackhole("wan_b", False)
    monitor.wait_for(lambda s: _out(s), 3, "wan_b back in service after the restart")  # no stale gate


def test_an_interface_deleted_and_recreated_is_held_out_until_it_earns_its_way_back(three_links, monitor):
    sh("ip", "-n", three_links.r, "link", "del", "wanc")
    state = monitor.wait_for(lambda s: not s["links"]["wan_c"]["interface_present"], 2, "wan_c gone (RTM_DELLINK)")
    assert state["links"]["wan_c"]["up"] is False and state["links"]["wan_c"]["decided_gated"]
    three_links.wire("wan_c")  # a new interface (new index), in the default group
    three_links.apply()
    monitor.wait_for(
        lambda s: s["links"]["wan_c"]["interface_present"] and _out(s, "wan_c"),
        1,
        "the re-created wanc put out of service at once",
    )
    monitor.wait_for(lambda s: _out(s) and s["links"]["wan_c"]["up"], 3, "wan_c back after its good rounds")
    assert three_links.group("wan_c") == 0


def test_changes_by_hand_to_the_group_or_the_monitors_rules_are_undone(three_links, monitor):
    three_links.blackhole("wan_a", True)
    monitor.wait_for(lambda s: _out(s, "wan_a"), 2, "wan_a out of service")
    sh("ip", "-n", three_links.r, "link", "set", "dev", "wana", "group", "default")
    monitor.wait_for(
        lambda s: _out(s, "wan_a") and three_links.group("wan_a") == OUT_OF_SERVICE_GROUP,
        1,
        "the group restored (the link event triggers a resync)",
    )
    sh("ip", "-n", three_links.r, "-4", "rule", "del", "priority", "10900")
    deleted = time.monotonic()
    while "10900:" not in sh("ip", "-n", three_links.r, "-4", "rule").stdout:
        assert time.monotonic() - deleted < 7, "the general rule deleted by hand was not put back by the resync"
        time.sleep(0.1)
    assert "resync" in monitor.log.read_text()


def test_lost_link_notifications_are_caught_up_by_reading_every_carrier(three_links, monitor):
    """A burst of link events overflows the monitor's netlink socket while it is stopped (SIGSTOP); the
    carrier loss of wan_a hidden in it must still take wan_a out of service."""
    sh("ip", "-n", three_links.r, "link", "add", "noise0", "type", "veth", "peer", "name", "noise1")
    try:
        monitor.signal(signal.SIGSTOP)
        burst = "".join(f"link set noise0 {'up' if i % 2 else 'down'}\n" for i in range(6000))
        sh("ip", "-n", three_links.r, "-batch", "-", stdin=burst)
        three_links.carrier("wan_a", False)
        sh("ip", "-n", three_links.r, "-batch", "-", stdin=burst)
        monitor.signal(signal.SIGCONT)
        state = monitor.wait_for(lambda s: _out(s, "wan_a"), 3, "wan_a out of service after the overflow")
        assert "notifications were lost" in monitor.log.read_text()
        assert state["links"]["wan_a"]["reason"] == "carrier lost"  # the carrier re-read, not the probes
    finally:
        monitor.signal(signal.SIGCONT)
        sh("ip", "-n", three_links.r, "link", "del", "noise0", check=False)


def test_every_link_down_keeps_the_last_state_then_the_first_link_back_carries_everything(three_links, monitor):
    for link in ("wan_a", "wan_b", "wan_c"):
        three_links.carrier(link, False)
    state = monitor.wait_for(lambda s: not any(link["up"] for link in s["links"].values()), 2, "every link down")
    assert len([link for link in state["links"].values() if link["gated"]]) == 2  # one stays: nothing gained
    assert "every link is down" in monitor.log.read_text()
    three_links.carrier("wan_c", True)
    three_links.apply()
    monitor.wait_for(lambda s: _out(s, "wan_a", "wan_b") and s["links"]["wan_c"]["up"], 3, "wan_c carries all")
    assert three_links.connect(["100.64.20.1", "100.64.60.1", "100.64.77.1"]) == {
        "100.64.20.1": ["wan_c", "198.51.100.10"],
        "100.64.60.1": ["wan_c", "198.51.100.10"],
        "100.64.77.1": ["wan_c", "198.51.100.10"],
    }


def test_a_link_flapping_faster_than_its_up_after_stays_out_of_service_until_it_is_stable(three_links, monitor):
    """Carrier lost for 0.2 s and back for 0.3 s (shorter than up_after's 0.5 s), ten times: the link leaves
    service once and comes back once, after the flapping; nothing is left behind."""
    before = monitor.state()["links"]["wan_b"]["transitions"]
    groups = []
    for _ in range(10):
        three_links.carrier("wan_b", False)
        time.sleep(0.2)
        three_links.carrier("wan_b", True)
        time.sleep(0.3)
        groups.append(three_links.group("wan_b"))
    assert set(groups) == {OUT_OF_SERVICE_GROUP}  # out the whole time, never back in between
    state = monitor.wait_for(lambda s: _out(s) and s["links"]["wan_b"]["up"], 3, "wan_b back after the flapping")
    assert state["links"]["wan_b"]["transitions"] - before == 2
    assert "10900:" not in sh("ip", "-n", three_links.r, "-4", "rule").stdout
