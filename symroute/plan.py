"""Compute the plan of one router from its validated inventory.

The plan is plain data (dicts, lists, strings, ints) in a fixed order, so the
same inventory always gives the same plan, byte for byte once serialized.
Roles render it; they decide nothing.
"""

import json

from netaddr import cidr_merge

from . import scheme
from .model import FAIL_CLOSED, FAILOVER
from .monitor_plan import monitor_plan
from .rule_plan import failover_orders, main_table_networks, plan_rules
from .validate import validate_router

PLAN_SCHEMA_VERSION = 1
# The version of what the controller hands the router (module_utils/symroute_router/contract.py checks it).
ROUTER_CONTRACT_VERSION = 1
IPV6_NEVER_MARKED = ("fe80::/10", "ff00::/8")


def _family_prefixes(prefixes, version):
    return [prefix for prefix in prefixes if prefix.version == version]


def _aggregate(prefixes):
    return [str(network) for network in cidr_merge(prefixes)]


def _tables(router):
    return [
        {"id": link.table, "name": scheme.TABLE_NAME_PREFIX + link.name, "link": link.name}
        for link in router.links
    ]


def _routes(router):
    routes = []
    for link in router.links:
        onlink = link.gateway not in link.address
        routes.append(
            {"table": link.table, "family": 4, "dst": str(link.address.cidr), "dev": link.interface,
             "scope": "link", "src": str(link.address.ip)}
        )
        routes.append(
            {"table": link.table, "family": 4, "dst": "default", "via": str(link.gateway),
             "dev": link.interface, "onlink": onlink}
        )
        if link.has_ipv6:
            routes.append(
                {"table": link.table, "family": 6, "dst": str(link.address6.cidr), "dev": link.interface,
                 "scope": "link", "src": str(link.address6.ip)}
            )
            routes.append(
                {"table": link.table, "family": 6, "dst": "default", "via": str(link.gateway6),
                 "dev": link.interface, "onlink": link.gateway6 not in link.address6}
            )
    return routes


def _partner_mark(router, partner, order_numbers=None):
    """The mark of a partner's new connections: its own failover order's, else its link's
    (with the fail-closed bit if it fails closed)."""
    if partner.failover_links:
        if order_numbers is None:
            order_numbers = _order_numbers(router)
        return scheme.link_mark(order_numbers[(partner.link, partner.failover_links)])
    mark = scheme.link_mark(router.link(partner.link).mark_number)
    return mark | scheme.FAIL_CLOSED_BIT if partner.on_link_failure == FAIL_CLOSED else mark


def _order_numbers(router):
    return {(o["link"], tuple(o["failover_links"])): o["mark_number"] for o in failover_orders(router)}


def _set(name, version, link, mode, mark, chosen):
    nft_type, selector = ("ipv4_addr", "ip") if version == 4 else ("ipv6_addr", "ip6")
    prefixes = [prefix for p in chosen for prefix in _family_prefixes(p.prefixes, version)]
    if not prefixes:
        return []
    return [{
        "name": name, "type": nft_type, "selector": selector, "link": link, "mode": mode,
        "mark_chain": f"mark_{scheme.hex_mark(mark)}",
        "partners": sorted(p.name for p in chosen if _family_prefixes(p.prefixes, version)),
        "elements": _aggregate(prefixes),
        "input_prefixes": len(prefixes),
    }]


def _order_sets(router):
    sets = []
    for order in failover_orders(router):
        chosen = [p for p in router.partners
                  if (p.link, p.failover_links) == (order["link"], tuple(order["failover_links"]))]
        for version in (4, 6):
            sets += _set(f"order{order['index']}_v{version}", version, order["link"], FAILOVER,
                         scheme.link_mark(order["mark_number"]), chosen)
    return sets


def _link_sets(router, link):
    sets = []
    pinned = [p for p in router.partners if p.link == link.name and not p.failover_links]
    for mode in (FAIL_CLOSED, FAILOVER):
        chosen = [p for p in pinned if p.on_link_failure == mode]
        mark = scheme.link_mark(link.mark_number) | (scheme.FAIL_CLOSED_BIT if mode == FAIL_CLOSED else 0)
        for version in (4, 6):
            sets += _set(f"{link.name}_{mode}_v{version}", version, link.name, mode, mark, chosen)
    return sets


def _nftables(router):
    networks = main_table_networks(router)
    local_sets = []
    for version, nft_type in ((4, "ipv4_addr"), (6, "ipv6_addr")):
        elements = _aggregate(_family_prefixes(networks, version))
        local_sets.append({"name": f"main_table_v{version}", "type": nft_type, "elements": elements})
    marks = []
    for link in router.links:
        for value, fail_closed in ((scheme.link_mark(link.mark_number), False),
                                   (scheme.link_mark(link.mark_number) | scheme.FAIL_CLOSED_BIT, True)):
            marks.append({"value": scheme.hex_mark(value), "link": link.name, "fail_closed": fail_closed,
                          "mark_chain": f"mark_{scheme.hex_mark(value)}",
                          "restore_chain": f"restore_{scheme.hex_mark(value)}"})
    for order in failover_orders(router):
        value = scheme.link_mark(order["mark_number"])
        marks.append({"value": scheme.hex_mark(value), "link": order["link"], "fail_closed": False,
                      "mark_chain": f"mark_{scheme.hex_mark(value)}",
                      "restore_chain": f"restore_{scheme.hex_mark(value)}"})
    partner_sets = [s for link in router.links for s in _link_sets(router, link)] + _order_sets(router)
    # Fail-closed sets are matched first: an address they hold must never fail over.
    partner_sets.sort(key=lambda s: (s["mode"] != "fail_closed", s["link"], s["name"]))
    # SNAT on the output interface, and the connection is bound to that link:
    # its mark becomes the link's fail-closed mark, so when the link dies its
    # packets are rejected by the rules instead of leaving another link with
    # this link's address (conntrack keeps the NAT binding).
    snat = []
    for link in router.links:
        bind = scheme.hex_mark(scheme.link_mark(link.mark_number) | scheme.FAIL_CLOSED_BIT)
        snat.append({"interface": link.interface, "family": "ip", "nfproto": "ipv4",
                     "address": str(link.address.ip), "link": link.name, "bind_mark": bind})
        if link.nat66:
            snat.append({"interface": link.interface, "family": "ip6", "nfproto": "ipv6",
                         "address": str(link.address6.ip), "link": link.name, "bind_mark": bind})
    return {
        "family": scheme.NFT_FAMILY,
        "table": scheme.NFT_TABLE,
        "mark_mask": scheme.hex_mark(scheme.MARK_MASK),
        "keep_mask": scheme.hex_mark(scheme.keep_other_bits_mask()),
        "main_table_sets": local_sets,
        "ipv6_never_marked": list(IPV6_NEVER_MARKED),
        "marks": marks,
        "inbound": [{"interface": link.interface, "link": link.name,
                     "mark_chain": f"mark_{scheme.hex_mark(scheme.link_mark(link.mark_number))}"}
                    for link in router.links],
        "partner_sets": partner_sets,
        "snat": snat,
    }


def _sysctl_key(*parts):
    """sysctl.d keys use '/' as separator when an interface name has a dot."""
    if any("." in part for part in parts[3:4]):
        return "/".join(parts)
    return ".".join(parts)


def _sysctls(router):
    values = {"net.ipv4.ip_forward": "1"}
    if any(link.has_ipv6 for link in router.links):
        values["net.ipv6.conf.all.forwarding"] = "1"
    for link in router.links:
        # Loose reverse-path filtering: strict mode drops the very replies that
        # arrive on the link their connection uses when the main table disagrees.
        values[_sysctl_key("net", "ipv4", "conf", link.interface, "rp_filter")] = "2"
        # A link without carrier must not keep attracting traffic.
        values[_sysctl_key("net", "ipv4", "conf", link.interface, "ignore_routes_with_linkdown")] = "1"
        if link.has_ipv6:
            values[_sysctl_key("net", "ipv6", "conf", link.interface, "ignore_routes_with_linkdown")] = "1"
    return [{"name": name, "value": values[name]} for name in sorted(values)]


def _probe_address(prefix):
    return str(prefix.ip) if prefix.size == 1 else str(prefix[1])


def _verify(router):
    checks, order_numbers = [], _order_numbers(router)
    for partner in router.partners:
        link = router.link(partner.link)
        mark = _partner_mark(router, partner, order_numbers)
        for version in (4, 6):
            prefixes = sorted(_family_prefixes(partner.prefixes, version), key=lambda n: (n.first, n.prefixlen))
            if prefixes:
                checks.append({"partner": partner.name, "family": version, "address": _probe_address(prefixes[0]),
                               "mark": scheme.hex_mark(mark), "interface": link.interface, "link": link.name,
                               "failover_links": list(partner.failover_links) or _default_order(router, partner)})
    return checks


def _verify_tables(router):
    """Each link table and family, with the default route verification expects in it."""
    return [{"link": link.name, "table": link.table, "interface": link.interface, "family": family,
             "gateway": str(link.gateway if family == 4 else link.gateway6)}
            for link in router.links for family in link.families]


def _audit(router):
    """What the read-only audit needs besides the verify slice: links by mark, partners' prefixes."""
    return {"links": [{"name": link.name, "interface": link.interface,
                       "mark": scheme.hex_mark(scheme.link_mark(link.mark_number))} for link in router.links],
            "prefixes": [{"partner": partner.name,
                          "prefixes": sorted((str(x) for x in partner.prefixes), key=lambda s: (":" in s, s))}
                         for partner in router.partners],
            "mark_mask": scheme.hex_mark(scheme.LINK_MARK_MASK),
            "out_of_service_group": scheme.OUT_OF_SERVICE_GROUP}


def _default_order(router, partner):
    if partner.on_link_failure == FAIL_CLOSED:
        return []
    return [link.name for link in router.links if link.name != partner.link]


def _partners(router):
    order_numbers = _order_numbers(router)
    return [
        {"name": p.name, "link": p.link, "on_link_failure": p.on_link_failure,
         "failover_links": list(p.failover_links) if p.failover_links else _default_order(router, p),
         "mark": scheme.hex_mark(_partner_mark(router, p, order_numbers)),
         "prefixes": sorted((str(x) for x in p.prefixes), key=lambda s: (":" in s, s)),
         "health_check": p.health_check, "description": p.description}
        for p in router.partners
    ]


def _links(router):
    return [
        {"name": link.name, "interface": link.interface, "table": link.table,
         "table_name": scheme.TABLE_NAME_PREFIX + link.name,
         "mark": scheme.hex_mark(scheme.link_mark(link.mark_number)),
         "address": str(link.address), "gateway": str(link.gateway),
         "address6": str(link.address6) if link.address6 is not None else "",
         "gateway6": str(link.gateway6) if link.gateway6 is not None else "",
         "nat66": link.nat66, "health_targets": list(link.health_targets)}
        for link in router.links
    ]


def plan_router(router, settings=None):
    """The plan of a validated ``Router``; ``settings`` are its validated router settings."""
    base = router.rule_priority_base
    partners = _partners(router)
    return {
        "schema_version": PLAN_SCHEMA_VERSION,
        "contract_version": ROUTER_CONTRACT_VERSION,
        "router": router.name,
        "priority_band": [base, base + scheme.PRIORITY_BAND - 1],
        "tables": _tables(router),
        "links": _links(router),
        "routes": _routes(router),
        "rules": plan_rules(router),
        "nftables": _nftables(router),
        "sysctls": _sysctls(router),
        "partners": partners,
        "main_table_networks": [str(n) for n in main_table_networks(router)],
        "verify": _verify(router),
        "verify_tables": _verify_tables(router),
        "audit": _audit(router),
        "monitor": monitor_plan(router, partners),
        "management_probes": [_probe_address(n) for n in sorted(router.management_networks,
                                                                key=lambda n: (n.version, n.first))],
        "settings": dict(sorted((settings or {}).items())),
        "warnings": list(router.warnings),
    }


def build_plan(router_name, variables):
    """Validate one router's partner-contract variables and compute its plan (raises InventoryError)."""
    return plan_router(validate_router(router_name, variables))


def plan_json(plan):
    """The canonical serialization: byte-identical for the same plan."""
    return json.dumps(plan, indent=2, sort_keys=True) + "\n"
