"""Say where an address goes: which partner and prefix, which link and source, with some links out of service.

The answer comes from walking the plan's own rules (rule_walk), the data the
router gets, so ``explain --down`` says what the router does.
"""

from collections.abc import Collection

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
            return {"address": text, "domain": text, "partner": partner["name"], "pinned_link": partner["link"],
                    "mark": partner["mark"], "on_link_failure": partner["on_link_failure"],
                    "failover_links": partner["failover_links"],
                    "path": (f"a name of partner {partner['name']}: the router looks it up and pins its answers "
                             f"to {partner['link']} (explain an address it answers to walk the rules)")}
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
    down = frozenset(down)
    local = _containing(plan["main_table_networks"], address)
    found = None if local is not None else _partner_of(plan, address)
    mark = int(found[0]["mark"], 16) if found else 0
    outcome = walk(plan, address, mark, down)
    answer = {"address": str(address), "down": sorted(down), "family": address.version,
              "partner": None, "prefix": str(local) if local is not None else None,
              "link": outcome.link["name"] if outcome.link else None,
              "source": _source(plan, outcome.link, address.version) if outcome.link else None,
              "rejected": outcome.rejected, "main_table": outcome.main,
              "main_table_unless_out_of_service": outcome.main_unless_out,
              "rules": outcome.steps, "path": _summary(plan, outcome, address)}
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
    answer.update(partner=partner["name"], prefix=str(prefix), mark=partner["mark"], pinned_link=partner["link"],
                  on_link_failure=partner["on_link_failure"], failover_links=partner["failover_links"])
    if outcome.link is not None:
        answer["interface"] = outcome.link["interface"]
    if not down:
        failed = walk(plan, address, mark, frozenset({partner["link"]}))
        answer["when_link_fails"] = _summary(plan, failed, address) + (
            " (fail_closed: never sent by another link)" if partner["on_link_failure"] == "fail_closed" else
            _with_address(plan, failed.link, address.version) if failed.link else "")
    return answer
