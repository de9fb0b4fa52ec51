"""Load routers' variables from an inventory as data: the one loader of the CLI and the playbook.

1. Every file is scanned first (``inventory_files``): executable files, YAML that
   is not plain data, and partner files that carry anything but the partner
   list stop here, before Ansible parses anything.
2. Ansible's own inventory loading then gives hosts, groups and the merged
   variables exactly as in a playbook run, with only the YAML and INI inventory
   plugins (a script or a dynamic inventory plugin never runs) and only the
   host_group_vars vars plugin. Variables are taken as written: nothing is
   templated here, ever.
   A partner file is parsed once: Ansible's loader is handed the data the scan
   read (the same YAML, so the same data; Ansible would have parsed the file
   a second time, its slowest step at 100,000 prefixes).
3. Per router: the ``symroute_*`` variables, and a check that the partner list
   comes from exactly one file. A value Ansible hands to many routers (the
   group's partner list) is copied and checked once, and the routers share the
   copy: the planner shares its per-prefix work by that (shared_work.py).
"""

import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from .errors import InventoryError, Problem
from .inventory import plain
from .inventory_files import scan
from .inventory_values import value_digest
from .model import PARTNERS
from .pipeline import symroute_variables

ROUTER_GROUP = "symroute_routers"
INVENTORY_PLUGINS = ["yaml", "ini"]
VARS_PLUGINS = ["host_group_vars"]


@dataclass
class Inventory:
    """What the review and the planner need of an inventory."""

    routers: dict  # router -> its symroute_* variables, as written
    files: dict  # source label -> {relative path: InventoryFile}
    groups: dict  # group -> sorted host names


def _restrict_ansible():
    """Data-only inventory plugins, the one vars plugin, unparsed sources fail (this process only)."""
    from ansible import constants

    constants.INVENTORY_ENABLED = list(INVENTORY_PLUGINS)
    constants.VARIABLE_PLUGINS_ENABLED = list(VARS_PLUGINS)
    constants.INVENTORY_UNPARSED_IS_FAILED = True
    constants.INVENTORY_ANY_UNPARSED_IS_FAILED = True


def _handed_over(files):
    """{real path: data} of the partner files, as the scan read them, for Ansible's loader.

    Only a file that defines the partner list and nothing else, read as YAML by both (Ansible reads a file
    as JSON first, and then its data could differ): its data is what Ansible's YAML loader gives, and the
    partner list's digest is still checked against every router's value (an INI inventory that overrides
    it is refused as before).
    """
    return {
        os.path.realpath(root / entry.path): entry.data
        for root, entries in files.items()
        for entry in entries.values()
        if isinstance(entry.data, dict) and set(entry.data) == {PARTNERS}
    }


def _data_loader(handed_over):
    """Ansible's DataLoader, handing over the data of the files in ``handed_over`` instead of parsing them."""
    from ansible.parsing.dataloader import DataLoader

    class HandingOverLoader(DataLoader):
        def load_from_file(self, file_name, *args, **options):
            """Ansible's, except for a handed-over file (as the vars plugin asks: options by name, not JSON only)."""
            data = handed_over.get(os.path.realpath(self.path_dwim(file_name)))
            if data is None or args or options.get("json_only"):
                return super().load_from_file(file_name, *args, **options)
            return data if options.get("unsafe") else copy.deepcopy(data)

    return HandingOverLoader()


def _ansible_problem(sources, error):
    text = " ".join(str(getattr(error, "message", error)).split())
    return Problem(", ".join(map(str, sources)), f"cannot be loaded: {text[:400]}")


def _partner_files(files, router, groups):
    """The vars files that define the partner list for ``router`` (member of ``groups``)."""
    found = []
    for label, entries in files.items():
        for entry in entries.values():
            kind, name = entry.applies_to or (None, None)
            applies = (kind == "group" and name in groups) or (kind == "host" and name == router)
            if applies and PARTNERS in entry.variables:
                found.append(f"{label}/{entry.path}" if len(files) > 1 else entry.path)
    return sorted(found)


def _partner_digests(files, labels):
    """The digests of the partner list in the named partner files."""
    entries = {
        f"{label}/{path}" if len(files) > 1 else path: entry
        for label, items in files.items()
        for path, entry in items.items()
    }
    return {entries[label].variables[PARTNERS] for label in labels}


def _digest_once(digests, value):
    """value_digest of ``value``, once per object: the routers of a group hold the same partner list."""
    if id(value) not in digests:
        digests[id(value)] = (value, value_digest(value))
    return digests[id(value)][1]


def _scan_all(sources, parsed):
    """({source: {relative path: InventoryFile}}, {source: its root}, problems)."""
    files, roots, problems = {}, {}, []
    for source in sources:
        roots[str(source)], entries, found = scan(source, parsed=parsed)
        files[str(source)] = entries
        problems += found
    return files, roots, problems


def load_inventory(
    sources: Union[str, Path, Sequence[Union[str, Path]]], group: str = ROUTER_GROUP, parsed: Optional[dict] = None
) -> Inventory:
    """The ``Inventory`` of one or more sources (raises InventoryError with every problem).

    ``parsed``: {sha256: data} shared by the loads of one command (inventory_files.scan): the base of
    ``plan --base`` does not parse again a file the head has byte for byte.
    """
    sources = [Path(source) for source in ([sources] if isinstance(sources, (str, Path)) else sources)]
    files, roots, problems = _scan_all(sources, parsed)
    if problems:
        raise InventoryError(problems)
    # Imported here: the plan engine itself never needs Ansible.
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.vars.manager import VariableManager

    _restrict_ansible()
    loader = _data_loader(_handed_over({roots[label]: entries for label, entries in files.items()}))
    try:
        manager = InventoryManager(loader=loader, sources=[str(source) for source in sources])
        variable_manager = VariableManager(loader=loader, inventory=manager)
        # No play, so no playbook directory: without this, the group_vars/ and host_vars/ of the working
        # directory would count as a playbook's (ansible-inventory without --playbook-dir does the same).
        variable_manager.safe_basedir = False
        groups = {name: sorted(host.name for host in item.get_hosts()) for name, item in manager.groups.items()}
        routers, copies, digests = {}, {}, {}
        for host in sorted(manager.get_hosts(pattern=group), key=lambda h: h.name):
            variables = variable_manager.get_vars(host=host)
            routers[host.name] = plain(symroute_variables(variables), copies)
            partner_files = _partner_files(files, host.name, {g.name for g in host.get_groups()})
            if len(partner_files) > 1:
                problems.append(
                    Problem(
                        host.name,
                        f"{PARTNERS} is defined in {len(partner_files)} files "
                        f"({', '.join(partner_files)}); Ansible would silently use "
                        "one of them: keep one partner file",
                    )
                )
            elif PARTNERS in routers[host.name] and _partner_digests(files, partner_files) != {
                _digest_once(digests, routers[host.name][PARTNERS])
            }:
                problems.append(
                    Problem(
                        host.name,
                        f"{PARTNERS} does not come from the partner file "
                        f"({', '.join(partner_files) or 'none'}): something else (an INI "
                        "inventory, inline variables) sets or overrides it",
                    )
                )
    except AnsibleError as error:
        raise InventoryError([_ansible_problem(sources, error)]) from None
    if problems:
        raise InventoryError(problems)
    return Inventory(routers=routers, files=files, groups=dict(sorted(groups.items())))
