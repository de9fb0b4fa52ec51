"""Point each validation problem at the inventory file (and line) of the value it is about.

Validation works on the merged variables of a router and names the router,
the partner or link and the field ("gw1, partner 'bank': field link: ...").
Here, once a load has failed, each problem is given the file that defines the
variable for that router (a host's file before a group's, a group's before
``all``, as Ansible's precedence has it for the usual layouts) and, when the
file is YAML, the line of the partner, link or field. Only failed loads pay
for this: the file is composed again, with line marks.
"""

import re
from dataclasses import replace
from pathlib import Path

import yaml

from .model import PARTNERS
from .schema_check import named

_ITEM = re.compile(r"(?P<kind>partner|link) (?:#(?P<position>\d+)|(?P<name>['\"].*))\Z", re.S)
_KEYED = re.compile(r"(?P<variable>symroute_[a-z0-9_]+)(?P<rest>(?:\[\d+\])*)\Z")
_FIELD = re.compile(r"field (?P<field>[A-Za-z0-9_.\[\]]+): ")
_VARIABLE = re.compile(r"variable (?P<variable>symroute_[a-z0-9_]+)[: ]")
_PART = re.compile(r"\[(\d+)\]|\.?([A-Za-z0-9_]+)")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KIND_VARIABLES = {"partner": PARTNERS, "link": "symroute_links"}


def _parts(text):
    """ "health_targets[1]" -> ["health_targets", 1]; "health.timeout_ms" -> ["health", "timeout_ms"]."""
    return [int(index) if index else key for index, key in _PART.findall(text or "")]


def _subject(problem):
    """(router, variable, item (kind, name or position) or None, field parts) of a problem, or None."""
    router, _, rest = problem.where.partition(", ")
    field = _FIELD.match(problem.message)
    parts = _parts(field.group("field")) if field else []
    item = _ITEM.match(rest)
    if item:
        position = item.group("position")
        which = int(position) - 1 if position else item.group("name")
        return router, KIND_VARIABLES[item.group("kind")], (item.group("kind"), which), parts
    keyed = _KEYED.match(rest)
    if keyed:
        return router, keyed.group("variable"), None, _parts(keyed.group("rest")) + parts
    variable = _VARIABLE.match(problem.message) or _VARIABLE.match(rest + " ")
    if variable:
        return router, variable.group("variable"), None, parts
    return None


def _rank(entry, router, groups):
    """How closely a vars file applies to ``router`` (lower wins), or None when it does not."""
    kind, name = entry.applies_to or (None, None)
    if kind == "host":
        return 0 if name == router else None
    if kind == "group" and router in groups.get(name, ()):
        return 2 if name == "all" else 1
    return None


def defining_file(inventory, sources, router, variable):
    """(path shown to the user, Path on disk) of the file that gives ``router`` its ``variable``, or None."""
    found = []
    for source, entries in inventory.files.items():
        root = Path(source) if Path(source).is_dir() else Path(source).parent
        shown = Path(sources.get(source, source))
        shown_root = shown if Path(source).is_dir() else shown.parent
        for path, entry in entries.items():
            rank = (
                _rank(entry, router, inventory.groups)
                if entry.applies_to
                else 1.5
                if f"{router}:{variable}" in entry.variables
                else 3
                if any(key.endswith(f":{variable}") for key in entry.variables)
                else None
            )
            if rank is not None and (variable in entry.variables or not entry.applies_to):
                found.append((rank, str(shown_root / path), root / path))
    return min(found)[1:] if found else None


def _value(mapping, key):
    """(key node, value node) of ``key`` in a YAML mapping node, or (None, None)."""
    if isinstance(mapping, yaml.MappingNode):
        for key_node, value_node in mapping.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return key_node, value_node
    return None, None


def _find_item(sequence, kind, which, names):
    """The item of a partner or link list by position or by its name as messages show it.

    ``names``: {id(sequence): {label: node}}, built once per list, so a hundred thousand problems in one
    list cost one pass over it.
    """
    if not isinstance(sequence, yaml.SequenceNode):
        return None
    if isinstance(which, int):
        return sequence.value[which] if 0 <= which < len(sequence.value) else None
    if id(sequence) not in names:
        labels = {}
        for node in sequence.value:
            _, name = _value(node, "name")
            if isinstance(name, yaml.ScalarNode):
                labels.setdefault(named(kind, name.value), node)
        names[id(sequence)] = labels
    return names[id(sequence)].get(f"{kind} {which}")


def _find_variable(root, variable, router):
    """The value node of ``variable``: at the top of a vars file, or inline for the router or a group."""
    key, value = _value(root, variable)
    if key is not None:
        return key, value
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            host_key, host = _value(node, router)
            if host_key is not None and _value(host, variable)[0] is not None:
                return _value(host, variable)
            stack.extend(value for _, value in node.value)
            if _value(node, "vars")[0] is not None and _value(_value(node, "vars")[1], variable)[0] is not None:
                return _value(_value(node, "vars")[1], variable)
    return None, None


def _composed(path, cache):
    """The file's YAML node tree (composed once per file), or None when it is not YAML."""
    if path not in cache:
        try:
            cache[path] = yaml.compose(path.read_text(encoding="utf-8"), Loader=_LOADER)
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
            cache[path] = None
    return cache[path]


def _line(path, router, variable, item, parts, cache):
    """The 1-based line of the deepest node of the problem's path that the file has, or None."""
    root = _composed(path, cache["files"])
    if root is None:
        return None
    where = (path, router, variable)
    if where not in cache["variables"]:
        cache["variables"][where] = _find_variable(root, variable, router)
    key, node = cache["variables"][where]
    if key is None:
        return None
    best = key
    if item is not None:
        kind, which = item
        node = _find_item(node, kind, which, cache["names"])
        if node is None:
            return best.start_mark.line + 1
        best = node
    for part in parts:
        if isinstance(part, int):
            child = node.value[part] if isinstance(node, yaml.SequenceNode) and part < len(node.value) else None
            key_node = child
        else:
            key_node, child = _value(node, part)
        if key_node is None:
            break
        best, node = key_node, child
    return best.start_mark.line + 1


def locate(problems, inventory, sources=None):
    """``problems`` with ``file`` set ("path:line") where the inventory tells which file a value comes from.

    ``sources``: {source as loaded: source as the user wrote it}, so paths are shown as the user wrote them.
    """
    located, cache, defining = [], {"files": {}, "variables": {}, "names": {}}, {}
    for problem in problems:
        subject = None if problem.file else _subject(problem)
        if subject is None:
            located.append(problem)
            continue
        router, variable, item, parts = subject
        if (router, variable) not in defining:
            defining[router, variable] = defining_file(inventory, sources or {}, router, variable)
        where = defining[router, variable]
        if where is None:
            located.append(problem)
            continue
        shown, path = where
        line = _line(path, router, variable, item, parts, cache)
        located.append(replace(problem, file=f"{shown}:{line}" if line else shown))
    return located
