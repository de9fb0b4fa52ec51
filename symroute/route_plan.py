"""The plan's link tables and their routes: per link a table, the connected and default routes of the families
whose addressing the inventory states, and for the families the router learns the entries it fills in."""

from . import scheme


def link_tables(router):
    return [
        {"id": link.table, "name": scheme.TABLE_NAME_PREFIX + link.name, "link": link.name} for link in router.links
    ]


def _static_routes(link, family):
    """The connected and default routes of a family whose addressing the inventory states."""
    address, gateway = (link.address, link.gateway) if family == 4 else (link.address6, link.gateway6)
    return [
        {
            "table": link.table,
            "family": family,
            "dst": str(address.cidr),
            "dev": link.interface,
            "scope": "link",
            "src": str(address.ip),
        },
        {
            "table": link.table,
            "family": family,
            "dst": "default",
            "via": str(gateway),
            "dev": link.interface,
            "onlink": gateway not in address,
        },
    ]


def link_routes(router):
    """The link tables' routes of the static families (learned ones: ``learned_entries``)."""
    return [
        route
        for link in router.links
        for family in link.families
        if not link.learned(family)
        for route in _static_routes(link, family)
    ]


def learned_entries(router):
    """Per link and family whose address or gateway the router learns: what the router fills in.

    The plan states the policy only (which table, which rule priorities, ``dynamic`` or the static
    value); the router reads the kernel's current address and gateway and writes the connected and
    default routes of the link's table and its two ``from <address>`` rules (routing.learned on the
    router). Nothing learned ever enters the plan or its digest.
    """
    base = router.rule_priority_base
    return [
        {
            "link": link.name,
            "interface": link.interface,
            "table": link.table,
            "family": family,
            "address": link.shown_address(family),
            "gateway": link.shown_gateway(family),
            "from_priority": base + scheme.OFFSET_FROM_LINK + link.index,
            "own_address_priority": base + scheme.OFFSET_OWN_ADDRESS + link.index,
        }
        for link in router.links
        for family in link.families
        if link.learned(family)
    ]
