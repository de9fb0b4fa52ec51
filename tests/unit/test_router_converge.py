"""symroute_router.converge: the whole converge in one call: the parts in the flow's order, the snapshot
taken first and restored whole on any failure, nothing written or restored in check mode."""

import json

import pytest

from symroute_router import converge, snapshot
from symroute_router.command import Result
from symroute_router.steps import StepFailed

ALL = list(converge.PARTS)
# What each step returns besides changed and diff (the fields the summary reads).
RESULTS = {
    "sysctl": {"changed_values": ["net.ipv4.conf.wana.rp_filter: 0 -> 2"], "waiting": []},
    "nftables": {"reason": "first load", "elements": {}, "systemd": True, "services": ["enabled nftables.service"]},
    "routing": {
        "changes": {"add_rules": ["r1", "r2"], "remove_rules": [], "add_routes": ["d"], "remove_routes": []},
        "files": ["/etc/symroute/routing.json"],
        "networkd_dropin": [],
        "links": {},
        "package": {"written": ["a.py", "b.py"], "removed": []},
        "services": ["enabled symroute-routing.service"],
    },
    "verify": {"observed": {}},
    "monitor": {"code": [], "files": ["/etc/symroute/monitor.json"], "services": ["started symroute-monitor.service"]},
    "ha": {"files": ["/etc/keepalived/keepalived.conf"], "services": ["reloaded keepalived.service"]},
}


@pytest.fixture
def world(tmp_path, monkeypatch):
    """Each part's step replaced by a recorder; the snapshot's take/restore recorded."""
    calls = []
    failing = {}

    def step(name):
        def run(*args, **kwargs):
            check_mode = next(arg for arg in args if isinstance(arg, bool))
            calls.append((name, check_mode))
            if name in failing:
                raise failing[name]
            return dict(RESULTS[name], changed=name != "verify", diff={"before": "", "after": f"{name}\n"})

        return run

    monkeypatch.setattr(converge, "nftables_part", step("nftables"))
    monkeypatch.setattr(converge, "routing_part", step("routing"))
    monkeypatch.setattr(converge, "verify_part", step("verify"))
    monkeypatch.setattr(converge, "monitor_part", step("monitor"))
    monkeypatch.setattr(converge, "ha_part", step("ha"))
    monkeypatch.setattr(converge.contract, "refusal", lambda part, data: calls.append(("contract", part)) and None)
    monkeypatch.setattr(converge.sysctl_step, "run", step("sysctl"))
    monkeypatch.setattr(
        converge.verify, "read_management", lambda runner, probes: calls.append(("capture", None)) or {}
    )
    monkeypatch.setattr(snapshot, "take", lambda runner, scope: calls.append(("snapshot", None)) or {"taken": True})

    def restore(runner, taken, lock_path=None, owned_files=None):
        calls.append(("restore", taken))
        return ["file /etc/symroute/symroute.nft", "sysctl net.ipv4.conf.wana.rp_filter=0"]

    monkeypatch.setattr(snapshot, "restore", restore)
    monkeypatch.setattr(converge, "CONVERGE_LOCK", str(tmp_path / "run" / "converge.lock"))
    path = tmp_path / "snapshot.json"
    request = {
        "parts": ALL,
        "snapshot": {"path": str(path), "scope": {"files": []}},
        **{part: {"verify": {"management": []}} for part in ALL},
    }
    return {"calls": calls, "failing": failing, "request": request, "path": path}


def _run(world, check_mode=False, parts=None):
    request = dict(world["request"], parts=parts or ALL)
    return converge.converge(request, check_mode, runner=None, warn=lambda text: None)


def test_the_parts_run_in_the_order_of_the_flow_after_the_capture_and_the_snapshot(world):
    result = _run(world)
    assert [name for name, _ in world["calls"] if name != "contract"] == [
        "capture",
        "snapshot",
        "sysctl",
        "nftables",
        "routing",
        "verify",
        "monitor",
        "ha",
    ]
    assert [part for name, part in world["calls"] if name == "contract"] == ["sysctls", "nftables", "routing", "verify"]
    assert result["changed"] is True
    assert [diff["after"] for diff in result["diff"]] == [f"{part}\n" for part in ALL]
    assert json.loads(world["path"].read_text()) == {"taken": True}


def test_only_the_selected_parts_run(world):
    _run(world, parts=["nftables", "routing"])
    assert [name for name, _ in world["calls"]] == ["contract", "contract", "snapshot", "nftables", "routing"]


@pytest.mark.parametrize("part", ALL)
def test_a_failure_at_any_part_restores_the_snapshot_and_names_the_step(world, part):
    world["failing"][part] = StepFailed("injected", detail="kept")
    with pytest.raises(converge.ConvergeFailed) as failed:
        _run(world)
    names = [name for name, _ in world["calls"]]
    assert names[-1] == "restore" and names[-2] == part
    assert failed.value.outcome == (
        "The previous state was restored: file /etc/symroute/symroute.nft; sysctl net.ipv4.conf.wana.rp_filter=0."
    )
    assert world["calls"][-1][1] == {"taken": True}
    assert failed.value.step == converge.TITLES[part]
    assert failed.value.rolled_back is True
    assert failed.value.restored == ["file /etc/symroute/symroute.nft", "sysctl net.ipv4.conf.wana.rp_filter=0"]
    assert failed.value.fields == {"detail": "kept"}
    assert str(failed.value) == "injected"


def test_an_unexpected_error_is_restored_too_and_named_by_its_type(world):
    world["failing"]["routing"] = OSError(28, "No space left on device")
    with pytest.raises(converge.ConvergeFailed) as failed:
        _run(world)
    assert world["calls"][-1][0] == "restore"
    assert failed.value.step == "Rules and routes" and failed.value.rolled_back
    assert "OSError" in str(failed.value) and "No space left on device" in str(failed.value)


def test_an_incomplete_restore_says_so_and_does_not_claim_a_rollback(world, monkeypatch):
    def incomplete(runner, taken, lock_path=None, owned_files=None):
        raise snapshot.RestoreError("could not restore nftables: busy", ["sysctl net.ipv4.ip_forward=0"])

    monkeypatch.setattr(snapshot, "restore", incomplete)
    world["failing"]["verify"] = StepFailed("partner-api leaves by wanb")
    with pytest.raises(converge.ConvergeFailed) as failed:
        _run(world)
    assert failed.value.rolled_back is False
    assert failed.value.restored == ["sysctl net.ipv4.ip_forward=0"]
    assert str(failed.value) == "partner-api leaves by wanb"
    assert failed.value.outcome == (
        "The previous state could not be restored whole (could not restore nftables:"
        " busy); restored: sysctl net.ipv4.ip_forward=0."
    )


def test_check_mode_takes_no_snapshot_restores_nothing_and_writes_nothing(world):
    world["path"].write_text('{"an earlier run": true}')
    result = _run(world, check_mode=True)
    steps = [(name, check_mode) for name, check_mode in world["calls"] if name != "contract"]
    assert [name for name, _ in steps] == ["sysctl", "nftables", "routing", "verify", "monitor", "ha"]
    assert all(check_mode is True for _, check_mode in steps)
    assert result["snapshot"] is None and result["changed"] is True
    assert world["path"].read_text() == '{"an earlier run": true}'


def test_a_failure_in_check_mode_restores_nothing(world):
    world["failing"]["nftables"] = StepFailed("nft -c refused the rendered file")
    with pytest.raises(converge.ConvergeFailed) as failed:
        _run(world, check_mode=True)
    assert "restore" not in [name for name, _ in world["calls"]]
    assert failed.value.rolled_back is False and failed.value.restored == []
    assert failed.value.step == "The nftables table"
    assert failed.value.outcome == "Check mode: nothing was changed, nothing was restored."


def test_an_earlier_runs_snapshot_is_gone_before_this_run_can_fail(world, monkeypatch):
    """A converge that stops before its own snapshot leaves none behind for the playbook's rescue to restore."""
    world["path"].write_text('{"an earlier run": true}')

    def no_snapshot(runner, scope):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(snapshot, "take", no_snapshot)
    with pytest.raises(converge.ConvergeFailed) as failed:
        _run(world)
    assert not world["path"].exists()
    assert failed.value.step == converge.TITLES["snapshot"] and failed.value.rolled_back is False
    assert failed.value.outcome == "Nothing was changed."


def test_a_slice_that_breaks_the_contract_stops_the_converge_before_anything_is_read_or_changed(world, monkeypatch):
    world["path"].write_text('{"an earlier run": true}')
    monkeypatch.setattr(
        converge.contract,
        "refusal",
        lambda part, data: "the plan slice breaks the contract: x" if part == "verify" else None,
    )
    with pytest.raises(converge.ConvergeFailed) as failed:
        _run(world)
    assert world["calls"] == [] and world["path"].read_text() == '{"an earlier run": true}'
    assert failed.value.step == "Check the plan contract" and failed.value.outcome == "Nothing was changed."
    assert str(failed.value) == "Verify on the router: the plan slice breaks the contract: x"


def test_the_summary_says_per_part_what_changed(world):
    assert _run(world)["summary"] == [
        "sysctl: net.ipv4.conf.wana.rp_filter: 0 -> 2",
        "nftables: first load; enabled nftables.service",
        "routing: rules +2 -0, routes +1 -0; /etc/symroute/routing.json; 2 router package files;"
        " enabled symroute-routing.service",
        "link monitor: /etc/symroute/monitor.json; started symroute-monitor.service",
        "HA pair: /etc/keepalived/keepalived.conf; reloaded keepalived.service",
    ]


class Systemctl:
    """Answers every systemctl call with success and records it."""

    def __init__(self):
        self.calls = []

    def run(self, argv, stdin=None):
        self.calls.append(argv)
        return Result(0, "", "")


def _monitor_part_fails(world):
    """Converge with a systemd monitor whose part fails after writing its configuration: (runner, failure)."""
    world["failing"]["monitor"] = StepFailed("symroute-monitor.service did not start")
    request = dict(
        world["request"],
        monitor={
            "verify": {"management": []},
            "service_manager": "systemd",
            "files": [{"path": "/etc/symroute/monitor.json"}],
        },
    )
    runner = Systemctl()
    with pytest.raises(converge.ConvergeFailed) as failed:
        converge.converge(request, False, runner=runner, warn=lambda text: None)
    return runner, failed.value


def test_a_rollback_that_put_back_the_monitors_configuration_restarts_the_monitor(world, monkeypatch):
    """The monitor part wrote its configuration, then failed: the rollback restores the file, and the running
    monitor (which read the new one) is restarted, as after a dead-man's restore (deadman_services)."""
    monkeypatch.setattr(
        snapshot, "restore", lambda runner, taken, lock_path=None, owned_files=None: ["file /etc/symroute/monitor.json"]
    )
    runner, failed = _monitor_part_fails(world)
    # restart, not try-restart: the monitor that failed on the new configuration runs the restored one again.
    assert runner.calls == [
        ["systemctl", "reset-failed", "symroute-monitor.service"],
        ["systemctl", "restart", "symroute-monitor.service"],
    ]
    assert failed.rolled_back is True
    assert failed.restored == [
        "file /etc/symroute/monitor.json",
        "restarted symroute-monitor.service (it read /etc/symroute/monitor.json)",
    ]


def test_a_restore_that_fails_part_way_still_restarts_the_monitor_whose_files_it_put_back(world, monkeypatch):
    """A second problem during the rollback (a table waiting for its interface) must not leave the monitor on
    the configuration that was rolled back (the review's H1)."""

    def partly(runner, taken, lock_path=None, owned_files=None):
        raise snapshot.RestoreError("rules and routes: waiting for interface wanb", ["file /etc/symroute/monitor.json"])

    monkeypatch.setattr(snapshot, "restore", partly)
    runner, failed = _monitor_part_fails(world)
    assert ["systemctl", "restart", "symroute-monitor.service"] in runner.calls
    assert failed.rolled_back is False
    assert failed.restored == [
        "file /etc/symroute/monitor.json",
        "restarted symroute-monitor.service (it read /etc/symroute/monitor.json)",
    ]
