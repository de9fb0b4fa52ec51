"""The files of an inventory, read as data before Ansible sees any of them.

``scan`` walks an inventory source (a directory, or a file with the
group_vars/ and host_vars/ beside it) and returns, for every file Ansible
would read: its checksum, whether it is executable or a symlink, and the
variables a vars or YAML inventory file defines (name -> checksum of the
value). What Ansible skips is skipped here, by Ansible's own rules and
configuration in this process (``AnsibleSkips``): in an inventory directory,
names starting with a dot and those matching INVENTORY_IGNORE_EXTS and
INVENTORY_IGNORE_PATTERNS (so a .git/ directory with its executable sample
hooks is not part of the inventory); in group_vars/ and host_vars/, hidden
and backup (~) names, and inside a group's or host's directory, names with
an extension Ansible does not read as variables. Problems:
  - an executable file: Ansible would run it as a script inventory; an
    inventory here holds data only, so it is refused, never run;
  - a YAML file that is not plain, unambiguous data (``yaml_strict``), or
    whose top level is not a mapping;
  - a file that defines ``symroute_partners`` and anything else: the partner
    file is the contract many teams edit, and it may not carry settings,
    connection variables or other routers' options.
The manifest feeds the review, which lists every change outside the partner
contract (other variables, new or removed files, executable bits).
"""

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .errors import Problem
from .inventory_values import holds_jinja as _holds_jinja, inline_variables as _inline_variables, value_digest
from .inventory_walk import MAX_FILES, VARS_DIRECTORIES, AnsibleSkips, ansible_skips, source_files as _source_files
from .model import PARTNERS
from .yaml_strict import MAX_FILE_BYTES, load_bytes

YAML_SUFFIXES = (".yml", ".yaml", ".json")


@dataclass
class InventoryFile:
    """One file of the inventory, as the review compares it."""

    path: str
    sha256: str
    executable: bool
    symlink: str = ""
    # Variables the file defines at its top level (vars files) or inline (inventory files).
    variables: dict = field(default_factory=dict)
    # For vars files: ("group", name) or ("host", name).
    applies_to: tuple = ()
    # Variables whose values hold Jinja (Ansible renders them when it uses them).
    templated: tuple = ()
    # A vars file's data as read here, when Ansible would read it as YAML too (not as JSON): the loader
    # hands it to Ansible instead of having it parse the file again (ansible_inventory.py).
    data: object = field(default=None, repr=False, compare=False)

    def as_dict(self):
        return {
            "sha256": self.sha256,
            "executable": self.executable,
            "symlink": self.symlink,
            "variables": dict(sorted(self.variables.items())),
            "templated": list(self.templated),
        }


def _applies_to(relative):
    parts = relative.parts
    if len(parts) < 2 or parts[0] not in VARS_DIRECTORIES:
        return ()
    name = parts[1]
    for suffix in YAML_SUFFIXES:
        if len(parts) == 2 and name.endswith(suffix):
            name = name[: -len(suffix)]
    return ("group" if parts[0] == "group_vars" else "host", name)


def _is_yaml(relative, applies_to):
    return relative.suffix in YAML_SUFFIXES or (applies_to and relative.suffix == "")


def _read_entry(root, path, problems):
    """(the file's entry without its variables, its bytes), or None when it must not be read (not a regular
    file, too large)."""
    relative = path.relative_to(root)
    status = path.stat()
    if not stat.S_ISREG(status.st_mode):
        problems.append(Problem(str(path), "not a regular file (a device, a pipe or a socket): refused"))
        return None
    if status.st_size > MAX_FILE_BYTES:
        problems.append(Problem(str(path), f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: refused"))
        return None
    content = path.read_bytes()
    entry = InventoryFile(
        path=relative.as_posix(),
        sha256=hashlib.sha256(content).hexdigest(),
        executable=bool(status.st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)),
        symlink=os.readlink(path) if path.is_symlink() else "",
        applies_to=_applies_to(relative),
    )
    if entry.executable:
        problems.append(
            Problem(
                str(path),
                "the file is executable: Ansible would run it as an inventory script; "
                "an inventory holds data only (chmod -x it)",
            )
        )
    return entry, content


def _is_json(content):
    """Whether Ansible reads these bytes as JSON (it tries JSON before YAML)."""
    try:
        json.loads(content)
    except (ValueError, RecursionError):
        return False
    return True


def _parsed(path, entry, content, parsed):
    """(data, problems) of a YAML file; ``parsed`` ({sha256: data}, or None): files read before, by content."""
    if parsed is not None and entry.sha256 in parsed:
        return parsed[entry.sha256], []
    data, problems = load_bytes(content, str(path))
    if parsed is not None and not problems:
        parsed[entry.sha256] = data
    return data, problems


def _shape_problem(data, applies_to):
    """Why the top level of a YAML file cannot be what Ansible reads there, or None.

    Ansible skips an empty vars file (None, [], ""), and fails on any other value that is not a mapping
    (naming its internal types); a YAML inventory file that is a list fails every inventory plugin.
    """
    if isinstance(data, dict) or data is None:
        return None
    if type(data) is str and data.startswith("$ANSIBLE_VAULT;"):
        return (
            "the whole file is encrypted with Ansible Vault: symroute reads the inventory as plain text and "
            "never decrypts it (encrypt single values with !vault, outside symroute's variables)"
        )
    kind = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(data), f"a {type(data).__name__}"
    )
    if applies_to and data:
        return f"the file must be a mapping of variable names to values; its top level is {kind}"
    if not applies_to and isinstance(data, list):
        return f"a YAML inventory file must be a mapping of group names to groups; its top level is {kind}"
    return None


def _file_entry(root, path, problems, parsed):
    read = _read_entry(root, path, problems)
    if read is None:
        return None
    entry, content = read
    if not _is_yaml(path.relative_to(root), entry.applies_to):
        return entry
    data, yaml_problems = _parsed(path, entry, content, parsed)
    problems.extend(yaml_problems)
    if entry.applies_to and not yaml_problems and not _is_json(content):
        entry.data = data
    shape = _shape_problem(data, entry.applies_to)
    if shape:
        problems.append(Problem(str(path), shape))
    if entry.applies_to and isinstance(data, dict):
        values = {str(name): value for name, value in data.items()}
        extra = sorted(name for name in values if name != PARTNERS)
        if PARTNERS in values and extra:
            problems.append(
                Problem(
                    str(path),
                    f"defines {PARTNERS} and also {', '.join(extra)}: the partner file "
                    f"holds {PARTNERS} only (docs/security.md)",
                )
            )
    elif not entry.applies_to:
        values = _inline_variables(data)
        if any(name.endswith(f":{PARTNERS}") for name in values):
            problems.append(
                Problem(
                    str(path),
                    f"sets {PARTNERS} inline; the partner list lives in a vars file of "
                    "its own (group_vars/all/partners.yml)",
                )
            )
    else:
        values = {}
    entry.variables = {name: value_digest(value) for name, value in values.items()}
    entry.templated = tuple(sorted(name for name, value in values.items() if _holds_jinja(value)))
    return entry


def scan(
    source: Any, skips: Optional[AnsibleSkips] = None, parsed: Optional[dict] = None
) -> tuple[Any, dict[str, InventoryFile], list[Problem]]:
    """(root, {relative path: InventoryFile}, problems) of one inventory source.

    ``skips``: what Ansible never reads (default: ``ansible_skips()``, Ansible's configuration here).
    ``parsed``: {sha256 of a file: its data}, shared by the scans of one command (the head and the base
    inventory of ``plan --base``): a file read before, byte for byte, is not parsed again. Only data read
    without a problem is kept; nothing changes it.
    """
    source = Path(source)
    if not source.exists():
        return source, {}, [Problem(str(source), "no such inventory file or directory")]
    root, paths = _source_files(source, skips or ansible_skips())
    files, problems = {}, []
    if len(paths) > MAX_FILES:
        return root, {}, [Problem(str(source), f"more than {MAX_FILES:,} files: is a symlink pointing out of it?")]
    for path in paths:
        try:
            entry = _file_entry(root, path, problems, parsed)
        except OSError as error:
            problems.append(Problem(str(path), f"cannot be read: {error.strerror or error}"))
            continue
        if entry is not None:
            files[entry.path] = entry
    return root, files, problems
