"""The HA pair's part of the converge: conntrackd's and keepalived's configuration and keepalived's notify
command, each written atomically only when it differs, then conntrackd and keepalived enabled and running.

conntrackd comes first (keepalived's notify command talks to it). A changed conntrackd.conf restarts
conntrackd (it has no reload; a restarted backup asks the master for a full resync, StartupResync); a
changed keepalived.conf or notify command *reloads* keepalived (SIGHUP): a restart would give up the
master's addresses and switch the pair over for a configuration change. keepalived and conntrackd run as
systemd units (Debian's): a router without systemd is refused before anything is written.
"""

from ..files import runs_systemd
from . import StepFailed, files_step, services

KEEPALIVED, CONNTRACKD = "keepalived.service", "conntrackd.service"


def _active(runner, unit):
    return runner.run(["systemctl", "is-active", unit]).stdout.strip()


def _unit(runner, unit, changed, verb, check_mode):
    """``unit`` enabled and running; ``verb`` (restart or reload) when its files changed and it ran."""
    actions = services.enable(runner, unit, check_mode)
    state = _active(runner, unit)
    if state == "active" and not changed:
        return actions
    if state in ("active", "reloading"):
        argv, line = ["systemctl", verb, unit], f"{verb}ed {unit}"
    else:
        argv, line = ["systemctl", "restart", unit], f"started {unit}"
    if not check_mode:
        result = runner.run(argv)
        if result.rc != 0:
            raise StepFailed(f"{' '.join(argv)} failed: {(result.stderr or result.stdout).strip()[:400]}")
    return actions + [line]


def ha_part(request, check_mode, runner):
    """``request``: ``conntrackd`` and ``keepalived`` (each ``files``: path, content, mode) and
    ``directories`` (made first: the notify command's state file and the monitor's yield file live there)."""
    if not runs_systemd():
        raise StepFailed(
            "an HA pair needs systemd on the router: keepalived and conntrackd run as its units "
            f"({KEEPALIVED}, {CONNTRACKD})"
        )
    made = files_step.directories(request.get("directories", []), check_mode)
    result: dict = {"files": list(made), "services": [], "diff": []}
    for key, unit, verb in (("conntrackd", CONNTRACKD, "restart"), ("keepalived", KEEPALIVED, "reload")):
        written = files_step.run((request.get(key) or {}).get("files", []), check_mode)
        result["files"] += written["written"]
        result["diff"] += written["diff"]
        result["services"] += _unit(runner, unit, written["changed"], verb, check_mode)
    result["changed"] = bool(result["files"]) or bool(result["services"])
    return result
