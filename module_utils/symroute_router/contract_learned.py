"""The routing part's ``learned`` entries (dynamic links, learned.py): their fields, checked on the router
like the rest of the contract (contract.py)."""

from .checking import IFNAME, LINK, is_int
from .learned import DYNAMIC, POINT_TO_POINT


def _learned_value(check, where, value, family, words):
    """``dynamic``/``point-to-point`` (``words``) or a static value of the family (an address; for an address
    field the interface's address with its prefix length, as the link's static address is written)."""
    if value in words:
        return
    check.address(where, value, family, interface=where.endswith(".address"))


def learned_entry(check, where, entry, bands, tables, seen):
    """One ``learned`` entry of the routing part; ``bands``: (priority band, the monitor's sub-bands)."""
    if not check.keys(
        where,
        entry,
        ("link", "interface", "table", "family", "address", "gateway", "from_priority", "own_address_priority"),
    ):
        return
    check.token(f"{where}.link", entry["link"], LINK, "a link name")
    check.token(f"{where}.interface", entry["interface"], IFNAME, "an interface name")
    if not (is_int(entry["table"]) and entry["table"] in tables):
        check.add(f"{where}.table", f"{repr(entry['table'])[:40]} is not one of the state's tables")
    family = check.family(f"{where}.family", entry["family"])
    if family:
        _learned_value(check, f"{where}.address", entry["address"], family, (DYNAMIC,))
        _learned_value(
            check,
            f"{where}.gateway",
            entry["gateway"],
            family,
            (DYNAMIC, POINT_TO_POINT) if family == 4 else (DYNAMIC,),
        )
    for key in ("from_priority", "own_address_priority"):
        check.rule_priority(f"{where}.{key}", entry[key], family, bands, seen)
