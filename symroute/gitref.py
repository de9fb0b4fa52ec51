"""Materialize an inventory directory as it was at a git ref (for --base)."""

import io
import subprocess
import tarfile
from pathlib import Path
from typing import Optional, Union


class GitRefError(Exception):
    """The ref or the repository cannot be read."""


def _git(directory, *args):
    result = subprocess.run(["git", "-C", str(directory), *args], capture_output=True, check=False)
    if result.returncode != 0:
        raise GitRefError(result.stderr.decode(errors="replace").strip() or f"git {' '.join(args)} failed")
    return result.stdout


def inventory_at_ref(inventory: Union[str, Path], ref: str, destination: Union[str, Path]) -> Optional[Path]:
    """Extract ``inventory`` (a directory in a git checkout) as of ``ref`` into ``destination``.

    Returns the path of the extracted inventory, or None when it did not exist at ``ref``.
    """
    path = Path(inventory).resolve()
    directory = path if path.is_dir() else path.parent
    top = Path(_git(directory, "rev-parse", "--show-toplevel").decode().strip())
    relative = path.relative_to(top).as_posix()
    _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    listing = _git(top, "ls-tree", "-r", "--name-only", ref, "--", relative)
    if not listing.strip():
        return None
    archive = _git(top, "archive", "--format=tar", ref, "--", relative)
    try:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(destination, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise GitRefError(f"the inventory at {ref} cannot be extracted safely: {error}") from None
    return Path(destination) / relative
