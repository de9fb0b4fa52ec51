"""Every partner's path now, per family, for symroute-status: the kernel's own answer against the plan's.

The monitor's configuration carries the plan's verification probes (``paths``: per partner and family an
address of its prefixes, its mark, its pinned link and failover order). For each, the kernel is asked how a
new connection with that mark is routed now (``ip route get ADDRESS mark MARK``, as the audit does), and
the answer is compared with where the plan wants it: the first link of the partner's order (pinned link,
then its failover links) that carries the family and that the kernel routes by (in service, or down but
kept in while every link is down), or no link at all (a fail-closed partner whose link is out: rejected)
when none is. A failed ``ip`` (timed out, missing) is shown as unknown, never as a rejection.
"""

import ipaddress

from .iproute import route_lookup


def mapping(value):
    """``value`` when it is a JSON object, else {} (status never trusts its files beyond their shape)."""
    return value if isinstance(value, dict) else {}


def listed(value):
    """``value`` when it is a JSON list, else []."""
    return value if isinstance(value, list) else []


def _probe(entry):
    """A path entry of the configuration, or None when it is not one (never trusted beyond its shape)."""
    if not isinstance(entry, dict):
        return None
    text = {key: entry.get(key) for key in ("partner", "address", "mark", "link")}
    family = entry.get("family")
    if family not in (4, 6) or not isinstance(family, int) or isinstance(family, bool):
        return None
    strings = {key: value for key, value in text.items() if isinstance(value, str) and value}
    if len(strings) != len(text):
        return None
    try:
        if ipaddress.ip_address(strings["address"]).version != family:
            return None
        int(strings["mark"], 16)
    except ValueError:
        return None
    order = [name for name in listed(entry.get("failover_links")) if isinstance(name, str)]
    return dict(strings, family=family, failover_links=order)


# A link the kernel routes by: in service, or down by its probes but not taken out (the monitor keeps its
# last decision when every link is down, and the kernel then still routes by them).
ROUTED_BY = ("in service", "down")


def planned_link(probe, links, states):
    """Where the plan wants the partner's traffic of this family now: the first link of its order that
    carries the family and that the kernel routes by; None when no link is (its traffic is rejected)."""
    for name in [probe["link"], *probe["failover_links"]]:
        link = mapping(links.get(name))
        if probe["family"] in listed(link.get("families")) and states.get(name) in ROUTED_BY:
            return name
    return None


def paths(runner, config, links, states):
    """Per partner and family: the link its new connections take now (from the kernel), the link the plan
    wants, and whether the two agree. ``links``: the configuration's links by name; ``states``: each
    link's state in words (status_view.link_state)."""
    probes = [probe for probe in map(_probe, listed(mapping(config).get("paths"))) if probe]
    if not probes:
        return []
    by_interface = {str(mapping(link).get("interface")): name for name, link in links.items()}
    found = []
    for probe in probes:
        route, failed = route_lookup(runner, probe["address"], probe["family"], mark=probe["mark"])
        device = str((route or {}).get("dev") or "") or None
        now = by_interface.get(device) if device else None
        wanted = planned_link(probe, links, states)
        found.append(
            {
                "partner": probe["partner"],
                "family": probe["family"],
                "address": probe["address"],
                "pinned_link": probe["link"],
                "link_now": now,
                "device": device,
                "unknown": failed,
                "planned_link": wanted,
                "as_planned": failed is None and now == wanted and (now is not None or device is None),
                "pinned_carries_family": probe["family"] in listed(mapping(links.get(probe["link"])).get("families")),
            }
        )
    return found
