"""The dead-man's restore: a run's snapshot put back (and the monitor restarted if that put back its files) when
its deadline passed unconfirmed, by its own dead-man (``expire``) or by the next converge; the settled record."""

import time

from . import deadman_services, locking, snapshot
from .deadman_process import log as _log, stop as _stop
from .deadman_record import read, restores_total, write as _write
from .locking import LOCK_FILE

POLL_S = 1.0


def settled(path, record, state, runner, stop=True, **fields):
    # Not stopped when the dead-man itself acts: stopping its own unit would kill it before it logs.
    record = dict(record, state=state, **fields)
    _write(path, record)
    if stop:
        _stop(record, runner)
    return record


def restore(path, record, runner, now, lock_path, why):
    """Restore the record's run's snapshot (under the converge lock, held by the caller); the new record."""
    record = dict(record, restores_total=restores_total(record) + 1)
    try:
        taken = snapshot.load(record["snapshot"])
        if taken is None or taken.get("run_id") != record["run_id"]:
            raise snapshot.RestoreError(f"run {record['run_id']}'s snapshot is not at {record['snapshot']}", [])
        restored = deadman_services.restore_then_follow(
            runner,
            lambda: snapshot.restore(runner, taken, lock_path=lock_path, owned_files=record.get("owned_files", [])),
            record.get("services"),
        )
    except (snapshot.RestoreError, OSError, ValueError) as error:
        partial = getattr(error, "restored", [])
        record = settled(
            path,
            record,
            "restore failed",
            runner,
            stop=False,
            expired_at=now(),
            restored=partial,
            error=str(error),
            why=why,
        )
        _log(
            f"run {record['run_id']} was not confirmed ({why}); its restore failed: {error}; restored: "
            + ("; ".join(partial) or "nothing")
        )
        return record
    record = settled(path, record, "expired", runner, stop=False, expired_at=now(), restored=restored, why=why)
    _log(
        f"run {record['run_id']} was not confirmed ({why}): its snapshot was restored: "
        + ("; ".join(restored) or "nothing had changed")
    )
    return record


def expire(
    path, run_id, runner, lock_path=locking.CONVERGE_LOCK_FILE, routing_lock=LOCK_FILE, now=time.time, sleep=time.sleep
):
    """The dead-man: wait for the deadline (it moves when the converge restarts the clock), then restore
    unless the run was confirmed. The final record, or None when there was nothing to do."""
    while True:
        record = read(path)
        if not record or record.get("run_id") != run_id or record.get("state") != "armed":
            return None
        remaining = record["deadline"] - now()
        if remaining > 0:
            sleep(min(remaining, POLL_S))
            continue
        try:
            with locking.converge_lock(lock_path, {"run_id": run_id, "what": "dead-man restore"}):
                record = read(path)
                if not record or record.get("run_id") != run_id or record.get("state") != "armed":
                    return None
                if record["deadline"] <= now():
                    why = f"no confirmation within {record['timeout_s']:g} s"
                    return restore(path, record, runner, now, routing_lock, why)
        except locking.LockBusy:  # its own converge still runs, or a confirmation is being written
            sleep(POLL_S / 2)
