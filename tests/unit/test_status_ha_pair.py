"""symroute-status and the monitor's metrics for a router of an HA pair (status_ha.py, monitor/ha_metrics.py):
its role, whether it yields and why, the peer over the sync link, sync loss said loudly; hostile or broken
`ha` sections in the state file never raise and always need attention."""

import json

import pytest
from test_status_view import CONFIG, NOW, _state, run

from promtext import parse
from symroute_router import status_ha
from symroute_router.monitor import publish


def _ha(**changes):
    ha = {
        "yield": False,
        "yield_reason": None,
        "drill": None,
        "tracked_links": ["fiber"],
        "yield_file": "/run/symroute/ha-yield",
        "vrrp_state": "master",
        "sync": {"interface": "sync0", "peer": "10.255.0.2", "peer_reachable": True},
    }
    ha.update(changes)
    return ha


def _paired(**changes):
    return dict(_state(), ha=_ha(**changes))


def test_a_router_alone_shows_no_pair_and_its_exit_status_is_unchanged(tmp_path):
    code, text = run(tmp_path, _state())
    assert code == 0 and "HA pair" not in text
    code, out = run(tmp_path, _state(), CONFIG, "--format", "json")
    assert json.loads(out)["ha"] is None


def test_a_healthy_master_and_a_healthy_backup_exit_0_and_say_their_role(tmp_path):
    for role in ("master", "backup"):
        code, text = run(tmp_path, _paired(vrrp_state=role))
        assert code == 0, text
        assert f"HA pair: this router is {role.upper()}" in text
        assert "peer 10.255.0.2 over sync0: reachable; replication running" in text
        assert "yields the master: no (tracked links: fiber)" in text
    _, out = run(tmp_path, _paired(), CONFIG, "--format", "json")
    pair = json.loads(out)["ha"]
    assert pair["role"] == "master" and pair["master"] is True and pair["attention"] is False
    assert pair["sync"] == {"interface": "sync0", "peer": "10.255.0.2", "peer_reachable": True}


def test_a_lost_sync_link_is_said_loudly_and_needs_attention(tmp_path):
    code, text = run(tmp_path, _paired(sync={"interface": "sync0", "peer": "10.255.0.2", "peer_reachable": False}))
    assert code == 1
    assert "peer 10.255.0.2 over sync0: NOT REACHABLE; replication stopped" in text
    assert "  ! SYNC LOST: the peer does not answer over the sync link: conntrackd's replication has stopped" in text
    assert "split brain" in text
    _, out = run(tmp_path, _paired(sync={"peer_reachable": False}), CONFIG, "--format", "json")
    assert json.loads(out)["ha"]["replication"] == "stopped"


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"yield": True, "yield_reason": "links", "vrrp_state": "fault"}, "YES: every tracked link is out of service"),
        (
            {"yield": True, "yield_reason": "drill", "vrrp_state": "fault", "drill": {"until": NOW + 30}},
            "YES: a pair drill is in force",
        ),
    ],
    ids=["its links", "a pair drill"],
)
def test_a_yielding_router_says_why_and_needs_attention(tmp_path, changes, shown):
    code, text = run(tmp_path, _paired(**changes))
    assert code == 1 and "HA pair: this router is FAULT" in text and f"yields the master: {shown}" in text
    if changes.get("drill"):
        assert "pair drill in progress: this router yields until 2025-12-06 17:43:51 UTC" in text


@pytest.mark.parametrize("vrrp", ["fault", "stopped", None])
def test_a_router_that_cannot_take_the_master_needs_attention(tmp_path, vrrp):
    code, text = run(tmp_path, _paired(vrrp_state=vrrp))
    assert code == 1
    assert f"this router is {'NOT RECORDED' if vrrp is None else vrrp.upper()}" in text


@pytest.mark.parametrize(
    "ha",
    [
        "garbage",
        None,
        [],
        {},
        {"vrrp_state": "master\n\x1b[31m", "sync": "x", "yield": "no", "tracked_links": "wan"},
        {"vrrp_state": ["master"], "sync": {"peer": 5, "interface": ["x"], "peer_reachable": "yes"}},
        {"vrrp_state": "backup", "drill": {"until": "soon"}, "yield": True, "yield_reason": "\x00"},
        {"vrrp_state": "backup", "tracked_links": ["evil\n\x1b[2J", 7], "sync": {"peer": "p\x1b", "interface": "s"}},
    ],
    ids=["text", "null", "list", "empty", "wrong types", "nested wrong types", "bad drill", "control characters"],
)
def test_a_hostile_or_broken_ha_section_never_raises_and_needs_attention(tmp_path, ha):
    state = dict(_state(), ha=ha)
    code, text = run(tmp_path, state)
    assert code == 1 and "HA pair" in text, text
    assert "\x1b" not in text and "\x00" not in text
    _, out = run(tmp_path, state, CONFIG, "--format", "json")
    assert json.loads(out)["ha"]["attention"] is True


def test_a_truncated_state_file_is_a_monitor_not_running_not_a_traceback(tmp_path):
    whole = json.dumps(_paired())
    code, text = run(tmp_path, whole[: len(whole) // 2])
    assert code == 3 and "NOT RUNNING" in text


def _metrics(ha):
    snapshot = {"router": "gw1", "updated": NOW, "links": {}, "partners": {}, "kernel_holds_decision": True}
    if ha is not None:
        snapshot["ha"] = ha
    return {(name, tuple(sorted(labels.items()))): value for name, labels, value in parse(publish.metrics(snapshot))}


def test_the_metrics_of_a_master_a_yielding_router_and_a_lost_sync_link():
    master = _metrics(_ha())
    assert master[("symroute_ha_master", (("router", "gw1"),))] == 1
    assert master[("symroute_ha_state", (("router", "gw1"), ("state", "master")))] == 1
    assert master[("symroute_ha_state", (("router", "gw1"), ("state", "backup")))] == 0
    assert master[("symroute_ha_yield", (("router", "gw1"),))] == 0
    assert master[("symroute_ha_drill_active", (("router", "gw1"),))] == 0
    assert master[("symroute_ha_peer_reachable", (("peer", "10.255.0.2"), ("router", "gw1")))] == 1
    drilled = _metrics(_ha(vrrp_state="fault", drill={"until": NOW + 30}, **{"yield": True}))
    assert drilled[("symroute_ha_master", (("router", "gw1"),))] == 0
    assert drilled[("symroute_ha_state", (("router", "gw1"), ("state", "fault")))] == 1
    assert drilled[("symroute_ha_yield", (("router", "gw1"),))] == 1
    assert drilled[("symroute_ha_drill_active", (("router", "gw1"),))] == 1
    lost = _metrics(_ha(sync={"interface": "sync0", "peer": "10.255.0.2", "peer_reachable": False}))
    assert lost[("symroute_ha_peer_reachable", (("peer", "10.255.0.2"), ("router", "gw1")))] == 0


def test_a_router_alone_and_unknown_values_write_no_ha_sample():
    assert not [key for key in _metrics(None) if key[0].startswith("symroute_ha_")]
    unknown = _metrics({"vrrp_state": None, "yield": None, "sync": {"peer_reachable": None}})
    assert not [key for key in unknown if key[0].startswith("symroute_ha_")]
    hostile = _metrics({"vrrp_state": "backup", "sync": {"peer": 'a"b\nc', "peer_reachable": False}})
    assert hostile[("symroute_ha_peer_reachable", (("peer", 'a"b\nc'), ("router", "gw1")))] == 0
    assert not any(key[0].startswith("symroute_ha_") for key in _metrics({"vrrp_state": "evil", "sync": []}))


def test_the_view_takes_only_what_the_monitor_writes():
    pair = status_ha.view({"ha": _ha(vrrp_state="MASTER", tracked_links=["x" * 500] * 100)})
    assert pair["role"] == "unknown" and pair["attention"] is True
    assert len(pair["tracked_links"]) == 32 and all(len(name) == 64 for name in pair["tracked_links"])


def test_every_ha_sample_names_its_pair_so_alerts_sum_per_pair():
    samples = _metrics(_ha(pair="edge-pair"))
    ha_keys = [key for key in samples if key[0].startswith("symroute_ha_")]
    assert ha_keys and all(("pair", "edge-pair") in key[1] for key in ha_keys), ha_keys
    assert samples[("symroute_ha_master", (("pair", "edge-pair"), ("router", "gw1")))] == 1
