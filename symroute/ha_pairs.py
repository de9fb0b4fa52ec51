"""The two routers of an HA pair checked against each other, once each is valid on its own.

Each names the other as its peer; both have the same pair name, preemption, advertisement interval,
LAN segments, link sharing, links, partners, networks and rule priorities (so the same marks,
tables and rules: conntrackd's synchronised marks mean the same on both); their priorities differ,
their own addresses differ, and each one's sync address is the other's peer address. One problem per
difference, on the router whose name sorts first, naming the other.
"""

from collections.abc import Collection, Mapping
from dataclasses import replace

from .errors import Problem
from .ha_model import HA, written
from .model import Router

# Per link, what must be equal on both routers (the own addresses differ, their networks do not).
LINK_FIELDS = (
    "index",
    "interface",
    "table",
    "mark_number",
    "gateway",
    "network",
    "gateway6",
    "network6",
    "nat66",
    "dynamic",
    "point_to_point",
)


def _link_values(link):
    values = {name: getattr(link, name, None) for name in LINK_FIELDS}
    values["network"] = link.address.cidr if link.address is not None else None
    values["network6"] = link.address6.cidr if link.address6 is not None else None
    return values


def _peer_problems(name, router, routers):
    """Problems of ``router`` naming its peer (a missing router, no pair, a peer naming another)."""
    peer = router.ha.peer
    if peer == name:
        return []  # reported by ha_validation
    if peer not in routers:
        return [
            f"field peer: {peer} is not a router of the inventory (both routers of a pair are planned "
            f"together; routers: {', '.join(sorted(routers))})"
        ]
    other = routers[peer].ha
    if other is None:
        return [f"field peer: {peer} has no symroute_ha (or an invalid one): both routers of the pair declare it"]
    if other.peer != name:
        return [f"field peer: {peer} names {other.peer} as its peer, not this router"]
    return []


def _links_differ(a, b, one, other):
    messages = []
    links_a, links_b = {link.name: link for link in one.links}, {link.name: link for link in other.links}
    for link in sorted(set(links_a) ^ set(links_b)):
        holder, lacking = (a, b) if link in links_a else (b, a)
        messages.append(f"link {link} is a link of {holder} but not of {lacking} (the pair's links are identical)")
    for link in sorted(set(links_a) & set(links_b)):
        values_a, values_b = _link_values(links_a[link]), _link_values(links_b[link])
        for field in LINK_FIELDS:
            if values_a[field] != values_b[field]:
                messages.append(
                    f"link {link}: {field} {values_a[field]} on {a}, {values_b[field]} on {b} (the "
                    "pair's links are identical)"
                )
        for family, address in links_a[link].own_addresses:
            if (family, address) in links_b[link].own_addresses:
                messages.append(f"link {link}: {address} is the own address of both {a} and {b}")
        shared = one.ha.shared_address(link)
        if shared is not None and any(str(shared.ip) == address for _, address in links_b[link].own_addresses):
            messages.append(f"link {link}: the shared address {shared.ip} is {b}'s own address")
    return messages


def _differences(a, b, one, other):
    """Messages for what differs between two routers that name each other."""
    ha_a, ha_b = one.ha, other.ha
    messages = [
        f"field {field}: {getattr(ha_a, field)} on {a}, {getattr(ha_b, field)} on {b} (must be equal)"
        for field in ("pair", "preempt", "advert_interval_ms")
        if getattr(ha_a, field) != getattr(ha_b, field)
    ]
    if written(ha_a.lan) != written(ha_b.lan):
        messages.append(
            f"field lan: the LAN segments differ between {a} and {b} (interfaces, VRIDs and shared "
            "addresses are the same on both)"
        )
    if written(ha_a.links) != written(ha_b.links):
        messages.append(
            f"field links: the links' sharing differs between {a} and {b} (modes, VRIDs and shared "
            "addresses are the same on both)"
        )
    if ha_a.priority == ha_b.priority:
        messages.append(f"field priority: {ha_a.priority} on both {a} and {b} (the priorities differ)")
    if ha_a.sync_address.cidr != ha_b.sync_address.cidr:
        messages.append(
            f"field sync.address: {ha_a.sync_address} on {a} and {ha_b.sync_address} on {b} are not on one network"
        )
    for here, there, x, y in ((a, b, ha_a, ha_b), (b, a, ha_b, ha_a)):
        if x.sync_peer != y.sync_address.ip:
            messages.append(
                f"field sync.peer_address: {x.sync_peer} on {here}, but {there}'s sync address is {y.sync_address.ip}"
            )
    messages += _links_differ(a, b, one, other)
    if {p.name: p for p in one.partners} != {p.name: p for p in other.partners}:
        names = sorted({p.name for p in set(one.partners) ^ set(other.partners)})
        messages.append(
            f"partners differ between {a} and {b} ({', '.join(names)}): the pair routes the same partners the same way"
        )
    for field in ("lan_networks", "management_networks", "rule_priority_base"):
        if getattr(one, field) != getattr(other, field):
            messages.append(f"{field} differ between {a} and {b} (the pair's rules are identical)")
    return messages


def check_pairs(
    routers: Mapping[str, Router], invalid: Collection[str] = ()
) -> tuple[dict[str, Router], list[Problem]]:
    """(routers with each pair's ``peer_priority`` filled in, problems across the routers of each pair).

    ``routers``: the valid routers; ``invalid``: the names of the inventory's other routers, whose own problems
    are reported already (a router whose peer is one of them is not compared with it).
    """
    problems, paired = [], dict(routers)
    for name in sorted(routers):
        router = routers[name]
        if router.ha is None or router.ha.peer in invalid:
            continue
        messages = _peer_problems(name, router, routers)
        problems += [Problem(f"{name}, {HA}", message) for message in messages]
        peer = router.ha.peer
        if messages or peer == name:
            continue
        other = routers[peer]
        assert other.ha is not None  # _peer_problems: the peer is in the pair
        if name < peer:
            problems += [Problem(f"{name}, {HA}", message) for message in _differences(name, peer, router, other)]
        paired[name] = replace(router, ha=replace(router.ha, peer_priority=other.ha.priority))
    return paired, problems
