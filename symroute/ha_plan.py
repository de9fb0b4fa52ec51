"""The plan's ``ha`` section and the ip rules of an HA pair's shared link addresses.

The section is the interface with the keepalived and conntrackd roles (docs/design.md, "An HA pair"):
plain JSON in a fixed order. A router in no pair has no ``ha`` key and no rule from here, so its plan
and digest are what they were before pairs existed.
"""

from typing import Any, Callable

from . import scheme
from .ha_model import OWN, SHARED, YIELD_FILE
from .model import Router
from .shapes import Document


def _instances(ha, router):
    instances = []
    for segment in ha.lan:
        for family, address in ((4, segment.address), (6, segment.address6)):
            if address is not None:
                instances.append(
                    {
                        "name": f"{segment.segment}{family}",
                        "segment": segment.segment,
                        "family": family,
                        "vrid": segment.vrid,
                        "interface": segment.interface,
                        "addresses": [str(address)],
                    }
                )
    for link in router.links:
        entry = ha.link(link.name)
        if entry is not None and entry.mode == SHARED:
            instances.append(
                {
                    "name": f"{link.name}4",
                    "segment": link.name,
                    "family": 4,
                    "vrid": entry.vrid,
                    "interface": link.interface,
                    "addresses": [str(entry.address)],
                }
            )
    return instances


def _links(ha, router):
    links = {}
    for link in router.links:
        entry = ha.link(link.name)
        if entry is not None:
            links[link.name] = (
                {"mode": SHARED, "address": str(entry.address)} if entry.mode == SHARED else {"mode": OWN}
            )
    return links


def tracked_links(router: Router) -> list[str]:
    """The links partners are pinned to, in symroute_links order: all out of service here, the router yields."""
    pinned = {partner.link for partner in router.partners}
    return [link.name for link in router.links if link.name in pinned]


def ha_plan(router: Router) -> Document:
    """The plan's ``ha`` section of a router in a pair (``router.ha`` is set)."""
    ha = router.ha
    assert ha is not None
    return {
        "pair": ha.pair,
        "router": router.name,
        "peer": ha.peer,
        "priority": ha.priority,
        "peer_priority": ha.peer_priority,
        "preempt": ha.preempt,
        "advert_interval_ms": ha.advert_interval_ms,
        "sync": {"interface": ha.sync_interface, "address": str(ha.sync_address), "peer": str(ha.sync_peer)},
        "instances": _instances(ha, router),
        "links": _links(ha, router),
        "tracked_links": tracked_links(router),
        "yield_file": YIELD_FILE,
    }


def shared_rules(router: Router, rule: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``from <shared address>`` rules of the pair's shared links (``rule``: rule_plan's rule maker).

    As for a link's own address: its replies use the link's table (150 + link index), and it never
    leaves by another link (370 + link index). The own address keeps both of its rules: the link
    monitor's probes leave from it, on the backup as on the master.
    """
    if router.ha is None:
        return []
    base, rules = router.rule_priority_base, []
    for link in router.links:
        shared = router.ha.shared_address(link.name)
        if shared is None:
            continue
        address = str(shared.ip)
        rules.append(
            rule(
                base + scheme.OFFSET_FROM_SHARED + link.index,
                4,
                f"replies from {link.name}'s shared address",
                **{"from": address},
                table=link.table,
            )
        )
        rules.append(
            rule(
                base + scheme.OFFSET_SHARED_ADDRESS + link.index,
                4,
                f"{link.name}'s shared address never leaves by another link",
                **{"from": address},
                action="prohibit",
            )
        )
    return rules
