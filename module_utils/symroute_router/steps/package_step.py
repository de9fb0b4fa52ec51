"""The router package's installed copy (the boot unit and the link monitor run it): each file written only
when its content differs, files of an earlier version removed."""

import os

from ..files import read_text, remove, write_atomically
from . import StepFailed

PACKAGE = "symroute_router"


def _stray(root, wanted):
    """Python files under the installed package that the new version does not have."""
    found = []
    for directory, _subdirectories, names in os.walk(root):
        for name in names:
            relative = os.path.relpath(os.path.join(directory, name), root)
            if name.endswith((".py", ".json")) and relative not in wanted:
                found.append(relative)
    return sorted(found)


def run(request, check_mode):
    """``request``: ``dest`` (the directory that holds the package) and ``files`` (relative path to content)."""
    root = os.path.join(request["dest"], PACKAGE)
    files = request["files"]
    for relative in files:
        if not isinstance(relative, str) or relative.startswith("/") or ".." in relative.split("/"):
            raise StepFailed(f"{relative!r} is not a path inside the package")
    written = sorted(
        relative for relative, content in files.items() if read_text(os.path.join(root, relative)) != content
    )
    removed = _stray(root, set(files)) if os.path.isdir(root) else []
    before = "".join(f"{r}\n" for r in written + removed if os.path.exists(os.path.join(root, r)))
    if not check_mode:
        for relative in written:
            write_atomically(os.path.join(root, relative), files[relative], mode=0o644)
        for relative in removed:
            remove(os.path.join(root, relative))
    diff = {"before": before, "after": "".join(f"{r}\n" for r in written), "before_header": root, "after_header": root}
    return {"changed": bool(written or removed), "written": written, "removed": removed, "diff": diff}
