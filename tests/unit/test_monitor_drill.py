"""The failover drill: its request file, its refusals, and the monitor's handling of it (fakes, no network)."""

import json

import pytest

from monitorfakes import make_monitor, run_rounds
from symroute_router.monitor import drill

NOW = 1_800_000_000.0
LINKS = {"wan_a": object(), "wan_b": object()}


def _state(**links):
    entries = {"wan_a": {"up": True, "gated": False}, "wan_b": {"up": True, "gated": False}}
    entries.update(links)
    return {"updated": NOW - 1, "links": entries, "drill": None}


def test_a_request_is_in_force_until_its_deadline(tmp_path):
    path = tmp_path / "drill.json"
    until = drill.start(str(path), "wan_a", 60, NOW)
    assert until == NOW + 60 and oct(path.stat().st_mode & 0o777) == "0o600"
    assert drill.read(str(path), LINKS, NOW + 59) == ("wan_a", NOW + 60)
    assert drill.read(str(path), LINKS, NOW + 60) == (None, None)  # the router's own dead-man switch
    assert drill.stop(str(path)) is True and drill.stop(str(path)) is False


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json",
        "[]",
        '{"link": "wan_z", "until": 1800000030}',
        '{"link": "wan_a", "until": true}',
        '{"link": "wan_a", "until": "1800000030"}',
        '{"link": "wan_a", "until": NaN}',
        '{"link": "wan_a", "until": 1e300}',
        '{"link": ["wan_a"], "until": 1800000030}',
    ],
    ids=["empty", "garbage", "list", "unknown link", "boolean", "string", "nan", "far future", "list link"],
)
def test_anything_but_a_valid_request_is_no_drill(tmp_path, content):
    path = tmp_path / "drill.json"
    path.write_text(content)
    assert drill.read(str(path), LINKS, NOW) == (None, None)


@pytest.mark.parametrize(
    "link, seconds, state, expected",
    [
        ("wan_a", 60, _state(), None),
        ("wan_a", 4, _state(), "5 to 3600 seconds"),
        ("wan_a", 3601, _state(), "5 to 3600 seconds"),
        ("wan_a", 60.0, _state(), "5 to 3600 seconds"),
        ("wan_a", True, _state(), "5 to 3600 seconds"),
        ("wan_z", 60, _state(), "not a link of this router"),
        ("wan_a", 60, None, "is the monitor running"),
        ("wan_a", 60, dict(_state(), updated=NOW - 60), "older than 10 s"),
        ("wan_a", 60, dict(_state(), updated="soon"), "older than 10 s"),
        ("wan_a", 60, _state(wan_b={"up": True, "gated": True}), "wan_b already out of service"),
        ("wan_a", 60, _state(wan_b={"up": False, "gated": False}), "wan_b already out of service"),
        ("wan_a", 60, dict(_state(), drill={"link": "wan_b", "until": NOW + 5}), "already running"),
    ],
    ids=[
        "accepted",
        "too short",
        "too long",
        "float",
        "boolean",
        "unknown link",
        "no monitor",
        "stale monitor",
        "malformed update time",
        "another link out",
        "another link down",
        "drill running",
    ],
)
def test_refusals(link, seconds, state, expected):
    problem = drill.refusal(link, seconds, state, NOW)
    assert problem is None if expected is None else expected in problem


def _targets(router_vars):
    router_vars["symroute_links"][0]["health_targets"] = ["100.64.1.2"]
    router_vars["symroute_links"][1]["health_targets"] = ["100.64.2.2"]
    return router_vars


def test_the_monitor_takes_the_drilled_link_out_like_a_failure_and_back_when_it_ends(router_vars):
    monitor, clock, switch, flushes, hooks, logs = make_monitor(_targets(router_vars))
    monitor.start({"wana": True, "wanb": True})
    monitor.set_drill("wan_a", NOW + 60)
    assert switch.applied == [frozenset({"wan_a"})] and flushes == [(0x100, 0x7F00)]
    run_rounds(monitor, clock, {"wan_a": lambda n: True, "wan_b": lambda n: True}, 20)
    assert switch.kernel_out == frozenset({"wan_a"})  # good probes do not end a drill
    monitor.set_drill(None, None)
    assert switch.applied[-1] == frozenset()  # the link was healthy all along: back at once
    assert any("failover drill: wan_a out of service" in line for (line,) in logs)
    assert any("failover drill of wan_a over" in line for (line,) in logs)


def test_a_real_failure_during_a_drill_ends_the_drill_at_once(router_vars):
    """wan_b fails while wan_a is drilled: wan_a (healthy) is needed now, not at the drill's deadline."""
    monitor, clock, switch, _, _, logs = make_monitor(_targets(router_vars))
    monitor.start({"wana": True, "wanb": True})
    monitor.set_drill("wan_a", NOW + 3600)
    assert switch.kernel_out == frozenset({"wan_a"})
    monitor.carrier("wanb", False)
    assert switch.kernel_out == frozenset({"wan_b"}) and monitor.drill is None
    assert any("drill of wan_a abandoned" in line for (line,) in logs)
    monitor.set_drill("wan_a", NOW + 3600)  # the same request, read again from its file: ignored
    assert switch.kernel_out == frozenset({"wan_b"}) and monitor.drill is None
    assert json.dumps(monitor.drill) == "null"
