"""A partner prefix inside a network the router is connected to is refused before anything changes.

The plan refuses a prefix inside the LAN networks the inventory lists; only the router knows the
networks it is really on (a LAN the inventory forgot, a provider's segment). Pinning such a prefix
would send traffic for hosts the router reaches directly out of a WAN link. Read: the partner sets of
the rendered nftables table (every set but the main table's) and every global address of the router
but loopback's and host routes (/32, /128: a point-to-point or service address is no network).
"""

import ipaddress

from . import nftparse
from .iproute import answers

MAIN_TABLE_SETS = ("main_table_v4", "main_table_v6")
ELEMENTS = "elements = {"


def partner_prefixes(content):
    """[(set name, prefix)] of the rendered table's partner sets."""
    found = []
    for path, statement, is_block in nftparse.entries(content):
        if is_block or len(path) != 2 or not path[1].startswith("set ") or not statement.startswith(ELEMENTS):
            continue
        name = path[1][len("set ") :]
        if name not in MAIN_TABLE_SETS:
            found.append((name, statement[len(ELEMENTS) :].rstrip("}").strip()))
    return found


def connected_networks(runner):
    """[(network, interface)] the router is connected to now."""
    networks = []
    for link in answers(runner, ["-json", "addr", "show"]):
        if not isinstance(link, dict) or link.get("ifname") == "lo":
            continue
        for entry in link.get("addr_info", []):
            if not isinstance(entry, dict) or entry.get("scope") != "global" or "local" not in entry:
                continue
            try:
                network = ipaddress.ip_interface(f"{entry['local']}/{int(entry.get('prefixlen', 0))}").network
            except (ValueError, TypeError):
                continue
            if network.num_addresses > 1:
                networks.append((network, str(link.get("ifname", "?"))))
    return networks


def problems(runner, content):
    """One sentence per partner prefix inside a connected network, naming the set, network and interface."""
    prefixes = partner_prefixes(content)
    networks, found = (connected_networks(runner) if prefixes else []), []
    for name, element in prefixes:
        try:
            prefix = ipaddress.ip_network(element, strict=False)
        except ValueError:
            continue  # a range or a value the contract check already judged
        for network, interface in networks:
            if prefix.version == network.version and prefix.subnet_of(network):
                found.append(
                    f"partner set {name} holds {prefix}, inside {network} on {interface}, a network"
                    " this router is connected to: add it to symroute_lan_networks, or correct the"
                    " partner's prefixes"
                )
    return found
