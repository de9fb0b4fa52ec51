"""symroute_router.steps.services: systemd units and the background monitor, queried in check mode,
changed only outside it, each failure with systemctl's own message."""

import pytest

from symroute_router.command import Result
from symroute_router.steps import StepFailed, services


class Systemd:
    """A runner answering systemctl (and a control command) from a set of enabled and active units."""

    def __init__(self, enabled=(), active=(), refuse=(), monitor_running=None):
        self.enabled, self.active, self.refuse = set(enabled), set(active), set(refuse)
        self.states = {}  # unit -> a state other than active/inactive ("activating", "failed")
        self.monitor_running, self.calls = monitor_running, []

    def run(self, argv, stdin=None):
        self.calls.append(list(argv))
        verb, unit = argv[1], argv[2] if len(argv) > 2 else None
        if argv[0] == "systemctl" and verb == "is-active":  # prints the state; 0 only when active
            state = "active" if unit in self.active else self.states.get(unit, "inactive")
            return Result(0 if state == "active" else 3, state + "\n", "")
        if argv[0] != "systemctl":  # the monitor's control command
            return Result({True: 0, False: 3, None: 1}[self.monitor_running] if verb == "status" else 0, "", "")
        if verb in self.refuse:
            return Result(1, "", f"Failed to {verb} {unit}: Unit {unit} not found.")
        if verb == "is-enabled":
            return Result(0 if unit in self.enabled else 1, "", "")
        return Result(0, "", "")

    def changes(self):
        return [call for call in self.calls if call[1] not in ("is-enabled", "is-active", "status")]


def test_an_enabled_unit_is_left_alone():
    runner = Systemd(enabled={"nftables.service"})
    assert services.enable(runner, "nftables.service", check_mode=False) == []
    assert runner.changes() == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_disabled_unit_is_enabled_except_in_check_mode(check_mode):
    runner = Systemd()
    assert services.enable(runner, "nftables.service", check_mode) == ["enabled nftables.service"]
    assert runner.changes() == ([] if check_mode else [["systemctl", "enable", "nftables.service"]])


def test_a_running_unit_restarts_only_for_new_code_or_configuration():
    unit = "symroute-monitor.service"
    runner = Systemd(enabled={unit}, active={unit})
    assert services.running(runner, unit, restart=False, check_mode=False) == []
    assert services.running(runner, unit, restart=True, check_mode=False) == [f"restarted {unit}"]
    assert runner.changes() == [["systemctl", "restart", unit]]


def test_a_stopped_unit_is_enabled_and_started_not_restarted():
    unit = "symroute-monitor.service"
    runner = Systemd()
    assert services.running(runner, unit, restart=True, check_mode=False) == [f"enabled {unit}", f"started {unit}"]
    assert runner.changes() == [["systemctl", "enable", unit], ["systemctl", "start", unit]]


def test_a_failing_systemctl_stops_the_step_with_its_message():
    runner = Systemd(refuse={"enable"})
    with pytest.raises(StepFailed, match="systemctl enable symroute-routing.service failed: Failed to enable"):
        services.enable(runner, "symroute-routing.service", check_mode=False)


def test_stopping_a_monitor_that_was_never_installed_does_nothing():
    runner = Systemd()
    assert services.stopped(runner, "symroute-monitor.service", check_mode=False) == []
    assert runner.changes() == []


@pytest.mark.parametrize(
    "running, enabled, restart, expected",
    [
        (False, True, False, ["started the background monitor"]),
        (True, True, False, []),
        (True, True, True, ["restarted the background monitor"]),
        (True, False, False, ["stopped the background monitor"]),
        (False, False, False, []),
    ],
)
def test_the_background_monitor(running, enabled, restart, expected):
    runner = Systemd(monitor_running=running)
    ctl = "/usr/local/sbin/symroute-monitor-ctl"
    assert services.background(runner, ctl, enabled, restart, False) == expected
    verbs = {"started": "restart", "restarted": "restart", "stopped": "stop"}
    assert [call for call in runner.calls if call[1] != "status"] == [
        [ctl, verbs[line.split()[0]]] for line in expected
    ]


def test_the_background_monitors_unexpected_status_is_a_failure():
    with pytest.raises(StepFailed, match="status failed"):
        services.background(Systemd(monitor_running=None), "/usr/local/sbin/symroute-monitor-ctl", True, False, False)


def test_check_mode_does_not_ask_a_control_command_that_is_not_installed_yet():
    runner = Systemd(monitor_running=False)
    assert services.background(runner, "/x/ctl", True, False, True, installed=False) == [
        "started the background monitor (/x/ctl)"
    ]
    assert runner.calls == []


def test_a_unit_in_its_restart_loop_is_restarted_when_wanted_and_stopped_when_not():
    unit = "symroute-monitor.service"
    runner = Systemd(enabled={unit})
    runner.states[unit] = "activating"
    assert services.running(runner, unit, restart=False, check_mode=False) == [f"restarted {unit}"]
    assert services.stopped(runner, unit, check_mode=False) == [f"stopped {unit}", f"disabled {unit}"]


def test_a_failed_unit_is_started():
    unit = "symroute-monitor.service"
    runner = Systemd(enabled={unit})
    runner.states[unit] = "failed"
    assert services.running(runner, unit, restart=True, check_mode=False) == [f"started {unit}"]


@pytest.mark.parametrize("check_mode", [True, False])
def test_an_active_unit_is_stopped_and_disabled_except_in_check_mode(check_mode):
    unit = "symroute-monitor.service"
    runner = Systemd(enabled={unit}, active={unit})
    assert services.stopped(runner, unit, check_mode) == [f"stopped {unit}", f"disabled {unit}"]
    assert runner.changes() == ([] if check_mode else [["systemctl", "stop", unit], ["systemctl", "disable", unit]])


def test_check_mode_reports_a_start_without_running_it():
    unit = "symroute-monitor.service"
    runner = Systemd()
    assert services.running(runner, unit, restart=False, check_mode=True) == [f"enabled {unit}", f"started {unit}"]
    assert runner.changes() == []


def test_a_missing_control_command_is_a_failure_outside_check_mode():
    with pytest.raises(StepFailed, match="is not there"):
        services.background(Systemd(), "/x/ctl", True, False, False, installed=False)
