"""How the review (``plan --base``) and ``explain`` show an HA pair: role, peer, shared addresses, VRRP ids.

Read from the plan's ``ha`` section only (ha_plan.py), so what is shown is what the roles apply.
"""

from collections.abc import Mapping
from typing import Any, Optional

from .shapes import Document, Plan


def ha_lines(plan: Optional[Plan]) -> list[str]:
    """One line per fact of the router's pair, for the review's added/removed lists ([] for a router alone)."""
    ha = (plan or {}).get("ha")
    if not ha:
        return []
    lines = [
        f"pair {ha['pair']} with {ha['peer']}: {role(ha)}",
        f"priority {ha['priority']} (peer {ha['peer_priority']}), preempt {str(ha['preempt']).lower()}, "
        f"advertisements every {ha['advert_interval_ms']} ms",
        f"sync {ha['sync']['interface']} {ha['sync']['address']} to {ha['sync']['peer']}",
    ]
    lines += [
        f"VRRP {i['name']}: vrid {i['vrid']} on {i['interface']}, {', '.join(i['addresses'])}" for i in ha["instances"]
    ]
    lines += [f"link {name}: {link_sharing(entry)}" for name, entry in ha["links"].items()]
    lines.append(f"yields when all of {', '.join(ha['tracked_links']) or '(no pinned link)'} are out of service")
    return lines


def role(ha: Mapping[str, Any]) -> str:
    """The role the router starts in: the one with the higher priority is the master (until it fails)."""
    if ha["peer_priority"] is None or ha["priority"] > ha["peer_priority"]:
        return "master (higher priority) while healthy"
    return "backup (lower priority) while the peer is healthy"


def link_sharing(entry: Mapping[str, Any]) -> str:
    if entry["mode"] == "shared":
        return f"SNAT to the shared address {entry['address'].split('/')[0]} (the same on both routers)"
    return "SNAT to this router's own address (mode own: the address changes at a switchover)"


def shared_source(plan: Plan, link: Mapping[str, Any], family: int) -> Optional[str]:
    """The shared address a packet leaving ``link`` carries in a pair (IPv4, shared link), else None."""
    entry = plan.get("ha", {}).get("links", {}).get(link["name"])
    if family != 4 or not entry or entry["mode"] != "shared":
        return None
    return entry["address"].split("/")[0]


def explain_pair(plan: Plan) -> Optional[Document]:
    """The pair as ``explain`` shows it (None for a router alone)."""
    ha = plan.get("ha")
    if not ha:
        return None
    return {
        "pair": ha["pair"],
        "router": ha["router"],
        "peer": ha["peer"],
        "role": role(ha),
        "priority": ha["priority"],
        "peer_priority": ha["peer_priority"],
        "preempt": ha["preempt"],
        "links": {name: link_sharing(entry) for name, entry in ha["links"].items()},
        "vrrp": [
            {"name": i["name"], "vrid": i["vrid"], "interface": i["interface"], "addresses": i["addresses"]}
            for i in ha["instances"]
        ],
    }


def explain_pair_text(pair: Mapping[str, Any]) -> str:
    """One paragraph for ``explain``'s text output."""
    lines = [
        f"{pair['router']} is in HA pair {pair['pair']} with {pair['peer']}: {pair['role']} (priority "
        f"{pair['priority']}, peer {pair['peer_priority']}, preempt {str(pair['preempt']).lower()})"
    ]
    lines += [f"  link {name}: {text}" for name, text in pair["links"].items()]
    lines += [
        f"  VRRP {v['name']}: vrid {v['vrid']} on {v['interface']}, {', '.join(v['addresses'])}" for v in pair["vrrp"]
    ]
    return "\n".join(lines) + "\n"
