"""Which files of an inventory source Ansible reads, by its own rules and configuration in this process
(``AnsibleSkips``): an inventory directory's entries but hidden names and those matching INVENTORY_IGNORE_EXTS
and INVENTORY_IGNORE_PATTERNS; in group_vars/ and host_vars/, all but hidden and backup (~) names, and inside a
group's or host's directory, only names with an extension Ansible reads as variables."""

import os
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

VARS_DIRECTORIES = ("group_vars", "host_vars")
MAX_FILES = 20_000


@dataclass(frozen=True)
class AnsibleSkips:
    """What Ansible never reads in an inventory source."""

    # Searched in each entry name of an inventory directory (bytes, as Ansible does): hidden names,
    # host_vars, group_vars and vars_plugins, INVENTORY_IGNORE_PATTERNS, INVENTORY_IGNORE_EXTS.
    inventory: re.Pattern
    # The extensions a vars file in a group's or host's directory may have ("" for none).
    vars_extensions: tuple


def ansible_skips() -> AnsibleSkips:
    """Ansible's own rules, as configured for this process (ansible.cfg, ANSIBLE_* variables).

    ``IGNORED`` is the very pattern Ansible's InventoryManager skips directory entries with; the vars
    extensions are the ones its DataLoader.find_vars_files reads (YAML_FILENAME_EXTENSIONS).
    """
    from ansible import constants
    from ansible.inventory.manager import IGNORED

    return AnsibleSkips(inventory=IGNORED, vars_extensions=("", *constants.YAML_FILENAME_EXTENSIONS))


def _read_by_inventory(skips, relative, _is_directory):
    """Whether Ansible reads this entry of an inventory directory (InventoryManager.parse_source)."""
    return skips.inventory.search(os.fsencode(relative.name)) is None


def _read_as_vars(skips, relative, is_directory):
    """Whether Ansible reads this entry of group_vars/ or host_vars/ (the host_group_vars vars plugin).

    Directly in group_vars/: every name but hidden and backup ones (Ansible reads ``<name>`` and
    ``<name>.<extension>`` for each of its groups and hosts, a file or a directory; a host name may hold
    dots, and the names are known only once Ansible has parsed the inventory). Inside such a directory
    (DataLoader._get_dir_vars_files): files without an extension or with a vars extension, directories
    without an extension.
    """
    name = relative.name
    if name.startswith(".") or name.endswith("~"):
        return False
    if len(relative.parts) == 1:
        return True
    extension = os.path.splitext(name)[1]
    return not extension or (not is_directory and extension in skips.vars_extensions)


def _files_under(directory, reads):
    """Every file under ``directory`` that ``reads(relative path, is_directory)`` keeps, in directories it
    keeps, following symlinked directories once, at most MAX_FILES."""
    seen, found = set(), []
    for top, directories, files in os.walk(directory, followlinks=True):
        if len(found) > MAX_FILES:
            break
        real = os.path.realpath(top)
        if real in seen:
            directories[:] = []
            continue
        seen.add(real)
        relative = Path(top).relative_to(directory)
        directories[:] = sorted(name for name in directories if reads(relative / name, True))
        found += [Path(top) / name for name in sorted(files) if reads(relative / name, False)]
    return found


def source_files(source, skips):
    """(root, the files Ansible reads): a directory's files and, beside a directory or a file, its vars files."""
    root = source if source.is_dir() else source.parent
    files = _files_under(source, partial(_read_by_inventory, skips)) if source.is_dir() else [source]
    for name in VARS_DIRECTORIES:
        if (root / name).is_dir():
            files += _files_under(root / name, partial(_read_as_vars, skips))
    return root, files
