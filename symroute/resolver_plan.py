"""The router resolver's part of the plan, for partners named by DNS (issue #23; docs/design.md).

Present only when a partner has ``domains`` (a static inventory's plan and digest are unchanged). It
travels in the monitor's section (the monitor's configuration file): the resolver runs in the monitor.

Per partner set that holds names: the set, its family, the names, the set's static elements (an answer
they already hold is not added again: an interval set refuses an element overlapping another) and the
mark its queries carry (the set's link mark without the fail-closed bit: a query follows the partner's
policy, by its pinned link while that link is in service, else its failover order). ``guarded``: the
networks an answer may never be in (LAN, management, the links' own networks). ``partners``: each name's
partner (a name belongs to one partner), for the resolver's metrics and state.
"""

from typing import Any, Optional

from netaddr import cidr_merge

from . import scheme
from .model import Router
from .rule_plan import main_table_networks


def _guarded(router):
    networks = list(main_table_networks(router))
    for link in router.links:
        networks += [address.cidr for address in (link.address, link.address6) if address is not None]
    return [str(network) for network in cidr_merge(networks)]


def resolver_plan(router: Router, nftables: dict[str, Any]) -> Optional[dict[str, Any]]:
    """The resolver section, or None when no partner set holds names."""
    sets = []
    for entry in nftables["partner_sets"]:
        if entry.get("domains"):
            mark = int(entry["mark_chain"].split("_", 1)[1], 16) & ~scheme.FAIL_CLOSED_BIT
            sets.append(
                {
                    "set": entry["name"],
                    "family": 4 if entry["type"] == "ipv4_addr" else 6,
                    "domains": entry["domains"],
                    "static": entry["elements"],
                    "mark": scheme.hex_mark(mark),
                }
            )
    if not sets:
        return None
    partners = {name: partner.name for partner in router.partners for name in partner.domains}
    return {
        "router": router.name,
        "table": f"{nftables['family']} {nftables['table']}",
        "sets": sets,
        "guarded": _guarded(router),
        "partners": dict(sorted(partners.items())),
    }
