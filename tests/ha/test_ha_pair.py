"""The HA pair with real packets (issue #25): two edge routers (keepalived, conntrackd, symroute's monitor)
converged by symmetric-routing.yml from inventories/ha-lab, a LAN client, stateful ISP firewalls and a
partner (tests/halab.py). A long-lived TCP stream from the client to the partner pinned to wan_a keeps
going, with the shared address at the partner and no RST, when the master yields (its pinned link fails),
when it comes back (nopreempt: it stays the backup) and when the master is killed (`podman kill`). New
connections after a switchover are pinned as before; a cut sync link is reported on both routers. The killed
router returns (a new container, converged by the playbook limited to it) as the backup while a stream runs,
and conntrackd resyncs it; the pair is whole again for the files after this one.

The tests run in order on one lab (molecule's ``ha`` scenario, or their own: tests/ha/conftest.py): each leaves
the pair in the state the next expects (the master is the router ``halab.master()`` finds).
"""

import re
import time

import halab

from routerlab import podman


def _other(router):
    return "edge-2" if router == "edge-1" else "edge-1"


def _captures(directory, name):
    """RSTs anywhere on the partner's side, and the stream's packets leaving each router on wan_a."""
    return {
        "rst": halab.Capture(
            halab.PARTNER, "any", "tcp port 9000 and tcp[tcpflags] & tcp-rst != 0", directory / f"{name}-rst.txt"
        ),
        "rst_wan": halab.Capture(
            halab.SWITCH, "br-wana", "tcp port 9000 and tcp[tcpflags] & tcp-rst != 0", directory / f"{name}-rst-wan.txt"
        ),
        "edge-1": halab.Capture(
            halab.SWITCH, halab.port("edge-1", "wana"), "tcp and dst port 9000", directory / f"{name}-edge-1.txt"
        ),
        "edge-2": halab.Capture(
            halab.SWITCH, halab.port("edge-2", "wana"), "tcp and dst port 9000", directory / f"{name}-edge-2.txt"
        ),
    }


def _stopped(captures):
    return {name: capture.stop() for name, capture in captures.items()}


def _assert_survived(client, server, lines):
    """The stream ran to its end without an error, every number echoed in order, one connection at the
    partner from the shared address, and no RST on the partner's side or on wan_a."""
    assert client["error"] is None, client
    assert client["echoed"] == client["sent"] > 100 and client["in_order"], client
    assert [(c["peer"], c["reset"]) for c in server["connections"]] == [(halab.SHARED_WAN_A, False)], server
    assert lines["rst"] == [] and lines["rst_wan"] == [], (lines["rst"], lines["rst_wan"])


def _switchover(lines, old, new):
    """Seconds from the last packet via the old master to the first via the new one (wan_a ports)."""
    first_new = min(halab.timestamps(lines[new]))
    last_old = max([t for t in halab.timestamps(lines[old]) if t < first_new], default=first_new)
    return first_new - last_old


def test_the_pair_converges_with_edge_1_master_and_a_second_run_changes_nothing(lab):
    assert (halab.vrrp_state("edge-1"), halab.vrrp_state("edge-2")) == ("master", "backup")
    assert halab.holds("edge-1", halab.SHARED_WAN_A) and not halab.holds("edge-2", halab.SHARED_WAN_A)
    assert halab.holds("edge-1", "203.0.113.1") and not halab.holds("edge-2", "203.0.113.1")
    for router in halab.ROUTERS:  # both monitors run and probe their own links: the backup knows its links
        state = halab.wait_for(lambda router=router: halab.monitor_state(router), 10, f"{router}'s monitor state")
        assert all(link["up"] for link in state["links"].values()), (router, state["links"])
        assert state["ha"]["yield"] is False and state["ha"]["sync"]["peer_reachable"] is True, state["ha"]
    again = halab.playbook(lab["inventory"])
    assert again.returncode == 0, again.stdout[-4000:]
    recap = re.findall(r"^(edge-\d)\s+: ok=\d+\s+changed=(\d+)", again.stdout, re.MULTILINE)
    assert sorted(recap) == [("edge-1", "0"), ("edge-2", "0")], again.stdout[-3000:]
    # Check mode on the converged pair: the ha part reads keepalived's and conntrackd's files, nothing differs.
    checked = halab.playbook(lab["inventory"], "--check", "--diff")
    assert checked.returncode == 0, checked.stdout[-4000:]
    recap = re.findall(r"^(edge-\d)\s+: ok=\d+\s+changed=(\d+)", checked.stdout, re.MULTILINE)
    assert sorted(recap) == [("edge-1", "0"), ("edge-2", "0")], checked.stdout[-3000:]


def test_a_new_connection_leaves_the_master_by_wan_a_with_the_shared_address(lab):
    master = halab.master()
    captures = _captures(lab["directory"], "new")
    client, server = halab.Stream(lab["directory"], port=9000, seconds=2).wait()
    lines = _stopped(captures)
    _assert_survived(client, server, lines)
    assert lines[master] and not lines[_other(master)]
    entries = halab.on(master, "conntrack -L -p tcp --dport 9000 2>/dev/null").stdout
    assert "src=203.0.113.50" in entries and f"dst={halab.SHARED_WAN_A}" in entries


def test_a_mid_stream_packet_the_master_does_not_know_is_dropped_never_answered_with_a_reset(lab):
    """The switchover race in isolation: a partner's mid-stream segment to the shared address that the
    master's conntrack does not know (as before conntrackd's commit) is dropped and counted; the router's
    own stack would answer it with a RST, as it does answer a SYN to a closed port (the control)."""
    master = halab.master()
    before = halab.unsynced_drops(master)
    capture = halab.Capture(
        halab.FW_A,
        "site",
        f"src host {halab.SHARED_WAN_A} and tcp[tcpflags] & tcp-rst != 0",
        lab["directory"] / "race-rst.txt",
    )
    for _ in range(3):
        halab.send_tcp(halab.FW_A, "198.51.100.1", halab.SHARED_WAN_A, 4321, 40000, 0x10)  # ACK, mid-stream
    time.sleep(0.5)
    halab.send_tcp(halab.FW_A, "198.51.100.1", halab.SHARED_WAN_A, 4321, 40001, 0x02)  # SYN to a closed port
    time.sleep(0.5)
    assert halab.unsynced_drops(master) - before == 3
    # Without the chain's rule, the same mid-stream segment draws a RST: the rule is what prevents it.
    halab.on(master, "nft flush chain inet symroute ha_unsynced")
    try:
        halab.send_tcp(halab.FW_A, "198.51.100.1", halab.SHARED_WAN_A, 4321, 40002, 0x10)
        time.sleep(0.5)
    finally:
        halab.on(master, "nft -f /etc/symroute/symroute.nft")
    resets = capture.stop()
    assert [line.split(" IP ")[1].split(":")[0] for line in resets] == [
        f"{halab.SHARED_WAN_A}.40001 > 198.51.100.1.4321",
        f"{halab.SHARED_WAN_A}.40002 > 198.51.100.1.4321",
    ], resets


def _block_probes(router, blocked):
    """ISP A stops answering ``router``'s own address: its wan_a probes fail, its carrier stays."""
    own = halab.ROUTERS[router]["wana"].split("/")[0]
    if blocked:
        halab.ns(
            halab.FW_A,
            f"nft add table inet halab; nft add chain inet halab input"
            f" '{{ type filter hook input priority -10; }}'; nft add rule inet halab input"
            f" ip saddr {own} icmp type echo-request drop",
        )
    else:
        halab.ns(halab.FW_A, "nft delete table inet halab 2>/dev/null || true")


def test_a_master_whose_pinned_link_fails_yields_and_on_its_return_stays_backup(lab):
    old = halab.master()
    new = _other(old)
    captures = _captures(lab["directory"], "yield")
    stream = halab.Stream(lab["directory"], port=9000, seconds=20)
    try:
        time.sleep(2)
        _block_probes(old, True)
        halab.wait_for(
            lambda: halab.on(old, f"cat {halab.YIELD_FILE}").stdout.strip() == "1",
            10,
            f"{old}'s monitor writes 1 to the yield file",
        )
        halab.wait_for_states({old: "fault", new: "master"}, 5)
        assert halab.master() == new
        _block_probes(old, False)
        # Back in service after up_after good rounds: it yields no more, and stays the backup (nopreempt).
        halab.wait_for(
            lambda: halab.on(old, f"cat {halab.YIELD_FILE}").stdout.strip() == "0",
            15,
            f"{old}'s monitor writes 0 to the yield file",
        )
        halab.wait_for_states({old: "backup", new: "master"}, 5)
        client, server = stream.wait()
    finally:
        stream.kill()
        _block_probes(old, False)
    lines = _stopped(captures)
    _assert_survived(client, server, lines)
    assert halab.master() == new
    assert _switchover(lines, old, new) < 1.5


def test_a_cut_sync_link_is_reported_on_both_routers_and_leaves_one_master(lab):
    master = halab.master()
    halab.set_port("edge-1", "sync0", up=False)
    try:
        for router in halab.ROUTERS:
            halab.wait_for(
                lambda router=router: (
                    (halab.monitor_state(router) or {}).get("ha", {}).get("sync", {}).get("peer_reachable") is False
                ),
                10,
                f"{router} reports its peer unreachable over sync0",
            )
        # VRRP advertisements cross the segments, not the sync link: still exactly one master.
        assert halab.master() == master
        assert sorted(halab.vrrp_state(router) for router in halab.ROUTERS) == ["backup", "master"]
    finally:
        halab.set_port("edge-1", "sync0", up=True)
    for router in halab.ROUTERS:
        halab.wait_for(
            lambda router=router: (
                (halab.monitor_state(router) or {}).get("ha", {}).get("sync", {}).get("peer_reachable") is True
            ),
            10,
            f"{router} reports its peer reachable again",
        )


def test_a_killed_master_s_stream_continues_through_the_backup_without_a_reset(lab):
    time.sleep(2)  # conntrackd's caches settled after the sync link came back (bulk resync)
    old = halab.master()
    new = _other(old)
    captures = _captures(lab["directory"], "kill")
    stream = halab.Stream(lab["directory"], port=9000, seconds=8)
    try:
        time.sleep(3)
        podman("kill", halab.container(old))
        client, server = stream.wait()
    finally:
        stream.kill()
    lines = _stopped(captures)
    _assert_survived(client, server, lines)
    assert halab.vrrp_state(new) == "master" and halab.holds(new, halab.SHARED_WAN_A)
    switchover = _switchover(lines, old, new)
    assert 0 < switchover < 1.5, switchover
    # The connection the new master carries is the one conntrackd committed, bound to wan_a (its mark).
    entries = halab.on(new, "conntrack -L -p tcp --dport 9000 2>/dev/null").stdout
    assert re.search(r"src=203\.0\.113\.50 .*dst=198\.51\.100\.4 .*mark=(\d+)", entries), entries
    mark = int(re.search(r"mark=(\d+)", entries).group(1))
    assert mark & 0x7F00 == 0x100, hex(mark)
    # A new connection after the switchover: pinned as before, from the shared address, via the new master.
    captures = _captures(lab["directory"], "after")
    client, server = halab.Stream(lab["directory"], port=9000, seconds=2).wait()
    lines = _stopped(captures)
    _assert_survived(client, server, lines)
    assert lines[new] and not lines[old]


def test_the_killed_router_returns_as_the_backup_and_the_live_stream_carries_on(lab):
    """The old master returning after a real loss (a new container, converged by the playbook limited to it,
    ``-l``) while a stream runs through the master: it comes back as the backup (nopreempt), conntrackd's bulk
    resync gives it the stream's connection (its external cache), and the stream is untouched: every number
    echoed in order, one connection at the partner from the shared address, no RST, nothing via the returning
    router. The pair is whole again for the tests after this one."""
    master = halab.master()
    returning = _other(master)
    assert returning not in [router for router in halab.ROUTERS if halab._running(router)]
    captures = _captures(lab["directory"], "return")
    stream = halab.Stream(lab["directory"], port=9000, seconds=240)
    try:
        time.sleep(2)
        run = halab.restore(returning, lab["inventory"])
        recap = re.findall(r"^(edge-\d)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", run.stdout, re.M)
        assert [router for router, _ in recap] == [returning], run.stdout[-3000:]
        halab.wait_for(
            lambda: re.search(
                r"src=203\.0\.113\.50 dst=100\.64\.20\.10 sport=\d+ dport=9000", halab.external_cache(returning)
            ),
            10,
            f"the stream's connection in {returning}'s external cache",
        )
        assert halab.master() == master
        assert (halab.vrrp_state(master), halab.vrrp_state(returning)) == ("master", "backup")
        time.sleep(2)
        client, server = stream.finish()
    finally:
        stream.kill()
    lines = _stopped(captures)
    _assert_survived(client, server, lines)
    assert lines[master] and not lines[returning]
    assert client["max_gap_s"] < 0.5, client["gaps"]
