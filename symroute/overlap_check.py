"""Overlaps: partner prefixes against each other and against the router's own networks, and the
router's link networks against its other networks.

One sweep over all of them (``check_overlaps``) is the definition. Routers that
share a partner list get the same answer in two parts: the partner-against-partner
sweep once for the list (``check_partner_overlaps``), and per router only its own
few networks (``check_router_networks``); when any of those touches a partner
prefix (an error), the router takes the whole sweep, so every problem is the one
the single sweep reports.
"""

from bisect import bisect_left
from collections import namedtuple
from collections.abc import Sequence
from functools import partial
from typing import Any, Optional

from .addresses import WIDTH, shown
from .item_checks import bare
from .model import Link, Partner
from .prefix_sweep import Entry, Interval, overlapping_pairs, sweep
from .schema_check import named
from .shapes import Collect

PartnerOwner = namedtuple("PartnerOwner", "name link mode order")
# ``position``: the link's index, -1 for LAN and management networks (whose ``link`` and ``field`` are "").
RouterOwner = namedtuple("RouterOwner", "what link field position")


def router_networks(
    links: Sequence[Link], lan: Sequence[Any], management: Sequence[Any], ha: Optional[Any] = None
) -> list[tuple[Any, RouterOwner]]:
    """(network, RouterOwner) of the LAN, management and link networks, and an HA pair's sync network."""
    own = [(network, RouterOwner(f"LAN network {network}", "", "", -1)) for network in lan]
    own += [(network, RouterOwner(f"management network {network}", "", "", -1)) for network in management]
    if ha is not None:
        own.append((ha.sync_address.cidr, RouterOwner(f"HA sync network {ha.sync_address.cidr}", "", "", -1)))
    for link in links:
        for field, address in (("address", link.address), ("address6", link.address6)):
            if address is not None:
                own.append(
                    (
                        address.cidr,
                        RouterOwner(f"{named('link', link.name)} network {address.cidr}", link.name, field, link.index),
                    )
                )
    return own


def _report_link_overlap(collect, outer, inner):
    """Two router networks overlap: an error on the later link (LAN and management networks may nest)."""
    link_entry, other = (outer, inner) if outer.owner.position > inner.owner.position else (inner, outer)
    if link_entry.owner.position >= 0:
        collect.problem(
            named("link", link_entry.owner.link),
            f"field {link_entry.owner.field}: network {link_entry.network} overlaps the {other.owner.what}",
        )


def _report_own_network_overlap(collect, partner_entry, router_entry):
    collect.problem(
        named("partner", partner_entry.owner.name),
        f"field prefixes: {partner_entry.network} overlaps the router's own {router_entry.owner.what}",
    )


def _report_partner_overlap(collect, outer, inner):
    (outer_name, outer_link, outer_mode, outer_order), (inner_name, inner_link, inner_mode, inner_order) = (
        outer.owner,
        inner.owner,
    )
    relation = "the same as" if outer.network == inner.network else "overlaps"
    pair = (
        f"{inner.network} of partner {shown(inner_name)} (link {bare(inner_link)}) {relation} "
        f"{outer.network} of partner {shown(outer_name)} (link {bare(outer_link)})"
    )
    label = named("partner", inner_name)
    if outer_link != inner_link:
        collect.problem(label, f"field prefixes: {pair}: pinned to different links")
    elif outer_mode != inner_mode:
        collect.problem(label, f"field prefixes: {pair} with on_link_failure {inner_mode} vs {outer_mode}: ambiguous")
    elif outer_order != inner_order:
        collect.problem(label, f"field prefixes: {pair} with different failover_links: ambiguous")
    else:
        collect.warning(label, f"{pair}: redundant")


def _owner(partner):
    return PartnerOwner(partner.name, partner.link, partner.on_link_failure, partner.failover_links)


def _partner_entries(partners):
    entries = []
    for partner in partners:
        owner = _owner(partner)
        entries += [Entry(prefix, owner) for prefix in partner.prefixes]
    return entries


def _decorated_intervals(prefixes, owner):
    """{version: [(first, -last, owner, Interval)]} of one partner's prefixes: the key of the sweep's order
    (prefix_sweep.sorted_intervals) leads the tuple, and tuples that tie on it are equal (the same prefix and
    owner), so a stable sort of the tuples keeps the order sorted_intervals gives."""
    decorated = {4: [], 6: []}
    for prefix in prefixes:
        first, last = prefix.first, prefix.last
        decorated[prefix.version].append((first, -last, owner, Interval(first, last, Entry(prefix, owner))))
    return decorated


def _partner_intervals(partners, sharing):
    """prefix_sweep.sorted_intervals(_partner_entries(partners)); each partner's intervals made once per (owner,
    prefix tuple) (shared_work.of_objects: the base of a pull request reuses those of the partners it did not
    change)."""
    by_family = {4: [], 6: []}
    for partner in partners:
        owner, prefixes = _owner(partner), partner.prefixes
        decorated = (
            _decorated_intervals(prefixes, owner)
            if sharing is None
            else sharing.of_objects("intervals", (prefixes,), owner, partial(_decorated_intervals, prefixes, owner))
        )
        for version, items in decorated.items():
            by_family[version] += items
    for items in by_family.values():
        items.sort()
    return {version: [item[3] for item in items] for version, items in by_family.items()}


def check_overlaps(collect: Collect, partners: Sequence[Partner], networks: Sequence[tuple[Any, RouterOwner]]) -> None:
    """Every overlap among the partners' prefixes and the router's ``networks`` (router_networks()), in one sweep."""
    entries = _partner_entries(partners) + [Entry(network, owner) for network, owner in networks]
    for outer, inner in overlapping_pairs(entries):
        outer_is_router, inner_is_router = isinstance(outer.owner, RouterOwner), isinstance(inner.owner, RouterOwner)
        if outer_is_router and inner_is_router:
            _report_link_overlap(collect, outer, inner)
        elif outer_is_router or inner_is_router:
            _report_own_network_overlap(collect, *((inner, outer) if outer_is_router else (outer, inner)))
        else:
            _report_partner_overlap(collect, outer, inner)


def check_partner_overlaps(
    collect: Collect, partners: Sequence[Partner], sharing: Optional[Any] = None
) -> "PrefixIndex":
    """The partner-against-partner part of ``check_overlaps``: the same pairs, reported the same way.

    Returns the PrefixIndex of the partners' prefixes, made from the sweep's own sorted intervals.
    ``sharing``: a shared_work.Sharing, for each partner's intervals.
    """
    intervals = _partner_intervals(partners, sharing)
    for outer, inner in sweep(intervals):
        _report_partner_overlap(collect, outer, inner)
    return PrefixIndex(intervals)


class PrefixIndex:
    """Answers "does any partner prefix overlap this network?" in O(log n + prefix length).

    CIDR prefixes nest or are disjoint, so a prefix overlaps ``network`` when it
    starts inside it, or when it is one of the networks that contain it (at most
    one per shorter prefix length).
    """

    def __init__(self, by_family):
        """``by_family``: prefix_sweep.sorted_intervals of the prefixes (sorted by first address)."""
        self._firsts = {version: [i.first for i in intervals] for version, intervals in by_family.items()}
        self._spans = {version: {(i.first, i.last) for i in intervals} for version, intervals in by_family.items()}

    def overlaps(self, network):
        firsts = self._firsts[network.version]
        position = bisect_left(firsts, network.first)
        if position < len(firsts) and firsts[position] <= network.last:
            return True
        spans, width = self._spans[network.version], WIDTH[network.version]
        for length in range(network.prefixlen):
            first = network.first >> (width - length) << (width - length)
            if (first, first + (1 << (width - length)) - 1) in spans:
                return True
        return False


def check_router_networks(collect: Collect, shared: Any, networks: Sequence[tuple[Any, RouterOwner]]) -> None:
    """The router's part of ``check_overlaps`` when the partner part was swept once for many routers.

    ``shared`` is the partner list's check (shared_partners.PartnerCheck). No
    router network touches a partner prefix: the shared pairs, and the router's
    networks among themselves. Otherwise the whole sweep, as for a router alone.
    """
    if any(shared.index.overlaps(network) for network, _ in networks):
        check_overlaps(collect, shared.written, networks)
        return
    shared.overlaps.replay(collect)
    check_overlaps(collect, (), networks)
