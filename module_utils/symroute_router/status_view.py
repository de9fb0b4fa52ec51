"""symroute-status's view as plain data (what --format json prints), from the link monitor's state file and
configuration: each link's state, reason, addresses and probes; each partner's health check and its paths now
against the plan (status_paths.py); the last link transition; the monitor's health."""

import math

from . import status_ha, status_paths
from .status_paths import listed, mapping

STALE_SECONDS = 10.0


def link_state(entry, drill_link, name):
    """One link's state in words, from its state file entry."""
    if not entry.get("interface_present", True):
        return "interface missing"
    if not entry.get("carrier", True):
        return "no carrier"
    if entry.get("gated"):
        return "out of service (drill)" if name == drill_link else "out of service"
    if entry.get("up"):
        return "in service"
    return "down"


def _addresses(config_link, learned):
    """The link's addresses: as planned, a dynamic family by what the monitor learned from the kernel."""
    shown = []
    planned = [item for item in listed(config_link.get("addresses")) if isinstance(item, dict)]
    learned = mapping(learned)
    for item in planned:
        family, address = item.get("family"), item.get("address")
        fact = learned.get(f"ipv{family}") if isinstance(learned, dict) else None
        if isinstance(fact, dict):
            gateway = fact.get("gateway") or "none"
            shown.append(f"{fact.get('address') or 'not learned yet'} (learned, gateway {gateway})")
        elif address:
            shown.append(str(address))
    for family, fact in sorted(learned.items(), key=lambda item: str(item[0])):
        if isinstance(fact, dict) and not any(f"ipv{i.get('family')}" == family for i in planned):
            shown.append(f"{fact.get('address') or 'not learned yet'} (learned, gateway {fact.get('gateway')})")
    return shown


def _config_links(config):
    links = listed(mapping(mapping(config).get("monitor")).get("links"))
    return {link.get("name"): link for link in links if isinstance(link, dict) and isinstance(link.get("name"), str)}


def _config_partners(config):
    partners = listed(mapping(mapping(config).get("monitor")).get("partners"))
    return {p.get("name"): p for p in partners if isinstance(p, dict) and isinstance(p.get("name"), str)}


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def _links(state, config):
    drill = mapping(state.get("drill"))
    planned, learned = _config_links(config), mapping(state.get("learned"))
    links = []
    for name, entry in sorted(mapping(state.get("links")).items(), key=lambda item: str(item[0])):
        if not isinstance(entry, dict):
            continue
        planned_link = planned.get(name, {})
        links.append(
            {
                "name": name,
                "interface": str(planned_link.get("interface", "")),
                "state": link_state(entry, drill.get("link"), name),
                "reason": str(entry.get("reason", "")),
                "carrier": bool(entry.get("carrier")),
                "since": _number(entry.get("since")),
                "transitions": _number(entry.get("transitions")) or 0,
                "loss_ratio": _number(entry.get("loss_ratio")),
                "rtt_seconds": _number(entry.get("rtt_seconds")),
                "addresses": _addresses(planned_link, learned.get(name)),
                "probe_targets": [
                    str(t.get("text", "")) for t in listed(planned_link.get("targets")) if isinstance(t, dict)
                ],
            }
        )
    order = list(planned)
    links.sort(key=lambda link: order.index(link["name"]) if link["name"] in order else len(order))
    return links


def _partner(name, planned, entry, paths):
    pinned = str(planned.get("link") or (paths[0]["pinned_link"] if paths else ""))
    return {
        "name": name,
        "pinned_link": pinned,
        "on_link_failure": planned.get("on_link_failure"),
        "link_now": entry.get("link") or next((p["link_now"] for p in paths if p["link_now"]), None),
        "checked": bool(entry),
        "health_checked": bool(planned),
        "reachable": entry.get("reachable") if entry else None,
        "latency_seconds": _number(entry.get("latency_seconds")),
        "paths": paths,
    }


def _partners(state, config, links, runner):
    """Every partner: the monitor's health check where it has one, and its path per family (from the
    kernel, against where the plan wants it) where the plan gives the monitor its addresses."""
    checked, planned = mapping(state.get("partners")), _config_partners(config)
    states = {link["name"]: link["state"] for link in links}
    found = status_paths.paths(runner, config, _config_links(config), states) if runner is not None else []
    names = sorted(set(planned) | {path["partner"] for path in found}, key=str)
    partners = [
        _partner(
            name, planned.get(name, {}), mapping(checked.get(name)), [path for path in found if path["partner"] == name]
        )
        for name in names
    ]
    for partner in partners:
        now, pinned = partner["link_now"], partner["pinned_link"]
        partner["on_pinned_link"] = bool(now) and now == pinned
        partner["off_pinned_link"] = bool(now) and now != pinned
        partner["failed_over"] = partner["off_pinned_link"] and states.get(pinned) not in (None, "in service")
        partner["as_planned"] = all(path["as_planned"] for path in partner["paths"])
    return partners


def _last_transition(links):
    moved = [link for link in links if link["transitions"] and link["since"] is not None]
    if not moved:
        return None
    link = max(moved, key=lambda item: item["since"])
    return {"link": link["name"], "at": link["since"], "state": link["state"], "reason": link["reason"]}


def view(state, config, now, stale=STALE_SECONDS, runner=None):
    """The status as plain data (what --format json prints); ``runner`` asks the kernel for the partners'
    paths (none asked without it)."""
    updated = _number(state.get("updated"))
    age = None if updated is None else round(max(0.0, now - updated), 3)
    links = _links(state, config)
    partners = _partners(state, config, links, runner)
    return {
        "router": str(state.get("router") or mapping(config).get("router", "")),
        "monitor": {
            "running": age is not None and age <= stale,
            "updated": updated,
            "age_seconds": age,
            "kernel_holds_decision": bool(state.get("kernel_holds_decision")),
            "drill": state.get("drill"),
            "repairs": state.get("repairs"),
            "configuration": bool(config),
        },
        "links": links,
        "partners": partners,
        "last_transition": _last_transition(links),
        "ha": status_ha.view(state),
    }
