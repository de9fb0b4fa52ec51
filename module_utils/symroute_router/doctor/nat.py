"""Whether the router translates addresses: any chain of type nat, any snat or masquerade statement
(`nft -json list ruleset`). nft missing or refusing: "unknown"."""

from .nftjson import listing

_TRANSLATIONS = ("snat", "masquerade")


def _where(body, *keys):
    return " ".join(str(body.get(key, "?")) for key in keys)


def read(runner):
    """{"state": "present"|"absent"|"unknown", "chains": [...], "rules": [...], "reason": text or None}."""
    objects, why = listing(runner, ["list", "ruleset"])
    if objects is None:
        return {"state": "unknown", "chains": [], "rules": [], "reason": why}
    chains = sorted(
        _where(body, "family", "table", "name")
        for kind, body in objects
        if kind == "chain" and body.get("type") == "nat"
    )
    rules = []
    for kind, body in objects:
        statements = body.get("expr") if kind == "rule" else None
        found = (
            sorted(
                {
                    key
                    for statement in statements
                    if isinstance(statement, dict)
                    for key in statement
                    if key in _TRANSLATIONS
                }
            )
            if isinstance(statements, list)
            else []
        )
        if found:
            rules.append(f"{_where(body, 'family', 'table', 'chain')}: {' '.join(found)}")
    return {
        "state": "present" if chains or rules else "absent",
        "chains": chains,
        "rules": sorted(set(rules)),
        "reason": None,
    }
