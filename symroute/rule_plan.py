"""The router's ip rules: which table a packet looks up, by mark and address (docs/design.md).

A link is taken out of service by moving its interface into the
out-of-service interface group; every rule here that routes forwarded traffic
by a link's table skips such a link (``suppress_ifgroup``), so the kernel
itself picks, for each packet, the first link in service of its order.
"""

from typing import Any

from . import scheme
from .ha_plan import shared_rules
from .model import Router


def main_table_networks(router: Router) -> list[Any]:
    """The networks the main table routes: LAN, management and, in an HA pair, the sync link to the peer (so
    conntrackd's and keepalived's traffic to it is never classified or policy-routed by a link's table)."""
    networks = list(router.lan_networks) + list(router.management_networks)
    if router.ha is not None:
        networks.append(router.ha.sync_address.cidr)
    return sorted(set(networks), key=lambda n: (n.version, n.first, n.prefixlen))


def _rule(priority, family, comment, **selector):
    rule = {"priority": priority, "family": family, "comment": comment}
    rule.update(selector)
    return rule


# Every rule that routes forwarded traffic by a link's table skips the link
# while it is out of service (its interface in the out-of-service group).
IN_SERVICE_ONLY = {"suppress_ifgroup": scheme.OUT_OF_SERVICE_GROUP}
ANY_SYMROUTE_MARK = {"not": True, "fwmark": scheme.mark_with_mask(0, scheme.LINK_MARK_MASK)}


def failover_orders(router: Router) -> list[dict[str, Any]]:
    """The partners' own failover orders (``failover_links``), each with the mark number of its traffic.

    Numbers no link uses are taken from 127 downwards, in the order of
    (pinned link's position, failover links): the same inventory gives the
    same numbers.
    """
    used = {link.mark_number for link in router.links}
    free = [number for number in range(127, 0, -1) if number not in used]
    keys = sorted({(router.link(p.link).index, p.link, p.failover_links) for p in router.partners if p.failover_links})
    return [
        {"index": q, "link": link, "failover_links": list(order), "mark_number": free[q]}
        for q, (_, link, order) in enumerate(keys)
    ]


def _order_rules(router, base):
    """A partner's own order: its pinned link, then its failover links, then rejected."""
    rules = []
    for order in failover_orders(router):
        pinned = router.link(order["link"])
        mark = scheme.mark_with_mask(scheme.link_mark(order["mark_number"]), scheme.LINK_MARK_MASK)
        first = base + scheme.OFFSET_ORDER + scheme.ORDER_STRIDE * order["index"]
        for family in pinned.families:
            rules.append(
                _rule(
                    first,
                    family,
                    f"failover order {order['index']}: pinned to {pinned.name}",
                    fwmark=mark,
                    table=pinned.table,
                    **IN_SERVICE_ONLY,
                )
            )
            for position, name in enumerate(order["failover_links"], start=1):
                other = router.link(name)
                if family in other.families:
                    rules.append(
                        _rule(
                            first + position,
                            family,
                            f"failover order {order['index']}: then {other.name}",
                            fwmark=mark,
                            table=other.table,
                            **IN_SERVICE_ONLY,
                        )
                    )
            rules.append(
                _rule(
                    first + scheme.ORDER_STRIDE - 1,
                    family,
                    f"failover order {order['index']}: no link in service",
                    fwmark=mark,
                    action="prohibit",
                )
            )
    return rules


def plan_rules(router: Router) -> list[dict[str, Any]]:
    """Every ip rule of the router, both families, in priority order (docs/design.md, "Rule priorities")."""
    base = router.rule_priority_base
    rules = []
    for offset, network in enumerate(main_table_networks(router)):
        rules.append(
            _rule(
                base + scheme.OFFSET_MAIN_TABLE + offset,
                network.version,
                "LAN/management stays in main",
                to=str(network),
                table="main",
            )
        )
    for link in router.links:
        # Not IN_SERVICE_ONLY: the link's own address (its probes) always uses its table.
        for family, address in link.own_addresses:
            rules.append(
                _rule(
                    base + scheme.OFFSET_FROM_LINK + link.index,
                    family,
                    f"replies from {link.name}'s address",
                    **{"from": address},
                    table=link.table,
                )
            )
    for link in router.links:
        mark = scheme.mark_with_mask(scheme.link_mark(link.mark_number), scheme.LINK_MARK_MASK)
        for family in link.families:
            rules.append(
                _rule(
                    base + scheme.OFFSET_LINK_MARK + link.index,
                    family,
                    f"connections marked for {link.name}",
                    fwmark=mark,
                    table=link.table,
                    **IN_SERVICE_ONLY,
                )
            )
    fail_closed = scheme.mark_with_mask(scheme.FAIL_CLOSED_BIT, scheme.FAIL_CLOSED_BIT)
    for family in (4, 6):
        rules.append(
            _rule(
                base + scheme.OFFSET_FAIL_CLOSED,
                family,
                "fail-closed partner whose link is out of service",
                fwmark=fail_closed,
                action="prohibit",
            )
        )
    for link in router.links:
        # Reached only when the link's table cannot route (no carrier): the
        # link's own address must never leave by another link.
        for family, address in link.own_addresses:
            rules.append(
                _rule(
                    base + scheme.OFFSET_OWN_ADDRESS + link.index,
                    family,
                    f"{link.name}'s address never leaves by another link",
                    **{"from": address},
                    action="prohibit",
                )
            )
    rules += shared_rules(router, _rule)  # an HA pair's shared link addresses (none for a router alone)
    rules += _order_rules(router, base)
    for link in router.links:
        for family in link.families:
            rules.append(
                _rule(
                    base + scheme.OFFSET_FAILOVER + link.index,
                    family,
                    f"marked traffic whose link is out of service: {link.name} if in service",
                    **ANY_SYMROUTE_MARK,
                    table=link.table,
                    **IN_SERVICE_ONLY,
                )
            )
    for family in (4, 6):
        rules.append(
            _rule(
                base + scheme.OFFSET_NO_LINK,
                family,
                "marked traffic and no link in service",
                **ANY_SYMROUTE_MARK,
                action="prohibit",
            )
        )
    return sorted(rules, key=lambda r: (r["family"], r["priority"]))
