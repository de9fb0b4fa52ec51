"""The pair in the operator's live view and the pair drill (issue #25, item 4) on the real HA lab: symroute-status
and the metrics say which router is the master, whether it yields and whether the peer answers over the sync
link (a cut sync link loudly); playbooks/failover-drill.yml -e symroute_drill_pair=true moves the master to
the peer and back while a live TCP stream keeps going without a RST, new connections during the drill leave
the new master pinned, with the shared address; the drill is refused on the backup; the router's own deadline
ends a drill nobody ends. Each test leaves the pair whole (both routers up, converged, one master), whichever
router is the master when it starts (halab.master()).
"""

import json
import time

import hadrill
import halab
import pytest

from promtext import parse

DRILL = "playbooks/failover-drill.yml"
METRICS = "/var/lib/prometheus/node-exporter/symroute.prom"


def _other(router):
    return "edge-2" if router == "edge-1" else "edge-1"


@pytest.fixture
def pair(lab):
    """The master of a whole pair (a router killed by an earlier test is brought back and converged)."""
    master = hadrill.whole_pair(lab["inventory"])
    assert master is not None
    yield master
    hadrill.whole_pair(lab["inventory"])


def _status(router):
    result = halab.on(router, "symroute-status --format json", check=False)
    text = halab.on(router, "symroute-status", check=False)
    return result.returncode, json.loads(result.stdout), text.stdout


def _ha_metrics(router):
    text = halab.on(router, f"cat {METRICS}").stdout
    return {
        (name, labels.get("state", "")): value
        for name, labels, value in parse(text)
        if name.startswith("symroute_ha_") and labels.get("router") == router
    }


def test_status_and_metrics_show_the_pair_and_a_cut_sync_link_loudly(lab, pair):
    master, backup = pair, _other(pair)
    for router, role in ((master, "master"), (backup, "backup")):
        _code, status, text = _status(router)  # exit 1 here anyway: the lab's partners serve no health check
        assert status["ha"]["attention"] is False, text
        assert status["ha"]["role"] == role and status["ha"]["sync"]["peer_reachable"] is True, status["ha"]
        assert f"HA pair: this router is {role.upper()}" in text and "replication running" in text, text
        metrics = _ha_metrics(router)
        assert metrics[("symroute_ha_master", "")] == (role == "master"), metrics
        assert metrics[("symroute_ha_state", role)] == 1 and metrics[("symroute_ha_yield", "")] == 0, metrics
        assert metrics[("symroute_ha_peer_reachable", "")] == 1, metrics
    halab.set_port(master, "sync0", up=False)
    try:
        for router in (master, backup):
            halab.wait_for(
                lambda router=router: _status(router)[1]["ha"]["replication"] == "stopped", 10, f"{router}: sync lost"
            )
            code, status, text = _status(router)
            assert code == 1 and status["ha"]["attention"] is True
            assert "  ! SYNC LOST: the peer does not answer over the sync link" in text, text
            halab.wait_for(
                lambda router=router: _ha_metrics(router)[("symroute_ha_peer_reachable", "")] == 0,
                5,
                f"{router}: symroute_ha_peer_reachable 0",
            )
        assert halab.master() == master  # VRRP crosses the segments: still one master
    finally:
        halab.set_port(master, "sync0", up=True)
    for router in (master, backup):
        halab.wait_for(
            lambda router=router: _status(router)[1]["ha"]["attention"] is False,
            15,
            f"{router}: the pair needs no attention",
        )


def _captures(directory, name, port):
    return {
        "rst": halab.Capture(
            halab.PARTNER, "any", f"tcp port {port} and tcp[tcpflags] & tcp-rst != 0", directory / f"{name}-rst.txt"
        ),
        **{
            router: halab.Capture(
                halab.SWITCH,
                halab.port(router, "wana"),
                f"tcp and dst port {port}",
                directory / f"{name}-{router}.txt",
            )
            for router in halab.ROUTERS
        },
    }


def _survived(client, server, rst):
    assert client["error"] is None, client
    assert client["echoed"] == client["sent"] > 100 and client["in_order"], client
    assert [(c["peer"], c["reset"]) for c in server["connections"]] == [(halab.SHARED_WAN_A, False)], server
    assert rst == [], rst


def test_a_pair_drill_moves_the_master_and_back_under_a_live_stream_without_a_reset(lab, pair):
    master, peer = pair, _other(pair)
    reports = lab["directory"] / "drill-reports"
    captures = _captures(lab["directory"], "drill", 9000)
    stream = halab.Stream(lab["directory"], port=9000, seconds=90)  # the playbook: 28-60 s here
    drill = None
    try:
        time.sleep(2)
        started = time.monotonic()
        drill = hadrill.start_playbook(
            lab["inventory"],
            DRILL,
            "-l",
            master,
            "-e",
            "symroute_drill_pair=true",
            "-e",
            "symroute_drill_seconds=60",
            "-e",
            "symroute_drill_hold_s=3",
            "-e",
            f"symroute_report_dir={reports}",
        )
        # While the peer holds the master: a new connection is pinned to wan_a, via the peer, shared address.
        halab.wait_for(lambda: halab.master() == peer, 60, f"{peer} takes the master")
        assert halab.vrrp_state(master) == "fault"
        assert all(halab.holds(peer, address) for address in (halab.SHARED_WAN_A, "198.51.100.12", "203.0.113.1"))
        during = _captures(lab["directory"], "during", 9001)
        new_client, new_server = halab.Stream(lab["directory"], port=9001, seconds=2).wait()
        new_lines = {name: capture.stop() for name, capture in during.items()}
        _survived(new_client, new_server, new_lines["rst"])
        assert new_lines[peer] and not new_lines[master], new_lines
        output, _ = drill.communicate(timeout=240)
        took = time.monotonic() - started
        assert drill.returncode == 0, output[-6000:]
        client, server = stream.wait()
    finally:
        stream.kill()
        if drill is not None and drill.poll() is None:
            drill.kill()
            drill.wait()
    lines = {name: capture.stop() for name, capture in captures.items()}
    _survived(client, server, lines["rst"])
    # The stream went via the peer during the drill, and via the master again after the hand back.
    assert lines[peer] and lines[master], lines
    to_peer, back = halab.timestamps(lines[peer]), halab.timestamps(lines[master])
    assert max(back) > max(to_peer)
    # Each handover's pause: last packet via the router giving the master to the first via the one taking it.
    first_away = min(to_peer)
    first_back = min(t for t in back if t > max(to_peer))
    gaps = (first_away - max(t for t in back if t < first_away), first_back - max(to_peer))
    print(f"pair drill: handover to {peer} {gaps[0]:.3f} s, back to {master} {gaps[1]:.3f} s, playbook {took:.1f} s")
    assert all(0 < gap < 1.5 for gap in gaps), gaps
    assert halab.master() == master and halab.vrrp_state(peer) == "backup"
    report = json.loads((reports / f"drill-{master}.json").read_text())
    assert (report["pair"], report["peer"], report["handed_back"], report["result"]) == (
        "edge-pair",
        peer,
        True,
        "passed",
    )
    assert report["during"]["ha"]["vrrp_state"] == "fault" and report["during"]["ha"]["yield_reason"] == "drill"
    assert report["peer_during"]["ha"]["vrrp_state"] == "master"
    assert report["after"]["ha"]["vrrp_state"] == "backup" and report["peer_after"]["ha"]["vrrp_state"] == "backup"


def test_a_pair_drill_is_refused_on_the_backup(lab, pair):
    backup = _other(pair)
    result = hadrill.playbook_file(lab["inventory"], DRILL, "-l", backup, "-e", "symroute_drill_pair=true")
    assert result.returncode != 0
    assert "no pair drill: this router is backup in the pair, not the master" in result.stdout, result.stdout[-3000:]
    assert halab.master() == pair and halab.on(backup, f"cat {halab.YIELD_FILE}").stdout.strip() == "0"


def test_the_router_ends_a_pair_drill_nobody_ends_at_its_deadline(lab, pair):
    """The dead-man: a request as the module writes it, then no controller; the monitor stops yielding at the
    deadline on its own and the router is back as the backup (nopreempt: the peer stays the master)."""
    master, peer = pair, _other(pair)
    halab.on(
        master,
        'python3 -c \'import json, time; print(json.dumps({"pair": True, "until": time.time() + 6}))\''
        " > /run/symroute/drill.json.tmp && mv /run/symroute/drill.json.tmp /run/symroute/drill.json",
    )
    started = time.monotonic()
    halab.wait_for_states({master: "fault", peer: "master"}, 5)
    halab.wait_for_states({master: "backup", peer: "master"}, 15)
    assert time.monotonic() - started >= 4.5
    assert halab.on(master, f"cat {halab.YIELD_FILE}").stdout.strip() == "0"
    assert halab.master() == peer
