"""The addressing of dynamic links, learned from the kernel: what the plan leaves to the router.

A link whose address or gateway is ``dynamic`` (DHCP, PPPoE, LTE, SLAAC), or whose IPv4 gateway the
inventory leaves out (point-to-point), comes in the routing state as a ``learned`` entry per family:
its table, its two rule priorities and the inventory's policy (``dynamic``, ``point-to-point`` or the
static value). Here the kernel's current values fill it in:

  address   the interface's global address of the family (not tentative, deprecated or failed; IPv4's
            primary one, IPv6's stable one before a temporary one); on a point-to-point interface its
            peer too
  gateway   the lowest-metric default route through the interface in any table but symroute's own
            (the one the link's DHCP, RA or PPP client installed; symroute never touches it), or the
            point-to-point peer's interface route (``default dev <interface>``)

and become the same rules and routes a static link has: ``from <address> lookup <table>``,
``from <address> prohibit``, the connected route and the default route of the link's table. A family
whose address (or gateway) is not there yet is *waiting*: none of its rules or routes is installed,
so its table cannot route and the link's partners take their failover order; the other links are
unaffected. The monitor calls the same reconcile when an address or a default route changes.
"""

import ipaddress

from .iproute import answers

DYNAMIC = "dynamic"
POINT_TO_POINT = "point-to-point"
_BAD_FLAGS = ("tentative", "deprecated", "dadfailed", "secondary")


def _ip_json(runner, args):
    """``ip -json`` output as a list; [] when ip fails (an interface that does not exist yet)."""
    return answers(runner, ["-json", *args])


def _usable(entry):
    return (
        isinstance(entry, dict)
        and entry.get("scope") == "global"
        and "local" in entry
        and not any(entry.get(flag) for flag in _BAD_FLAGS)
    )


def read_address(runner, interface, family):
    """{"address": "100.66.0.10/24", "peer": "10.0.0.1" or ""} of the interface now, or None."""
    entries = [
        entry
        for link in _ip_json(runner, [f"-{family}", "addr", "show", "dev", interface])
        if isinstance(link, dict)
        for entry in link.get("addr_info", [])
    ]
    usable = [entry for entry in entries if _usable(entry)]
    usable.sort(key=lambda entry: bool(entry.get("temporary")))  # a stable IPv6 address before a privacy one
    for entry in usable:
        try:
            local = ipaddress.ip_interface(f"{entry['local']}/{int(entry.get('prefixlen', 0))}")
        except (ValueError, TypeError):
            continue
        peer = entry.get("address", "")
        return {"address": str(local), "peer": peer if peer and peer != entry["local"] else ""}
    return None


def read_gateway(runner, interface, family, own_tables):
    """The default route through the interface that another tool installed: {"via": address or ""}
    (``""``: a device route, ``default dev <interface>``), or None when there is none."""
    own = {str(table) for table in own_tables}
    found = []
    for route in _ip_json(runner, [f"-{family}", "-N", "route", "show", "table", "all", "dev", interface]):
        if not isinstance(route, dict) or route.get("dst") != "default" or str(route.get("table", "254")) in own:
            continue
        if route.get("type", "unicast") != "unicast":
            continue
        found.append((int(route.get("metric", 0) or 0), str(route.get("gateway", ""))))
    return {"via": min(found)[1]} if found else None


def facts(runner, entry, own_tables):
    """The current address and gateway of one learned entry (static values as the plan states them)."""
    family, interface = entry["family"], entry["interface"]
    if entry["address"] == DYNAMIC:
        address = read_address(runner, interface, family)
    else:
        address = {"address": entry["address"], "peer": ""}
    if entry["gateway"] == POINT_TO_POINT:
        gateway = {"via": ""}
    elif entry["gateway"] == DYNAMIC:
        gateway = read_gateway(runner, interface, family, own_tables)
        if gateway is None and address is not None and address["peer"]:
            gateway = {"via": ""}  # a point-to-point peer without a default route of its client's
    else:
        gateway = {"via": entry["gateway"]}
    return {
        "link": entry["link"],
        "family": family,
        "interface": interface,
        "address": address["address"] if address else "",
        "peer": address["peer"] if address else "",
        "gateway": gateway["via"] if gateway else "",
        "gateway_known": gateway is not None,
    }


def _routes(entry, fact):
    interface, table, family = entry["interface"], entry["table"], entry["family"]
    local = ipaddress.ip_interface(fact["address"])
    routes = []
    if fact["peer"]:
        routes.append(
            {
                "table": table,
                "family": family,
                "dst": fact["peer"],
                "dev": interface,
                "scope": "link",
                "src": str(local.ip),
            }
        )
    elif local.network.prefixlen < local.max_prefixlen:
        routes.append(
            {
                "table": table,
                "family": family,
                "dst": str(local.network),
                "dev": interface,
                "scope": "link",
                "src": str(local.ip),
            }
        )
    if fact["gateway_known"]:
        default = {"table": table, "family": family, "dst": "default", "dev": interface}
        if fact["gateway"]:
            gateway = ipaddress.ip_address(fact["gateway"])
            default.update(via=fact["gateway"], onlink=gateway not in local.network)
        routes.append(default)
    return routes


def _rules(entry, fact):
    address = str(ipaddress.ip_interface(fact["address"]).ip)
    return [
        {
            "priority": entry["from_priority"],
            "family": entry["family"],
            "from": address,
            "table": entry["table"],
            "comment": f"replies from {entry['link']}'s address (learned)",
        },
        {
            "priority": entry["own_address_priority"],
            "family": entry["family"],
            "from": address,
            "action": "prohibit",
            "comment": f"{entry['link']}'s address never leaves by another link (learned)",
        },
    ]


def status(fact):
    """None when the family's addressing is complete, else what it waits for."""
    if not fact["address"]:
        return f"waiting for an IPv{fact['family']} address on {fact['interface']} (dynamic)"
    if not fact["gateway_known"]:
        return f"waiting for an IPv{fact['family']} default route on {fact['interface']} (dynamic gateway)"
    return None


def resolve(runner, state):
    """The state with its learned entries filled in from the kernel: ``(state, facts)``.

    The returned state has no ``learned`` key; its rules and routes hold the learned ones; its
    ``waiting`` maps the table of each incomplete family to what it waits for. ``facts`` lists what was
    read, one entry per learned entry (for the monitor's state, the metrics and the audit).
    """
    entries = state.get("learned") or []
    resolved = {key: value for key, value in state.items() if key != "learned"}
    if not entries:
        return resolved, []
    rules, routes, waiting, found = list(state["rules"]), list(state["routes"]), {}, []
    for entry in entries:
        fact = facts(runner, entry, state["tables"])
        found.append(fact)
        if fact["address"]:
            rules += _rules(entry, fact)
            routes += _routes(entry, fact)
        why = status(fact)
        if why and str(entry["table"]) not in waiting:
            waiting[str(entry["table"])] = why
    resolved.update(rules=rules, routes=routes, waiting=waiting)
    return resolved, found
