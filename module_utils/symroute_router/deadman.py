"""Confirmed commit (Junos' ``commit confirmed``): a converge that may change a router arms a dead-man on it before
its first change; unless the controller confirms from a new connection in time, it restores the run's snapshot.

The record (``confirm.json`` beside the snapshot, 0600) says where each run stands::

    {"run_id", "state": armed | confirmed | expired | disarmed | restore failed, "snapshot", "owned_files",
     "services" (the monitor's files and how it runs: ``deadman_services``), "timeout_s", "armed_at", "deadline",
     "mechanism": systemd | background, "unit", "pid", "restored": [...],
     "history": [earlier runs' outcomes, newest first], "restores_total": runs restored}

- ``arm``: before the first change, the record, then the dead-man: a transient systemd timer (``systemd-run
  --on-active``) where systemd runs, else a detached process in its own session, both running ``python3 -m
  symroute_router expire`` from the package copy kept beside the record (``deadman/``).
- ``restart_clock``: at the end of the converge the timeout counts again from now. ``confirm``: the controller's
  (``symroute_snapshot state=confirmed`` after ``meta: reset_connection``), under the converge lock: an armed record of
  this run becomes confirmed, its dead-man is stopped; after the dead-man acted, it fails and says the router was
  restored.
- ``expire``: the dead-man. At the deadline, under the converge lock, if the record is still this run's and
  armed: restores the run's snapshot (its own files only), restarts the monitor if that put back its files
  (``deadman_services``: it runs what it read at its start), records ``expired``, what it restored and one
  more ``restores_total`` (the monitor's metrics), and logs it (syslog/journal and stderr).
- ``settle``: at the start of the next converge (its lock held): an armed record before its deadline (plus
  ``GRACE_S``) stops that converge, naming the run; one long past it (a reboot ended the timer) is expired
  then; an expired run is reported once by the next converge, and by the audit while it is the last run.
"""

import os
import re
import time

from . import files, locking
from .deadman_process import PACKAGE_COPY, StartError, start as _start, stop as _stop
from .deadman_record import (
    describe,
    finished as _finished,
    history as _history,
    read,
    restores_total,
    when as _when,
    write as _write,
)
from .deadman_restore import restore as _restore, settled as _settled
from .locking import LOCK_FILE
from .steps import package_step

RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
TIMEOUT_RANGE = (30, 3600)
# How long past its deadline an armed run is its own dead-man's (which acts within seconds) before the next converge's.
GRACE_S = 30.0


class DeadmanError(Exception):
    """The dead-man could not be armed, or a confirmation failed; ``record`` is the record, if any."""

    def __init__(self, text, record=None):
        super().__init__(text)
        self.record = record


def _install_code(directory, package_files):
    """The dead-man's own copy of the router package (written only where it differs)."""
    if not package_files:
        raise DeadmanError("the dead-man needs the router package's files (package_files), none were given")
    package_step.run({"dest": directory, "files": package_files}, False)


def arm(
    path,
    run_id,
    snapshot_path,
    owned_files,
    timeout_s,
    runner,
    package_files,
    python="/usr/bin/python3",
    systemd=None,
    now=time.time,
    locks=None,
    services=None,
):
    """Arm the dead-man of ``run_id`` (its snapshot at ``snapshot_path``): the record, then the timer or
    background process. DeadmanError when it cannot be armed (the converge then changes nothing).
    ``locks``: (converge lock, routing lock) for the dead-man when not the router's own (tests); ``services``:
    the services a restore follows up (``deadman_services.of_request``)."""
    if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
        raise DeadmanError(f"the run id {run_id!r:.80} is not letters, digits and . _ - (64 at most)")
    if (
        isinstance(timeout_s, bool)
        or not isinstance(timeout_s, (int, float))
        or not (TIMEOUT_RANGE[0] <= timeout_s <= TIMEOUT_RANGE[1])
    ):
        raise DeadmanError(
            f"the confirmation timeout {timeout_s!r:.40} is not {TIMEOUT_RANGE[0]} to {TIMEOUT_RANGE[1]} seconds"
        )
    _install_code(os.path.join(os.path.dirname(path), PACKAGE_COPY), package_files)
    started = now()
    record = {
        "version": 1,
        "run_id": run_id,
        "state": "armed",
        "snapshot": os.path.abspath(snapshot_path),
        "owned_files": list(owned_files),
        "services": services or {},
        "timeout_s": timeout_s,
        "armed_at": started,
        "deadline": started + timeout_s,
        "history": _history(previous := read(path)),
        "restores_total": restores_total(previous),
    }
    _write(path, record)
    try:
        record = _start(record, path, python, runner, files.runs_systemd() if systemd is None else systemd, locks)
    except (OSError, StartError) as error:
        _write(path, dict(record, state="disarmed", error=f"not armed: {error}"))
        raise DeadmanError(f"the dead-man could not be armed: {error}") from None
    _write(path, record)
    return record


def restart_clock(path, run_id, now=time.time):
    """The converge is over: the timeout counts from now (the record of ``run_id`` only)."""
    record = read(path)
    if record and record.get("run_id") == run_id and record.get("state") == "armed":
        record = dict(record, deadline=now() + record["timeout_s"])
        _write(path, record)
    return record


def disarm(path, run_id, runner, why):
    """No confirmation needed (nothing changed, or the converge restored its snapshot itself)."""
    record = read(path)
    if record and record.get("run_id") == run_id and record.get("state") == "armed":
        return _settled(path, record, "disarmed", runner, disarmed=why)
    return record


def confirm(path, run_id, runner, lock_path=locking.CONVERGE_LOCK_FILE, now=time.time, wait_s=60.0):
    """The controller's confirmation of ``run_id``: the confirmed record; DeadmanError when there is nothing
    of this run to confirm or it was restored already."""
    with locking.converge_lock(lock_path, {"run_id": run_id, "what": "confirmation"}, wait_s=wait_s):
        record = read(path)
        if not record or record.get("run_id") != run_id:
            raise DeadmanError(
                f"no dead-man of run {run_id} on this router (the record is run {(record or {}).get('run_id')}'s)",
                record,
            )
        state = record.get("state")
        if state == "confirmed":
            return record
        if state != "armed":
            raise DeadmanError(
                describe(record)
                if state in ("expired", "restore failed")
                else f"run {run_id} was not confirmed: its dead-man is {state}",
                record,
            )
        return _settled(
            path, record, "confirmed", runner, confirmed_at=now(), margin_s=round(record["deadline"] - now(), 1)
        )


def settle(path, runner, now=time.time, routing_lock=LOCK_FILE):
    """At the start of a converge (its lock held): raise DeadmanError while another run awaits its
    confirmation; expire a run whose dead-man never ran; return the last run's unreported expiry (or None)."""
    record = read(path)
    if not record:
        return None
    if record.get("state") == "armed":
        deadline = record.get("deadline", 0)
        if now() < deadline + GRACE_S:
            raise DeadmanError(
                f"run {record.get('run_id')} changed this router and awaits its confirmation until "
                f"{_when(deadline)} (its dead-man restores its snapshot unless the controller "
                "confirms): confirm that run or wait for its dead-man",
                record,
            )
        record = _restore(
            path,
            record,
            runner,
            now,
            routing_lock,
            f"no confirmation by {_when(deadline)} and its dead-man never ran (a reboot?): "
            "restored by the next converge",
        )
        _stop(record, runner)
    if record.get("state") in ("expired", "restore failed") and not record.get("reported"):
        _write(path, dict(record, reported=True))
        return _finished(record)
    return None
