"""Which partners symroute pins, read from its live nftables table (`nft -json list table inet symroute`).

The table's ``classify`` chain sends a new connection to a partner set's mark chain
(``ip daddr @SET jump CHAIN``); that chain sets ``meta mark set meta mark and KEEP or VALUE``.
Rules are read in order: the first whose destination matches decides (``return``: not pinned,
as for the LAN and management sets). Which link a mark takes is the kernel's answer to
``ip -json route get DST mark VALUE``, so failover and policy rules are taken as they are now.
"""

import ipaddress

from ..iproute import route_get
from .nftjson import listing

TABLE = ("inet", "symroute")


def _networks(element):
    """The networks of one set element as nft -json writes it (address, prefix, range, or elem wrapper)."""
    if isinstance(element, dict) and "elem" in element:
        element = element["elem"].get("val") if isinstance(element["elem"], dict) else None
    try:
        if isinstance(element, str):
            return [ipaddress.ip_network(element)]
        if isinstance(element, dict) and isinstance(element.get("prefix"), dict):
            prefix = element["prefix"]
            return [ipaddress.ip_network(f"{prefix.get('addr')}/{prefix.get('len')}", strict=False)]
        if isinstance(element, dict) and isinstance(element.get("range"), list) and len(element["range"]) == 2:
            low, high = (ipaddress.ip_address(end) for end in element["range"])
            return list(ipaddress.summarize_address_range(low, high))
    except (TypeError, ValueError):
        pass
    return []


def _mark(rules):
    """VALUE of ``meta mark set meta mark and KEEP or VALUE`` among a chain's rules, or None."""
    for expr in rules:
        for statement in expr:
            mangle = statement.get("mangle") if isinstance(statement, dict) else None
            if not isinstance(mangle, dict) or mangle.get("key") != {"meta": {"key": "mark"}}:
                continue
            value = mangle.get("value")
            if isinstance(value, dict) and isinstance(value.get("|"), list) and len(value["|"]) == 2:
                value = value["|"][1]
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    return None


def _classify_rule(expr, sets):
    """(family, networks, set name or None, verdict, chain) of one classify rule matching on a destination."""
    match = next((s["match"] for s in expr if isinstance(s, dict) and isinstance(s.get("match"), dict)), None)
    left = match.get("left", {}).get("payload", {}) if match else {}
    if not match or match.get("op") != "==" or left.get("field") != "daddr" or len(expr) != 2:
        return None
    family = {"ip": 4, "ip6": 6}.get(str(left.get("protocol")))
    right = match.get("right")
    named = right[1:] if isinstance(right, str) and right.startswith("@") else None
    networks = sets.get(named, []) if named else _networks(right)
    verdict = expr[1]
    if not isinstance(verdict, dict) or family is None:
        return None
    if "jump" in verdict and isinstance(verdict["jump"], dict):
        return family, networks, named, "jump", verdict["jump"].get("target")
    if "return" in verdict:
        return family, networks, named, "return", None
    return None


def read(runner):
    """{"table": bool, "reason": text or None, "classify": [(family, networks, set, verdict, mark)]}."""
    objects, why = listing(runner, ["list", "table", *TABLE])
    if objects is None:
        return {"table": False, "reason": why, "classify": []}
    ours = [(kind, body) for kind, body in objects if (body.get("family"), body.get("table")) == TABLE]
    sets = {
        body.get("name"): [n for e in body.get("elem") or [] for n in _networks(e)]
        for kind, body in ours
        if kind == "set"
    }
    chains = {}
    for kind, body in ours:
        if kind == "rule" and isinstance(body.get("expr"), list):
            chains.setdefault(body.get("chain"), []).append(body["expr"])
    classify = []
    for expr in chains.get("classify", []):
        rule = _classify_rule(expr, sets)
        if rule is not None:
            family, networks, name, verdict, chain = rule
            classify.append((family, networks, name, verdict, _mark(chains.get(chain, [])) if chain else None))
    return {"table": True, "reason": None, "classify": classify}


def locate(pins, runner, address):
    """{"set", "mark", "interface"} when symroute pins ``address``, else None (not in a partner set)."""
    ip = ipaddress.ip_address(address)
    for family, networks, name, verdict, mark in pins["classify"]:
        if family != ip.version or not any(ip in network for network in networks):
            continue
        if verdict != "jump" or mark is None:
            return None
        return {"set": name, "mark": f"{mark:#x}", "interface": route_get(runner, address, mark=mark).get("dev")}
    return None
