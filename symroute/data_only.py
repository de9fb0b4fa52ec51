"""The inventory is data: no template, no encrypted value, no foreign type.

Ansible renders Jinja in inventory variables when a playbook reads them
through ``hostvars``; symroute never does (it reads the files), and it refuses
any Jinja delimiter in its own variables and in router names, so what the
pull-request check saw is exactly what the playbook applies.
"""

import re
from collections.abc import Mapping
from typing import Any, Callable, Optional

from .addresses import shown
from .schema_check import where
from .yaml_strict import VaultValue

JINJA_DELIMITER = re.compile(r"\{\{|\{%|\{#")
MAX_DEPTH = 12
_PLAIN_SCALARS = (str, int, float, bool, type(None))


def _value_problem(value):
    if isinstance(value, VaultValue):
        return "an encrypted !vault value: symroute's variables are reviewed as plain text and never decrypted"
    if isinstance(value, str):
        found = JINJA_DELIMITER.search(value)
        if found:
            return (
                f"contains the Jinja delimiter {found.group()!r} ({shown(value)}): symroute's variables "
                "are data and are never rendered"
            )
        return None
    if not isinstance(value, _PLAIN_SCALARS):
        return f"a {type(value).__name__} is not plain data"
    return None


def _walk(value, path, depth, found):
    if depth > MAX_DEPTH:
        found.append((path, f"nested deeper than {MAX_DEPTH} levels"))
        return
    if isinstance(value, dict):
        for key, item in value.items():
            key_problem = _value_problem(key) if isinstance(key, str) else "a mapping key that is not a string"
            if key_problem:
                found.append((path, f"key {shown(key)}: {key_problem}"))
            _walk(item, path + [key], depth + 1, found)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _walk(item, path + [index], depth + 1, found)
    else:
        problem = _value_problem(value)
        if problem:
            found.append((path, problem))


def non_data_values(name: str, value: object) -> list[tuple[str, str]]:
    """(path, message) for every non-data value in the variable ``name``; the same for the same value,
    whichever router has it (planning shares it between routers with one partner list)."""
    found = []
    _walk(value, [name], 0, found)
    return found


def variable_problems(
    router: str, variables: Mapping[str, Any], non_data: Callable[[str, Any], list[tuple[str, str]]] = non_data_values
) -> list[tuple[str, str]]:
    """(where, message) for every non-data value in a router's ``symroute_*`` variables.

    ``non_data``: non_data_values, or a function that gives the same answer (shared).
    """
    problems = []
    for name in sorted(variables):
        for path, message in non_data(name, variables[name]):
            if len(path) == 1:
                problems.append((router, f"variable {name}: {message}"))
                continue
            location, field = where(router, variables, path)
            problems.append((location, field + message))
    return problems


def router_name_problem(name: str) -> Optional[str]:
    """A Jinja delimiter in a router (host) name, or None."""
    found = JINJA_DELIMITER.search(name)
    return None if found is None else f"the router name {shown(name)} contains the Jinja delimiter {found.group()!r}"
