"""Rendered files (units, configuration, the control command), each written atomically only when its
content or mode differs; and the directories a sandboxed unit writes in, made before it starts."""

import os

from ..files import mode_of, read_text, runs_systemd, write_atomically
from . import StepFailed


def _mode(item):
    try:
        return int(str(item.get("mode", "0644")), 8)
    except ValueError:
        raise StepFailed(f"the mode of {item.get('path')!r:.200} is not an octal number") from None


def run(files, check_mode):
    """``files``: each a dict with ``path`` (absolute), ``content`` and ``mode`` (an octal string)."""
    written, diffs = [], []
    for item in files:
        path, content = item.get("path"), item.get("content")
        if not isinstance(path, str) or not os.path.isabs(path) or not isinstance(content, str):
            raise StepFailed(f"each file needs an absolute path and a content: {item!r:.200}")
        mode = _mode(item)
        before = read_text(path)
        if before == content and mode_of(path) == mode:
            continue
        written.append(path)
        diffs.append({"before": before or "", "after": content, "before_header": path, "after_header": path})
        if not check_mode:
            write_atomically(path, content, mode=mode)
    return {
        "changed": bool(written),
        "written": written,
        "diff": diffs,
        "systemd": runs_systemd(),
        "check_mode": check_mode,
    }


def directories(paths, check_mode):
    """Make each absolute path in ``paths`` that is missing (0755, parents included): a unit's
    ReadWritePaths= only takes effect for a directory there when the unit starts. Returns those made."""
    made = []
    for path in paths:
        if not isinstance(path, str) or not os.path.isabs(path):
            raise StepFailed(f"each directory needs an absolute path: {path!r:.200}")
        if os.path.isdir(path):
            continue
        made.append(path)
        if not check_mode:
            os.makedirs(path, mode=0o755, exist_ok=True)
    return made
