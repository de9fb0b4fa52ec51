"""Read and check what the router does with the applied state (the checks of the former symroute_verify).

The request is the plan's verification slice: ``tables`` (each link table and
family with the default route it must hold), ``partners`` (an address of each
pinned partner with its mark, and the interface it must leave by),
``management`` (addresses whose route must not change) and optionally
``monitor_state_file``. A table that does not exist reads as no routes, an
unroutable address as {}: never as broken JSON.
"""

import json

from . import files, learned, linkstate
from .iproute import answers, route_get

MONITOR_STATE_FILE = "/run/symroute/monitor.json"


def read_management(runner, addresses):
    """{address: `ip -json route get` answer} (capture this before a change, compare after)."""
    return {address: [route_get(runner, address)] for address in addresses}


def _monitor(path):
    try:
        state = json.loads(files.read_text(path) or "{}")
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def read(runner, request):
    """{"tables": [table + routes], "partners": [route get], "management": [route get], "monitor": {...}}."""
    tables = [
        dict(
            table,
            routes=answers(
                runner, [f"-{table['family']}", "-N", "-json", "route", "show", "table", str(table["table"])]
            ),
        )
        for table in request["tables"]
    ]
    partners = [
        [route_get(runner, probe["address"], probe["family"], mark=probe["mark"])] for probe in request["partners"]
    ]
    management = [[route_get(runner, address)] for address in request["management"]]
    for table in tables:
        if table["gateway"] in (learned.DYNAMIC, learned.POINT_TO_POINT):  # what its link's client has set now
            entry = dict(table, address=learned.DYNAMIC, from_priority=0, own_address_priority=0)
            table["waiting"] = learned.status(learned.facts(runner, entry, [t["table"] for t in request["tables"]]))
    links = linkstate.read(runner, {table["link"]: table["interface"] for table in request["tables"]})
    return {
        "tables": tables,
        "partners": partners,
        "management": management,
        "links": links,
        "monitor": _monitor(request.get("monitor_state_file", MONITOR_STATE_FILE)),
    }


def gated_links(observed):
    """The links the monitor has taken out of service, from its state file as read."""
    links = observed.get("monitor", {}).get("links", {})
    return sorted(name for name, link in links.items() if isinstance(link, dict) and link.get("gated"))


def _first(answer):
    return (answer or [{}])[0] if isinstance(answer, list) else {}


def unavailable_links(observed):
    """The links whose interface is missing (an LTE or PPPoE device not there) or has no carrier: the
    kernel routes around them (their table's routes are gone or skipped), as for a link out of service."""
    return sorted(
        name for name, state in observed.get("links", {}).items() if not (state["present"] and state["carrier"])
    )


def waiting_families(observed):
    """(link, family) of each dynamic link's family still waiting for its address or gateway: its table
    cannot route that family yet, so the kernel routes around it as for a link out of service."""
    return {(table["link"], table["family"]) for table in observed.get("tables", []) if table.get("waiting")}


def _out(gated, link, family):
    return link in gated or (link, family) in gated


def _is_default_route(route, table):
    """``route`` is the table's default route: via its gateway; a dynamic gateway: via whatever the link's
    client set; point-to-point: through the interface without a gateway."""
    if route.get("dst") != "default" or route.get("dev") != table["interface"]:
        return False
    if table["gateway"] == learned.DYNAMIC:
        return True
    if table["gateway"] == learned.POINT_TO_POINT:
        return not route.get("gateway")
    return route.get("gateway") == table["gateway"]


def table_failures(request, observed, skipped=(), waiting=()):
    """A message per link table without its default route (``skipped``: links not checked; ``waiting``:
    (link, family) of dynamic families not there yet)."""
    failures = []
    for index, table in enumerate(request["tables"]):
        if table["link"] in skipped or (table["link"], table["family"]) in waiting:
            continue
        routes = observed["tables"][index].get("routes", []) if index < len(observed["tables"]) else []
        default = [r for r in routes if _is_default_route(r, table)]
        if len(default) != 1:
            failures.append(
                f"table {table['table']} has no ipv{table['family']} default route via "
                f"{table['gateway']} dev {table['interface']}"
            )
    return failures


def _expected_path(request, probe, gated):
    """What a partner's probe must do: ("pinned", iface), ("rejected", None) or ("failover", iface): the first
    link of its failover order in service that carries its family (the plan's order; fail_closed: none)."""
    if not _out(gated, probe["link"], probe["family"]):
        return "pinned", probe["interface"]
    interfaces = {t["link"]: t["interface"] for t in request["tables"] if t["family"] == probe["family"]}
    for name in probe.get("failover_links", []):
        if name in interfaces and not _out(gated, name, probe["family"]):
            return "failover", interfaces[name]
    return "rejected", None


def _partner_failures(request, observed, gated):
    failures = []
    for index, probe in enumerate(request["partners"]):
        dev = _first(observed["partners"][index] if index < len(observed["partners"]) else [{}]).get("dev", "")
        kind, where = _expected_path(request, probe, gated)
        if kind in ("pinned", "failover") and dev != where:
            expected = (
                f"out {where} ({probe['link']})"
                if kind == "pinned"
                else f"out {where}, the first link of its failover order in service ({probe['link']} out of service)"
            )
        elif kind == "rejected" and dev:
            expected = f"rejected ({probe['link']} out of service and no link of its failover order in service)"
        else:
            continue
        failures.append(
            f"partner {probe['partner']}: {probe['address']} with mark {probe['mark']} is routed "
            f"{dev or 'nowhere'}; expected {expected}"
        )
    return failures


def _management_failures(request, observed, before):
    failures = []
    for index, address in enumerate(request["management"]):
        now = _first(observed["management"][index] if index < len(observed["management"]) else [{}])
        then = _first(before.get(address, [{}]))
        same = all(then.get(key, "") == now.get(key, "") for key in ("dev", "gateway"))
        if address not in before or not same:
            failures.append(f"the route to management address {address} changed: {then} -> {now}")
    return failures


def check(request, observed, management_before, gated_links):
    """The failures, one message each (the same messages as the playbook's former assertions)."""
    unavailable = set(unavailable_links(observed))
    waiting = waiting_families(observed)
    gated = set(gated_links) | unavailable | waiting
    return (
        table_failures(request, observed, skipped=unavailable, waiting=waiting)
        + _partner_failures(request, observed, gated)
        + _management_failures(request, observed, management_before)
    )


def run(runner, request, monitor_state_file, management_before):
    """Read what the router does now and check it: ``(observed, failures)``."""
    observed = read(runner, dict(request, monitor_state_file=monitor_state_file))
    return observed, check(request, observed, management_before, gated_links(observed))
