"""The files of an inventory, read as data before Ansible sees any of them.

``scan`` walks an inventory source (a directory, or a file with the
group_vars/ and host_vars/ beside it) and returns, for every file: its
checksum, whether it is executable or a symlink, and the variables a vars or
YAML inventory file defines (name -> checksum of the value). Problems:
  - an executable file: Ansible would run it as a script inventory; an
    inventory here holds data only, so it is refused, never run;
  - a YAML file that is not plain, unambiguous data (``yaml_strict``);
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

from .errors import Problem
from .model import PARTNERS
from .yaml_strict import load_file

YAML_SUFFIXES = (".yml", ".yaml", ".json")
VARS_DIRECTORIES = ("group_vars", "host_vars")


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

    def as_dict(self):
        return {"sha256": self.sha256, "executable": self.executable, "symlink": self.symlink,
                "variables": dict(sorted(self.variables.items()))}


def value_digest(value):
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _files_under(directory):
    """Every file under ``directory``, following symlinked directories once."""
    seen, found = set(), []
    for top, directories, files in os.walk(directory, followlinks=True):
        real = os.path.realpath(top)
        if real in seen:
            directories[:] = []
            continue
        seen.add(real)
        directories.sort()
        found += [Path(top) / name for name in sorted(files)]
    return found


def _source_files(source):
    if source.is_dir():
        return source, _files_under(source)
    root = source.parent
    files = [source]
    for name in VARS_DIRECTORIES:
        if (root / name).is_dir():
            files += _files_under(root / name)
    return root, files


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


def _inline_variables(data):
    """Variables an inventory file sets inline (hosts: {h: {vars}}, vars: {...}), by group and host."""
    found = {}
    if not isinstance(data, dict):
        return found
    for group, body in data.items():
        if not isinstance(body, dict):
            continue
        for name, value in (body.get("vars") or {}).items() if isinstance(body.get("vars"), dict) else []:
            found[f"{group}:{name}"] = value_digest(value)
        hosts = body.get("hosts") if isinstance(body.get("hosts"), dict) else {}
        for host, host_vars in hosts.items():
            for name, value in (host_vars or {}).items() if isinstance(host_vars, dict) else []:
                found[f"{host}:{name}"] = value_digest(value)
        found.update(_inline_variables(body.get("children")))
    return found


def _file_entry(root, path, problems):
    relative = path.relative_to(root)
    label = relative.as_posix()
    mode = path.stat().st_mode
    entry = InventoryFile(path=label, sha256="", executable=bool(mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)),
                          symlink=os.readlink(path) if path.is_symlink() else "", applies_to=_applies_to(relative))
    entry.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    if entry.executable:
        problems.append(Problem(str(path), "the file is executable: Ansible would run it as an inventory script; "
                                           "an inventory holds data only (chmod -x it)"))
    if not _is_yaml(relative, entry.applies_to):
        return entry
    data, yaml_problems = load_file(path)
    problems.extend(yaml_problems)
    if entry.applies_to and isinstance(data, dict):
        entry.variables = {str(name): value_digest(value) for name, value in data.items()}
        extra = sorted(name for name in entry.variables if name != PARTNERS)
        if PARTNERS in entry.variables and extra:
            problems.append(Problem(str(path), f"defines {PARTNERS} and also {', '.join(extra)}: the partner file "
                                               f"holds {PARTNERS} only (docs/security.md)"))
    elif not entry.applies_to:
        entry.variables = _inline_variables(data)
        if any(name.endswith(f":{PARTNERS}") for name in entry.variables):
            problems.append(Problem(str(path), f"sets {PARTNERS} inline; the partner list lives in a vars file of "
                                               "its own (group_vars/all/partners.yml)"))
    return entry


def scan(source):
    """(root, {relative path: InventoryFile}, problems) of one inventory source."""
    source = Path(source)
    if not source.exists():
        return source, {}, [Problem(str(source), "no such inventory file or directory")]
    root, paths = _source_files(source)
    files, problems = {}, []
    for path in paths:
        try:
            entry = _file_entry(root, path, problems)
        except OSError as error:
            problems.append(Problem(str(path), f"cannot be read: {error.strerror or error}"))
            continue
        files[entry.path] = entry
    return root, files, problems
