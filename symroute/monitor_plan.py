"""The link monitor's part of the plan: what it probes, and which rules it adds
while a link is down (docs/monitor.md).

The monitor decides only *when*; every rule it may add is computed here.
While a link is down:
  - its gate rule sends its marked traffic past its table to the fail-closed
    and failover rules: ``fwmark <link mark>/0x7f00 goto <fail-closed rule>``;
  - traffic that no rule of symroute claims ignores the main table's default
    route and takes the first healthy link's table instead.
One rule is one netlink message, so each family switches in one step.
"""

from dataclasses import asdict

from . import scheme
from .health import parse_link_target, parse_partner_check


def _rule_text(priority, selector):
    return f"priority {priority} {selector}"


def _link(router, link):
    base = router.rule_priority_base
    mark = scheme.link_mark(link.mark_number)
    fail_closed_rule = base + scheme.OFFSET_FAIL_CLOSED
    gate = scheme.mark_with_mask(mark, scheme.LINK_MARK_MASK)
    return {
        "name": link.name,
        "interface": link.interface,
        "table": link.table,
        "mark": scheme.hex_mark(mark),
        "mark_mask": scheme.hex_mark(scheme.LINK_MARK_MASK),
        "addresses": [{"family": family, "address": address} for family, address in link.own_addresses],
        "targets": [parse_link_target(target) for target in link.health_targets],
        "health": asdict(link.health),
        "gate_rules": [
            {"family": family,
             "rule": _rule_text(base + scheme.OFFSET_LINK_GATE + link.index, f"fwmark {gate} goto {fail_closed_rule}")}
            for family in link.families
        ],
        "general_rules": [
            {"family": family, "rule": _rule_text(base + scheme.OFFSET_GENERAL + 1, f"lookup {link.table}")}
            for family in link.families
        ],
    }


def _partner(partner):
    return {"name": partner["name"], "link": partner["link"], "mark": partner["mark"],
            "on_link_failure": partner["on_link_failure"], "check": parse_partner_check(partner["health_check"])}


def monitor_plan(router, partners):
    """The monitor section of a router's plan; ``partners`` is the plan's partner list (with marks)."""
    base = router.rule_priority_base
    families = sorted({family for link in router.links for family in link.families})
    return {
        "bands": [[base + first, base + last] for first, last in scheme.MONITOR_BANDS],
        "links": [_link(router, link) for link in router.links],
        "suppress_main_default": [
            {"family": family,
             "rule": _rule_text(base + scheme.OFFSET_GENERAL, "lookup main suppress_prefixlength 0")}
            for family in families
        ],
        "partners": [_partner(p) for p in partners if p["health_check"]],
    }
