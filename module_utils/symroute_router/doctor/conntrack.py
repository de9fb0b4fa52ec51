"""The conntrack signature of the incident: connections to one destination prefix, leaving by one
link, that are never answered (SYN_SENT, [UNREPLIED]) while none by that link is.

Reads `conntrack -L -f ipv4 -p tcp` and `-f ipv6` (conntrack-tools 1.4.7), once, or once a second
over a sampling window. A connection is its original tuple; its latest state wins, so an entry
seen as SYN_SENT that later reads ESTABLISHED counts as answered. The link is the kernel's answer
to `ip -json route get DST [mark MARK]` with the entry's mark when it has one. conntrack missing
is said, not an error. Connections the router opened itself (from one of its own addresses: the
doctor's earlier probes, the link monitor's checks) are counted apart, never grouped: the
signature is about the site's traffic passing through.
"""

import ipaddress

from .. import conntrack
from ..command import message
from ..iproute import route_get

_TUPLE = ("src", "dst", "sport", "dport")


def parse_line(line):
    """One TCP entry: {"src", "dst", "sport", "dport", "state", "unreplied", "mark"}, or None (summary, blank,
    another protocol); the package's one conntrack parser reads the line."""
    entry = conntrack.parse_line(line)
    if entry is None or entry.pop("protocol") != "tcp" or not all(key in entry for key in _TUPLE):
        return None
    return entry


def read_once(runner):
    """(entries, None), or (None, why) when conntrack is missing or refuses."""
    entries = []
    for family in ("ipv4", "ipv6"):
        result = runner.run(["conntrack", "-L", "-f", family, "-p", "tcp"])
        if result.rc == 127:
            return None, "conntrack (conntrack-tools) is not installed"
        if result.rc != 0:
            return None, message(result, f"conntrack exited with status {result.rc}")
        entries += [e for e in map(parse_line, result.stdout.splitlines()) if e is not None]
    return entries, None


def kind(entry):
    """ "answered" (a reply was seen), "unanswered" (SYN_SENT, [UNREPLIED]) or "other"."""
    if not entry["unreplied"]:
        return "answered"
    return "unanswered" if entry["state"] == "SYN_SENT" else "other"


def sample(runner, watch_s, sleep):
    """{key: entry} over ``watch_s`` seconds (one read at 0, then one a second), or (None, why)."""
    connections = {}
    for second in range(watch_s + 1):
        if second:
            sleep(1)
        entries, why = read_once(runner)
        if entries is None:
            return None, why
        for entry in entries:
            connections[tuple(entry[key] for key in _TUPLE)] = entry
    return connections, None


def _prefix(address, lengths):
    ip = ipaddress.ip_address(address)
    return ipaddress.ip_network(f"{ip}/{lengths[ip.version]}", strict=False)


def group(connections, runner, links, lengths, local=()):
    """[{"prefix", "family", "link", "interface", "answered", "unanswered", "other", "example", "sources"}]
    per destination prefix and egress link, and the counts of the connections left out: those not
    leaving by a WAN link, and those from the router's own (``local``) addresses."""
    by_interface = {link["interface"]: link["name"] for link in links}
    local = {ipaddress.ip_address(address) for address in local}
    egress, groups, elsewhere, from_router = {}, {}, 0, 0
    for key in sorted(connections):
        entry = connections[key]
        if _address(entry["src"]) in local:
            from_router += 1
            continue
        route = (entry["dst"], entry["mark"])
        if route not in egress:
            egress[route] = route_get(runner, entry["dst"], mark=entry["mark"] or None).get("dev")
        interface = egress[route]
        if interface not in by_interface:
            elsewhere += 1
            continue
        prefix = _prefix(entry["dst"], lengths)
        found = groups.setdefault(
            (prefix.version, prefix, interface),
            {
                "prefix": str(prefix),
                "family": prefix.version,
                "link": by_interface[interface],
                "interface": interface,
                "answered": 0,
                "unanswered": 0,
                "other": 0,
                "destinations": {},
                "sources": set(),
            },
        )
        found[kind(entry)] += 1
        if kind(entry) == "unanswered":
            destination = (entry["dst"], int(entry["dport"]))
            found["destinations"][destination] = found["destinations"].get(destination, 0) + 1
            found["sources"].add(entry["src"])
    result = []
    for _key, found in sorted(groups.items(), key=lambda item: item[0]):
        ranked = sorted(
            found.pop("destinations").items(), key=lambda item: (-item[1], ipaddress.ip_address(item[0][0]), item[0][1])
        )
        found["example"] = {"address": ranked[0][0][0], "port": ranked[0][0][1]} if ranked else None
        found["sources"] = sorted(found["sources"], key=ipaddress.ip_address)[:5]
        result.append(found)
    return result, elsewhere, from_router


def _address(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def read(runner, links, watch_s, lengths, sleep, local=()):
    """The Conntrack section: {"available", "reason", "watch_s", "connections", "not_via_wan", "from_router",
    "groups"}; ``local`` are the router's own addresses."""
    connections, why = sample(runner, watch_s, sleep)
    if connections is None:
        return {
            "available": False,
            "reason": why,
            "watch_s": watch_s,
            "connections": 0,
            "not_via_wan": 0,
            "from_router": 0,
            "groups": [],
        }
    groups, elsewhere, from_router = group(connections, runner, links, lengths, local)
    return {
        "available": True,
        "reason": None,
        "watch_s": watch_s,
        "connections": len(connections),
        "not_via_wan": elsewhere,
        "from_router": from_router,
        "groups": groups,
    }
