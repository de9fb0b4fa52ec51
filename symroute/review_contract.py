"""What a partner-list review would not show: the inventory's files (added, removed, their variables, modes and
templates) and its groups' hosts, compared before and after a pull request."""

from typing import Optional

from .ansible_inventory import Inventory
from .review import added_removed
from .shapes import Document


def manifest(inventory: Inventory) -> Document:
    """What the review compares outside the plans: the inventory's files and its groups' hosts."""
    several = len(inventory.files) > 1
    files = {}
    for index, entries in enumerate(inventory.files.values()):
        for path, entry in entries.items():
            files[f"{index}:{path}" if several else path] = entry.as_dict()
    return {"files": dict(sorted(files.items())), "groups": inventory.groups}


def _is_partner_file(entry):
    return entry is not None and set(entry["variables"]) == {"symroute_partners"}


def _file_note(entry):
    notes = [
        note
        for note, present in (("executable", entry["executable"]), (f"symlink to {entry['symlink']}", entry["symlink"]))
        if present
    ]
    return f" ({', '.join(notes)})" if notes else ""


def _changed_file(path, old, new):
    names = set(old["variables"]) | set(new["variables"])
    variables = {
        "added": sorted(n for n in names if n not in old["variables"]),
        "removed": sorted(n for n in names if n not in new["variables"]),
        "changed": sorted(
            n
            for n in names
            if n in old["variables"] and n in new["variables"] and old["variables"][n] != new["variables"][n]
        ),
    }
    modes = [f"{key} {old[key]!r} -> {new[key]!r}" for key in ("executable", "symlink") if old[key] != new[key]]
    return {"path": path, "variables": variables, "modes": modes}


def contract_changes(before: Optional[Document], after: Document) -> Document:
    """Every change a partner-list review would not show: other files, variables, modes, host lists."""
    before = before or {"files": {}, "groups": {}}
    old_files, new_files = before["files"], after["files"]
    result: dict = {
        "files_added": [
            {"path": path, "note": _file_note(new_files[path]), "variables": sorted(new_files[path]["variables"])}
            for path in sorted(set(new_files) - set(old_files))
        ],
        "files_removed": sorted(set(old_files) - set(new_files)),
        "files_changed": [],
        "hosts": {},
    }
    for path in sorted(set(old_files) & set(new_files)):
        old, new = old_files[path], new_files[path]
        if old == new or (
            _is_partner_file(old)
            and _is_partner_file(new)
            and old["executable"] == new["executable"]
            and old["symlink"] == new["symlink"]
        ):
            continue
        result["files_changed"].append(_changed_file(path, old, new))
    result["templates"] = [
        {"path": path, "variable": name}
        for path in sorted(new_files)
        for name in new_files[path].get("templated", [])
        if path not in old_files or name not in old_files[path].get("templated", [])
    ]
    groups = set(before["groups"]) | set(after["groups"])
    for group in sorted(groups):
        change = added_removed(before["groups"].get(group, []), after["groups"].get(group, []))
        if change["added"] or change["removed"]:
            result["hosts"][group] = change
    return result


def has_contract_changes(changes: Optional[Document]) -> bool:
    return bool(
        changes
        and (
            changes["files_added"]
            or changes["files_removed"]
            or changes["files_changed"]
            or changes["hosts"]
            or changes.get("templates")
        )
    )
