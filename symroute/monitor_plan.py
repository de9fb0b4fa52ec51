"""The link monitor's part of the plan: what it probes, and which rules it adds
while a link is down (docs/monitor.md).

The monitor decides only *when*; what it changes is computed here.
While a link is down:
  - its interface is in the out-of-service group: every rule of the plan that
    routes forwarded traffic by a link's table skips it (one netlink message
    for both families), so each partner takes the first link in service of
    its failover order;
  - while any link is down, traffic that no rule of symroute claims skips
    main-table routes through a link out of service and takes the first link
    in service instead (the general rules, the same set whichever link is down).
"""

from dataclasses import asdict
from typing import Any

from . import scheme
from .health import parse_link_target, parse_partner_check
from .model import Router
from .rule_plan import IN_SERVICE_ONLY


def _link(link):
    learned = [family for family in link.families if link.learned(family)]
    entry = {
        "name": link.name,
        "interface": link.interface,
        "table": link.table,
        "mark": scheme.hex_mark(scheme.link_mark(link.mark_number)),
        "mark_mask": scheme.hex_mark(scheme.LINK_MARK_MASK),
        "families": list(link.families),
        "addresses": [{"family": family, "address": address} for family, address in link.own_addresses],
        "targets": [parse_link_target(target) for target in link.health_targets],
        "health": asdict(link.health),
    }
    if learned:  # the monitor takes these families' probe sources from the kernel
        entry["learned_families"] = learned
    return entry


def _general_rules(router):
    """Traffic no rule of symroute claims, while a link is out of service: main's routes except through
    such a link, else the first link in service (plan-rule form, like the plan's ``rules``)."""
    base, skip = router.rule_priority_base, IN_SERVICE_ONLY
    families = sorted({family for link in router.links for family in link.families})
    rules = [
        dict(
            {
                "priority": base + scheme.OFFSET_GENERAL,
                "family": family,
                "table": "main",
                "comment": "main table, except through a link out of service",
            },
            **skip,
        )
        for family in families
    ]
    for link in router.links:
        rules += [
            dict(
                {
                    "priority": base + scheme.OFFSET_GENERAL + 1 + link.index,
                    "family": family,
                    "table": link.table,
                    "comment": f"else {link.name} if in service",
                },
                **skip,
            )
            for family in link.families
        ]
    return sorted(rules, key=lambda r: (r["family"], r["priority"]))


def _partner(partner):
    return {
        "name": partner["name"],
        "link": partner["link"],
        "mark": partner["mark"],
        "on_link_failure": partner["on_link_failure"],
        "check": parse_partner_check(partner["health_check"]),
    }


def monitor_plan(router: Router, partners: list[dict[str, Any]]) -> dict[str, Any]:
    """The monitor section of a router's plan; ``partners`` is the plan's partner list (with marks)."""
    base = router.rule_priority_base
    return {
        "bands": [[base + first, base + last] for first, last in scheme.MONITOR_BANDS],
        "out_of_service_group": scheme.OUT_OF_SERVICE_GROUP,
        "in_service_group": scheme.IN_SERVICE_GROUP,
        "links": [_link(link) for link in router.links],
        "general_rules": _general_rules(router),
        "partners": [_partner(p) for p in partners if p["health_check"]],
    }
