"""Compare two sets of plans (before and after a pull request).

Pure data in, pure data out: what changed for which partners on which routers.
"""

import json
from collections.abc import Mapping
from typing import Any, Optional

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
    return [
        f"ipv{e['family']} pref {priority} from {e['link']}'s current address ({e['address']}) {action}"
        for e in plan.get("learned", [])
        for priority, action in ((e["from_priority"], f"lookup {e['table']}"), (e["own_address_priority"], "prohibit"))
    ]


def _learned_routes(plan):
    """A dynamic link's connected and default routes: learned on the router from what its client set."""
    return [
        f"table {e['table']} ipv{e['family']} connected and default routes learned on the router "
        f"(address {e['address']}, gateway {e['gateway']}) dev {e['interface']}"
        for e in plan.get("learned", [])
    ]


def added_removed(before, after):
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


def partner_changes(before_plan: Optional[Mapping[str, Any]], after_plan: Optional[Mapping[str, Any]]) -> Document:
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
        prefixes = added_removed(old["prefixes"], new["prefixes"])
        if prefixes["added"] or prefixes["removed"]:
            entry["prefixes"] = prefixes
        domains = added_removed(old.get("domains", []), new.get("domains", []))
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
    before: Mapping[str, Any] = before_plan or {}
    after: Mapping[str, Any] = after_plan or {}
    before_sets, after_sets = _set_elements(before), _set_elements(after)
    sets = {}
    for name in sorted(set(before_sets) | set(after_sets)):
        change = added_removed(before_sets.get(name, []), after_sets.get(name, []))
        if change["added"] or change["removed"]:
            sets[name] = change
    result = {
        "status": status,
        "partners": partner_changes(before, after),
        "set_elements": sets,
        "rules": added_removed(
            [*map(_rule_text, before.get("rules", [])), *_learned_rules(before)],
            [*map(_rule_text, after.get("rules", [])), *_learned_rules(after)],
        ),
        "routes": added_removed(
            [*map(_route_text, before.get("routes", [])), *_learned_routes(before)],
            [*map(_route_text, after.get("routes", [])), *_learned_routes(after)],
        ),
        "tables": added_removed(
            (f"{t['id']} {t['name']}" for t in before.get("tables", [])),
            (f"{t['id']} {t['name']}" for t in after.get("tables", [])),
        ),
        "sysctls": added_removed(
            (f"{s['name']}={s['value']}" for s in before.get("sysctls", [])),
            (f"{s['name']}={s['value']}" for s in after.get("sysctls", [])),
        ),
        "link_health": added_removed(_link_health(before), _link_health(after)),
        "settings": added_removed(_settings(before), _settings(after)),
    }
    if before.get("ha") or after.get("ha"):  # only for an HA pair: a router alone's review is unchanged
        result["ha"] = added_removed(ha_lines(before), ha_lines(after))
    changed = (
        result["partners"]
        or sets
        or any(
            result[key]["added"] or result[key]["removed"]
            for key in ("rules", "routes", "tables", "sysctls", "link_health", "settings", "ha")
            if key in result
        )
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
