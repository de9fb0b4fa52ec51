"""Files on the router: read (None when absent), write atomically, remove."""

import os
import stat
import tempfile


def read_text(path):
    """The file's text exactly as stored (no newline translation), or None when it does not exist."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def mode_of(path):
    """The permission bits of ``path``, or None when it does not exist."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None


def _make_parents(directory):
    missing = []
    while directory and not os.path.isdir(directory):
        missing.append(directory)
        directory = os.path.dirname(directory)
    for created in reversed(missing):
        os.mkdir(created, 0o755)
        os.chmod(created, 0o755)


def _fsync_directory(directory):
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_atomically(path, text, mode=0o644, durable=True):
    """Make ``path`` hold ``text`` with ``mode``; False (nothing written) when it already does.

    A temporary file in the same directory (mkstemp: a new name, created exclusively, never a symlink
    followed) is written, synced and renamed over ``path``, so a reader sees the old or the new content,
    never a part. ``durable=False``: no fsync (files rewritten every second, such as the monitor's metrics).
    """
    if read_text(path) == text and mode_of(path) == mode:
        return False
    directory = os.path.dirname(os.path.abspath(path))
    _make_parents(directory)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            if durable:
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    if durable:
        _fsync_directory(directory)
    return True


def runs_systemd():
    """Whether this host runs systemd (services are then systemd units)."""
    return os.path.isdir("/run/systemd/system")


def remove(path):
    """Remove ``path``; False when it did not exist."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True
