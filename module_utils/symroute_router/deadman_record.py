"""The dead-man's record (``confirm.json`` beside the snapshot, 0600): where it is, reading and writing it, the
history of earlier runs, and the sentences and outcomes the converge, the audit and the monitor read from it."""

import json
import os
import time

from . import files

RECORD_NAME = "confirm.json"
HISTORY = 10


def record_path(snapshot_path):
    """Where the record of ``snapshot_path``'s runs is kept."""
    return os.path.join(os.path.dirname(os.path.abspath(snapshot_path)), RECORD_NAME)


def read(path):
    """The record at ``path``, or None (absent or unreadable: never trusted beyond a dict)."""
    try:
        text = files.read_text(path)
        data = json.loads(text) if text else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write(path, record):
    files.write_atomically(path, json.dumps(record, indent=1, sort_keys=True) + "\n", mode=0o600)


def when(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds)) if isinstance(seconds, (int, float)) else "?"


def finished(record):
    keys = (
        "run_id",
        "state",
        "armed_at",
        "deadline",
        "timeout_s",
        "confirmed_at",
        "expired_at",
        "restored",
        "error",
        "why",
        "reported",
    )
    return {key: record[key] for key in keys if key in record}


def history(previous):
    if not previous:
        return []
    history = [dict(item) for item in previous.get("history", []) if isinstance(item, dict)]
    if previous.get("state") != "armed":
        history.insert(0, finished(previous))
    return history[:HISTORY]


def restores_total(record):  # runs a dead-man (or the next converge) restored here, the record's own included
    total = (record or {}).get("restores_total")
    return total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else 0


def last_outcome(path):
    """The last finished run's outcome for the audit: (record of that run) or None."""
    record = read(path)
    if not record:
        return None
    if record.get("state") == "armed":
        return dict(finished(record), pending=True)
    return finished(record)


def describe(record):
    """One sentence on an unconfirmed run (for warnings and the audit)."""
    restored = "; ".join(record.get("restored") or []) or "nothing had changed"
    if record.get("state") == "restore failed":
        return (
            f"run {record.get('run_id')} was not confirmed ({record.get('why', '')}) and its restore failed "
            f"at {when(record.get('expired_at'))}: {record.get('error')}; restored: {restored}"
        )
    return (
        f"run {record.get('run_id')} was not confirmed within {record.get('timeout_s')} s: its snapshot "
        f"was restored at {when(record.get('expired_at'))} ({restored})"
    )
