"""One writer of symroute's rules, routes and nftables table at a time: the Ansible modules, the boot unit and
the monitor's repair."""

import contextlib
import fcntl
import os

LOCK_FILE = "/run/symroute/routing.lock"


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive lock on ``path`` (created if needed); None: no lock."""
    if path is None:
        yield
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
