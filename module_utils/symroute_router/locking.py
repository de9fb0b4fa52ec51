"""Locks on the router.

``locked(path)``: one writer of symroute's rules, routes and nftables table at a time (the Ansible modules, the
boot unit and the monitor's repair). ``converge_lock(path, holder)``: one converge (or dead-man restore, or
confirmation) at a time, refused at once with the holder's name.

Both lock files are created 0600 in a 0700 directory, opened without following a symbolic link and never
inherited by a child: nobody but root can open them, so no local user can take a lock and stall a writer
(``flock`` on a file opened read-only works, which a 0644 file allowed). No lock is ever waited for without
bound: ``locked`` waits ``wait_s`` at most and then raises ``LockBusy``.
"""

import contextlib
import fcntl
import json
import os
import time

LOCK_FILE = "/run/symroute/routing.lock"
CONVERGE_LOCK_FILE = "/run/symroute/converge.lock"
# How long a writer waits for the routing lock by default: far longer than any apply holds it (a few seconds at
# 10,000 prefixes), short enough that a lock nobody releases is an error instead of a hang.
DEFAULT_WAIT_S = 120.0
_POLL_S = 0.05


class LockBusy(OSError):
    """The lock is held by someone else; ``holder`` is what the holder wrote (converge lock) or {}."""

    def __init__(self, text, holder=None):
        super().__init__(text)
        self.holder = holder or {}


def _open(path):
    """The lock file's descriptor: created 0600 (an older, wider one narrowed), never through a symlink."""
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        if os.fstat(descriptor).st_mode & 0o077:
            os.fchmod(descriptor, 0o600)
    except OSError:
        os.close(descriptor)
        raise
    return descriptor


def _take(descriptor, wait_s):
    """Take the exclusive lock, waiting ``wait_s`` at most (0: not at all); False when it stayed busy."""
    deadline = time.monotonic() + max(0.0, wait_s)
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(_POLL_S, max(0.0, deadline - time.monotonic())))


@contextlib.contextmanager
def locked(path, wait_s=DEFAULT_WAIT_S):
    """Hold an exclusive lock on ``path`` (created if needed); None: no lock. Raises LockBusy after ``wait_s``."""
    if path is None:
        yield
        return
    descriptor = _open(path)
    try:
        if not _take(descriptor, wait_s):
            raise LockBusy(f"{path} is held by another writer (waited {wait_s:g} s)")
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _holder(descriptor):
    try:
        text = os.pread(descriptor, 4096, 0).decode("utf-8", "replace")
        holder = json.loads(text) if text.strip() else {}
        return holder if isinstance(holder, dict) else {}
    except (OSError, ValueError):
        return {}


def describe(holder):
    """ "run 2026...-1 (pid 123, started 2026-01-01T00:00:00Z)": who holds the converge lock."""
    if not holder:
        return "another process (it has not written its name yet)"
    what = holder.get("what", "converge")
    started = holder.get("started")
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)) if isinstance(started, (int, float)) else "?"
    return f"{what} of run {holder.get('run_id') or '(no run id)'} (pid {holder.get('pid', '?')}, started {when})"


@contextlib.contextmanager
def converge_lock(path, holder, wait_s=0.0):
    """Hold the converge lock, writing ``holder`` (run id, what) with this pid and the time into it; LockBusy
    naming the holder at once (or after ``wait_s``) when another process has it. Released, and its content
    cleared, on exit; the kernel releases it when the process dies, so a killed converge never blocks the next."""
    descriptor = _open(path)
    try:
        if not _take(descriptor, wait_s):
            other = _holder(descriptor)
            raise LockBusy(f"another converge is running on this router: {describe(other)}", other)
        record = dict(holder, pid=os.getpid(), started=time.time())
        data = (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, data, 0)
        try:
            yield record
        finally:
            os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
