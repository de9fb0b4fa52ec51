"""Validate one router's ``symroute_ha`` (its side of an HA pair) into an ``HaPair``.

The schema (schema/inventory.schema.json) refused wrong types and forms; this checks what a schema
cannot: addresses and networks, VRIDs per interface, links that exist and can be shared. The two
routers are checked against each other afterwards (ha_pairs.py). Every problem is reported to the
router's Collector as ``<router>, symroute_ha: field <field>: <what is wrong>``.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Optional

from netaddr import IPNetwork

from .addresses import AddressError, parse_address, parse_interface_address, shown, special_use
from .ha_model import DEFAULT_ADVERT_INTERVAL_MS, HA, OWN, SHARED, HaLan, HaLink, HaPair
from .item_checks import bare, integer_option, mapping_items
from .model import LINKS, Link
from .shapes import Collect

MAX_LAN_SEGMENTS = 16
ADVERT_STEP_MS = 10  # VRRPv3 advertises in centiseconds


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _address(report, field, text, version, parse=parse_interface_address):
    """The parsed address, or None (reported; a value of the wrong type was reported by the schema)."""
    if not isinstance(text, str):
        return None
    try:
        return parse(text, version)
    except AddressError as error:
        report(field, str(error))
        return None


def _edge(address, network):
    """'network' or 'broadcast' when ``address`` is that address of an IPv4 network of /30 or wider."""
    if network.version != 4 or network.prefixlen > 30:
        return None
    return {int(network.network): "network", int(network.broadcast): "broadcast"}.get(int(address))


def _host_problem(address, network):
    special = special_use(address)
    if special is not None:
        return f"{address} is in the {special[0]} range {special[1]}"
    edge = _edge(address, network)
    return f"{address} is the {edge} address of {network.cidr}" if edge else None


def _sync(report, raw, used_interfaces, networks):
    if not isinstance(raw, dict):
        return None
    address = _address(report, "sync.address", raw.get("address"), 4)
    peer = _address(report, "sync.peer_address", raw.get("peer_address"), 4, parse_address)
    interface = raw.get("interface")
    if isinstance(interface, str) and interface in used_interfaces:
        report(
            "sync.interface",
            f"{shown(interface)} is also {used_interfaces[interface]}: the sync link is "
            "its own interface, between the two routers only",
        )
    if address is None:
        return None
    problem = _host_problem(address.ip, address)
    if problem:
        report("sync.address", problem)
    for network, what in networks:
        if network.version == 4 and address.first <= network.last and network.first <= address.last:
            report("sync.address", f"{address.cidr} overlaps {what} {network.cidr}")
    if peer is not None:
        if peer == address.ip:
            report("sync.peer_address", f"{peer} is this router's own sync address")
        elif peer not in address:
            report(
                "sync.peer_address",
                f"{peer} is not in the sync network {address.cidr} (both routers' sync "
                "addresses are on one network, e.g. a /30)",
            )
        elif _edge(peer, address):
            report("sync.peer_address", f"{peer} is the {_edge(peer, address)} address of {address.cidr}")
    if not isinstance(interface, str) or peer is None:
        return None
    return interface, address, peer


def _lan_address(report, field, text, version, lan_networks):
    address = _address(report, field, text, version)
    if address is None:
        return None
    network = next((n for n in lan_networks if n.version == version and address.ip in n), None)
    if network is None:
        report(field, f"{address} is not in any of symroute_lan_networks (the shared gateway is on the LAN)")
        return None
    if address.cidr != network:
        report(
            field,
            f"{address} has another prefix length than its LAN network {network} (write "
            f"{address.ip}/{network.prefixlen})",
        )
    problem = _host_problem(address.ip, network)
    if problem:
        report(field, problem)
    return address


def _lan(report, raw, link_interfaces, lan_networks):
    segments, interfaces = [], {}
    if not isinstance(raw, list):
        return segments
    if len(raw) > MAX_LAN_SEGMENTS:
        report("lan", f"{len(raw)} LAN segments; at most {MAX_LAN_SEGMENTS}")
        return segments
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        field = f"lan[{index}]"
        interface, vrid = item.get("interface"), item.get("vrid")
        if isinstance(interface, str):
            if interface in link_interfaces:
                report(f"{field}.interface", f"{shown(interface)} is the interface of {link_interfaces[interface]}")
            elif interface in interfaces:
                report(f"{field}.interface", f"{shown(interface)} is also the interface of {interfaces[interface]}")
            interfaces.setdefault(interface, field)
        if "address" not in item and "address6" not in item:
            report(field, "a LAN segment needs its shared gateway address, address6 or both")
        address = _lan_address(report, f"{field}.address", item.get("address"), 4, lan_networks)
        address6 = _lan_address(report, f"{field}.address6", item.get("address6"), 6, lan_networks)
        if isinstance(interface, str) and isinstance(vrid, int) and (address is not None or address6 is not None):
            segments.append(HaLan("lan" if index == 0 else f"lan_{index + 1}", interface, vrid, address, address6))
    return segments


def _shared_link(report, field, item, link):
    if link.learned(4) or link.address is None:
        report(
            field,
            f"{link.name}'s IPv4 addressing is learned (dynamic or point-to-point): only a static "
            "address can be shared; write mode: own",
        )
        return None
    for key in ("vrid", "address"):
        if key not in item:
            report(field, f"a shared link needs its {key} (or mode: own)")
    if link.nat66:
        report(
            field,
            f"{link.name} translates IPv6 to its own address6 (nat66), which would change at a "
            "switchover: symroute shares IPv4 addresses only; turn nat66 off or write mode: own",
        )
    address = _address(report, f"{field}.address", item.get("address"), 4)
    if address is None:
        return None
    if address.cidr != link.address.cidr:
        report(
            f"{field}.address",
            f"{address} is not in {link.name}'s network {link.address.cidr} with its "
            f"prefix length (write {address.ip}/{link.address.prefixlen} in that network)",
        )
    elif address.ip == link.address.ip:
        report(
            f"{field}.address",
            f"{address.ip} is this router's own address on {link.name}: the shared address is a third one",
        )
    elif address.ip == link.gateway:
        report(f"{field}.address", f"{address.ip} is {link.name}'s gateway")
    elif problem := _host_problem(address.ip, link.address):
        report(f"{field}.address", problem)
    return address


def _links(report, raw, links, written):
    """The HaLinks of ``links`` (the valid ones); ``written``: the names of every link written."""
    entries = []
    if not isinstance(raw, dict):
        return entries
    unknown = [name for name in raw if isinstance(name, str) and name not in written]
    for name in unknown[:MAX_LAN_SEGMENTS]:
        report(f"links.{bare(name)}", f"unknown link {shown(name)} (links: {', '.join(written) or 'none'})")
    for link in links:
        item = raw.get(link.name)
        field = f"links.{link.name}"
        if not isinstance(item, dict):
            if link.name not in raw:
                report(
                    "links", f"link {link.name} is not listed: give it a shared address (vrid, address) or mode: own"
                )
            continue
        mode = item.get("mode", SHARED)
        if mode == OWN:
            for key in ("vrid", "address"):
                if key in item:
                    report(f"{field}.{key}", "mode own shares no address: leave it out")
            entries.append(HaLink(link.name, OWN))
        elif mode == SHARED:
            address = _shared_link(report, field, item, link)
            if address is not None and _is_int(item.get("vrid")):
                entries.append(HaLink(link.name, SHARED, item["vrid"], address))
    return entries


def _vrids(report, lan, links, link_interface, raw_links):
    seen = {}
    named = [(f"lan[{index}].vrid", s.interface, s.vrid) for index, s in enumerate(lan)]
    named += [(f"links.{e.name}.vrid", link_interface[e.name], e.vrid) for e in links if e.mode == SHARED]
    for field, interface, vrid in named:
        earlier = seen.setdefault((interface, vrid), field)
        if earlier != field:
            report(
                field, f"VRID {vrid} is also {earlier}'s on interface {interface} (one VRID per instance and interface)"
            )
    segments = {s.segment for s in lan}
    for name in sorted(segments & set(raw_links)):
        report(f"links.{name}", f"the link's name is also the name of a LAN segment ({name}): rename the link")


def validate_ha(
    collect: Collect,
    router: str,
    variables: Mapping[str, Any],
    links: Sequence[Link],
    lan_networks: Sequence[IPNetwork],
    management: Sequence[IPNetwork],
) -> Optional[HaPair]:
    """This router's HaPair (None without ``symroute_ha`` or with problems, all reported to ``collect``)."""
    raw = variables.get(HA)
    if not isinstance(raw, dict):
        return None
    reported = []

    def report(field, message):
        reported.append(field)
        collect.problem(HA, f"field {field}: {message}")

    if raw.get("peer") == router:
        report("peer", f"{shown(router)} is this router: the peer is the other router of the pair")
    interval = integer_option(raw, "advert_interval_ms", DEFAULT_ADVERT_INTERVAL_MS)
    if 10 <= interval <= 1000 and interval % ADVERT_STEP_MS:
        report(
            "advert_interval_ms",
            f"{interval} is not a multiple of {ADVERT_STEP_MS} ms (VRRPv3 advertises in centiseconds)",
        )
    link_interfaces = {link.interface: f"link {link.name}" for link in links}
    lan = _lan(report, raw.get("lan"), link_interfaces, lan_networks)
    used = dict(link_interfaces, **{s.interface: f"the interface of LAN segment {s.segment}" for s in lan})
    networks = [(link.address, f"link {link.name}'s network") for link in links if link.address is not None]
    networks += [(n, "the LAN network") for n in lan_networks] + [(n, "the management network") for n in management]
    sync = _sync(report, raw.get("sync"), used, networks)
    written = [item["name"] for _, item in mapping_items(variables.get(LINKS)) if isinstance(item.get("name"), str)]
    entries = _links(report, raw.get("links"), links, written)
    _vrids(
        report,
        lan,
        entries,
        {link.name: link.interface for link in links},
        raw.get("links") if isinstance(raw.get("links"), dict) else {},
    )
    pair, peer, priority, preempt = raw.get("pair"), raw.get("peer"), raw.get("priority"), raw.get("preempt", False)
    if (
        reported
        or sync is None
        or not lan
        or not isinstance(pair, str)
        or not isinstance(peer, str)
        or not isinstance(priority, int)
        or not isinstance(preempt, bool)
    ):
        return None
    return HaPair(
        pair=pair,
        peer=peer,
        priority=priority,
        preempt=preempt,
        advert_interval_ms=interval,
        sync_interface=sync[0],
        sync_address=sync[1],
        sync_peer=sync[2],
        lan=tuple(lan),
        links=tuple(entries),
    )
