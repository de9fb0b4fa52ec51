"""symroute's ip rules and link-table routes: read the live ones, diff, apply.

Only rules whose priority lies in symroute's band and routes in symroute's own tables are ever touched; everything
else is left as it is. Inside the band, the link monitor's sub-bands (``monitor_bands``) belong to the monitor.

``apply`` adds first, then removes, then reads the live state again. Each link table is installed on its own: a
link whose interface is absent or down does not keep the other links' routes, nor the rules, from being installed
(its status says it waits for its interface; its rules fall through to the failover rules while its table is
empty). A rule that cannot be added is a real failure: nothing is removed then, and ``ApplyError`` is raised.

The state (``routing.json``) is the plan's: ``priority_band``, ``monitor_bands``, ``tables``, ``rules``, ``routes``
and the dynamic links' ``learned`` entries, filled in from the kernel first (``resolve``, learned.py). The tables
of the last applied state are remembered (``OWNED_TABLES_FILE``), so that the routes of a link removed from the
plan are flushed on the next apply. A table refused while its interface changed (a network manager adding its
address just then) is sent once more.
"""

from . import interfaces, iproute, learned
from .ipforms import (
    describe,
    desired_route,
    desired_rule,
    live_route,
    live_rule,
    route_key,
    route_text,
    rule_key,
    rule_text,
)
from .locking import LOCK_FILE, locked
from .routing_commands import add_routes as _add_routes, change_rules as _rules, remove_routes as _remove_routes
from .routing_tables import OWNED_TABLES_FILE, previously_owned, remember as _remember, sorted_tables as _sorted_tables
from .routing_tables import table_id as _table_id

__all__ = [
    "ApplyError",
    "INSTALLED",
    "LOCK_FILE",
    "OWNED_TABLES_FILE",
    "apply",
    "describe",
    "diff",
    "is_empty",
    "owned",
    "pending",
    "previously_owned",
    "read_live",
    "reconcile",
    "resolve",
    "route_text",
    "rule_text",
    "target",
]

INSTALLED = "installed"


class ApplyError(Exception):
    """ip refused a command, or the live state does not match afterwards; ``result`` is apply's outcome."""

    def __init__(self, text, result=None):
        super().__init__(text)
        self.result = result


def _ip_json(runner, args):
    try:  # the kernel creates a table with its first route: one that does not exist yet holds none
        return iproute.required(runner, args, absent_when=("table does not exist",))
    except iproute.IpReadError as error:
        raise ApplyError(str(error)) from None


def read_live(runner, state, owned_path=OWNED_TABLES_FILE):
    """{"rules": every live rule, "routes": the routes of the state's and the previously owned tables, ...}."""
    previous = previously_owned(owned_path)
    tables = _sorted_tables([*state["tables"], *previous])
    rules, routes = [], []
    for family in (4, 6):
        rules += [live_rule(entry, family) for entry in _ip_json(runner, [f"-{family}", "-N", "-json", "rule", "show"])]
        for table in tables:
            entries = _ip_json(runner, [f"-{family}", "-N", "-json", "route", "show", "table", table])
            routes += [live_route(entry, family, table) for entry in entries]
    return {"rules": rules, "routes": routes, "tables": tables, "previously_owned": previous}


def resolve(runner, state):
    """The state with its dynamic links' learned entries filled in from the kernel (learned.py)."""
    return learned.resolve(runner, state)[0]


def target(state):
    """A resolved state in normalized forms: what ``reconcile`` reconciles to (snapshots are already in them)."""
    return {
        "priority_band": list(state["priority_band"]),
        "monitor_bands": list(state.get("monitor_bands", [])),
        "tables": _sorted_tables(state["tables"]),
        "rules": [desired_rule(rule) for rule in state["rules"]],
        "routes": [desired_route(route) for route in state["routes"]],
        "waiting": dict(state.get("waiting", {})),
    }


def owned(wanted, live):
    """({key: rule} in the band outside the monitor's sub-bands, {key: route} in the owned tables) of ``live``."""
    low, high = wanted["priority_band"]
    bands = wanted["monitor_bands"]
    rules = {
        rule_key(r): r
        for r in live["rules"]
        if low <= r["priority"] <= high and not any(first <= r["priority"] <= last for first, last in bands)
    }
    tables = set(wanted["tables"]) | {str(t) for t in live.get("previously_owned", [])}
    routes = {route_key(r): r for r in live["routes"] if r["table"] in tables}
    return rules, routes


def _keys(wanted, live):
    rules, routes = owned(wanted, live)
    return set(rules), set(routes)


def compare(wanted, live):
    """What to add and remove so that the owned live state equals ``wanted`` (normalized forms)."""
    owned_rules, owned_routes = owned(wanted, live)
    rules = {rule_key(r): r for r in wanted["rules"]}
    routes = {route_key(r): r for r in wanted["routes"]}
    return {
        "add_rules": [rules[k] for k in sorted(set(rules) - set(owned_rules), key=str)],
        "remove_rules": [owned_rules[k] for k in sorted(set(owned_rules) - set(rules), key=str)],
        "add_routes": [routes[k] for k in sorted(set(routes) - set(owned_routes), key=str)],
        "remove_routes": [owned_routes[k] for k in sorted(set(owned_routes) - set(routes), key=str)],
    }


def diff(state, live):
    """{"add_rules", "remove_rules", "add_routes", "remove_routes"} for a state of the plan."""
    return compare(target(state), live)


def is_empty(changes):
    return not any(changes.values())


def _statuses(wanted, remaining, blocked):
    links = {}
    waiting = wanted.get("waiting", {})
    for table in wanted["tables"]:
        left = {key: [r for r in remaining[key] if r["table"] == table] for key in ("add_routes", "remove_routes")}
        if not any(left.values()):
            links[_table_id(table)] = waiting.get(table, INSTALLED)
        else:
            lines = describe(dict(left, add_rules=[], remove_rules=[]))
            links[_table_id(table)] = blocked.get(table) or f"failed: not converged: {'; '.join(lines)}"
    return links


def pending(runner, state, changes):
    """{table: "installed" | "waiting for ..." | "would change"} before an apply; ``state`` resolved."""
    wanted, links = target(state), {}
    for table in wanted["tables"]:
        left = [r for r in changes["add_routes"] + changes["remove_routes"] if r["table"] == table]
        routes = [r for r in wanted["routes"] if r["table"] == table]
        devices = dict.fromkeys(r["dev"] for r in routes if r.get("dev"))
        links[_table_id(table)] = (
            wanted["waiting"].get(table, INSTALLED)
            if not left
            else interfaces.waiting(runner, devices, routes) or "would change"
        )
    return links


def reconcile(runner, wanted, owned_path=None, strict=False):
    """Reconcile the live rules and routes to ``wanted`` (normalized forms, see ``target``)."""
    live = read_live(runner, wanted, owned_path)
    changes = compare(wanted, live)
    sent = []
    blocked = _add_routes(runner, changes["add_routes"], sent)
    rule_errors = _rules(runner, "add", changes["add_rules"], sent)
    if not rule_errors:  # nothing is removed while an addition of a rule failed
        rule_errors += _rules(runner, "del", changes["remove_rules"], sent)
        if changes["remove_routes"]:  # computed after the additions: a replace may have swapped a route already
            _remove_routes(
                runner, compare(wanted, read_live(runner, wanted, owned_path))["remove_routes"], blocked, sent
            )
    after = read_live(runner, wanted, owned_path) if sent else live
    remaining = compare(wanted, after)
    links = _statuses(wanted, remaining, blocked)
    if owned_path:
        _remember(owned_path, wanted, after)
    rules_left = remaining["add_rules"] + remaining["remove_rules"]
    result = {
        "changed": _keys(wanted, live) != _keys(wanted, after),
        "changes": describe(changes),
        "applied": sent,
        "remaining": describe(remaining),
        "converged": is_empty(remaining),
        "rules_installed": not rules_left,
        "links": links,
        "error": None,
    }
    if rule_errors or rules_left:
        result["error"] = "; ".join(rule_errors) or "rules not converged: " + "; ".join(
            describe(dict(remaining, add_routes=[], remove_routes=[]))
        )
        raise ApplyError(result["error"], result)
    if strict and any(status != INSTALLED for status in links.values()):
        result["error"] = "; ".join(f"table {t}: {s}" for t, s in links.items() if s != INSTALLED)
        raise ApplyError(result["error"], result)
    return result


def apply(runner, state, strict=False, owned_path=OWNED_TABLES_FILE, lock_path=None):
    """Apply a state of the plan; {"changed", "links": {table: status}, "learned": [facts], ...}; raises
    ApplyError (see module). With ``lock_path`` (LOCK_FILE on a router), the dynamic links' addressing is
    read and the reconcile done under an exclusive lock on it (one consistent step)."""
    with locked(lock_path):
        resolved, facts = learned.resolve(runner, state)
        result = reconcile(runner, target(resolved), owned_path=owned_path, strict=strict)
        result["learned"] = facts
        return result
