"""The monitor's HA yield file: 1 when every tracked (pinned) link is out of service here, else 0; written
atomically and only when the value changes; the state file's `ha` section; the monitor's configuration
carries the plan's `ha` section only for a router in a pair."""

import json
import os

import pytest
from hafixture import ha_plan

from rendering import environment, role_variables
from symroute_router.monitor import ha_yield


@pytest.mark.parametrize(
    ("links", "tracked", "expected"),
    [
        ({"wan_a": True, "wan_b": True}, ["wan_a", "wan_b"], False),
        ({"wan_a": False, "wan_b": True}, ["wan_a", "wan_b"], False),
        ({"wan_a": False, "wan_b": False, "wan_c": True}, ["wan_a", "wan_b"], True),
        ({"wan_a": False}, [], False),
        ({}, ["wan_a"], True),
    ],
    ids=["all up", "one tracked up", "every tracked down, untracked up", "nothing tracked", "tracked link unknown"],
)
def test_the_router_yields_only_when_every_tracked_link_is_out_of_service(links, tracked, expected):
    assert ha_yield.must_yield(links, tracked) is expected


def _file(tmp_path, log):
    return ha_yield.YieldFile(
        dict(ha_plan()["ha"], yield_file=str(tmp_path / "run" / "ha-yield")),
        log.append,
        str(tmp_path / "ha-state"),
    )


def test_the_file_is_written_only_when_the_value_changes(tmp_path):
    log = []
    (tmp_path / "run").mkdir()
    yielding = _file(tmp_path, log)
    path = tmp_path / "run" / "ha-yield"
    assert yielding.update({"wan_a": True, "wan_b": False}) is True and path.read_text() == "0\n"
    inode = os.stat(path).st_ino
    assert yielding.update({"wan_a": True, "wan_b": True}) is False and os.stat(path).st_ino == inode
    assert yielding.update({"wan_a": False, "wan_b": False}) is True and path.read_text() == "1\n"
    assert os.stat(path).st_ino != inode  # replaced by a rename, never rewritten in place
    assert yielding.update({"wan_a": True, "wan_b": False}) is True and path.read_text() == "0\n"
    assert [line.split(":")[1].strip() for line in log] == [
        "a tracked link is in service here",
        "every tracked link is out of service here",
        "a tracked link is in service here",
    ]


def test_a_file_already_holding_the_value_is_left_alone(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "ha-yield").write_text("0\n")
    log = []
    assert _file(tmp_path, log).update({"wan_a": True}) is False and log == []


def test_an_unwritable_file_is_logged_and_tried_again(tmp_path):
    log = []
    yielding = _file(tmp_path, log)
    (tmp_path / "run" / "ha-yield").mkdir(parents=True)  # a directory where the file goes: rename fails
    assert yielding.update({"wan_a": False, "wan_b": False}) is False
    assert "could not write the HA yield file" in log[0]
    (tmp_path / "run" / "ha-yield").rmdir()
    assert yielding.update({"wan_a": False, "wan_b": False}) is True


def test_the_report_gives_the_decision_and_the_vrrp_state_the_notify_command_recorded(tmp_path):
    (tmp_path / "run").mkdir()
    yielding = _file(tmp_path, [])
    yielding.update({"wan_a": False, "wan_b": False})
    assert yielding.report()["vrrp_state"] is None
    (tmp_path / "ha-state").write_text("master 1765065600.123\n")
    assert yielding.report() == {
        "yield": True,
        "tracked_links": ["wan_a"],
        "yield_file": str(tmp_path / "run" / "ha-yield"),
        "vrrp_state": "master",
        "sync": {"interface": "sync0", "peer": "10.255.0.2", "peer_reachable": False},
    }


class _Tracker:
    def __init__(self, up):
        self.up = up


class _Monitor:
    def __init__(self, ups, drill=None):
        self.trackers = {name: _Tracker(up) for name, up in ups.items()}
        self.drill = drill


def test_a_drilled_link_counts_as_out_of_service():
    monitor = _Monitor({"wan_a": True, "wan_b": True}, drill=("wan_a", 1e12))
    assert ha_yield.links_in_service(monitor) == {"wan_a": False, "wan_b": True}


def _monitor_json(plan):
    variables = dict(role_variables("symroute_monitor", plan), symroute_monitor_plan=plan)
    return json.loads(environment("symroute_monitor").get_template("monitor.json.j2").render(variables))


def test_the_monitor_configuration_carries_the_pair_only_for_a_router_in_one():
    plan = ha_plan()
    config = _monitor_json(plan)
    assert config["ha"] == plan["ha"] and config["settings"]["ha_state_file"] == "/run/symroute/ha-state"
    del plan["ha"]
    alone = _monitor_json(plan)
    assert "ha" not in alone and "ha_state_file" not in alone["settings"]


def test_the_peer_over_the_sync_link_is_reachable_until_it_stops_answering(tmp_path):
    yielding = ha_yield.YieldFile(ha_plan()["ha"], [].append)
    now = [100.0]
    yielding.clock = lambda: now[0]
    assert yielding.report()["sync"] == {"interface": "sync0", "peer": "10.255.0.2", "peer_reachable": False}
    yielding.peer_answered(0.001)
    assert yielding.peer_reachable() is True
    now[0] += ha_yield.PEER_LOST_AFTER_S - 0.5
    yielding.peer_answered(None)
    assert yielding.peer_reachable() is True
    now[0] += 1.0
    assert yielding.peer_reachable() is False


def test_the_watch_pings_the_peer_from_this_router_s_sync_address_until_stopped():
    import threading

    yielding = ha_yield.YieldFile(ha_plan()["ha"], [].append)
    stopping, calls = threading.Event(), []

    def ping(address, family, interface, source, timeout):
        calls.append((address, family, interface, source))
        stopping.set()
        return 0.002

    ha_yield.watch_peer(yielding, stopping, ping=ping)
    assert calls == [("10.255.0.2", 4, "sync0", "10.255.0.1")] and yielding.peer_reachable()
