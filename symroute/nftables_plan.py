"""The nftables part of a router's plan: partner sets, marks, inbound marking and SNAT (docs/design.md).

Set elements are the partners' prefixes aggregated (cidr_merge), taken from the
partner list's shared views (partner_prefixes.PartnerPrefixes): routers that
share a partner list aggregate each set once. A set whose partners have
``domains`` also lists those names and is declared with ``flags interval,
timeout``: the router's resolver adds each answer with a timeout, the static
prefixes stay without one (they never expire).
"""

from typing import Any

from netaddr import cidr_merge

from . import scheme
from .model import FAIL_CLOSED, FAILOVER, Router
from .partner_prefixes import PartnerPrefixes
from .rule_plan import failover_orders, main_table_networks


def _set(views, name, version, link, mode, mark, chosen, router):
    nft_type, selector = ("ipv4_addr", "ip") if version == 4 else ("ipv6_addr", "ip6")
    counts = [views.count(p, version) for p in chosen]
    # AAAA answers only where the link routes IPv6 (as prefixes, refused by validation otherwise)
    named = sorted({d for p in chosen for d in p.domains}) if version == 4 or router.link(link).has_ipv6 else []
    if not any(counts) and not named:
        return []
    entry = {
        "name": name,
        "type": nft_type,
        "selector": selector,
        "link": link,
        "mode": mode,
        "mark_chain": f"mark_{scheme.hex_mark(mark)}",
        "partners": sorted(p.name for p, count in zip(chosen, counts) if count or p.domains),
        "elements": views.merged(chosen, version),
        "input_prefixes": sum(counts),
    }
    if named:  # the router adds these names' answers with a timeout; static-only sets stay as they were
        entry["domains"] = named
    return [entry]


def _order_sets(router, views):
    sets = []
    for order in failover_orders(router):
        chosen = [
            p for p in router.partners if (p.link, p.failover_links) == (order["link"], tuple(order["failover_links"]))
        ]
        for version in (4, 6):
            sets += _set(
                views,
                f"order{order['index']}_v{version}",
                version,
                order["link"],
                FAILOVER,
                scheme.link_mark(order["mark_number"]),
                chosen,
                router,
            )
    return sets


def _link_sets(router, views, link):
    sets = []
    pinned = [p for p in router.partners if p.link == link.name and not p.failover_links]
    for mode in (FAIL_CLOSED, FAILOVER):
        chosen = [p for p in pinned if p.on_link_failure == mode]
        mark = scheme.link_mark(link.mark_number) | (scheme.FAIL_CLOSED_BIT if mode == FAIL_CLOSED else 0)
        for version in (4, 6):
            sets += _set(views, f"{link.name}_{mode}_v{version}", version, link.name, mode, mark, chosen, router)
    return sets


def _marks(router):
    marks = []
    for link in router.links:
        for value, fail_closed in (
            (scheme.link_mark(link.mark_number), False),
            (scheme.link_mark(link.mark_number) | scheme.FAIL_CLOSED_BIT, True),
        ):
            marks.append(
                {
                    "value": scheme.hex_mark(value),
                    "link": link.name,
                    "fail_closed": fail_closed,
                    "mark_chain": f"mark_{scheme.hex_mark(value)}",
                    "restore_chain": f"restore_{scheme.hex_mark(value)}",
                }
            )
    for order in failover_orders(router):
        value = scheme.link_mark(order["mark_number"])
        marks.append(
            {
                "value": scheme.hex_mark(value),
                "link": order["link"],
                "fail_closed": False,
                "mark_chain": f"mark_{scheme.hex_mark(value)}",
                "restore_chain": f"restore_{scheme.hex_mark(value)}",
            }
        )
    return marks


def _snat(router):
    # SNAT on the output interface, and the connection is bound to that link:
    # its mark becomes the link's fail-closed mark, so when the link dies its
    # packets are rejected by the rules instead of leaving another link with
    # this link's address (conntrack keeps the NAT binding).
    # A dynamic address is masqueraded: the kernel takes the interface's current address for each new
    # connection and deletes the connections NATed to an address the interface loses (docs/design.md).
    snat = []
    for link in router.links:
        bind = scheme.hex_mark(scheme.link_mark(link.mark_number) | scheme.FAIL_CLOSED_BIT)
        for family, nfproto, address, enabled in (
            ("ip", "ipv4", link.address, True),
            ("ip6", "ipv6", link.address6, link.nat66),
        ):
            if not enabled:
                continue
            entry = {
                "interface": link.interface,
                "family": family,
                "nfproto": nfproto,
                "link": link.name,
                "bind_mark": bind,
            }
            shared = router.ha.shared_address(link.name) if router.ha is not None and family == "ip" else None
            if address is None:
                entry["masquerade"] = True
            else:  # an HA pair's shared link: the address the partner sees whichever router is the master
                entry["address"] = str((shared or address).ip)
            snat.append(entry)
    return snat


def nftables_plan(router: Router, views: PartnerPrefixes, ipv6_never_marked: Any) -> dict[str, Any]:
    """The plan's ``nftables`` section; ``views``: the PartnerPrefixes of ``router.partners``."""
    networks = main_table_networks(router)
    local_sets = []
    for version, nft_type in ((4, "ipv4_addr"), (6, "ipv6_addr")):
        elements = [str(network) for network in cidr_merge([n for n in networks if n.version == version])]
        local_sets.append({"name": f"main_table_v{version}", "type": nft_type, "elements": elements})
    partner_sets = [s for link in router.links for s in _link_sets(router, views, link)] + _order_sets(router, views)
    # Fail-closed sets are matched first: an address they hold must never fail over.
    partner_sets.sort(key=lambda s: (s["mode"] != "fail_closed", s["link"], s["name"]))
    return {
        "family": scheme.NFT_FAMILY,
        "table": scheme.NFT_TABLE,
        "mark_mask": scheme.hex_mark(scheme.MARK_MASK),
        "keep_mask": scheme.hex_mark(scheme.keep_other_bits_mask()),
        "main_table_sets": local_sets,
        "ipv6_never_marked": list(ipv6_never_marked),
        "marks": _marks(router),
        "inbound": [
            {
                "interface": link.interface,
                "link": link.name,
                "mark_chain": f"mark_{scheme.hex_mark(scheme.link_mark(link.mark_number))}",
            }
            for link in router.links
        ],
        "partner_sets": partner_sets,
        "snat": _snat(router),
    }
