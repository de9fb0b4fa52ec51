"""Confirmed commit (issue #24): the dead-man armed before a converge's first change, confirmed by the
controller, or restoring the run's snapshot at its deadline; the next converge stopped while a run awaits
its confirmation, and told once about an unconfirmed run. A fake clock and a fake runner here; the real
detached process in a network namespace is in tests/integration/test_confirmed_commit_netns.py and the
systemd timer in tests/integration/test_systemd_router.py."""

import json

import pytest

from monitorfakes import FakeClock
from symroute_router import converge, deadman, deadman_record, deadman_restore, snapshot
from symroute_router.command import Result


def Clock():  # noqa: N802 - a FakeClock at a wall-clock time
    clock = FakeClock()
    clock.now = 1_800_000_000.0
    clock.sleep = clock.advance
    return clock


class Runner:
    def __init__(self, rc=0):
        self.calls, self.rc = [], rc

    def run(self, argv, stdin=None):
        self.calls.append(list(argv))
        return Result(self.rc, "", "" if self.rc == 0 else "Failed to start transient timer unit")


@pytest.fixture
def world(tmp_path, monkeypatch):
    restored = []
    monkeypatch.setattr(
        snapshot,
        "restore",
        lambda runner, taken, lock_path=None, owned_files=None: (
            restored.append((taken["run_id"], owned_files)) or ["file /etc/symroute/symroute.nft"]
        ),
    )
    snap = tmp_path / "snapshot.json"
    snap.write_text(json.dumps({"run_id": "run-1", "files": {}}))
    return {
        "record": str(tmp_path / "confirm.json"),
        "snapshot": str(snap),
        "clock": Clock(),
        "restored": restored,
        "lock": str(tmp_path / "converge.lock"),
        "tmp": tmp_path,
    }


def _arm(world, runner, run_id="run-1", timeout=120, systemd=True):
    return deadman.arm(
        world["record"],
        run_id,
        world["snapshot"],
        ["/etc/symroute/symroute.nft"],
        timeout,
        runner,
        {"__init__.py": ""},
        python="/usr/bin/python3",
        systemd=systemd,
        now=world["clock"],
    )


def test_arming_writes_the_record_then_a_transient_timer_for_the_timeout(world):
    runner = Runner()
    record = _arm(world, runner)
    assert record["state"] == "armed" and record["deadline"] == world["clock"].now + 120
    assert record["mechanism"] == "systemd" and record["unit"] == "symroute-confirm-run-1"
    argv = runner.calls[0]
    assert (
        argv[:2] == ["systemd-run", "--quiet"]
        and "--on-active=120s" in argv
        and "--unit=symroute-confirm-run-1" in argv
    )
    assert (
        argv[-7:]
        == ["/usr/bin/python3", "-m", "symroute_router", "expire", "--record", world["record"], "--run-id", "run-1"][
            -7:
        ]
    )
    assert f"--setenv=PYTHONPATH={world['tmp'] / 'deadman'}" in argv
    assert (world["tmp"] / "deadman" / "symroute_router" / "__init__.py").exists()  # its own code copy
    assert deadman_record.read(world["record"]) == record


def test_a_dead_man_that_cannot_be_armed_is_an_error_and_the_record_says_so(world):
    with pytest.raises(deadman.DeadmanError, match="systemd-run could not arm"):
        _arm(world, Runner(rc=1))
    assert deadman_record.read(world["record"])["state"] == "disarmed"


@pytest.mark.parametrize("run_id,timeout", [("../etc", 120), ("run 1", 120), ("run-1", 5), ("run-1", True)])
def test_a_bad_run_id_or_timeout_arms_nothing(world, run_id, timeout):
    runner = Runner()
    with pytest.raises(deadman.DeadmanError):
        _arm(world, runner, run_id=run_id, timeout=timeout)
    assert runner.calls == [] and deadman_record.read(world["record"]) is None


def test_a_confirmation_in_time_stops_the_timer_and_the_dead_man_then_does_nothing(world):
    runner = Runner()
    _arm(world, runner)
    world["clock"].now += 100
    record = deadman.confirm(world["record"], "run-1", runner, lock_path=world["lock"], now=world["clock"])
    assert record["state"] == "confirmed" and record["margin_s"] == 20.0
    assert runner.calls[-1] == ["systemctl", "stop", "symroute-confirm-run-1.timer", "symroute-confirm-run-1.service"]
    world["clock"].now += 100
    assert (
        deadman_restore.expire(
            world["record"], "run-1", runner, lock_path=world["lock"], now=world["clock"], sleep=world["clock"].sleep
        )
        is None
    )
    assert world["restored"] == []


def test_without_confirmation_the_dead_man_restores_the_runs_snapshot_at_the_deadline(world):
    runner = Runner()
    _arm(world, runner)
    world["clock"].now += 60
    deadman.restart_clock(world["record"], "run-1", now=world["clock"])  # the converge ended 60 s later
    record = deadman_restore.expire(
        world["record"], "run-1", runner, lock_path=world["lock"], now=world["clock"], sleep=world["clock"].sleep
    )
    assert record["state"] == "expired" and record["expired_at"] == pytest.approx(world["clock"].now)
    assert record["expired_at"] >= 1_800_000_000 + 60 + 120  # counted from the end of the converge
    assert world["restored"] == [("run-1", ["/etc/symroute/symroute.nft"])]
    assert record["restored"] == ["file /etc/symroute/symroute.nft"]
    with pytest.raises(deadman.DeadmanError, match="was not confirmed within 120 s: its snapshot was restored"):
        deadman.confirm(world["record"], "run-1", runner, lock_path=world["lock"], now=world["clock"])


def test_the_dead_man_never_restores_another_runs_snapshot(world):
    runner = Runner()
    _arm(world, runner, run_id="run-2")  # the snapshot on disk is run-1's
    world["clock"].now += 121
    record = deadman_restore.expire(
        world["record"], "run-2", runner, lock_path=world["lock"], now=world["clock"], sleep=world["clock"].sleep
    )
    assert record["state"] == "restore failed" and world["restored"] == []
    assert "run run-2's snapshot is not at" in record["error"]


def test_the_dead_man_waits_while_its_converge_holds_the_lock(world, monkeypatch):
    runner = Runner()
    _arm(world, runner)
    world["clock"].now += 200
    attempts = []
    real = deadman.locking.converge_lock

    def busy_twice(path, holder, wait_s=0.0):
        attempts.append(holder["what"])
        if len(attempts) <= 2:
            raise deadman.locking.LockBusy("busy")
        return real(path, holder, wait_s)

    monkeypatch.setattr(deadman.locking, "converge_lock", busy_twice)
    assert (
        deadman_restore.expire(
            world["record"], "run-1", runner, lock_path=world["lock"], now=world["clock"], sleep=world["clock"].sleep
        )["state"]
        == "expired"
    )
    assert attempts == ["dead-man restore"] * 3


def test_the_next_converge_fails_while_a_run_awaits_confirmation_and_restores_one_whose_dead_man_never_ran(world):
    runner = Runner()
    _arm(world, runner)
    world["clock"].now += 100
    with pytest.raises(deadman.DeadmanError, match="run run-1 changed this router and awaits its confirmation"):
        deadman.settle(world["record"], runner, now=world["clock"])
    world["clock"].now += 120 + deadman.GRACE_S  # a reboot took the transient timer
    reported = deadman.settle(world["record"], runner, now=world["clock"])
    assert reported["state"] == "expired" and "its dead-man never ran" in reported["why"]
    assert world["restored"] == [("run-1", ["/etc/symroute/symroute.nft"])]
    assert deadman.settle(world["record"], runner, now=world["clock"]) is None  # reported once
    assert deadman_record.last_outcome(world["record"])["state"] == "expired"  # the audit keeps saying it


def test_the_history_keeps_earlier_runs(world):
    runner = Runner()
    _arm(world, runner)
    deadman.confirm(world["record"], "run-1", runner, lock_path=world["lock"], now=world["clock"])
    record = _arm(world, runner, run_id="run-2")
    assert [item["run_id"] for item in record["history"]] == ["run-1"]
    assert record["history"][0]["state"] == "confirmed"


def test_every_restore_is_counted_across_runs_and_the_monitor_exports_the_count(world):
    """restores_total survives the next runs' records; the monitor's metrics read it (item 5 of #24)."""
    from symroute_router.monitor import publish

    runner = Runner()
    assert publish.confirm_status(world["record"]) is None  # no converge armed anything yet
    for round_number in range(2):  # two runs never confirmed, restored by their dead-man
        _arm(world, runner)
        world["clock"].now += 121
        deadman_restore.expire(
            world["record"], "run-1", runner, lock_path=world["lock"], now=world["clock"], sleep=world["clock"].sleep
        )
        assert deadman_record.restores_total(deadman_record.read(world["record"])) == round_number + 1
    _arm(world, runner, run_id="run-3")
    deadman.confirm(world["record"], "run-3", runner, lock_path=world["lock"], now=world["clock"])
    status = publish.confirm_status(world["record"])
    assert status == {"restores_total": 2, "last_run": "run-3", "state": "confirmed", "last_run_restored": False}
    text = publish.metrics({"router": "edge", "links": {}, "partners": {}, "updated": 1.0, "confirm": status})
    assert 'symroute_confirm_restores_total{router="edge"} 2' in text
    assert 'symroute_confirm_last_run_restored{router="edge"} 0' in text
    world["tmp"].joinpath("confirm.json").write_text('{"restores_total": true, "state": "expired"}')
    assert publish.confirm_status(world["record"])["restores_total"] == 0  # a record is never trusted blindly


# ------------------------------------------------------------------ in the converge
@pytest.fixture
def converging(world, monkeypatch):
    monkeypatch.setattr(converge, "CONVERGE_LOCK", world["lock"])
    monkeypatch.setattr(converge.contract, "refusal", lambda name, data: None)
    monkeypatch.setattr(snapshot, "take", lambda runner, scope: {"run_id": scope["run_id"], "files": {}})
    events = []
    monkeypatch.setattr(
        deadman,
        "_start",
        lambda record, path, python, runner, systemd, locks=None: (
            events.append("armed") or dict(record, mechanism="background", pid=0)
        ),
    )
    outcome = {"changed": True, "fail": None}

    def change(request, check_mode, warn):
        events.append("sysctl")
        if outcome["fail"]:
            raise outcome["fail"]
        return {"changed": outcome["changed"], "changed_values": [], "waiting": [], "diff": []}

    monkeypatch.setattr(converge.sysctl_step, "run", change)

    def run(run_id="run-1", check_mode=False, warnings=None):
        request = {
            "parts": ["sysctl"],
            "sysctl": {},
            "confirm": {"timeout_s": 120},
            "package_files": {"a.py": ""},
            "snapshot": {"path": world["snapshot"], "scope": {"run_id": run_id, "files": []}},
        }
        return converge.converge(request, check_mode, Runner(), (warnings if warnings is not None else []).append)

    return {"events": events, "outcome": outcome, "run": run}


def test_a_converge_arms_before_its_first_change_and_asks_for_confirmation(world, converging):
    result = converging["run"]()
    assert converging["events"] == ["armed", "sysctl"]
    assert result["confirm"]["armed"] is True and result["confirm"]["run_id"] == "run-1"
    assert deadman_record.read(world["record"])["state"] == "armed"


def test_a_converge_that_changed_nothing_is_disarmed(world, converging):
    converging["outcome"]["changed"] = False
    assert converging["run"]()["confirm"] == {"armed": False, "run_id": "run-1"}
    assert deadman_record.read(world["record"])["state"] == "disarmed"


def test_a_converge_restored_whole_disarms_its_dead_man(world, converging):
    converging["outcome"]["fail"] = RuntimeError("boom")
    with pytest.raises(converge.ConvergeFailed) as failed:
        converging["run"]()
    assert failed.value.rolled_back is True
    assert deadman_record.read(world["record"])["state"] == "disarmed"


def test_check_mode_arms_nothing_and_reports_the_last_run(world, converging):
    converging["run"]()
    result = converging["run"](run_id="run-2", check_mode=True)
    assert "armed" not in converging["events"][1:]
    assert result["confirm"]["armed"] is False and result["confirm"]["last"]["pending"] is True


def test_a_second_converge_fails_while_the_first_awaits_confirmation_then_reports_its_expiry(world, converging):
    converging["run"]()
    with pytest.raises(converge.ConvergeFailed) as failed:
        converging["run"](run_id="run-2")
    assert failed.value.step == "Confirmed commit" and failed.value.outcome == "Nothing was changed."
    assert "run run-1 changed this router and awaits its confirmation" in str(failed.value)
    record = deadman_record.read(world["record"])
    deadman_record.write(world["record"], dict(record, deadline=record["deadline"] - 1000))  # its dead-man is due
    deadman_restore.expire(world["record"], "run-1", Runner(), lock_path=world["lock"])
    warnings = []
    result = converging["run"](run_id="run-2", warnings=warnings)
    assert result["previous_run"]["run_id"] == "run-1" and result["previous_run"]["state"] == "expired"
    assert warnings == [f"the previous converge was not confirmed: {deadman_record.describe(result['previous_run'])}"]


def test_the_audit_reports_an_unconfirmed_last_run_and_a_pending_one():
    from symroute_router import audit_drift

    expired = {
        "run_id": "run-1",
        "state": "expired",
        "timeout_s": 120,
        "expired_at": 1_800_000_000,
        "restored": ["file /etc/symroute/monitor.json"],
    }
    assert audit_drift.drift_findings({"confirm": expired}, {}) == [
        {
            "kind": "confirm",
            "text": "the last converge was not confirmed: run run-1 was not confirmed within 120 s: "
            "its snapshot was restored at 2027-01-15T08:00:00Z "
            "(file /etc/symroute/monitor.json)",
        }
    ]
    assert audit_drift.drift_findings({"confirm": {"run_id": "run-2", "pending": True}}, {})[0]["kind"] == "confirm"
    assert audit_drift.drift_findings({"confirm": {"run_id": "run-3", "state": "confirmed"}}, {}) == []
    assert audit_drift.drift_findings({"confirm": None}, {}) == []
