"""After a restore, the services that read what it put back: a restore puts back files, the nft table, rules,
routes and sysctls, but a running service keeps what it read when it started.

The link monitor holds its configuration in memory. After the restore of an unconfirmed run that changed it,
it would go on probing, gating and holding the general rules of that run's links: a link declared by mistake
on the management interface keeps that interface out of service, and the router cut off, after its rules and
routes were restored (tests/integration/test_confirmed_commit_ssh.py). So after a restore that put back one
of the monitor's files (the files whose change makes the converge restart it): systemd's unit files reloaded
when one of them was put back, then the monitor restarted (``systemctl restart``, after ``reset-failed``: a
monitor that failed on the unconfirmed configuration runs the restored one; without
systemd, its control command's ``restart`` when its ``status`` says it runs), or stopped when the restore
removed its configuration (the unconfirmed run was the first to install it). Its clean stop puts every link
of the configuration it ran back in service and removes its rules; it then starts with the restored one.

The converge names the monitor's files and how it runs (``of_request``); the dead-man's record keeps that
(``services``) for the restore, which may come from the dead-man or from the next converge.
"""

import os

from . import files
from .command import message
from .snapshot import RestoreError

MONITOR_UNIT = "symroute-monitor.service"
UNIT_DIRECTORY = "/etc/systemd/"
REMOVED = " (removed: "
PAST = {"stop": "stopped", "restart": "restarted"}


def of_request(monitor):
    """The monitor's files and how it runs, from the converge's monitor request ({} without one)."""
    if not isinstance(monitor, dict) or not monitor.get("enabled", True) or not monitor.get("files"):
        return {}
    paths = [item["path"] for item in monitor["files"] if isinstance(item, dict) and isinstance(item.get("path"), str)]
    return {
        "monitor_files": sorted(paths),
        "service_manager": monitor.get("service_manager", "auto"),
        "ctl_command": monitor.get("ctl_command"),
    }


def restored_files(lines):
    """{path: True when removed} of the files a restore's lines name ("file PATH", "file PATH (removed: ...)")."""
    found = {}
    for line in lines:
        if isinstance(line, str) and line.startswith("file "):
            found[line[len("file ") :].split(REMOVED)[0]] = REMOVED in line
    return found


# What systemctl says where systemd does not run: a monitor configured as a unit there never started (the
# run that configured it failed on exactly that), so there is no unit to reload, restart or stop.
NO_SYSTEMD = ("not been booted with systemd", "Failed to connect to bus")


class NoSystemd(Exception):
    """systemctl answered that systemd does not run on this router."""


def _act(runner, argv, line, done):
    result = runner.run(argv)
    if result.rc != 0:
        if argv[0] == "systemctl" and any(text in (result.stderr or "") for text in NO_SYSTEMD):
            raise NoSystemd()
        raise RestoreError(f"{' '.join(argv)} failed: {message(result, f'exit status {result.rc}')}", done)
    done.append(line)


def _systemd(services, systemd):
    manager = services.get("service_manager", "auto")
    if manager in ("systemd", "background"):
        return manager == "systemd"
    return files.runs_systemd() if systemd is None else systemd


def follow(runner, restored, services, systemd=None):
    """What the services reading ``restored`` (a restore's lines) needed, as lines ("restarted
    symroute-monitor.service (it read /etc/symroute/monitor.json)"); [] when the restore put back none of
    their files. RestoreError, whose ``restored`` is ``restored`` plus what was done, when a command failed.
    ``services``: ``of_request``'s (the record's); ``systemd``: None to find out."""
    services = services if isinstance(services, dict) else {}
    put_back = restored_files(restored)
    read = [path for path in services.get("monitor_files") or [] if path in put_back]
    done, on_systemd = list(restored), _systemd(services, systemd)
    try:
        _systemd_units(runner, put_back, read, services, on_systemd, done)
    except NoSystemd:
        done.append(f"no unit to restart: systemd does not run here ({MONITOR_UNIT} never started)")
    return done[len(restored) :]


def _systemd_units(runner, put_back, read, services, on_systemd, done):
    """``follow``'s actions: units reloaded, the monitor restarted or stopped (NoSystemd when systemd is not
    there after all)."""
    if on_systemd and any(path.startswith(UNIT_DIRECTORY) for path in put_back):
        _act(runner, ["systemctl", "daemon-reload"], "reloaded systemd's unit files", done)
    if read:
        why, ctl = f"it read {', '.join(read)}", services.get("ctl_command")
        removed = all(put_back[path] for path in read)
        if on_systemd and removed:
            _act(runner, ["systemctl", "stop", MONITOR_UNIT], f"stopped {MONITOR_UNIT} ({why})", done)
        elif on_systemd:  # running, or failed on the unconfirmed configuration: it runs the restored one now
            runner.run(["systemctl", "reset-failed", MONITOR_UNIT])
            _act(runner, ["systemctl", "restart", MONITOR_UNIT], f"restarted {MONITOR_UNIT} ({why})", done)
        elif not isinstance(ctl, str) or not os.path.isfile(ctl):
            raise RestoreError(
                f"the background monitor may still run the unconfirmed configuration: its control "
                f"command {ctl} is not there to restart or stop it",
                done,
            )
        elif runner.run([ctl, "status"]).rc == 0:
            verb = "stop" if removed else "restart"
            _act(runner, [ctl, verb], f"{PAST[verb]} the background monitor ({why})", done)


def restore_then_follow(runner, restore, services):
    """``restore()`` (a snapshot's restore: its lines), then ``follow`` them. A restore that fails part way
    (RestoreError) may already have put back the monitor's files: those are followed too, and the error is
    raised again with every line, so a second problem never leaves the monitor on the unconfirmed run."""
    try:
        lines = restore()
    except RestoreError as error:
        partial = list(getattr(error, "restored", []))
        try:
            more = follow(runner, partial, services)
        except RestoreError as failed:
            more = list(failed.restored)[len(partial) :]
        raise RestoreError(str(error), partial + more) from None
    return lines + follow(runner, lines, services)
