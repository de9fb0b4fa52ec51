"""Warnings for what an inventory most likely forgot: valid, but probably not what was meant.

- no ``symroute_lan_networks`` on a router with partners: nothing keeps a
  partner prefix that is in fact behind the router from being pinned out a
  WAN link (the LAN overlap check has nothing to compare with); each partner
  prefix in private address space is named then;
- a failover partner with a family (IPv4, IPv6) that none of its failover
  links carries: that family is rejected while its pinned link is out of
  service (explain --down shows "rejected"), so the plan says so up front.
"""

from netaddr import IPNetwork

from .model import FAIL_CLOSED, LAN_NETWORKS

PRIVATE = tuple(IPNetwork(text) for text in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
MAX_NAMED = 5


def _private(prefixes):
    return [
        prefix
        for prefix in prefixes
        if any(prefix.version == net.version and net.first <= prefix.first <= net.last for net in PRIVATE)
    ]


def lan_warnings(collect, variables, partners):
    """A router with partners and no LAN networks, and its partners' private prefixes."""
    if LAN_NETWORKS in variables or not partners:
        return
    collect.warning(
        LAN_NETWORKS,
        "not set: no network is known to be behind this router, so a partner prefix "
        "inside your LAN would be pinned out a WAN link without a word; list every "
        "internal network (symroute_lan_networks: [10.10.0.0/16]), or set it to [] "
        "to say there is none",
    )
    for partner in partners:
        private = _private(partner.prefixes)
        if private:
            shown = ", ".join(str(prefix) for prefix in private[:MAX_NAMED])
            more = f" and {len(private) - MAX_NAMED} more" if len(private) > MAX_NAMED else ""
            collect.warning(
                f"partner '{partner.name}'",
                f"{shown}{more} is private address space and symroute_lan_networks is not set: if it "
                f"is behind this router it is now pinned out {partner.link}",
            )


def family_warnings(collect, links, partners):
    """Failover partners with a family that none of their failover links carries."""
    by_name = {link.name: link for link in links}
    for partner in partners:
        if partner.on_link_failure == FAIL_CLOSED:
            continue
        order = partner.failover_links or tuple(link.name for link in links if link.name != partner.link)
        families = {prefix.version for prefix in partner.prefixes}
        for family in sorted(families):
            if order and not any(family in by_name[name].families for name in order if name in by_name):
                collect.warning(
                    f"partner '{partner.name}'",
                    f"its IPv{family} prefixes are rejected while {partner.link} is out of service: "
                    f"none of its failover links ({', '.join(order)}) carries IPv{family}",
                )
