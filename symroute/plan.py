"""Compute the plan of one router from its validated inventory.

The plan is plain data (dicts, lists, strings, ints) in a fixed order, so the
same inventory always gives the same plan, byte for byte once serialized.
Roles render it; they decide nothing.
"""

from collections.abc import Mapping
from typing import Any, Optional

from . import scheme
from .ha_plan import ha_plan
from .model import FAIL_CLOSED, Router
from .monitor_plan import monitor_plan
from .nftables_plan import nftables_plan
from .partner_prefixes import prefix_views, probe_address
from .resolver_plan import resolver_plan
from .route_plan import learned_entries as _learned, link_routes as _routes, link_tables as _tables
from .rule_plan import failover_orders, main_table_networks, plan_rules
from .shapes import Plan
from .validate import validate_router

PLAN_SCHEMA_VERSION = 1
# The version of what the controller hands the router (module_utils/symroute_router/contract.py checks it).
ROUTER_CONTRACT_VERSION = 1
IPV6_NEVER_MARKED = ("fe80::/10", "ff00::/8")


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


def _verify(router, views):
    checks, order_numbers = [], _order_numbers(router)
    for partner in router.partners:
        link = router.link(partner.link)
        mark = _partner_mark(router, partner, order_numbers)
        for version in (4, 6):
            address = views.probe(partner, version)
            if address is not None:
                checks.append(
                    {
                        "partner": partner.name,
                        "family": version,
                        "address": address,
                        "mark": scheme.hex_mark(mark),
                        "interface": link.interface,
                        "link": link.name,
                        "failover_links": list(partner.failover_links) or _default_order(router, partner),
                    }
                )
    return checks


def _verify_tables(router):
    """Each link table and family, with the default route verification expects in it."""
    return [
        {
            "link": link.name,
            "table": link.table,
            "interface": link.interface,
            "family": family,
            "gateway": link.shown_gateway(family),
        }
        for link in router.links
        for family in link.families
    ]


def _audit(router, views):
    """What the read-only audit needs besides the verify slice: links by mark, partners' prefixes."""
    return {
        "links": [
            {
                "name": link.name,
                "interface": link.interface,
                "mark": scheme.hex_mark(scheme.link_mark(link.mark_number)),
            }
            for link in router.links
        ],
        "prefixes": [{"partner": partner.name, "prefixes": views.texts(partner)} for partner in router.partners],
        "mark_mask": scheme.hex_mark(scheme.LINK_MARK_MASK),
        "out_of_service_group": scheme.OUT_OF_SERVICE_GROUP,
    }


def _default_order(router, partner):
    if partner.on_link_failure == FAIL_CLOSED:
        return []
    return [link.name for link in router.links if link.name != partner.link]


def _partner(router, views, order_numbers, p):
    entry = {
        "name": p.name,
        "link": p.link,
        "on_link_failure": p.on_link_failure,
        "failover_links": list(p.failover_links) if p.failover_links else _default_order(router, p),
        "mark": scheme.hex_mark(_partner_mark(router, p, order_numbers)),
        "prefixes": views.texts(p),
        "health_check": p.health_check,
        "description": p.description,
    }
    if p.domains:  # only where a partner has names: a static inventory's plan (and digest) is unchanged
        entry["domains"] = sorted(p.domains)
    return entry


def _partners(router, views):
    order_numbers = _order_numbers(router)
    return [_partner(router, views, order_numbers, p) for p in router.partners]


def _links(router):
    return [
        {
            "name": link.name,
            "interface": link.interface,
            "table": link.table,
            "table_name": scheme.TABLE_NAME_PREFIX + link.name,
            "mark": scheme.hex_mark(scheme.link_mark(link.mark_number)),
            "address": link.shown_address(4),
            "gateway": link.shown_gateway(4),
            "address6": link.shown_address(6) if link.has_ipv6 else "",
            "gateway6": link.shown_gateway(6) if link.has_ipv6 else "",
            "nat66": link.nat66,
            "health_targets": list(link.health_targets),
        }
        for link in router.links
    ]


def plan_router(router: Router, settings: Optional[Mapping[str, Any]] = None) -> Plan:
    """The plan of a validated ``Router``; ``settings`` are its validated router settings.

    The per-prefix views of its partners come with the Router when it shares its partner list
    (shared_partners.py), else they are computed here: the same plan either way.
    """
    base = router.rule_priority_base
    views = prefix_views(router)
    partners = _partners(router, views)
    plan: Plan = {
        "schema_version": PLAN_SCHEMA_VERSION,
        "contract_version": ROUTER_CONTRACT_VERSION,
        "router": router.name,
        "priority_band": [base, base + scheme.PRIORITY_BAND - 1],
        "tables": _tables(router),
        "links": _links(router),
        "routes": _routes(router),
        "rules": plan_rules(router),
        "nftables": nftables_plan(router, views, IPV6_NEVER_MARKED),
        "sysctls": _sysctls(router),
        "partners": partners,
        "main_table_networks": [str(n) for n in main_table_networks(router)],
        "verify": _verify(router, views),
        "verify_tables": _verify_tables(router),
        "audit": _audit(router, views),
        "monitor": monitor_plan(router, partners),
        "management_probes": [
            probe_address(n) for n in sorted(router.management_networks, key=lambda n: (n.version, n.first))
        ],
        "settings": dict(sorted((settings or {}).items())),
        "warnings": list(router.warnings),
    }
    resolver = resolver_plan(router, plan["nftables"])
    if resolver is not None:  # only where a partner has domains: a static plan (and digest) is unchanged
        plan["monitor"]["resolver"] = resolver
    learned = _learned(router)
    if learned:  # only where a link is dynamic: an all-static inventory's plan (and digest) is unchanged
        plan["learned"] = learned
    if router.ha is not None:  # only in an HA pair: a router alone keeps its plan (and digest)
        plan["ha"] = ha_plan(router)
    return plan


def build_plan(router_name: str, variables: Mapping[str, Any]) -> Plan:
    """Validate one router's partner-contract variables and compute its plan (raises InventoryError)."""
    return plan_router(validate_router(router_name, variables))
