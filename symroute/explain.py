"""Say where an address goes: which partner and prefix, which link and source, with some links out of service.

The answer comes from walking the plan's own rules (rule_walk), the data the
router gets, so ``explain --down`` says what the router does.
"""

from collections.abc import Collection, Sequence

from netaddr import IPNetwork

from .addresses import AddressError, parse_address
from .ha_views import explain_pair, shared_source
from .rule_walk import source_address, walk
from .shapes import Document, Plan


def _containing(networks, address):
    matches = [IPNetwork(n) for n in networks if IPNetwork(n).version == address.version and address in IPNetwork(n)]
    return max(matches, key=lambda n: n.prefixlen) if matches else None


def _partner_of(plan, address):
    best = None
    for partner in plan["partners"]:
        prefix = _containing(partner["prefixes"], address)
        if prefix is not None and (best is None or prefix.prefixlen > best[1].prefixlen):
            best = (partner, prefix)
    return best


def _partner_named(plan, text):
    """The answer for a partner's DNS name (a ``domains`` entry): its partner and link; None for anything else.

    The controller does not resolve: the router looks the name up and pins its answers, each of which
    ``explain`` walks like any address of the partner's prefixes.
    """
    for partner in plan["partners"]:
        if text in partner.get("domains", ()):
            return {
                "address": text,
                "domain": text,
                "partner": partner["name"],
                "pinned_link": partner["link"],
                "mark": partner["mark"],
                "on_link_failure": partner["on_link_failure"],
                "failover_links": partner["failover_links"],
                "path": (
                    f"a name of partner {partner['name']}: the router looks it up and pins its answers "
                    f"to {partner['link']} (explain an address it answers to walk the rules)"
                ),
            }
    return None


def _source(plan, link, family):
    """The source a packet leaving ``link`` carries: in an HA pair, a shared link's shared address."""
    return shared_source(plan, link, family) or source_address(link, family)


def _with_address(plan, link, family):
    kind = "shared" if shared_source(plan, link, family) else "own"
    return f" (with that link's {kind} address)"


def _summary(plan, outcome, address):
    if outcome.rejected:
        return "rejected"
    if outcome.link is not None:
        source = _source(plan, outcome.link, address.version)
        prefix = "main table, or if its route goes through a link out of service: " if outcome.main_unless_out else ""
        return f"{prefix}leaves by {outcome.link['name']} ({outcome.link['interface']}, source {source})"
    return "main table"


def explain_address(plan: Plan, text: str, down: Collection[str] = ()) -> Document:
    """The path of one address on the router of ``plan``, as a dict; ``down``: links out of service."""
    named = _partner_named(plan, text)
    if named is not None:
        return named
    try:
        address = parse_address(text)
    except AddressError as error:
        return {"address": text, "error": str(error)}
    local = _containing(plan["main_table_networks"], address)
    return _walked(plan, address, local, None if local is not None else _partner_of(plan, address), down)


def _walked(plan, address, local, found, down):
    """The answer for ``address``: ``found`` is (partner, prefix) or None; ``local`` its LAN/management network."""
    down = frozenset(down)
    mark = int(found[0]["mark"], 16) if found else 0
    outcome = walk(plan, address, mark, down)
    answer = {
        "address": str(address),
        "down": sorted(down),
        "family": address.version,
        "partner": None,
        "prefix": str(local) if local is not None else None,
        "link": outcome.link["name"] if outcome.link else None,
        "source": _source(plan, outcome.link, address.version) if outcome.link else None,
        "rejected": outcome.rejected,
        "main_table": outcome.main,
        "main_table_unless_out_of_service": outcome.main_unless_out,
        "rules": outcome.steps,
        "path": _summary(plan, outcome, address),
    }
    pair = explain_pair(plan)
    if pair is not None:  # only in an HA pair: a router alone's answer is unchanged
        answer["ha"] = pair
    if local is not None:
        answer["path"] = f"main table: {local} is a LAN or management network, never re-routed"
        return answer
    if found is None:
        if not down:
            answer["path"] = "no partner: follows the main table; replies use the link the connection arrived on"
        return answer
    partner, prefix = found
    answer.update(
        partner=partner["name"],
        prefix=str(prefix),
        mark=partner["mark"],
        pinned_link=partner["link"],
        on_link_failure=partner["on_link_failure"],
        failover_links=partner["failover_links"],
    )
    if outcome.link is not None:
        answer["interface"] = outcome.link["interface"]
    if not down:
        failed = walk(plan, address, mark, frozenset({partner["link"]}))
        answer["when_link_fails"] = _summary(plan, failed, address) + (
            " (fail_closed: never sent by another link)"
            if partner["on_link_failure"] == "fail_closed"
            else _with_address(plan, failed.link, address.version)
            if failed.link
            else ""
        )
    return answer


# The ranges the router's resolver refuses besides its own networks (module_utils/.../monitor/resolver.py).
SPECIAL_USE = (
    "0.0.0.0/8",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "fe80::/10",
    "ff00::/8",
)


def _refused(plan, address):
    """Why the router's resolver refuses ``address`` as a partner's answer, or None."""
    guarded = ((plan.get("monitor") or {}).get("resolver") or {}).get("guarded") or plan["main_table_networks"]
    network = _containing(guarded, address)
    if network is not None:
        return f"{network} is its own network: DNS rebinding"
    network = _containing(SPECIAL_USE, address)
    return None if network is None else f"{network} is a special-use range"


def explain_name(plan: Plan, name: str, addresses: Sequence[str], how: str, down: Collection[str] = ()) -> Document:
    """The path of each of ``addresses``, the answers ``how`` (the controller's resolver) gave for ``name``.

    An answer of a partner's name is walked with that partner's mark, as the router's resolver pins it
    (in its sets), whether or not a prefix holds it; one in the router's LAN or management networks is
    what the router's resolver refuses (DNS rebinding), and follows the main table.
    """
    named = _partner_named(plan, name)
    answer = dict(
        named or {"address": name, "domain": name, "partner": None},
        resolved_with=how,
        addresses=list(addresses),
        answers=[],
    )
    for text in addresses:
        address = parse_address(text)
        local = _containing(plan["main_table_networks"], address)
        refused = _refused(plan, address) if named is not None else None
        if named is not None and refused is None:
            partner = next(p for p in plan["partners"] if p["name"] == named["partner"])
            host = IPNetwork(f"{address}/{32 if address.version == 4 else 128}")
            walked = _walked(plan, address, None, (partner, host), down)
            walked["prefix"] = f"the answers of {name}"
        else:
            walked = _walked(plan, address, local, None if local is not None else _partner_of(plan, address), down)
            if refused is not None:
                walked["path"] = f"refused by the router's resolver ({refused}); " + walked["path"]
        answer["answers"].append(walked)
    if named is None:
        answer["path"] = "not a partner's name: each answer is walked as an address"
    else:
        answer["path"] = (
            f"a name of partner {named['partner']}: the router looks it up and pins its answers to "
            f"{named['pinned_link']}; the controller's answers, walked:"
        )
    return answer
