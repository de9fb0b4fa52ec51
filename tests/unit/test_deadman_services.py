"""After a dead-man's restore, the services that read what it put back (deadman_services): the link monitor,
which holds its configuration in memory, restarted (or stopped) when the restore put back one of its files,
systemd's unit files reloaded first when one of them was put back; nothing when the restore touched none of
them. The real cut-off this answers: tests/integration/test_confirmed_commit_ssh.py."""

import json

import pytest

from monitorfakes import FakeClock
from symroute_router import deadman, deadman_record, deadman_restore, deadman_services, snapshot
from symroute_router.command import Result

CONFIG = "/etc/symroute/monitor.json"
UNIT = "/etc/systemd/system/symroute-monitor.service"


class Runner:
    """Answers ``rc`` for every command, or ``answers[verb]`` for a command ending in that verb."""

    def __init__(self, rc=0, answers=None):
        self.calls, self.rc, self.answers = [], rc, answers or {}

    def run(self, argv, stdin=None):
        self.calls.append(list(argv))
        rc = self.answers.get(argv[-1], self.answers.get(argv[1] if len(argv) > 1 else "", self.rc))
        return Result(rc, "", "" if rc == 0 else "Job for symroute-monitor.service failed")


def _services(manager="systemd", ctl="/usr/local/sbin/symroute-monitor-ctl"):
    request = {
        "enabled": True,
        "service_manager": manager,
        "ctl_command": ctl,
        "files": [
            {"path": CONFIG, "content": "{}"},
            {"path": UNIT, "content": "[Unit]"},
            {"path": ctl, "content": "#!/bin/sh"},
        ],
    }
    return deadman_services.of_request(request)


def test_the_services_come_from_the_converges_monitor_request_and_none_without_a_monitor():
    services = _services()
    assert services == {
        "monitor_files": sorted([CONFIG, UNIT, "/usr/local/sbin/symroute-monitor-ctl"]),
        "service_manager": "systemd",
        "ctl_command": "/usr/local/sbin/symroute-monitor-ctl",
    }
    assert deadman_services.of_request(None) == {} and deadman_services.of_request({"files": []}) == {}
    assert deadman_services.of_request({"enabled": False, "files": [{"path": CONFIG}]}) == {}


def test_a_restore_that_put_back_the_monitors_configuration_restarts_the_monitor_under_systemd():
    runner = Runner()
    lines = deadman_services.follow(runner, [f"file {CONFIG}", "nft table inet symroute"], _services())
    assert runner.calls == [
        ["systemctl", "reset-failed", "symroute-monitor.service"],
        ["systemctl", "restart", "symroute-monitor.service"],
    ]
    assert lines == [f"restarted symroute-monitor.service (it read {CONFIG})"]


def test_a_restored_unit_file_is_reloaded_before_the_monitor_restarts():
    runner = Runner()
    lines = deadman_services.follow(runner, [f"file {CONFIG}", f"file {UNIT}"], _services())
    assert runner.calls == [
        ["systemctl", "daemon-reload"],
        ["systemctl", "reset-failed", "symroute-monitor.service"],
        ["systemctl", "restart", "symroute-monitor.service"],
    ]
    assert lines[0] == "reloaded systemd's unit files" and UNIT in lines[1]


def test_a_restore_of_none_of_the_monitors_files_leaves_every_service_alone():
    runner = Runner()
    restored = ["file /etc/symroute/symroute.nft", "3 rules, 2 routes", "sysctl net.ipv4.ip_forward=1"]
    assert deadman_services.follow(runner, restored, _services()) == []
    assert deadman_services.follow(runner, [f"file {CONFIG}"], {}) == []  # no monitor in that run
    assert runner.calls == []


def test_a_configuration_the_unconfirmed_run_installed_first_is_removed_and_the_monitor_stopped():
    runner = Runner()
    removed = [f"file {path} (removed: it did not exist before)" for path in (CONFIG, UNIT)]
    lines = deadman_services.follow(runner, removed, _services())
    assert runner.calls == [["systemctl", "daemon-reload"], ["systemctl", "stop", "symroute-monitor.service"]]
    assert lines[-1].startswith("stopped symroute-monitor.service (it read ")


def test_without_systemd_the_background_monitor_is_restarted_by_its_control_command_when_it_runs(tmp_path):
    ctl = tmp_path / "symroute-monitor-ctl"
    ctl.write_text("#!/bin/sh\n")
    services = _services(manager="auto", ctl=str(ctl))
    running, stopped = Runner(), Runner(answers={"status": 3})
    assert deadman_services.follow(running, [f"file {CONFIG}"], services, systemd=False) == [
        f"restarted the background monitor (it read {CONFIG})"
    ]
    assert running.calls == [[str(ctl), "status"], [str(ctl), "restart"]]
    assert deadman_services.follow(stopped, [f"file {CONFIG}"], services, systemd=False) == []
    assert stopped.calls == [[str(ctl), "status"]]  # not running: it reads the restored file when it starts


def test_without_systemd_and_without_the_control_command_the_restore_says_the_monitor_may_still_run(tmp_path):
    services = _services(manager="background", ctl=str(tmp_path / "gone"))
    with pytest.raises(snapshot.RestoreError, match="may still run the unconfirmed configuration") as raised:
        deadman_services.follow(Runner(), [f"file {CONFIG}"], services)
    assert raised.value.restored == [f"file {CONFIG}"]


def test_a_monitor_that_cannot_be_restarted_fails_the_restore_and_keeps_what_was_done():
    with pytest.raises(snapshot.RestoreError, match="systemctl restart symroute-monitor.service failed") as raised:
        deadman_services.follow(Runner(answers={"restart": 1}), [f"file {CONFIG}", f"file {UNIT}"], _services())
    assert raised.value.restored == [f"file {CONFIG}", f"file {UNIT}", "reloaded systemd's unit files"]


# ------------------------------------------------------------------ in the dead-man
@pytest.fixture
def armed(tmp_path, monkeypatch):
    """A run armed with the monitor's services; the restore (faked) puts back the monitor's configuration."""
    monkeypatch.setattr(
        snapshot,
        "restore",
        lambda runner, taken, lock_path=None, owned_files=None: [f"file {CONFIG}", "1 rules, 0 routes"],
    )
    snap = tmp_path / "snapshot.json"
    snap.write_text(json.dumps({"run_id": "run-1", "files": {}}))
    clock = FakeClock()
    clock.now, clock.sleep = 1_800_000_000.0, clock.advance
    record = str(tmp_path / "confirm.json")

    def arm(runner):
        return deadman.arm(
            record,
            "run-1",
            str(snap),
            [CONFIG],
            30,
            runner,
            {"__init__.py": ""},
            systemd=True,
            now=clock,
            services=_services(),
        )

    def expire(runner):
        clock.now += 31
        return deadman_restore.expire(
            record,
            "run-1",
            runner,
            lock_path=str(tmp_path / "converge.lock"),
            routing_lock=str(tmp_path / "routing.lock"),
            now=clock,
            sleep=clock.sleep,
        )

    def settle(runner):  # the next converge, long after a reboot ended the timer
        clock.now += 31 + deadman.GRACE_S
        return deadman.settle(record, runner, now=clock, routing_lock=str(tmp_path / "routing.lock"))

    return arm, expire, settle


def test_the_dead_man_restarts_the_monitor_after_restoring_its_configuration_and_records_it(armed):
    arm, expire, _ = armed
    runner = Runner()
    assert arm(runner)["services"]["monitor_files"][0] == CONFIG  # the record keeps them for the restore
    record = expire(runner)
    assert record["state"] == "expired"
    assert runner.calls[-1] == ["systemctl", "restart", "symroute-monitor.service"]
    assert record["restored"] == [
        f"file {CONFIG}",
        "1 rules, 0 routes",
        f"restarted symroute-monitor.service (it read {CONFIG})",
    ]
    assert "restarted symroute-monitor.service" in deadman_record.describe(record)  # the next run's warning, the audit


def test_a_dead_man_whose_monitor_restart_fails_records_a_failed_restore(armed):
    arm, expire, _ = armed
    arm(Runner())
    record = expire(Runner(answers={"restart": 1}))
    assert record["state"] == "restore failed" and "restart symroute-monitor.service failed" in record["error"]
    assert record["restored"] == [f"file {CONFIG}", "1 rules, 0 routes"]


def test_the_next_converge_restoring_a_run_whose_dead_man_never_ran_restarts_the_monitor_too(armed):
    """After a reboot the monitor started with the unconfirmed run's configuration (the timer did not survive)."""
    arm, _, settle = armed
    runner = Runner()
    arm(runner)
    reported = settle(runner)
    assert reported["state"] == "expired" and "its dead-man never ran" in reported["why"]
    assert ["systemctl", "restart", "symroute-monitor.service"] in runner.calls
    assert reported["restored"][-1] == f"restarted symroute-monitor.service (it read {CONFIG})"


def test_a_monitor_configured_as_a_unit_where_systemd_does_not_run_needs_no_restart_and_fails_nothing():
    """The converge's rollback of a run that configured the monitor as a systemd unit on a router without
    systemd (the run failed on exactly that): systemctl says so, and the restore stands."""

    class NoSystemd(Runner):
        def run(self, argv, stdin=None):
            self.calls.append(list(argv))
            return Result(
                1,
                "",
                "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
                "Failed to connect to bus: Host is down",
            )

    runner = NoSystemd()
    lines = deadman_services.follow(runner, [f"file {CONFIG}", f"file {UNIT}"], _services())
    assert runner.calls == [["systemctl", "daemon-reload"]]
    assert lines == ["no unit to restart: systemd does not run here (symroute-monitor.service never started)"]
