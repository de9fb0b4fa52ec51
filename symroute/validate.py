"""Validate one router's inventory and normalize it into a ``Router``.

All problems are collected and raised together in one ``InventoryError``;
warnings (redundant prefixes on one link) travel with the result.
"""

from collections import namedtuple
from dataclasses import fields

from .addresses import (
    AddressError,
    is_broad,
    parse_address,
    parse_interface_address,
    parse_prefix,
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
from .schema_check import structural_problems

RESERVED_TABLES = {0: "unspec", 253: "default", 254: "main", 255: "local"}
MAX_LINKS = 16
MAX_MAIN_TABLE_NETWORKS = 100


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


def _dicts(value):
    """The mapping items of a list, with their positions (others were reported)."""
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def _label(kind, index, item):
    name = item.get("name")
    return f"{kind} '{name}'" if isinstance(name, str) and name else f"{kind} #{index + 1}"


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


def _validate_links(collect, raw_links, table_base):
    links = []
    seen_names, seen_interfaces = {}, {}
    entries = _dicts(raw_links)
    if isinstance(raw_links, list) and not raw_links:
        collect.problem(LINKS, "the router has no links; list at least two WAN links")
    if len(entries) > MAX_LINKS:
        collect.problem(LINKS, f"{len(entries)} links; symroute's priority band holds at most {MAX_LINKS}")
    for index, item in entries:
        label = _label("link", index, item)
        name, interface = item.get("name"), item.get("interface")
        if isinstance(name, str):
            if name in seen_names:
                collect.problem(label, f"field name: duplicate link name (also link #{seen_names[name] + 1})")
            seen_names.setdefault(name, index)
        if isinstance(interface, str):
            if interface in seen_interfaces:
                collect.problem(
                    label, f"field interface: {interface} is also the interface of link '{seen_interfaces[interface]}'"
                )
            seen_interfaces.setdefault(interface, name)
        address = _link_address(collect, label, item, "address", 4, parse_interface_address)
        gateway = _link_address(collect, label, item, "gateway", 4, parse_address)
        address6 = _link_address(collect, label, item, "address6", 6, parse_interface_address)
        gateway6 = _link_address(collect, label, item, "gateway6", 6, parse_address)
        if address is not None and gateway is not None and address.prefixlen < 32 and gateway not in address:
            collect.problem(label, f"field gateway: {gateway} is not in the link's network {address.cidr}")
        if address is not None and gateway is not None and gateway == address.ip:
            collect.problem(label, f"field gateway: {gateway} is the link's own address")
        if ("address6" in item) != ("gateway6" in item):
            missing = "gateway6" if "address6" in item else "address6"
            collect.problem(label, f"field {missing}: IPv6 needs both address6 and gateway6")
        if item.get("nat66") is True and "address6" not in item:
            collect.problem(label, "field nat66: NAT66 needs the link's address6")
        raw_targets = item.get("health_targets")
        targets = [(position, target) for position, target in enumerate(raw_targets)
                   if isinstance(target, str)] if isinstance(raw_targets, list) else []
        health = _link_health(collect, label, item, targets, has_ipv6="address6" in item)
        table = item.get("table") if isinstance(item.get("table"), int) else table_base + index
        mark = item.get("mark") if isinstance(item.get("mark"), int) else index + 1
        if None in (address, gateway) or not isinstance(name, str) or not isinstance(interface, str):
            continue
        links.append(
            Link(
                name=name,
                index=index,
                interface=interface,
                address=address,
                gateway=gateway,
                table=table,
                mark_number=mark,
                address6=address6,
                gateway6=gateway6,
                nat66=item.get("nat66") is True,
                health_targets=tuple(target for _, target in targets),
                health=health,
                description=item.get("description", "") if isinstance(item.get("description"), str) else "",
            )
        )
    _check_link_numbers(collect, links)
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
            collect.problem(label, f"field health_targets[{position}]: {target} is IPv6 but the link has no address6")
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


def _check_link_numbers(collect, links):
    tables, marks = {}, {}
    for link in links:
        label = f"link '{link.name}'"
        if link.table in RESERVED_TABLES:
            collect.problem(
                label, f"field table: {link.table} is the kernel's reserved table '{RESERVED_TABLES[link.table]}'"
            )
        if link.table in tables:
            collect.problem(label, f"field table: table {link.table} is also used by link '{tables[link.table]}'")
        tables.setdefault(link.table, link.name)
        if link.mark_number in marks:
            collect.problem(label, f"field mark: mark {link.mark_number} is also used by link '{marks[link.mark_number]}'")
        marks.setdefault(link.mark_number, link.name)


def _validate_partners(collect, raw_partners, links):
    link_by_name = {link.name: link for link in links}
    partners, seen = [], {}
    for index, item in _dicts(raw_partners):
        label = _label("partner", index, item)
        name = item.get("name")
        if isinstance(name, str):
            if name in seen:
                collect.problem(label, f"field name: duplicate partner name (also partner #{seen[name] + 1})")
            seen.setdefault(name, index)
        link_name = item.get("link")
        link = link_by_name.get(link_name) if isinstance(link_name, str) else None
        if isinstance(link_name, str) and link is None:
            known = ", ".join(sorted(link_by_name)) or "none"
            collect.problem(label, f"field link: unknown link '{link_name}' (this router's links: {known})")
        prefixes = []
        raw_prefixes = item.get("prefixes")
        for position, text in enumerate(raw_prefixes if isinstance(raw_prefixes, list) else []):
            if not isinstance(text, str):
                continue
            field = f"field prefixes[{position}]"
            try:
                network = parse_prefix(text)
            except AddressError as error:
                collect.problem(label, f"{field}: {error}")
                continue
            if is_broad(network) and item.get("allow_broad") is not True:
                collect.problem(
                    label, f"{field}: {network} is broader than /{8 if network.version == 4 else 16}; "
                    "set allow_broad: true if that is intended"
                )
            if network.version == 6 and link is not None and not link.has_ipv6:
                collect.problem(label, f"{field}: {network} is IPv6 but link '{link.name}' has no IPv6 (address6/gateway6)")
            prefixes.append(network)
        check = item.get("health_check")
        if isinstance(check, str):
            try:
                parse_partner_check(check)
            except AddressError as error:
                collect.problem(label, f"field health_check: {error}")
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
            )
        )
    return partners


PartnerOwner = namedtuple("PartnerOwner", "name link mode")
RouterOwner = namedtuple("RouterOwner", "what")


def _router_networks(links, lan, management):
    own = [(network, f"LAN network {network}") for network in lan]
    own += [(network, f"management network {network}") for network in management]
    for link in links:
        own.append((link.address.cidr, f"link '{link.name}' network {link.address.cidr}"))
        if link.address6 is not None:
            own.append((link.address6.cidr, f"link '{link.name}' network {link.address6.cidr}"))
    return own


def _check_overlaps(collect, partners, router_networks):
    """Partner prefixes against each other and against the router's own networks, in one sweep."""
    entries = [
        Entry(prefix, PartnerOwner(partner.name, partner.link, partner.on_link_failure))
        for partner in partners
        for prefix in partner.prefixes
    ]
    entries += [Entry(network, RouterOwner(what)) for network, what in router_networks]
    for outer, inner in overlapping_pairs(entries):
        outer_is_router, inner_is_router = isinstance(outer.owner, RouterOwner), isinstance(inner.owner, RouterOwner)
        if outer_is_router and inner_is_router:
            continue
        if outer_is_router or inner_is_router:
            partner_entry, router_entry = (inner, outer) if outer_is_router else (outer, inner)
            collect.problem(f"partner '{partner_entry.owner.name}'",
                            f"field prefixes: {partner_entry.network} overlaps the router's own {router_entry.owner.what}")
            continue
        (outer_name, outer_link, outer_mode), (inner_name, inner_link, inner_mode) = outer.owner, inner.owner
        relation = "the same as" if outer.network == inner.network else "overlaps"
        pair = (
            f"{inner.network} of partner '{inner_name}' (link {inner_link}) {relation} "
            f"{outer.network} of partner '{outer_name}' (link {outer_link})"
        )
        if outer_link != inner_link:
            collect.problem(f"partner '{inner_name}'", f"field prefixes: {pair}: pinned to different links")
        elif outer_mode != inner_mode:
            collect.problem(
                f"partner '{inner_name}'",
                f"field prefixes: {pair} with on_link_failure {inner_mode} vs {outer_mode}: ambiguous",
            )
        else:
            collect.warning(f"partner '{inner_name}'", f"{pair}: redundant")


def _integer_option(variables, key, default):
    value = variables.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def validate_router(router, variables):
    """Validate one router's variables; return a ``Router`` or raise ``InventoryError``."""
    collect = _Collector(router)
    if not isinstance(variables, dict):
        raise InventoryError([Problem(router, "the router's variables are not a mapping")])
    collect.problems.extend(structural_problems(router, variables))
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
    for name in sorted(routers):
        try:
            results[name] = validate_router(name, routers[name])
        except InventoryError as error:
            problems.extend(error.problems)
    if problems:
        raise InventoryError(problems)
    return results
