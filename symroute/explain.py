"""Say where an address goes: which partner and prefix, which link, what on failure."""

from netaddr import IPNetwork

from .addresses import AddressError, parse_address


def _containing(networks, address):
    matches = [IPNetwork(n) for n in networks if IPNetwork(n).version == address.version and address in IPNetwork(n)]
    return max(matches, key=lambda n: n.prefixlen) if matches else None


def explain_address(plan, text):
    """The path of one address on the router of ``plan``, as a dict."""
    try:
        address = parse_address(text)
    except AddressError as error:
        return {"address": text, "error": str(error)}
    links = {link["name"]: link for link in plan["links"]}
    local = _containing(plan["main_table_networks"], address)
    if local is not None:
        return {"address": str(address), "partner": None, "prefix": str(local), "link": None,
                "path": f"main table: {local} is a LAN or management network, never re-routed"}
    best = None
    for partner in plan["partners"]:
        prefix = _containing(partner["prefixes"], address)
        if prefix is not None and (best is None or prefix.prefixlen > best[1].prefixlen):
            best = (partner, prefix)
    if best is None:
        return {"address": str(address), "partner": None, "prefix": None, "link": None,
                "path": "no partner: follows the main table; replies use the link the connection arrived on"}
    partner, prefix = best
    link = links[partner["link"]]
    mark = partner["mark"]
    if partner["on_link_failure"] == "fail_closed":
        failure = f"rejected (fail_closed): never sent by another link while {link['name']} is down"
    else:
        others = [name for name in links if name != link["name"]]
        failure = f"fails over to {', '.join(others) or 'no other link'} with that link's own address"
    source = link["address"].split("/")[0] if address.version == 4 else (
        link["address6"].split("/")[0] if link["nat66"] else "its own source (no NAT66)")
    return {"address": str(address), "partner": partner["name"], "prefix": str(prefix), "link": link["name"],
            "interface": link["interface"], "mark": mark, "source": source,
            "on_link_failure": partner["on_link_failure"],
            "path": f"pinned to {link['name']} ({link['interface']}, mark {mark}, source {source})",
            "when_link_fails": failure}
