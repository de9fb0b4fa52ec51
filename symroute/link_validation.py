"""Validate a router's WAN links: addresses and gateways, names, interfaces, tables, marks, health.

Every problem is reported (to the router's Collector); the valid links become ``Link``s.
"""

from dataclasses import fields

from netaddr import IPNetwork

from .addresses import AddressError, parse_address, parse_interface_address, shown, special_use
from .health import parse_link_target
from .item_checks import check_unique_name, integer_option, mapping_items, repeated
from .model import DYNAMIC, LINKS, Link, LinkHealth
from .schema_check import item_label, named
from .shapes import Collect

RESERVED_TABLES = {0: "unspec", 253: "default", 254: "main", 255: "local"}
MAX_LINKS = 16
IPV6_LINK_LOCAL = IPNetwork("fe80::/10")
ADDRESS_FIELDS = {4: ("address", "gateway"), 6: ("address6", "gateway6")}


DYNAMIC_HINT = {
    "address": "'dynamic' where the link's DHCP, PPP or LTE client sets it",
    "gateway": "'dynamic' where the link's DHCP, PPP or LTE client sets it (or leave it out on a point-to-point link)",
    "address6": "'dynamic' where SLAAC or DHCPv6 sets it",
    "gateway6": "'dynamic' where router advertisements set it",
}


def _link_address(collect, label, item, field, version, parse):
    if not isinstance(item.get(field), str) or item[field] == DYNAMIC:
        return None
    try:
        return parse(item[field], version)
    except AddressError as error:
        collect.problem(label, f"field {field}: {error}, or {DYNAMIC_HINT[field]}")
        return None


def _dynamic_fields(item):
    return tuple(field for field in ("address", "gateway", "address6", "gateway6") if item.get(field) == DYNAMIC)


def _check_dynamic(collect, label, item, parsed):
    """A static gateway needs a static address to be checked against (IPv6: or a link-local gateway)."""
    _, gateway, _, gateway6 = parsed
    if item.get("address") == DYNAMIC and gateway is not None:
        collect.problem(
            label,
            f"field gateway: {gateway} is static but the address is dynamic: write gateway: "
            "dynamic (learned from the route the link's client installs), or leave it out on a "
            "point-to-point link",
        )
    if item.get("address6") == DYNAMIC and gateway6 is not None and gateway6 not in IPV6_LINK_LOCAL:
        collect.problem(
            label,
            f"field gateway6: {gateway6} is static but address6 is dynamic: write gateway6: "
            "dynamic, or a link-local (fe80::/10) gateway",
        )


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
    _check_dynamic(collect, label, item, parsed)
    if ("address6" in item) != ("gateway6" in item):
        missing = "gateway6" if "address6" in item else "address6"
        collect.problem(label, f"field {missing}: IPv6 needs both address6 and gateway6")
    if item.get("nat66") is True and "address6" not in item:
        collect.problem(label, "field nat66: NAT66 needs the link's address6")
    return parsed


def validate_links(collect: Collect, raw_links: object, table_base: int) -> list[Link]:
    links = []
    seen_names, seen_interfaces = {}, {}
    entries = mapping_items(raw_links)
    if isinstance(raw_links, list) and not raw_links:
        collect.problem(LINKS, "the router has no links; list at least two WAN links")
    if len(entries) > MAX_LINKS:
        collect.problem(LINKS, f"{len(entries)} links; symroute's priority band holds at most {MAX_LINKS}")
    for index, item in entries:
        label = item_label("link", index, item)
        name, interface = item.get("name"), item.get("interface")
        check_unique_name(collect, "link", label, index, name, seen_names)
        if isinstance(interface, str) and (earlier := repeated(seen_interfaces, interface, label)):
            collect.problem(label, f"field interface: {shown(interface)} is also the interface of {earlier}")
        address, gateway, address6, gateway6 = _link_addresses(collect, label, item)
        raw_targets = item.get("health_targets")
        targets = (
            [(position, target) for position, target in enumerate(raw_targets) if isinstance(target, str)]
            if isinstance(raw_targets, list)
            else []
        )
        health = _link_health(collect, label, item, targets, has_ipv6="address6" in item)
        dynamic = _dynamic_fields(item)
        if (
            (address is None and "address" not in dynamic)
            or (gateway is None and "gateway" not in dynamic and "gateway" in item)
            or not isinstance(name, str)
            or not isinstance(interface, str)
        ):
            continue
        links.append(
            Link(
                name=name,
                index=index,
                interface=interface,
                address=address,
                gateway=gateway,
                table=integer_option(item, "table", table_base + index),
                mark_number=integer_option(item, "mark", index + 1),
                address6=address6,
                gateway6=gateway6,
                nat66=item.get("nat66") is True,
                health_targets=tuple(target for _, target in targets),
                health=health,
                description=item.get("description", "") if isinstance(item.get("description"), str) else "",
                dynamic=dynamic,
                point_to_point="gateway" not in item,
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
            collect.problem(
                label, f"field health_targets[{position}]: {shown(target)} is IPv6 but the link has no address6"
            )
    raw = item.get("health") if isinstance(item.get("health"), dict) else {}
    # A wrong type was reported by the schema check; the default keeps the other checks going.
    health = LinkHealth(**{f.name: integer_option(raw, f.name, f.default) for f in fields(LinkHealth)})
    if health.timeout_ms > health.interval_ms:
        collect.problem(
            label,
            f"field health.timeout_ms: {health.timeout_ms} is longer than interval_ms "
            f"({health.interval_ms}); a probe must end before the next round",
        )
    if targets and health.reliability > len(targets):
        collect.problem(
            label, f"field health.reliability: {health.reliability} targets must answer but the link has {len(targets)}"
        )
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
        values = {
            "table": f"table {link.table}",
            "mark": f"mark {link.mark_number}",
            "address": f"address {link.address.ip}" if link.address is not None else None,
            "address6": f"address {link.address6.ip}" if link.address6 is not None else None,
        }
        for field, value in values.items():
            if value is not None and (earlier := repeated(seen[field], value, label)):
                collect.problem(label, f"field {field}: {value} is also used by {earlier}")
