"""How the dead-man of ``deadman`` runs: a transient systemd timer (``systemd-run --on-active``) where systemd
runs, else a detached process in its own session; both run ``python3 -m symroute_router expire`` from the
package copy beside the record. Stopped when the run is confirmed or disarmed; its log line goes to syslog (the
journal) and stderr (the timer's unit journal)."""

import os
import signal
import sys

from .command import detach

PACKAGE_COPY = "deadman"
UNIT_PREFIX = "symroute-confirm-"
PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class StartError(Exception):
    """The dead-man could not be started."""


def unit_name(run_id):
    return f"{UNIT_PREFIX}{run_id}"


def log(text):
    """One line to syslog (the journal where systemd runs) and to stderr (the unit's journal)."""
    try:
        import syslog  # noqa: PLC0415 - not on every platform the package's tests run on

        syslog.openlog("symroute-confirm", 0, syslog.LOG_DAEMON)
        syslog.syslog(syslog.LOG_WARNING, text)
    except (ImportError, OSError):
        pass
    sys.stderr.write(f"symroute-confirm: {text}\n")


def _command(python, path, run_id, locks):
    """``locks``: (converge lock, routing lock) when not the router's own (tests)."""
    command = [python, "-m", "symroute_router", "expire", "--record", path, "--run-id", run_id]
    if locks:
        command += ["--lock", locks[0], "--routing-lock", locks[1]]
    return command


def start(record, path, python, runner, systemd, locks=None):
    """Start the dead-man; the record gets its mechanism (and unit or pid)."""
    code = os.path.join(os.path.dirname(path), PACKAGE_COPY)
    command = _command(python, path, record["run_id"], locks)
    if systemd:
        unit = unit_name(record["run_id"])
        done = runner.run(
            [
                "systemd-run",
                "--quiet",
                "--collect",
                f"--unit={unit}",
                f"--on-active={int(record['timeout_s'])}s",
                "--timer-property=AccuracySec=1s",
                f"--description=symroute: restore run {record['run_id']} unless confirmed",
                f"--setenv=PYTHONPATH={code}",
                "--setenv=PYTHONDONTWRITEBYTECODE=1",
                *command,
            ]
        )
        if done.rc != 0:
            raise StartError(f"systemd-run could not arm the dead-man: {done.stderr.strip() or done.rc}")
        return dict(record, mechanism="systemd", unit=unit)
    environment = {"PYTHONPATH": code, "PYTHONDONTWRITEBYTECODE": "1", "PATH": PATH_ENV}
    return dict(record, mechanism="background", pid=detach(command, environment))


def stop(record, runner):
    """Stop the dead-man's timer or process (it would find the record no longer armed anyway)."""
    if record.get("mechanism") == "systemd" and record.get("unit"):
        runner.run(["systemctl", "stop", f"{record['unit']}.timer", f"{record['unit']}.service"])
    elif record.get("mechanism") == "background" and isinstance(record.get("pid"), int):
        try:
            with open(f"/proc/{record['pid']}/cmdline", "rb") as handle:
                ours = record["run_id"].encode() in handle.read()
            if ours:
                os.kill(record["pid"], signal.SIGTERM)
        except OSError:
            pass
