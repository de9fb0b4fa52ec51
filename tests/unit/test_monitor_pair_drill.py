"""The pair drill (monitor/drill.py, monitor/pair_drill.py, monitor/ha_yield.py): its request file, the
monitor yielding the master until the deadline it enforces itself (the dead-man), its refusals on the master
and the peer's checks, on recorded state (no network)."""

import json
import time
from types import SimpleNamespace

import pytest
from hafixture import ha_plan

from symroute_router.monitor import drill, ha_yield, pair_drill

NOW = 1_800_000_000.0
LINKS = {"wan_a": object(), "wan_b": object()}


def _state(vrrp="master", **changes):
    state = {
        "updated": NOW - 1,
        "drill": None,
        "links": {"wan_a": {"up": True, "gated": False}, "wan_b": {"up": True, "gated": False}},
        "ha": {
            "yield": False,
            "yield_reason": None,
            "drill": None,
            "vrrp_state": vrrp,
            "tracked_links": ["wan_a"],
            "sync": {"interface": "sync0", "peer": "10.255.0.2", "peer_reachable": True},
        },
    }
    for key, value in changes.items():
        if key in state["ha"] or key == "sync":
            state["ha"][key] = value
        else:
            state[key] = value
    return state


def test_a_pair_request_is_in_force_until_its_deadline_and_is_no_link_drill(tmp_path):
    path = str(tmp_path / "drill.json")
    until = drill.start(path, None, 30, NOW)
    assert json.loads((tmp_path / "drill.json").read_text()) == {"pair": True, "until": NOW + 30, "requested": NOW}
    assert drill.read_pair(path, NOW + 29.9) == NOW + 30
    assert drill.read_pair(path, until) is None  # the router's own dead-man switch
    assert drill.read(path, LINKS, NOW) == (None, None)  # a pair drill takes no link out
    drill.start(path, "wan_a", 30, NOW)
    assert drill.read_pair(path, NOW) is None and drill.read(path, LINKS, NOW) == ("wan_a", NOW + 30)


@pytest.mark.parametrize(
    "content",
    [
        "",
        "garbage",
        "[]",
        '{"pair": true}',
        '{"pair": "true", "until": 1800000030}',
        '{"pair": 1, "until": 1800000030}',
        '{"pair": true, "until": 1e300}',
        '{"pair": true, "until": NaN}',
        '{"pair": true, "until": true}',
        '{"pair": true, "link": "wan_a", "until": 1800000030}',
    ],
    ids=["empty", "garbage", "list", "no deadline", "string", "one", "far", "nan", "boolean", "with a link"],
)
def test_anything_but_a_valid_pair_request_is_no_pair_drill(tmp_path, content):
    path = tmp_path / "drill.json"
    path.write_text(content)
    assert drill.read_pair(str(path), NOW) is None


def _yield_file(tmp_path, log):
    (tmp_path / "run").mkdir(exist_ok=True)
    return ha_yield.YieldFile(dict(ha_plan()["ha"], yield_file=str(tmp_path / "run" / "ha-yield")), log.append)


def test_the_monitor_yields_while_the_drill_is_in_force_and_stops_at_the_deadline_on_its_own(tmp_path):
    """The daemon's turn of its loop: ``update(links in service, drill.read_pair(file, now))``. Nobody removes
    the request: the deadline alone ends the drill."""
    log, request = [], str(tmp_path / "drill.json")
    yielding, path = _yield_file(tmp_path, log), tmp_path / "run" / "ha-yield"
    links = {"wan_a": True, "wan_b": True}
    yielding.update(links, drill.read_pair(request, NOW))
    assert path.read_text() == "0\n" and yielding.drill_report() == {
        "pair": "edge-pair",
        "yield_reason": None,
        "drill": None,
    }
    until = drill.start(request, None, 10, NOW)
    for now in (NOW, NOW + 5, NOW + 9.9):
        yielding.update(links, drill.read_pair(request, now))
        assert path.read_text() == "1\n"
    assert yielding.report()["yield"] is True
    assert yielding.drill_report() == {"pair": "edge-pair", "yield_reason": "drill", "drill": {"until": until}}
    yielding.update(links, drill.read_pair(request, until))  # the deadline: the controller may be gone
    assert path.read_text() == "0\n" and yielding.drill_report() == {
        "pair": "edge-pair",
        "yield_reason": None,
        "drill": None,
    }
    assert (tmp_path / "drill.json").exists()
    assert log[1] == "HA pair: a pair drill is in force: this router yields the master until its deadline"
    assert log[2] == "HA pair: a tracked link is in service here: this router may be the master"


def test_ending_the_drill_early_stops_the_yield_and_links_keep_their_own_reason(tmp_path):
    request = str(tmp_path / "drill.json")
    yielding, path = _yield_file(tmp_path, []), tmp_path / "run" / "ha-yield"
    drill.start(request, None, 60, NOW)
    yielding.update({"wan_a": False, "wan_b": False}, drill.read_pair(request, NOW))
    assert yielding.drill_report()["yield_reason"] == "links"  # its links out: a real failure comes first
    assert drill.stop(request) is True
    yielding.update({"wan_a": True, "wan_b": True}, drill.read_pair(request, NOW + 1))
    assert path.read_text() == "0\n" and yielding.drill_report()["drill"] is None


def test_a_healthy_master_may_start_a_pair_drill():
    assert pair_drill.refusal(60, _state(), NOW) is None


@pytest.mark.parametrize(
    ("seconds", "state", "expected"),
    [
        (4, _state(), "5 to 300 seconds"),
        (True, _state(), "5 to 300 seconds"),
        (301, _state(), "5 to 300 seconds"),
        (60, None, "is the monitor running"),
        (60, "garbage", "is the monitor running"),
        (60, _state(updated=NOW - 60), "older than 10 s"),
        (60, dict(_state(), ha=None), "not in an HA pair"),
        (60, {k: v for k, v in _state().items() if k != "ha"}, "not in an HA pair"),
        (60, _state("backup"), "this router is backup in the pair, not the master: run the pair drill on"),
        (60, _state("fault"), "this router is fault in the pair, not the master"),
        (60, _state(None), "this router is unknown in the pair, not the master"),
        (60, _state("master\n\x1b"), "this router is unknown in the pair"),
        (60, _state(**{"yield": True}), "yields the master"),
        (60, _state(**{"yield": "no"}), "yields the master"),
        (60, _state(sync={"interface": "sync0", "peer_reachable": False}), "does not answer over the sync link"),
        (60, _state(sync="x"), "does not answer over the sync link"),
        (60, dict(_state(), drill={"link": "wan_a", "until": NOW + 9}), "a drill is already running"),
        (60, _state(drill={"until": NOW + 9}), "a drill is already running"),
        (60, _state(links={"wan_a": {"up": False, "gated": True}, "wan_b": {"up": True}}), "wan_a out of service"),
        (60, _state(links={"wan_a": "x", "wan_b": {"up": True}}), "wan_a out of service"),
    ],
    ids=[
        "too short",
        "boolean seconds",
        "longer than a pair drill may last",
        "no state",
        "garbage state",
        "stale state",
        "ha null",
        "no ha",
        "backup",
        "fault",
        "no vrrp state",
        "hostile vrrp state",
        "yields",
        "yield garbage",
        "peer unreachable",
        "sync garbage",
        "a link drill runs",
        "a pair drill runs",
        "a link down",
        "a link entry garbage",
    ],
)
def test_a_pair_drill_is_refused(seconds, state, expected):
    problem = pair_drill.refusal(seconds, state, NOW)
    assert problem is not None and expected in problem, problem


def test_a_link_drill_is_refused_while_a_pair_drill_runs():
    state = _state(**{"yield": True})
    state["ha"]["drill"] = {"until": NOW + 30}
    assert "a pair drill is already running" in drill.refusal("wan_a", 60, state, NOW)


def test_the_peer_s_checks_and_the_module_s_waits():
    assert pair_drill.health(_state("backup"), NOW, "backup") is None
    assert "not the backup" in pair_drill.health(_state("master"), NOW, "backup")
    assert pair_drill.health(_state("master"), NOW, "master") is None
    drilled = _state("fault", **{"yield": True})
    drilled["ha"]["drill"] = {"until": NOW + 30}
    assert pair_drill.in_force(drilled) and not pair_drill.ended(drilled)
    assert not pair_drill.in_force(_state("master")) and pair_drill.ended(_state("backup"))
    assert not pair_drill.in_force(None) and not pair_drill.ended("garbage")


def test_the_shared_addresses_this_router_does_not_hold():
    listing = [
        {
            "ifname": "lan0",
            "addr_info": [{"local": "203.0.113.1", "prefixlen": 24}, {"local": "2001:db8:5::1", "prefixlen": 64}],
        },
        {"ifname": "wana", "addr_info": [{"local": "198.51.100.2", "prefixlen": 29}]},
        # The shared wan_b address held as a /32 (say on lo) is not the shared address.
        {"ifname": "lo", "addr_info": [{"local": "198.51.100.12", "prefixlen": 32}]},
        "garbage",
        {"addr_info": ["x", {"nolocal": 1}, {"local": "not an address", "prefixlen": "x"}]},
    ]
    wanted = ["203.0.113.1/24", "2001:db8:5::1/64", "198.51.100.4/29", "198.51.100.12/29"]
    assert pair_drill.missing_addresses(wanted, listing) == ["198.51.100.4/29", "198.51.100.12/29"]
    assert pair_drill.missing_addresses(wanted, None) == wanted


def test_a_pair_drill_whose_peer_stops_answering_is_ended_by_the_monitor(tmp_path):
    """A peer lost mid-drill: the monitor removes the request and yields no more (the pair keeps a master)."""
    from symroute_router.monitor import daemon

    drill_file, logged = tmp_path / "drill.json", []
    until = drill.start(str(drill_file), None, 60, time.time())
    yielding = SimpleNamespace(peer_reachable=lambda: True)
    assert daemon._pair_drill(str(drill_file), yielding, logged.append) == until
    yielding.peer_reachable = lambda: False
    assert daemon._pair_drill(str(drill_file), yielding, logged.append) is None
    assert not drill_file.exists() and "pair drill is ended" in logged[-1]


def test_a_pair_drill_further_ahead_than_it_may_last_is_no_drill(tmp_path):
    drill_file = tmp_path / "drill.json"
    now = time.time()
    drill_file.write_text(json.dumps({"pair": True, "until": now + drill.PAIR_MAX_SECONDS + 61}))
    assert drill.read_pair(str(drill_file), now) is None
    drill_file.write_text(json.dumps({"pair": True, "until": now + drill.PAIR_MAX_SECONDS}))
    assert drill.read_pair(str(drill_file), now) == now + drill.PAIR_MAX_SECONDS
