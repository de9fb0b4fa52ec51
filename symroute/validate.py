"""Validate one router's inventory and normalize it into a ``Router``.

All problems are collected and raised together in one ``InventoryError``;
warnings (redundant prefixes on one link) travel with the result. The
inventory is untrusted: messages show its values escaped and shortened
(``addresses.shown``), and no value makes validation raise anything else.
"""

import re
from collections import namedtuple
from dataclasses import fields

from netaddr import IPNetwork

from .addresses import (
    AddressError,
    is_broad,
    parse_address,
    parse_interface_address,
    parse_prefix,
    shown,
    special_use,
)
from .errors import InventoryError, Problem
from .health import parse_link_target, parse_partner_check
from .model import (
    DEFAULT_RULE_PRIORITY_BASE,
    DEFAULT_TABLE_ID_BASE,
    FAIL_CLOSED,
    FAILOVER,
    LAN_NETWORKS,
    LINKS,
    MANAGEMENT_NETWORKS,
    PARTNERS,
    RULE_PRIORITY_BASE,
    TABLE_ID_BASE,
    Link,
    LinkHealth,
    Partner,
    Router,
)
from .overlaps import Entry, overlapping_pairs
from .scheme import MAX_FAILOVER_ORDERS
from .schema_check import item_label, named, structural_problems

__all__ = ["router_name_problems", "validate_router", "validate_routers"]

RESERVED_TABLES = {0: "unspec", 253: "default", 254: "main", 255: "local"}
MAX_LINKS = 16
MAX_MAIN_TABLE_NETWORKS = 100
ROUTER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
IPV6_LINK_LOCAL = IPNetwork("fe80::/10")
ADDRESS_FIELDS = {4: ("address", "gateway"), 6: ("address6", "gateway6")}


class _Collector:
    """Collects problems and warnings for one router."""

    def __init__(self, router):
        self.router = router
        self.problems = []
        self.warnings = []

    def problem(self, item, message):
        where = f"{self.router}, {item}" if item else self.router
        self.problems.append(Problem(where, message))

    def warning(self, item, message):
        self.warnings.append(f"{self.router}, {item}: {message}")


def router_name_problems(name):
    """Problems of a router (inventory host) name: 1-63 letters, digits, '.', '_', '-', a letter or digit first.

    Router names reach file names, commands and the report; a name such as
    "edge\\nflush ruleset" is refused and shown escaped.
    """
    if isinstance(name, str) and ROUTER_NAME.fullmatch(name):
        return []
    return [Problem(shown(name), f"the router name {shown(name)} is not 1 to 63 letters, digits, '.', '_' "
                                 "or '-' starting with a letter or digit")]


def _bare(name):
    """A name without quotes when it needs no escaping or shortening, else shown()."""
    text = shown(name)
    return name if text == f"'{name}'" else text


def _dicts(value):
    """The mapping items of a list, with their positions (others were reported)."""
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def _repeated(seen, value, other):
    """The item that had ``value`` before (None the first time); ``other`` names this one for the next."""
    earlier = seen.get(value)
    seen.setdefault(value, other)
    return earlier


def _check_unique_name(collect, kind, label, index, name, seen):
    if isinstance(name, str) and (earlier := _repeated(seen, name, f"{kind} #{index + 1}")):
        collect.problem(label, f"field name: duplicate {kind} name (also {earlier})")


def _networks(collect, key, values):
    networks = []
    if not isinstance(values, list):
        return networks
    for index, text in enumerate(values):
        if not isinstance(text, str):
            continue
        try:
            networks.append(parse_prefix(text))
        except AddressError as error:
            collect.problem(f"{key}[{index}]", str(error))
    return networks


def _link_address(collect, label, item, field, version, parse):
    if not isinstance(item.get(field), str):
        return None
    try:
        return parse(item[field], version)
    except AddressError as error:
        collect.problem(label, f"field {field}: {error}")
        return None


def _refused_special(collect, label, field, address, allowed=None):
    """Report an address in a special-use range (but ``allowed``); True when reported."""
    special = special_use(address)
    if special is None or special[0] == allowed:
        return False
    collect.problem(label, f"field {field}: {address} is in the {special[0]} range {special[1]}")
    return True


def _check_not_edge(collect, label, field, address, network):
    """The network and broadcast addresses of an IPv4 network of /30 or wider belong to no host."""
    if network.version != 4 or network.prefixlen > 30:
        return
    for edge, value in (("network", network.network), ("broadcast", network.broadcast)):
        if address == value:
            collect.problem(label, f"field {field}: {address} is the {edge} address of {network.cidr}")


def _check_addressing(collect, label, address, gateway):
    """The link's own address (with its network) and its gateway, in one family; gateway may be None."""
    address_field, gateway_field = ADDRESS_FIELDS[address.version]
    if not _refused_special(collect, label, address_field, address.ip):
        _check_not_edge(collect, label, address_field, address.ip, address)
    link_local_allowed = "link-local" if address.version == 6 else None
    if gateway is None or _refused_special(collect, label, gateway_field, gateway, link_local_allowed):
        return
    _check_not_edge(collect, label, gateway_field, gateway, address)
    # On-link gateways outside the network: any for an IPv4 /32, link-local ones for IPv6.
    on_link = address.prefixlen == 32 if address.version == 4 else gateway in IPV6_LINK_LOCAL
    if gateway == address.ip:
        collect.problem(label, f"field {gateway_field}: {gateway} is the link's own address")
    elif gateway not in address and not on_link:
        also = "" if address.version == 4 else " and is not link-local (fe80::/10)"
        collect.problem(label, f"field {gateway_field}: {gateway} is not in the link's network {address.cidr}{also}")


def _link_addresses(collect, label, item):
    """(address, gateway, address6, gateway6) of a link item, None where missing or invalid."""
    parsed = (
        _link_address(collect, label, item, "address", 4, parse_interface_address),
        _link_address(collect, label, item, "gateway", 4, parse_address),
        _link_address(collect, label, item, "address6", 6, parse_interface_address),
        _link_address(collect, label, item, "gateway6", 6, parse_address),
    )
    for address, gateway in (parsed[:2], parsed[2:]):
        if address is not None:
            _check_addressing(collect, label, address, gateway)
    if ("address6" in item) != ("gateway6" in item):
        missing = "gateway6" if "address6" in item else "address6"
        collect.problem(label, f"field {missing}: IPv6 needs both address6 and gateway6")
    if item.get("nat66") is True and "address6" not in item:
        collect.problem(label, "field nat66: NAT66 needs the link's address6")
    return parsed


def _validate_links(collect, raw_links, table_base):
    links = []
    seen_names, seen_interfaces = {}, {}
    entries = _dicts(raw_links)
    if isinstance(raw_links, list) and not raw_links:
        collect.problem(LINKS, "the router has no links; list at least two WAN links")
    if len(entries) > MAX_LINKS:
        collect.problem(LINKS, f"{len(entries)} links; symroute's priority band holds at most {MAX_LINKS}")
    for index, item in entries:
        label = item_label("link", index, item)
        name, interface = item.get("name"), item.get("interface")
        _check_unique_name(collect, "link", label, index, name, seen_names)
        if isinstance(interface, str) and (earlier := _repeated(seen_interfaces, interface, label)):
            collect.problem(label, f"field interface: {shown(interface)} is also the interface of {earlier}")
        address, gateway, address6, gateway6 = _link_addresses(collect, label, item)
        raw_targets = item.get("health_targets")
        targets = [(position, target) for position, target in enumerate(raw_targets)
                   if isinstance(target, str)] if isinstance(raw_targets, list) else []
        health = _link_health(collect, label, item, targets, has_ipv6="address6" in item)
        if None in (address, gateway) or not isinstance(name, str) or not isinstance(interface, str):
            continue
        links.append(
            Link(
                name=name,
                index=index,
                interface=interface,
                address=address,
                gateway=gateway,
                table=_integer_option(item, "table", table_base + index),
                mark_number=_integer_option(item, "mark", index + 1),
                address6=address6,
                gateway6=gateway6,
                nat66=item.get("nat66") is True,
                health_targets=tuple(target for _, target in targets),
                health=health,
                description=item.get("description", "") if isinstance(item.get("description"), str) else "",
            )
        )
    _check_link_uniqueness(collect, links)
    return links


def _link_health(collect, label, item, targets, has_ipv6):
    """The link's LinkHealth; ``targets`` are (position, text) of its string health targets."""
    for position, target in targets:
        try:
            parsed = parse_link_target(target)
        except AddressError as error:
            collect.problem(label, f"field health_targets[{position}]: {error}")
            continue
        if parsed["family"] == 6 and not has_ipv6:
            collect.problem(label, f"field health_targets[{position}]: {shown(target)} is IPv6 but the link has "
                                   "no address6")
    raw = item.get("health") if isinstance(item.get("health"), dict) else {}
    # A wrong type was reported by the schema check; the default keeps the other checks going.
    health = LinkHealth(**{f.name: _integer_option(raw, f.name, f.default) for f in fields(LinkHealth)})
    if health.timeout_ms > health.interval_ms:
        collect.problem(label, f"field health.timeout_ms: {health.timeout_ms} is longer than interval_ms "
                               f"({health.interval_ms}); a probe must end before the next round")
    if targets and health.reliability > len(targets):
        collect.problem(label, f"field health.reliability: {health.reliability} targets must answer but the link "
                               f"has {len(targets)}")
    return health


def _check_link_uniqueness(collect, links):
    """Tables, marks and addresses: one link each; tables not the kernel's."""
    seen = {"table": {}, "mark": {}, "address": {}, "address6": {}}
    for link in links:
        label = named("link", link.name)
        if link.table in RESERVED_TABLES:
            collect.problem(
                label, f"field table: {link.table} is the kernel's reserved table '{RESERVED_TABLES[link.table]}'"
            )
        values = {"table": f"table {link.table}", "mark": f"mark {link.mark_number}",
                  "address": f"address {link.address.ip}",
                  "address6": f"address {link.address6.ip}" if link.address6 is not None else None}
        for field, value in values.items():
            if value is not None and (earlier := _repeated(seen[field], value, label)):
                collect.problem(label, f"field {field}: {value} is also used by {earlier}")


def _partner_link(collect, label, link_name, link_by_name):
    """The Link a partner names (None when it names none or an unknown one, which is reported)."""
    if not isinstance(link_name, str):
        return None
    link = link_by_name.get(link_name)
    if link is None:
        known = ", ".join(_bare(name) for name in sorted(link_by_name)) or "none"
        collect.problem(label, f"field link: unknown link {shown(link_name)} (this router's links: {known})")
    return link


def _prefix_problem(network, link, allow_broad, allow_special_use):
    """What is wrong with one parsed partner prefix, or None."""
    if is_broad(network) and not allow_broad:
        return (f"{network} is broader than /{8 if network.version == 4 else 16}; "
                "set allow_broad: true if that is intended")
    special = None if allow_special_use else special_use(network)
    if special is not None:
        return (f"{network} overlaps the {special[0]} range {special[1]}; "
                "set allow_special_use: true if that is intended")
    if network.version == 6 and link is not None and not link.has_ipv6:
        return f"{network} is IPv6 but {named('link', link.name)} has no IPv6 (address6/gateway6)"
    return None


def _partner_prefixes(collect, label, item, link):
    """The partner's valid prefixes; every invalid or refused one is reported with its position."""
    prefixes = []
    raw_prefixes = item.get("prefixes")
    allow_broad, allow_special_use = item.get("allow_broad") is True, item.get("allow_special_use") is True
    for position, text in enumerate(raw_prefixes if isinstance(raw_prefixes, list) else []):
        if not isinstance(text, str):
            continue
        try:
            network = parse_prefix(text)
            problem = _prefix_problem(network, link, allow_broad, allow_special_use)
        except AddressError as error:
            network, problem = None, str(error)
        if problem is not None:
            collect.problem(label, f"field prefixes[{position}]: {problem}")
        if network is not None:
            prefixes.append(network)
    return prefixes


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
        collect.problem(label, "field failover_links: only for on_link_failure failover "
                               "(a fail_closed partner never leaves by another link)")
        return ()
    names, valid = [], True
    for position, name in enumerate(value):
        if not isinstance(name, str):
            valid = False
        elif name not in link_by_name:
            known = ", ".join(_bare(known) for known in sorted(link_by_name)) or "none"
            collect.problem(label, f"field failover_links[{position}]: unknown link {shown(name)} "
                                   f"(this router's links: {known})")
            valid = False
        elif link is not None and name == link.name:
            collect.problem(label, f"field failover_links[{position}]: {_bare(name)} is the pinned link itself")
            valid = False
        elif name in names:
            collect.problem(label, f"field failover_links[{position}]: {_bare(name)} is listed twice")
            valid = False
        names.append(name)
    if valid and not value:
        collect.problem(label, "field failover_links: empty; leave it out for the default order, "
                               "or use on_link_failure fail_closed")
        valid = False
    return tuple(names) if valid else ()


def _check_failover_orders(collect, partners):
    orders = {(partner.link, partner.failover_links) for partner in partners if partner.failover_links}
    if len(orders) > MAX_FAILOVER_ORDERS:
        collect.problem(PARTNERS, f"{len(orders)} different failover_links orders; "
                                  f"symroute's priority band holds at most {MAX_FAILOVER_ORDERS}")


def _validate_partners(collect, raw_partners, links):
    link_by_name = {link.name: link for link in links}
    partners, seen = [], {}
    for index, item in _dicts(raw_partners):
        label = item_label("partner", index, item)
        name = item.get("name")
        _check_unique_name(collect, "partner", label, index, name, seen)
        link = _partner_link(collect, label, item.get("link"), link_by_name)
        prefixes = _partner_prefixes(collect, label, item, link)
        failover_links = _failover_links(collect, label, item, link, link_by_name)
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
            )
        )
    _check_failover_orders(collect, partners)
    return partners


PartnerOwner = namedtuple("PartnerOwner", "name link mode order")
# ``position``: the link's index, -1 for LAN and management networks (whose ``link`` and ``field`` are "").
RouterOwner = namedtuple("RouterOwner", "what link field position")


def _router_networks(links, lan, management):
    """(network, RouterOwner) of the LAN, management and link networks."""
    own = [(network, RouterOwner(f"LAN network {network}", "", "", -1)) for network in lan]
    own += [(network, RouterOwner(f"management network {network}", "", "", -1)) for network in management]
    for link in links:
        for field, address in (("address", link.address), ("address6", link.address6)):
            if address is not None:
                own.append((address.cidr, RouterOwner(f"{named('link', link.name)} network {address.cidr}",
                                                      link.name, field, link.index)))
    return own


def _report_link_overlap(collect, outer, inner):
    """Two router networks overlap: an error on the later link (LAN and management networks may nest)."""
    link_entry, other = (outer, inner) if outer.owner.position > inner.owner.position else (inner, outer)
    if link_entry.owner.position >= 0:
        collect.problem(named("link", link_entry.owner.link),
                        f"field {link_entry.owner.field}: network {link_entry.network} overlaps the {other.owner.what}")


def _report_own_network_overlap(collect, partner_entry, router_entry):
    collect.problem(named("partner", partner_entry.owner.name),
                    f"field prefixes: {partner_entry.network} overlaps the router's own {router_entry.owner.what}")


def _report_partner_overlap(collect, outer, inner):
    (outer_name, outer_link, outer_mode, outer_order), (inner_name, inner_link, inner_mode, inner_order) = (
        outer.owner, inner.owner)
    relation = "the same as" if outer.network == inner.network else "overlaps"
    pair = (
        f"{inner.network} of partner {shown(inner_name)} (link {_bare(inner_link)}) {relation} "
        f"{outer.network} of partner {shown(outer_name)} (link {_bare(outer_link)})"
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


def _check_overlaps(collect, partners, router_networks):
    """Partner prefixes against each other and against the router's own networks, and the router's
    link networks against its other networks, in one sweep."""
    entries = [
        Entry(prefix, PartnerOwner(partner.name, partner.link, partner.on_link_failure, partner.failover_links))
        for partner in partners
        for prefix in partner.prefixes
    ]
    entries += [Entry(network, owner) for network, owner in router_networks]
    for outer, inner in overlapping_pairs(entries):
        outer_is_router, inner_is_router = isinstance(outer.owner, RouterOwner), isinstance(inner.owner, RouterOwner)
        if outer_is_router and inner_is_router:
            _report_link_overlap(collect, outer, inner)
        elif outer_is_router or inner_is_router:
            _report_own_network_overlap(collect, *((inner, outer) if outer_is_router else (outer, inner)))
        else:
            _report_partner_overlap(collect, outer, inner)


# Larger integers were reported by the schema check; they would only slow the other checks down.
MAX_INTEGER = 2**64


def _integer_option(variables, key, default):
    value = variables.get(key, default)
    valid = isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INTEGER
    return value if valid else default


def validate_router(router, variables):
    """Validate one router's variables; return a ``Router`` or raise ``InventoryError``."""
    name_problems = router_name_problems(router)
    collect = _Collector(shown(router) if name_problems else router)
    collect.problems.extend(name_problems)
    if not isinstance(variables, dict):
        collect.problem("", "the router's variables are not a mapping")
        raise InventoryError(collect.problems)
    collect.problems.extend(structural_problems(collect.router, variables))
    # A wrong type was reported by the schema check; the default keeps the other checks going.
    table_base = _integer_option(variables, TABLE_ID_BASE, DEFAULT_TABLE_ID_BASE)
    priority_base = _integer_option(variables, RULE_PRIORITY_BASE, DEFAULT_RULE_PRIORITY_BASE)
    if LINKS not in variables:
        collect.problem("", f"{LINKS} is not set for this router")
    links = _validate_links(collect, variables.get(LINKS, []), table_base)
    lan = _networks(collect, LAN_NETWORKS, variables.get(LAN_NETWORKS, []))
    management = _networks(collect, MANAGEMENT_NETWORKS, variables.get(MANAGEMENT_NETWORKS, []))
    if len(lan) + len(management) > MAX_MAIN_TABLE_NETWORKS:
        collect.problem("", f"more than {MAX_MAIN_TABLE_NETWORKS} LAN and management networks")
    partners = _validate_partners(collect, variables.get(PARTNERS, []), links)
    _check_overlaps(collect, partners, _router_networks(links, lan, management))
    if collect.problems:
        raise InventoryError(collect.problems)
    return Router(
        name=router,
        links=tuple(links),
        partners=tuple(sorted(partners, key=lambda p: p.name)),
        lan_networks=tuple(lan),
        management_networks=tuple(management),
        rule_priority_base=priority_base,
        warnings=tuple(sorted(set(collect.warnings))),
    )


def validate_routers(routers):
    """Validate many routers ({name: variables}); every router's problems at once."""
    results, problems = {}, []
    for name in sorted(routers, key=str):
        try:
            results[name] = validate_router(name, routers[name])
        except InventoryError as error:
            problems.extend(error.problems)
    if problems:
        raise InventoryError(problems)
    return results
