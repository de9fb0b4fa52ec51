"""Nobody outside can stall or fool the monitor (issue #24), with real packets and processes on the three-link
router in namespaces (tests/threelinklab.py, tests/hostilelab.py): an ICMP echo flood from a provider at the
link's address, a burst of 10,000 address events, an unprivileged user holding the routing lock.

Probes every 100 ms, each answered within 80 ms, out of service after 3 missed rounds; a carrier loss takes
a link out of service within 100 ms (the bound the issue states)."""

import os
import pathlib
import shutil
import tempfile
import time

import hostilelab
import pytest

from threelinklab import ISPS, sh

FLOOD_RATE, FLOOD_SECONDS = 25_000, 10  # the issue: at least 20,000 packets/s for 10 s
FAILOVER_BOUND_MS = 100
BURST = 10_000


def _in_service(state):
    return all(link["up"] and not link["gated"] for link in state["links"].values()) and state["kernel_holds_decision"]


@pytest.fixture
def restore(three_links):
    yield three_links
    for link in ISPS:
        three_links.carrier(link, True)
    hostilelab.remove_burst(three_links, "wanb")
    three_links.apply()


@pytest.fixture
def public_directory():
    """A directory every user can traverse (pytest's own are root's only), removed afterwards."""
    directory = tempfile.mkdtemp(prefix="symroute-lock-test-")
    os.chmod(directory, 0o755)
    yield pathlib.Path(directory)
    shutil.rmtree(directory)


@pytest.mark.parametrize(
    "sockets, ping_group_range", [("ping sockets", "0 2147483647"), ("raw sockets filtered by the kernel", "1 0")]
)
def test_an_icmp_echo_flood_at_the_link_address_does_not_take_the_link_out_of_service(
    three_links, restore, sockets, ping_group_range
):
    """25,000 echo requests a second for 10 s from provider A at wana's address; the monitor's probes of
    wan_a (to provider A's own address) keep answering and wan_a never leaves service. Both kinds of probe
    socket: ping sockets where net.ipv4.ping_group_range allows them, the filtered raw socket where not."""
    sh("ip", "netns", "exec", three_links.r, "sysctl", "-qw", f"net.ipv4.ping_group_range={ping_group_range}")
    monitor = hostilelab.Monitor(three_links).start()
    try:
        monitor.wait_for(_in_service, 10, "every link in service")
        assert f"ICMP probes on {sockets}" in monitor.log.read_text()
        before, received = monitor.state()["links"]["wan_a"]["transitions"], hostilelab.echoes_received(three_links)
        flood = hostilelab.start_flood(three_links, "wan_a", FLOOD_RATE, FLOOD_SECONDS)
        try:
            time.sleep(1)
            exposure = hostilelab.socket_exposure(three_links, "wan_a", 2)
        finally:
            sent = hostilelab.flood_result(flood)
        received = hostilelab.echoes_received(three_links) - received
        print(
            f"{sockets}: flood {sent}, {received} echo requests received; in 2 s of it a probe socket "
            f"received {exposure['probe']} packets but echo replies from the target ({exposure['probe_replies']}), an unfiltered raw socket {exposure['unfiltered']}"
        )
        assert sent["sent"] == FLOOD_RATE * FLOOD_SECONDS and sent["sent"] / sent["seconds"] >= 20_000, sent
        assert received >= 0.95 * sent["sent"], received  # the flood reached the router
        # The flood reaches an unfiltered socket (the probes' before), never a probe socket: the kernel drops it.
        assert exposure["kind"] == sockets.split()[0] and exposure["probe"] == 0
        assert exposure["unfiltered"] >= 20_000, exposure
        time.sleep(0.3)  # more than down_after rounds: a link the flood had blinded would be out by now
        state = monitor.state()
        assert state["links"]["wan_a"]["transitions"] == before, state["links"]["wan_a"]
        assert _in_service(state), state
    finally:
        monitor.stop()
        sh("ip", "netns", "exec", three_links.r, "sysctl", "-qw", "net.ipv4.ping_group_range=1 0")


def test_10000_address_events_in_a_burst_leave_carrier_loss_failover_within_100_ms_and_memory_bounded(
    three_links, restore, tmp_path
):
    monitor = hostilelab.RepairingMonitor(three_links, tmp_path / "run" / "routing.lock").start()
    try:
        monitor.wait_for(_in_service, 10, "every link in service")
        quiet_ms = hostilelab.carrier_loss_failover_ms(three_links, "wan_a")
        three_links.carrier("wan_a", True)
        three_links.apply()
        monitor.wait_for(_in_service, 5, "wan_a back in service")
        memory, repairs = hostilelab.peak_memory_kib(monitor), monitor.state()["repairs"]["address_repairs"]
        burst_started = time.monotonic()
        seconds = hostilelab.address_burst(three_links, "wanb", BURST)
        burst_ms = hostilelab.carrier_loss_failover_ms(three_links, "wan_a")  # the burst still being read
        print(
            f"carrier-loss failover: {quiet_ms} ms quiet, {burst_ms} ms right after {BURST} address events "
            f"({seconds:.2f} s to add them)"
        )
        assert quiet_ms <= FAILOVER_BOUND_MS and burst_ms <= FAILOVER_BOUND_MS
        time.sleep(2)  # the burst read, and the repairs it asked for done
        state = monitor.wait_for(lambda s: s["events"]["queued"] == 0, 10, "the burst read")
        events, elapsed = state["events"], time.monotonic() - burst_started
        grown = hostilelab.peak_memory_kib(monitor) - memory
        print(
            f"events: {events}; address repairs: {state['repairs']['address_repairs'] - repairs} in "
            f"{elapsed:.1f} s; peak memory +{grown} KiB"
        )
        assert events["longest"] <= 16  # one entry per interface, however many events (or an overflow)
        assert state["repairs"]["address_repairs"] - repairs <= elapsed + 1  # at most one a second for wanb
        assert grown < 8 * 1024
    finally:
        monitor.stop()


def test_an_unprivileged_flock_on_the_routing_lock_does_not_delay_a_carrier_loss_failover(
    three_links, restore, public_directory
):
    """An older install's lock (0644 in a 0755 directory) that the user nobody opened and locked before
    the upgrade: the monitor narrows the file, but nobody's lock stays. Carrier-loss failover is still within
    100 ms; the repairs wait (logged) instead of the event loop. A lock the monitor created itself (0600 in a
    0700 directory) nobody cannot even open."""
    directory = public_directory / "run"
    directory.mkdir(mode=0o755)
    lock = directory / "routing.lock"
    lock.touch(mode=0o644)
    holder = hostilelab.run_as_nobody("flock", "--exclusive", str(lock), "sleep", "30")
    monitor = None
    try:
        time.sleep(0.3)
        assert holder.poll() is None, holder.stderr.read()  # nobody holds it
        monitor = hostilelab.RepairingMonitor(three_links, lock).start()
        monitor.wait_for(_in_service, 10, "every link in service")
        assert "deferred: the routing lock is held elsewhere" in monitor.log.read_text()
        assert os.stat(lock).st_mode & 0o777 == 0o600  # narrowed; nobody's open descriptor is what remains
        failover_ms = hostilelab.carrier_loss_failover_ms(three_links, "wan_a")
        print(f"carrier-loss failover with the routing lock held by nobody: {failover_ms} ms")
        assert failover_ms <= FAILOVER_BOUND_MS
        assert holder.poll() is None  # still held during the failover
    finally:
        holder.kill()
        holder.wait()
        if monitor is not None:
            monitor.stop()
        three_links.carrier("wan_a", True)
        three_links.apply()
    fresh = public_directory / "fresh" / "routing.lock"
    monitor = hostilelab.RepairingMonitor(three_links, fresh).start()
    try:
        monitor.wait_for(_in_service, 10, "every link in service")
        assert oct(os.stat(fresh).st_mode & 0o777) == "0o600" and oct(os.stat(fresh.parent).st_mode & 0o777) == "0o700"
        refused = hostilelab.run_as_nobody("flock", "--exclusive", "--nonblock", str(fresh), "true")
        assert refused.wait(timeout=10) != 0 and "Permission denied" in refused.stderr.read()
    finally:
        monitor.stop()
