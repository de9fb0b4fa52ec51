"""Path facts: the WAN links (interfaces holding a default route in the main table), their gateways,
metrics and own addresses, the site's addresses, the policy rules, and the kernel settings that decide
whether a reply on another link, or a route via a link without carrier, is used.

Read-only: `ip -json` and files under /proc/sys (the reader is a parameter, so tests hand in a dict).
Link names come from ``--link NAME=INTERFACE``, else symroute's monitor configuration
(/etc/symroute/monitor.json) when symroute is installed, else the interface's own name.
"""

import ipaddress
import json
import os

from .. import ipforms
from ..iproute import answers as ip_json
from . import options

PROC_SYS = "/proc/sys"
MONITOR_CONFIG = "/etc/symroute/monitor.json"
FAMILIES = ((4, "ipv4"), (6, "ipv6"))


def read_proc_sys(relative):
    """The stripped text of /proc/sys/RELATIVE, or None when it cannot be read."""
    try:
        with open(os.path.join(PROC_SYS, relative), encoding="ascii") as handle:
            return handle.read().strip()
    except (OSError, ValueError):
        return None


def _number(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def default_routes(runner):
    """{interface: {"ipv4": {"gateways": [...], "metric": N}, "ipv6": {...}}} of the main table's default routes."""
    found = {}
    for family, key in FAMILIES:
        for route in ip_json(runner, [f"-{family}", "-json", "route", "show", "default"]):
            for hop in route.get("nexthops") or [route]:
                device = hop.get("dev")
                if not isinstance(device, str):
                    continue  # unreachable/blackhole default: no link
                entry = found.setdefault(device, {}).setdefault(key, {"gateways": [], "metric": None})
                if hop.get("gateway") and hop["gateway"] not in entry["gateways"]:
                    entry["gateways"].append(hop["gateway"])
                metric = route.get("metric", 0) if isinstance(route.get("metric", 0), int) else None
                if metric is not None and (entry["metric"] is None or metric < entry["metric"]):
                    entry["metric"] = metric
    return found


def global_addresses(runner):
    """{interface: {"ipv4": [...], "ipv6": [...]}}: every usable global address (`ip -json addr show`)."""
    found = {}
    for device in ip_json(runner, ["-json", "addr", "show"]):
        for info in device.get("addr_info") or []:
            key = {"inet": "ipv4", "inet6": "ipv6"}.get(info.get("family"))
            if (
                key
                and info.get("scope") == "global"
                and info.get("local")
                and not (info.get("tentative") or info.get("dadfailed"))
            ):
                found.setdefault(str(device.get("ifname")), {}).setdefault(key, []).append(info["local"])
    return found


def _sorted_addresses(addresses):
    """Unique, IPv4 before IPv6, each in numeric order."""
    return sorted(set(addresses), key=lambda text: (ipaddress.ip_address(text).version, ipaddress.ip_address(text)))


def policy_rules(runner):
    """{"ipv4": [rule text], "ipv6": [...]}, in priority order, as `ip rule add` takes them."""
    return {
        key: [
            ipforms.rule_text(ipforms.live_rule(entry, family))
            for entry in ip_json(runner, [f"-{family}", "-json", "rule"])
        ]
        for family, key in FAMILIES
    }


def monitor_config(path):
    """symroute's link names from its monitor configuration: {"path", "found", "error", "links": {interface: link}}."""
    read = {"path": path, "found": False, "error": None, "links": {}}
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except FileNotFoundError:
        return read
    except (OSError, ValueError) as error:
        return dict(read, error=f"{path}: {error}")
    read["found"] = True
    section = config.get("monitor", config) if isinstance(config, dict) else {}
    entries = section.get("links") if isinstance(section, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        try:
            name = options.link_name(entry.get("name"))
            device = options.interface(entry.get("interface"))
        except (AttributeError, options.OptionError):
            continue  # not a link symroute could have written: named by its interface instead
        read["links"][device] = {"name": name, "mark": entry.get("mark"), "table": entry.get("table")}
    return read


def _sysctl(read, *parts):
    return _number(read("/".join(parts)))


def rp_filter(read, interface):
    """{"all", "interface", "effective"}: the kernel uses the larger of 'all' and the interface's value
    (0 off, 1 strict, 2 loose)."""
    values = {
        "all": _sysctl(read, "net", "ipv4", "conf", "all", "rp_filter"),
        "interface": _sysctl(read, "net", "ipv4", "conf", interface, "rp_filter"),
    }
    known = [value for value in values.values() if value is not None]
    return dict(values, effective=max(known) if known else None)


def ignore_routes_with_linkdown(read, interface, keys):
    """{family key: effective value}: for IPv4 the kernel ORs the interface's value with 'all'
    (IN_DEV_ORCONF); for IPv6 only the interface's counts (writing 'all' sets every interface)."""
    values = {}
    for key in keys:
        value = _sysctl(read, "net", key, "conf", interface, "ignore_routes_with_linkdown")
        if key == "ipv4" and value == 0 and _sysctl(read, "net", "ipv4", "conf", "all", "ignore_routes_with_linkdown"):
            value = 1
        values[key] = value
    return values


def _name(interface, named, config):
    if interface in named:
        return named[interface], "--link"
    if interface in config["links"]:
        return config["links"][interface]["name"], "monitor configuration"
    return interface, "interface"


def _link(interface, routes, addresses, named, config, read):
    name, named_by = _name(interface, named, config)
    keys = [key for _family, key in FAMILIES if key in routes]
    link = {
        "name": name,
        "named_by": named_by,
        "interface": interface,
        "gateways": {key: routes[key]["gateways"] for key in keys},
        "metrics": {key: routes[key]["metric"] for key in keys},
        "addresses": {key: _sorted_addresses(addresses.get(interface, {}).get(key, [])) for key in keys},
        "rp_filter": rp_filter(read, interface),
        "ignore_routes_with_linkdown": ignore_routes_with_linkdown(read, interface, keys),
    }
    if interface in config["links"]:
        link["symroute"] = {k: v for k, v in config["links"][interface].items() if k != "name"}
    return link


def _order(link):
    metrics = [m for m in link["metrics"].values() if m is not None]
    return (min(metrics) if metrics else 2**32, link["interface"])


def _site(addresses, wan, given):
    if given:
        return {
            key: [a for a in given if ipaddress.ip_address(a).version == family] for family, key in FAMILIES
        }, "--site-address"
    site = {key: [] for _family, key in FAMILIES}
    for interface, by_family in addresses.items():
        if interface != "lo" and interface not in wan:
            for key, found in by_family.items():
                site[key] += found
    return {key: _sorted_addresses(found) for key, found in site.items()}, "addresses on the other interfaces"


def read(runner, read_sysctl=read_proc_sys, monitor_config_path=MONITOR_CONFIG, named=None, site_addresses=None):
    """Every path fact the findings need (plain data); ``named`` is {interface: link name} (--link)."""
    named = named or {}
    config = monitor_config(monitor_config_path)
    routes, addresses, notes = default_routes(runner), global_addresses(runner), []
    wan = []
    for interface in sorted(routes):
        try:
            options.interface(interface)
        except options.OptionError as error:
            notes.append(f"default route via {error}: not examined")
            continue
        wan.append(interface)
    links = sorted((_link(i, routes[i], addresses, named, config, read_sysctl) for i in wan), key=_order)
    for interface in sorted(set(named) - set(wan)):
        notes.append(
            f"--link {named[interface]}={interface}: {interface} holds no default route in the main "
            "table, so it is not a WAN link here"
        )
    names = [link["name"] for link in links]
    for link in links:
        if names.count(link["name"]) > 1:
            notes.append(f"two links are named {link['name']}: name them with --link NAME=INTERFACE")
    if config["error"]:
        notes.append(f"symroute's monitor configuration could not be read: {config['error']}")
    site, site_from = _site(addresses, set(wan), site_addresses)
    local = _sorted_addresses(a for by_family in addresses.values() for found in by_family.values() for a in found)
    return {
        "links": links,
        "site_addresses": site,
        "site_addresses_from": site_from,
        "rules": policy_rules(runner),
        "monitor_config": {k: config[k] for k in ("path", "found")},
        "local_addresses": local,
        "notes": sorted(set(notes)),
    }
