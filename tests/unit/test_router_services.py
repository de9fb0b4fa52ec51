"""symroute_router.steps.services: systemd units and the background monitor, queried in check mode,
changed only outside it, each failure with systemctl's own message."""

import pytest

from symroute_router.command import Result
from symroute_router.steps import StepFailed, services


class Systemd:
    """A runner answering systemctl (and a control command) from a set of enabled and active units."""

    def __init__(self, enabled=(), active=(), refuse=(), monitor_running=None):
        self.enabled, self.active, self.refuse = set(enabled), set(active), set(refuse)
        self.monitor_running, self.calls = monitor_running, []

    def run(self, argv, stdin=None):
        self.calls.append(list(argv))
        verb, unit = argv[1], argv[2] if len(argv) > 2 else None
        if argv[0] != "systemctl":  # the monitor's control command
            return Result({True: 0, False: 3, None: 1}[self.monitor_running] if verb == "status" else 0, "", "")
        if verb in self.refuse:
            return Result(1, "", f"Failed to {verb} {unit}: Unit {unit} not found.")
        if verb == "is-enabled":
            return Result(0 if unit in self.enabled else 1, "", "")
        if verb == "is-active":
            return Result(0 if unit in self.active else 3, "", "")
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


@pytest.mark.parametrize("running, enabled, restart, expected", [
    (False, True, False, ["started the background monitor"]),
    (True, True, False, []),
    (True, True, True, ["restarted the background monitor"]),
    (True, False, False, ["stopped the background monitor"]),
    (False, False, False, []),
])
def test_the_background_monitor(running, enabled, restart, expected):
    runner = Systemd(monitor_running=running)
    assert services.background(runner, "/usr/local/sbin/symroute-monitor-ctl", enabled, restart, False) == expected
    assert len([call for call in runner.calls if call[1] != "status"]) == len(expected)


def test_the_background_monitors_unexpected_status_is_a_failure():
    with pytest.raises(StepFailed, match="status failed"):
        services.background(Systemd(monitor_running=None), "/usr/local/sbin/symroute-monitor-ctl", True, False, False)


def test_check_mode_does_not_ask_a_control_command_that_is_not_installed_yet():
    runner = Systemd(monitor_running=False)
    assert services.background(runner, "/x/ctl", True, False, True, installed=False) == [
        "would start the background monitor (/x/ctl)"]
    assert runner.calls == []
