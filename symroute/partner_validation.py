"""Validate a router's partner list against its links: names, links, prefixes, failover orders, checks.

What is checked here depends on the partner list and on the links' names and
IPv6 (``link_shape``) only, never on anything else of the router: routers that
share a partner list and a link shape share this work (shared_partners.py).
"""

import difflib
from collections.abc import Sequence
from typing import Any, Optional

from .addresses import AddressError, is_broad, parse_prefix, shown, special_use
from .domain_check import MAX_DOMAINS_PER_PARTNER, MAX_DOMAINS_PER_ROUTER, domain_verdicts
from .health import parse_partner_check
from .item_checks import bare, check_unique_name, mapping_items
from .model import FAIL_CLOSED, FAILOVER, PARTNERS, Link, Partner
from .schema_check import item_label, named
from .scheme import MAX_FAILOVER_ORDERS
from .shapes import Collect


def link_shape(links: Sequence[Link]) -> tuple[tuple[str, bool], ...]:
    """What the partner checks read of the router's links: each link's name and whether it has IPv6, in order."""
    return tuple((link.name, link.has_ipv6) for link in links)


def _partner_link(collect, label, link_name, link_by_name):
    """The Link a partner names (None when it names none or an unknown one, which is reported)."""
    if not isinstance(link_name, str):
        return None
    link = link_by_name.get(link_name)
    if link is None:
        known = ", ".join(bare(name) for name in sorted(link_by_name)) or "none"
        collect.problem(label, f"field link: unknown link {shown(link_name)} (this router's links: {known})")
    return link


def _prefix_problem(network, link, allow_broad, allow_special_use):
    """What is wrong with one parsed partner prefix, or None."""
    if is_broad(network) and not allow_broad:
        return (
            f"{network} is broader than /{8 if network.version == 4 else 16}; set allow_broad: true if that is intended"
        )
    special = None if allow_special_use else special_use(network)
    if special is not None:
        return (
            f"{network} overlaps the {special[0]} range {special[1]}; set allow_special_use: true if that is intended"
        )
    if network.version == 6 and link is not None and not link.has_ipv6:
        return f"{network} is IPv6 but {named('link', link.name)} has no IPv6 (address6/gateway6)"
    return None


def _prefix_verdicts(raw_prefixes, link, allow_broad, allow_special_use):
    """(the valid prefixes, ((position, problem), ...)) of one partner's prefix list."""
    prefixes, problems = [], []
    for position, text in enumerate(raw_prefixes):
        if not isinstance(text, str):
            continue
        try:
            network = parse_prefix(text)
            problem = _prefix_problem(network, link, allow_broad, allow_special_use)
        except AddressError as error:
            network, problem = None, str(error)
        if problem is not None:
            problems.append((position, problem))
        if network is not None:
            prefixes.append(network)
    return tuple(prefixes), tuple(problems)


def _partner_prefixes(collect, label, item, link, sharing):
    """The partner's valid prefixes; every invalid or refused one is reported with its position.

    The verdicts depend on the prefix list, the two allow_ flags and the link's name and IPv6 only: with
    ``sharing`` (shared_work.Sharing) they are worked out once per distinct input, so a partner list
    that differs from another in a few partners (the base of a pull request) parses only those again.
    """
    raw_prefixes = item.get("prefixes")
    if not isinstance(raw_prefixes, list):
        return ()
    allow_broad, allow_special_use = item.get("allow_broad") is True, item.get("allow_special_use") is True

    def verdicts():
        return _prefix_verdicts(raw_prefixes, link, allow_broad, allow_special_use)

    context = (None if link is None else (link.name, link.has_ipv6), allow_broad, allow_special_use)
    prefixes, problems = (
        verdicts() if sharing is None else sharing.once("partner prefixes", raw_prefixes, context, verdicts)
    )
    for position, problem in problems:
        collect.problem(label, f"field prefixes[{position}]: {problem}")
    return prefixes  # the shared tuple itself: work on it is keyed by its identity (shared_work.of_objects)


# The schema's partner fields (symroute/schema/inventory.schema.json; tests/unit keeps them equal).
PARTNER_FIELDS = (
    "allow_broad",
    "allow_special_use",
    "description",
    "domains",
    "failover_links",
    "health_check",
    "link",
    "name",
    "on_link_failure",
    "prefixes",
)


def _misspells_a_source(item):
    """A key the schema refuses with 'did you mean prefixes/domains': reported once, there, not again here."""
    return any(
        isinstance(key, str)
        and key not in PARTNER_FIELDS
        and difflib.get_close_matches(key, PARTNER_FIELDS, n=1) in (["prefixes"], ["domains"])
        for key in item
    )


def _partner_domains(collect, label, item):
    """The partner's valid DNS names; every refused one reported with its position (domain_check.py)."""
    raw = item.get("domains")
    if "prefixes" not in item and raw is None and not _misspells_a_source(item):
        collect.problem(label, "needs prefixes, domains or both")
    if not isinstance(raw, list) or len(raw) > MAX_DOMAINS_PER_PARTNER:
        return ()  # not a list, or too long: the schema reports it (once, not once per name)
    names, problems = domain_verdicts(raw)
    for position, problem in problems:
        collect.problem(label, f"field domains[{position}]: {problem}")
    return names


def _check_shared_domains(collect, partners):
    """A name in two partners is an error: its answers would have to join two sets with different marks."""
    owner: dict[str, str] = {}
    for partner in partners:
        for name in partner.domains:
            if name in owner:
                collect.problem(
                    PARTNERS,
                    f"domain {name} is in partner {bare(owner[name])} and partner "
                    f"{bare(partner.name)}: a name belongs to one partner",
                )
            else:
                owner[name] = partner.name
    if len(owner) > MAX_DOMAINS_PER_ROUTER:
        collect.problem(PARTNERS, f"{len(owner)} domains; a router looks up at most {MAX_DOMAINS_PER_ROUTER}")


def _check_partner_health(collect, label, check):
    if isinstance(check, str):
        try:
            parse_partner_check(check)
        except AddressError as error:
            collect.problem(label, f"field health_check: {error}")


def _failover_links(collect, label, item, link, link_by_name):
    """The partner's own failover order (a tuple of link names), every problem reported."""
    value = item.get("failover_links")
    if value is None or not isinstance(value, list):
        return ()
    if item.get("on_link_failure") == FAIL_CLOSED:
        collect.problem(
            label,
            "field failover_links: only for on_link_failure failover "
            "(a fail_closed partner never leaves by another link)",
        )
        return ()
    names, valid = [], True
    for position, name in enumerate(value):
        if not isinstance(name, str):
            valid = False
        elif name not in link_by_name:
            known = ", ".join(bare(known) for known in sorted(link_by_name)) or "none"
            collect.problem(
                label, f"field failover_links[{position}]: unknown link {shown(name)} (this router's links: {known})"
            )
            valid = False
        elif link is not None and name == link.name:
            collect.problem(label, f"field failover_links[{position}]: {bare(name)} is the pinned link itself")
            valid = False
        elif name in names:
            collect.problem(label, f"field failover_links[{position}]: {bare(name)} is listed twice")
            valid = False
        names.append(name)
    if valid and not value:
        collect.problem(
            label, "field failover_links: empty; leave it out for the default order, or use on_link_failure fail_closed"
        )
        valid = False
    return tuple(names) if valid else ()


def _check_failover_orders(collect, partners):
    orders = {(partner.link, partner.failover_links) for partner in partners if partner.failover_links}
    if len(orders) > MAX_FAILOVER_ORDERS:
        collect.problem(
            PARTNERS,
            f"{len(orders)} different failover_links orders; "
            f"symroute's priority band holds at most {MAX_FAILOVER_ORDERS}",
        )


def validate_partners(
    collect: Collect, raw_partners: object, links: Sequence[Link], sharing: Optional[Any] = None
) -> list[Partner]:
    """The valid ``Partner``s of ``raw_partners`` (in their written order); every problem to ``collect``.

    ``sharing``: a shared_work.Sharing, for each partner's prefix verdicts (``_partner_prefixes``).
    """
    link_by_name = {link.name: link for link in links}
    partners, seen = [], {}
    for index, item in mapping_items(raw_partners):
        label = item_label("partner", index, item)
        name = item.get("name")
        check_unique_name(collect, "partner", label, index, name, seen)
        link = _partner_link(collect, label, item.get("link"), link_by_name)
        prefixes = _partner_prefixes(collect, label, item, link, sharing)
        domains = _partner_domains(collect, label, item)
        failover_links = _failover_links(collect, label, item, link, link_by_name)
        if link is not None and failover_links == tuple(name for name in link_by_name if name != link.name):
            failover_links = ()  # the default order written out: the same plan as leaving it out
        _check_partner_health(collect, label, item.get("health_check"))
        if not isinstance(name, str) or link is None:
            continue
        partners.append(
            Partner(
                name=name,
                prefixes=tuple(prefixes),
                link=link.name,
                on_link_failure=item.get("on_link_failure", FAILOVER)
                if item.get("on_link_failure") in (FAILOVER, FAIL_CLOSED)
                else FAILOVER,
                health_check=item.get("health_check", "") if isinstance(item.get("health_check"), str) else "",
                description=item.get("description", "") if isinstance(item.get("description"), str) else "",
                failover_links=failover_links,
                domains=domains,
            )
        )
    _check_failover_orders(collect, partners)
    _check_shared_domains(collect, partners)
    return partners
