"""Services of the converge: systemd units (enabled, started, restarted for new code or configuration,
systemd's unit files reloaded) and the link monitor as a background process where there is no systemd.

Every function returns the actions it took, or in check mode would take, as lines ("enabled
nftables.service"); queries run in check mode too (they change nothing). A command that fails raises
StepFailed with its own message.
"""

from ..command import message
from . import StepFailed


def _run(runner, argv):
    result = runner.run(argv)
    if result.rc != 0:
        raise StepFailed(f"{' '.join(argv)} failed: {message(result, f'exit status {result.rc}')}")
    return result


def _query(runner, verb, unit):
    return runner.run(["systemctl", verb, unit]).rc == 0


def _state(runner, unit):
    """The unit's ActiveState as ``systemctl is-active`` prints it (active, activating, failed, inactive...)."""
    return runner.run(["systemctl", "is-active", unit]).stdout.strip()


def _act(runner, check_mode, argv, line):
    if not check_mode:
        _run(runner, argv)
    return [line]


def daemon_reload(runner, check_mode):
    return _act(runner, check_mode, ["systemctl", "daemon-reload"], "reloaded systemd's unit files")


def enable(runner, unit, check_mode):
    """``unit`` enabled (started at boot); not started now."""
    if _query(runner, "is-enabled", unit):
        return []
    return _act(runner, check_mode, ["systemctl", "enable", unit], f"enabled {unit}")


def try_restart(runner, unit, check_mode):
    """``unit`` restarted if it runs (it reads new configuration), left alone if it does not."""
    return _act(runner, check_mode, ["systemctl", "try-restart", unit], f"restarted {unit} if it ran")


def running(runner, unit, restart, check_mode):
    """``unit`` enabled and running; restarted when ``restart`` (new code or configuration) and it ran, or
    when it is between states (a unit in its restart loop is "activating")."""
    actions = enable(runner, unit, check_mode)
    state = _state(runner, unit)
    if state == "active" and not restart:
        return actions
    if state in ("active", "activating", "reloading", "deactivating"):
        return actions + _act(runner, check_mode, ["systemctl", "restart", unit], f"restarted {unit}")
    return actions + _act(runner, check_mode, ["systemctl", "start", unit], f"started {unit}")


def stopped(runner, unit, check_mode):
    """``unit`` stopped (also from its restart loop) and disabled; nothing to do when it is not installed."""
    actions = []
    if _state(runner, unit) in ("active", "activating", "reloading", "deactivating"):
        actions += _act(runner, check_mode, ["systemctl", "stop", unit], f"stopped {unit}")
    if _query(runner, "is-enabled", unit):
        actions += _act(runner, check_mode, ["systemctl", "disable", unit], f"disabled {unit}")
    return actions


def background(runner, ctl_command, enabled, restart, check_mode, installed=True):
    """The monitor as a background process through its control command (status exits 0 running, 3 not).
    ``installed``: whether the control command is on the router (in check mode, or with the monitor
    disabled, it may not be: then nothing runs, and nothing needs stopping)."""
    if not installed:
        if enabled and not check_mode:
            raise StepFailed(f"the control command {ctl_command} is not there")
        return [f"started the background monitor ({ctl_command})"] if enabled else []
    status = runner.run([ctl_command, "status"])
    if status.rc not in (0, 3):
        raise StepFailed(f"{ctl_command} status failed: {message(status, f'exit status {status.rc}')}")
    if enabled and (status.rc == 3 or restart):
        verb = "started" if status.rc == 3 else "restarted"
        return _act(runner, check_mode, [ctl_command, "restart"], f"{verb} the background monitor")
    if not enabled and status.rc == 0:
        return _act(runner, check_mode, [ctl_command, "stop"], "stopped the background monitor")
    return []
