"""Walk a plan's ip rules for one forwarded packet, as the kernel does, with some links out of service.

The input is the data the router gets (the plan's ``rules`` and, while a link
is out of service, the monitor's ``general_rules``), never a second model of
the failover: what this says is what those rules do. A packet here is
forwarded traffic from a host behind the router, so rules that select the
router's own link addresses (``from``) never match it.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from netaddr import IPNetwork

from .shapes import Plan


@dataclass
class Outcome:
    link: Optional[dict] = None  # the plan's link the packet leaves by
    rejected: bool = False
    main: bool = False  # the main table decides (symroute does not re-route)
    main_unless_out: bool = False  # ... unless main's route goes through a link out of service
    steps: list = field(default_factory=list)


def _mark_matches(rule, mark):
    value, mask = (int(part, 16) for part in rule["fwmark"].split("/"))
    return ((mark & mask) == value) != bool(rule.get("not"))


def describe_rule(rule: Mapping[str, Any]) -> str:
    parts = [str(rule["priority"])] + (["not"] if rule.get("not") else [])
    parts += [f"{key} {rule[key]}" for key in ("from", "to", "fwmark") if key in rule]
    parts.append(rule["action"] if "action" in rule else f"lookup {rule['table']}")
    if "suppress_ifgroup" in rule:
        parts.append(f"suppress_ifgroup {rule['suppress_ifgroup']}")
    return " ".join(parts)


def _selects(rule, address, mark):
    if "from" in rule:
        return False
    if "to" in rule and address not in IPNetwork(rule["to"]):
        return False
    return "fwmark" not in rule or _mark_matches(rule, mark)


def walk(plan: Plan, address: Any, mark: int, down: Collection[str]) -> "Outcome":
    """The Outcome of a packet to ``address`` with ``mark`` while the links named in ``down`` are out of service."""
    family = address.version
    links = {link["table"]: link for link in plan["links"]}
    rules = [r for r in plan["rules"] if r["family"] == family]
    if down:
        rules += [r for r in plan["monitor"]["general_rules"] if r["family"] == family]
    outcome = Outcome()
    for rule in sorted(rules, key=lambda r: r["priority"]):
        if not _selects(rule, address, mark):
            continue
        text = describe_rule(rule)
        if "action" in rule:
            outcome.steps.append(f"{text}: rejected")
            outcome.rejected = True
            return outcome
        if rule["table"] == "main":
            if "suppress_ifgroup" not in rule:
                outcome.steps.append(f"{text}: the main table decides")
                outcome.main = True
                return outcome
            outcome.steps.append(f"{text}: the main table, unless its route goes through a link out of service")
            outcome.main = outcome.main_unless_out = True
            continue
        link = links[rule["table"]]
        if "suppress_ifgroup" in rule and link["name"] in down:
            outcome.steps.append(f"{text}: skipped, {link['name']} is out of service")
        else:  # the plan has a link's table rules only in the families the link carries
            outcome.steps.append(f"{text}: leaves by {link['name']} ({link['interface']})")
            outcome.link = link
            return outcome
    outcome.steps.append("no rule of symroute decides: the main table")
    outcome.main = True
    return outcome


def source_address(link: Mapping[str, Any], family: int) -> str:
    """The source a packet leaving ``link`` carries: the link's own address (SNAT), or for IPv6 without NAT66
    its own."""
    address = link["address"] if family == 4 else link["address6"]
    if family == 6 and not link["nat66"]:
        return "its own source (no NAT66)"
    if address == "dynamic":  # the plan pins the policy; the router learns the address (learned.py)
        return f"{link['name']}'s current address (dynamic, learned on the router)"
    return address.split("/")[0]
