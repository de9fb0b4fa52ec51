"""Findings per target: pinned by symroute or not, asymmetric return path, unreachable, not probed.

Not pinned: the link a site connection takes now (E) decides. The site's address by E unanswered
while E's own address is answered is the incident: the destination's return path to the site
prefers another link; pinning the prefix to E (symroute leaves by E with E's own address) is the fix.
"""

from . import finding, partner_entry, probe


class _Target:
    """One target's attempts, looked up by kind and link."""

    def __init__(self, result):
        self.result = result
        self.attempts = {(a["kind"], a["link"]): a for a in result["attempts"]}

    def attempt(self, kind, link):
        return self.attempts.get((kind, link))

    def answered(self, kind, link):
        found = self.attempt(kind, link)
        return found is not None and found["result"] == "answered"

    def answering(self, kind):
        return [a["link"] for a in self.result["attempts"] if a["kind"] == kind and a["result"] == "answered"]


def _pinned(target, context):
    result, pinned = target.result, target.result["pinned"]
    link = pinned["link"]
    evidence = {
        "target": result["target"],
        "pinned_set": pinned["set"],
        "mark": pinned["mark"],
        "pinned_interface": pinned["interface"],
        "pinned_link": link,
        "own_address_via_pinned_link": finding.outcome(target.attempt("own", link)),
        "own_answered_by": target.answering("own"),
    }
    if link is None:
        return finding.make(
            "pinned-unroutable",
            result["target"],
            "problem",
            f"{result['target']} is pinned by symroute, but its mark {pinned['mark']} is routed by no WAN link",
            evidence,
            "Check `symroute verify` and the link monitor: a fail-closed partner whose link is "
            "out of service is rejected on purpose.",
        )
    if target.answered("own", link):
        return finding.make(
            "pinned-symmetric",
            result["target"],
            "info",
            f"{result['target']} is pinned to {link} and answers {link}'s own address: symmetric",
            evidence,
            "Nothing to do.",
        )
    others = [name for name in target.answering("own") if name != link]
    if others:
        fix = (
            f"The destination does not answer {link}'s own address but answers {', '.join(others)}'s: ask "
            f"the partner to allow {link}'s address, or change the partner's link in the inventory."
        )
    else:
        fix = (
            "No link's own address is answered: the destination or its port may be down, or it allows none "
            "of this router's addresses. Check the address, the port and the partner's allow-list."
        )
    return finding.make(
        "pinned-link-unanswered",
        result["target"],
        "problem",
        f"{result['target']} is pinned to {link}, which gets no answer",
        evidence,
        fix,
    )


def _unpinned(target, context):
    result = target.result
    egress = result["route_now"]["link"]
    prefix = finding.prefix_of(result["address"], context["lengths"])
    evidence = {
        "target": result["target"],
        "prefix": prefix,
        "site_address": result["site_address"],
        "egress_link": egress,
        "egress_interface": result["route_now"]["interface"],
        "site_via_egress": finding.outcome(target.attempt("site", egress)),
        "own_address_via_egress": finding.outcome(target.attempt("own", egress)),
        "site_answered_by": target.answering("site"),
        "own_answered_by": target.answering("own"),
    }

    def entry(link):
        return partner_entry.entry(
            prefix, link, result["address"], result["port"], context["router"], context["generated"]
        )

    if not evidence["site_answered_by"] and not evidence["own_answered_by"]:
        return finding.make(
            "unreachable",
            result["target"],
            "problem",
            f"{result['target']} answers nothing, by no link, from no address",
            evidence,
            "Not a return-path problem: the destination or its port is down, or filters every address "
            "of this router. Check the address, the port and the partner's allow-list.",
        )
    if egress is None:
        return finding.make(
            "not-via-wan",
            result["target"],
            "info",
            f"{result['target']} is not routed by a WAN link now "
            f"(it leaves by {result['route_now']['interface'] or 'nothing'})",
            evidence,
            "Nothing to pin: traffic to it does not leave by a WAN link.",
        )
    if target.answered("site", egress):
        return finding.make(
            "symmetric-not-pinned",
            result["target"],
            "info",
            f"{result['target']} answers the site by {egress}: symmetric today, not pinned",
            evidence,
            "Nothing to do now. Pinning it with symroute keeps it symmetric if the routes change.",
        )
    site = target.attempt("site", egress)
    if site is not None and site["result"] == "no answer" and target.answered("own", egress):
        others = [name for name in evidence["site_answered_by"] if name != egress]
        by = f" (the site address IS answered by {', '.join(others)})" if others else ""
        return finding.make(
            "asymmetric-return-path",
            result["target"],
            "problem",
            f"asymmetric return path: {result['target']} answers {egress}'s own address but not the "
            f"site's address leaving by {egress}; its return path to the site prefers another link{by}",
            evidence,
            finding.pin_fix(prefix, egress),
            entry(egress),
        )
    others = [name for name in evidence["own_answered_by"] if name != egress]
    if not target.answered("own", egress) and others:
        return finding.make(
            "egress-link-unanswered",
            result["target"],
            "problem",
            f"{result['target']} gets no answer by {egress}, the link it takes now, but answers "
            f"{others[0]}'s own address",
            evidence,
            finding.pin_fix(prefix, others[0]),
            entry(others[0]),
        )
    return finding.make(
        "site-path-untested",
        result["target"],
        "info",
        f"{result['target']}: the site's path by {egress} could not be told apart ({evidence['site_via_egress']})",
        evidence,
        "Name a site address of this family with --site-address and run the doctor again.",
    )


def _not_probed(result):
    """A finding when no attempt could even leave (no privilege, no local address), else None."""
    tried = [a for a in result["attempts"] if a["result"] != "skipped"]
    if tried and not all(a["result"] == "error" and a["detail"].startswith(probe.BIND_FAILED) for a in tried):
        return None
    details = sorted({a["detail"] for a in result["attempts"]})
    return finding.make(
        "not-probed",
        result["target"],
        "problem",
        f"{result['target']} could not be probed: {'; '.join(details) or 'no WAN link'}",
        {"target": result["target"], "details": details},
        "Run the doctor as root (binding to an interface needs CAP_NET_RAW), with a WAN link of the "
        "target's family, and --site-address naming an address of this router.",
    )


def for_target(result, context):
    target = _Target(result)
    return _not_probed(result) or (_pinned(target, context) if result.get("pinned") else _unpinned(target, context))
