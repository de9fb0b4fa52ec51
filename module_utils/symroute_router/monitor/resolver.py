"""Partners by DNS name: the decisions of the router's resolver (issue #23; docs/design.md).

The plan's partner sets that hold named partners carry the names (``domains``)
and are declared ``flags interval, timeout``. For each name this module decides,
from a lookup's outcome, which addresses join which sets and for how long:

- the answer's TTL is clamped to [MIN_TTL, MAX_TTL]: a TTL of 0 or 1 s would
  mean a lookup per second, a TTL of days would keep a moved partner's old
  address for days; the name is looked up again at REFRESH_AT of the clamped
  TTL, before its elements expire;
- each address is added with an element timeout of the clamped TTL + GRACE, so
  an address the name no longer returns leaves the set after the grace, and
  connections opened just before the move are not cut by the expiry;
- a failed lookup never empties a set: the last good answer is kept, its
  elements re-added with a timeout of RETRY + GRACE, and its age is exported;
- an answer inside the router's LAN, management or link networks or in a
  special-use range is refused and reported (DNS rebinding: a hostile answer
  must not pin the LAN to a WAN link); at most MAX_ADDRESSES per name.

The lookup itself is a function handed in (``lookup(name, family) -> (addresses,
ttl)``, raising LookupFailed): this module is the standard library only and is
tested with fake answers. Elements are re-added by delete and add in one nft
transaction (nft 1.0.6 does not refresh an existing element's timeout), only
for elements the set's listing holds, so the transaction cannot fail on an
element that expired meanwhile.
"""

import ipaddress

MIN_TTL = 5  # seconds; a shorter TTL is looked up every 4 s (REFRESH_AT of it): docs/monitor.md
MAX_TTL = 3600  # seconds; a longer TTL is looked up every hour
GRACE = 60  # seconds an address stays in the set after its (clamped) TTL
RETRY = 30  # seconds between lookups of a name whose last lookup failed
REFRESH_AT = 0.8  # share of the clamped TTL after which the name is looked up again
MAX_ADDRESSES = 32  # addresses of one name and family; the others are dropped and reported

SPECIAL_USE = tuple(
    ipaddress.ip_network(text)
    for text in (
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
)


class LookupFailed(Exception):
    """The name could not be resolved now (timeout, SERVFAIL, NXDOMAIN, no resolver reachable)."""


def clamp_ttl(ttl):
    """The TTL the resolver uses: the answer's, within [MIN_TTL, MAX_TTL] (an invalid TTL counts as MIN_TTL)."""
    if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < MIN_TTL:
        return MIN_TTL
    return min(ttl, MAX_TTL)


def refusal(text, family, guarded):
    """Why the answer ``text`` may not join a partner set, or None; ``guarded``: the router's own networks."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return f"{text!r} is not an address"
    if address.version != family:
        return f"{address} is not IPv{family}"
    for network in SPECIAL_USE:
        if address in network:
            return f"{address} is in the special-use range {network}"
    for network in guarded:
        if address.version == network.version and address in network:
            return f"{address} is in the router's own network {network} (refused: DNS rebinding)"
    return None


class NameState:
    """One name and family: its sets, its last good answer and the last lookup's outcome."""

    def __init__(self, name, family, sets):
        self.name, self.family, self.sets = name, family, tuple(sets)
        self.addresses = ()  # the last good answer (after the guards)
        self.good_at = None  # when it was received
        self.ttl = MIN_TTL
        self.outcome = "never looked up"
        self.refused = ()
        self.refused_total = 0  # addresses refused or dropped over the cap since the monitor started
        self.due = 0.0

    def age(self, now):
        """Seconds since the last good answer, or None."""
        return None if self.good_at is None else max(0.0, now - self.good_at)

    def metrics(self, now):
        return {
            "name": self.name,
            "family": self.family,
            "sets": list(self.sets),
            "addresses": list(self.addresses),
            "age_seconds": self.age(now),
            "ttl": self.ttl,
            "outcome": self.outcome,
            "refused": list(self.refused),
            "refused_total": self.refused_total,
        }


def names_of(nftables_plan):
    """A NameState per name and family of the plan's partner sets that carry ``domains``."""
    sets_of = {}
    for entry in nftables_plan.get("partner_sets", []):
        family = 4 if entry["type"] == "ipv4_addr" else 6
        for name in entry.get("domains", []):
            sets_of.setdefault((name, family), []).append(entry["name"])
    return [NameState(name, family, sets) for (name, family), sets in sorted(sets_of.items())]


def look_up(state, lookup, guarded, now):
    """Look ``state``'s name up once and update it; the addresses it keeps are the last good ones on failure."""
    try:
        answers, ttl = lookup(state.name, state.family)
    except LookupFailed as error:
        state.outcome = f"failed: {error}" + (" (last good answer kept)" if state.addresses else "")
        state.due = now + RETRY
        return state
    kept, refused = [], []
    for text in answers:
        reason = refusal(text, state.family, guarded)
        if reason is not None:
            refused.append(reason)
        elif str(ipaddress.ip_address(text)) not in kept:
            kept.append(str(ipaddress.ip_address(text)))
    state.refused_total += len(refused) + max(0, len(kept) - MAX_ADDRESSES)
    if len(kept) > MAX_ADDRESSES:
        refused.append(f"{len(kept) - MAX_ADDRESSES} addresses over the cap of {MAX_ADDRESSES} dropped")
        kept = kept[:MAX_ADDRESSES]
    state.refused = tuple(refused)
    state.ttl = clamp_ttl(ttl)
    if not kept:  # nothing usable (all refused, or an empty answer): keep the last good one
        state.outcome = "no usable address" + (" (last good answer kept)" if state.addresses else "")
        state.due = now + RETRY
        return state
    state.addresses, state.good_at = tuple(sorted(kept)), now
    state.outcome = "ok"
    state.due = now + state.ttl * REFRESH_AT
    return state


def element_timeout(state):
    """The element timeout of ``state``'s addresses: until the next lookup's answer, plus the grace."""
    return (state.ttl if state.outcome == "ok" else RETRY) + GRACE


def _covered(address, static):
    ip = ipaddress.ip_address(address)
    return any(ip.version == network.version and ip in network for network in static)


def transaction(table, states, present, static=None, renew=None):
    """The nft commands that (re-)add each state's addresses with its element timeout.

    ``present``: {set name: set of element texts the set's listing holds now}. The states in ``renew``
    (default: all), just looked up, have their elements renewed: a present one is deleted and added again
    in the same transaction, an absent one added; the others only get back elements that are missing
    (after a reload of the table). ``static``: {set name: networks}; an address they hold is left out
    (already pinned; an interval set refuses an overlapping element). An address is added once per set.
    """
    lines, done = [], set()
    for state in states:
        timeout = element_timeout(state)
        renewing = renew is None or state in renew
        for set_name in state.sets:
            holds, covered = present.get(set_name, set()), (static or {}).get(set_name, ())
            for address in state.addresses:
                if (set_name, address) in done or _covered(address, covered):
                    continue
                done.add((set_name, address))
                if address in holds and not renewing:
                    continue
                if address in holds:
                    lines.append(f"delete element {table} {set_name} {{ {address} }}")
                lines.append(f"add element {table} {set_name} {{ {address} timeout {timeout}s }}")
    return "\n".join(lines) + ("\n" if lines else "")


def guarded_networks(texts):
    """The router's LAN, management and link networks (texts of the plan) as ip_network objects."""
    return tuple(ipaddress.ip_network(text, strict=False) for text in texts)
