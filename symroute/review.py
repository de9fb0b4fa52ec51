"""Compare two sets of plans (before and after a pull request).

Pure data in, pure data out: what changed for which partners on which routers.
"""

import json
from typing import Optional

from .ansible_inventory import Inventory
from .ha_views import ha_lines
from .shapes import Document, Plan, Plans


def _rule_text(rule):
    parts = [f"pref {rule['priority']}"]
    for key in ("from", "to", "fwmark"):
        if key in rule:
            parts.append(f"{key} {rule[key]}")
    parts.append(rule["action"] if "action" in rule else f"lookup {rule['table']}")
    return f"ipv{rule['family']} " + " ".join(parts)


def _route_text(route):
    text = f"table {route['table']} ipv{route['family']} {route['dst']}"
    if "via" in route:
        text += f" via {route['via']}"
    return text + f" dev {route['dev']}"


def _learned_rules(plan):
    """A dynamic link's two ``from`` rules, as the review shows them: by the link's current address."""
    return [f"ipv{e['family']} pref {priority} from {e['link']}'s current address ({e['address']}) {action}"
            for e in plan.get("learned", [])
            for priority, action in ((e["from_priority"], f"lookup {e['table']}"),
                                     (e["own_address_priority"], "prohibit"))]


def _learned_routes(plan):
    """A dynamic link's connected and default routes: learned on the router from what its client set."""
    return [f"table {e['table']} ipv{e['family']} connected and default routes learned on the router "
            f"(address {e['address']}, gateway {e['gateway']}) dev {e['interface']}"
            for e in plan.get("learned", [])]


def _added_removed(before, after):
    before, after = set(before), set(after)
    return {"added": sorted(after - before), "removed": sorted(before - after)}


def _set_elements(plan):
    if not plan:
        return {}
    return {s["name"]: s["elements"] for s in plan["nftables"]["partner_sets"]}


def _link_health(plan):
    """One line per link target and per link's health settings (the link monitor's input)."""
    lines = []
    for link in (plan or {}).get("monitor", {}).get("links", []):
        lines += [f"{link['name']} target {target['text']}" for target in link["targets"]]
        settings = " ".join(f"{key}={value}" for key, value in sorted(link["health"].items()))
        lines.append(f"{link['name']} health {settings}")
    return lines


def _settings(plan):
    """One line per router setting with its value (the monitor's hook, paths...)."""
    return [f"{name}={json.dumps(value, sort_keys=True)}" for name, value in (plan or {}).get("settings", {}).items()]


def _partners(plan):
    return {p["name"]: p for p in (plan or {}).get("partners", [])}


def partner_changes(before_plan: Optional[Plan], after_plan: Optional[Plan]) -> Document:
    """Per partner: added, removed, re-pinned, failure mode and prefix changes."""
    before, after = _partners(before_plan), _partners(after_plan)
    changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None:
            changes[name] = {"change": "added", "link": new["link"], "prefixes": new["prefixes"]}
            if new.get("domains"):
                changes[name]["domains"] = new["domains"]
            continue
        if new is None:
            changes[name] = {"change": "removed", "link": old["link"], "prefixes": old["prefixes"]}
            if old.get("domains"):
                changes[name]["domains"] = old["domains"]
            continue
        entry: dict = {"change": "changed"}
        if old["link"] != new["link"]:
            entry["repinned"] = {"from": old["link"], "to": new["link"]}
        if old["on_link_failure"] != new["on_link_failure"]:
            entry["on_link_failure"] = {"from": old["on_link_failure"], "to": new["on_link_failure"]}
        prefixes = _added_removed(old["prefixes"], new["prefixes"])
        if prefixes["added"] or prefixes["removed"]:
            entry["prefixes"] = prefixes
        domains = _added_removed(old.get("domains", []), new.get("domains", []))
        if domains["added"] or domains["removed"]:
            entry["domains"] = domains
        for key in ("failover_links", "health_check", "description"):
            if old.get(key) != new.get(key):
                entry[key] = {"from": old.get(key, ""), "to": new.get(key, "")}
        shown = {"link", "on_link_failure", "prefixes", "domains", "failover_links", "health_check", "description"}
        others = sorted(key for key in set(old) | set(new) if key not in shown and old.get(key) != new.get(key))
        if others:  # e.g. the partner's mark, when another partner's failover order changed the numbering
            entry["other_fields"] = {key: {"from": old.get(key, ""), "to": new.get(key, "")} for key in others}
        changes[name] = entry
    return changes


def router_changes(before_plan: Optional[Plan], after_plan: Optional[Plan]) -> Document:
    """Per router: set elements, rules, routes, tables, sysctls and link monitoring added and removed."""
    status = "changed"
    if before_plan is None:
        status = "added"
    elif after_plan is None:
        status = "removed"
    before_plan, after_plan = before_plan or {}, after_plan or {}
    before_sets, after_sets = _set_elements(before_plan), _set_elements(after_plan)
    sets = {}
    for name in sorted(set(before_sets) | set(after_sets)):
        change = _added_removed(before_sets.get(name, []), after_sets.get(name, []))
        if change["added"] or change["removed"]:
            sets[name] = change
    result = {
        "status": status,
        "partners": partner_changes(before_plan, after_plan),
        "set_elements": sets,
        "rules": _added_removed([*map(_rule_text, before_plan.get("rules", [])), *_learned_rules(before_plan)],
                                [*map(_rule_text, after_plan.get("rules", [])), *_learned_rules(after_plan)]),
        "routes": _added_removed([*map(_route_text, before_plan.get("routes", [])), *_learned_routes(before_plan)],
                                 [*map(_route_text, after_plan.get("routes", [])), *_learned_routes(after_plan)]),
        "tables": _added_removed((f"{t['id']} {t['name']}" for t in before_plan.get("tables", [])),
                                 (f"{t['id']} {t['name']}" for t in after_plan.get("tables", []))),
        "sysctls": _added_removed((f"{s['name']}={s['value']}" for s in before_plan.get("sysctls", [])),
                                  (f"{s['name']}={s['value']}" for s in after_plan.get("sysctls", []))),
        "link_health": _added_removed(_link_health(before_plan), _link_health(after_plan)),
        "settings": _added_removed(_settings(before_plan), _settings(after_plan)),
    }
    if before_plan.get("ha") or after_plan.get("ha"):  # only for an HA pair: a router alone's review is unchanged
        result["ha"] = _added_removed(ha_lines(before_plan), ha_lines(after_plan))
    changed = result["partners"] or sets or any(
        result[key]["added"] or result[key]["removed"]
        for key in ("rules", "routes", "tables", "sysctls", "link_health", "settings", "ha") if key in result
    )
    if status == "changed" and not changed:
        result["status"] = "unchanged"
    return result


def compare(before_plans: Plans, after_plans: Plans) -> Document:
    """{router: changes} for every router in either set of plans."""
    return {
        router: router_changes(before_plans.get(router), after_plans.get(router))
        for router in sorted(set(before_plans) | set(after_plans))
    }


def partners_by_router(changes: Document) -> Document:
    """{partner: {"routers": [...], "changes": {router: change}}}: who is affected where."""
    summary = {}
    for router, change in changes.items():
        for partner, entry in change["partners"].items():
            item = summary.setdefault(partner, {"routers": [], "changes": {}})
            item["routers"].append(router)
            item["changes"][router] = entry
    return dict(sorted(summary.items()))


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
    notes = [note for note, present in (("executable", entry["executable"]),
                                        (f"symlink to {entry['symlink']}", entry["symlink"])) if present]
    return f" ({', '.join(notes)})" if notes else ""


def _changed_file(path, old, new):
    names = set(old["variables"]) | set(new["variables"])
    variables = {
        "added": sorted(n for n in names if n not in old["variables"]),
        "removed": sorted(n for n in names if n not in new["variables"]),
        "changed": sorted(n for n in names if n in old["variables"] and n in new["variables"]
                          and old["variables"][n] != new["variables"][n]),
    }
    modes = [f"{key} {old[key]!r} -> {new[key]!r}" for key in ("executable", "symlink") if old[key] != new[key]]
    return {"path": path, "variables": variables, "modes": modes}


def contract_changes(before: Optional[Document], after: Document) -> Document:
    """Every change a partner-list review would not show: other files, variables, modes, host lists."""
    before = before or {"files": {}, "groups": {}}
    old_files, new_files = before["files"], after["files"]
    result: dict = {
        "files_added": [{"path": path, "note": _file_note(new_files[path]),
                         "variables": sorted(new_files[path]["variables"])}
                        for path in sorted(set(new_files) - set(old_files))],
        "files_removed": sorted(set(old_files) - set(new_files)),
        "files_changed": [],
        "hosts": {},
    }
    for path in sorted(set(old_files) & set(new_files)):
        old, new = old_files[path], new_files[path]
        if old == new or (_is_partner_file(old) and _is_partner_file(new) and old["executable"] == new["executable"]
                          and old["symlink"] == new["symlink"]):
            continue
        result["files_changed"].append(_changed_file(path, old, new))
    result["templates"] = [{"path": path, "variable": name} for path in sorted(new_files)
                           for name in new_files[path].get("templated", [])
                           if path not in old_files or name not in old_files[path].get("templated", [])]
    groups = set(before["groups"]) | set(after["groups"])
    for group in sorted(groups):
        change = _added_removed(before["groups"].get(group, []), after["groups"].get(group, []))
        if change["added"] or change["removed"]:
            result["hosts"][group] = change
    return result


def has_contract_changes(changes: Optional[Document]) -> bool:
    return bool(changes and (changes["files_added"] or changes["files_removed"] or changes["files_changed"]
                             or changes["hosts"] or changes.get("templates")))
