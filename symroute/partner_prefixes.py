"""The plan's per-prefix views of a validated partner list, each computed once per list.

The plan shows each partner's prefixes as sorted text (partners, audit), probes
each partner's lowest prefix per family (verify) and aggregates the prefixes of
the partners of each nftables set (cidr_merge). None of it depends on the
router, so routers that share a validated partner list (shared_partners.py)
share these views; a router planned alone computes them the same way for itself.

The lists returned are the views themselves: the plans of the routers that
share a partner list hold the same list objects (and a plan holds a partner's
text list twice, in ``partners`` and ``audit``). That keeps a fleet's plans
small and lets json_text.py write each list once; plans are read-only data,
which nothing in symroute changes after planning. Views are keyed by the
identity of the validated prefix tuples they read, which are held here so the
identities stay theirs. With a ``sharing`` (shared_work.Sharing), they are
kept for the command (shared_work.of_objects): another partner list that
holds the same partners' prefixes (the base of a pull request, whose
unchanged partners get the very tuples of the head) reuses them.
"""

from typing import Any

from netaddr import cidr_merge

from .model import Router


def _text_order(text):
    return (":" in text, text)


def probe_address(prefix: Any) -> str:
    """The address a check sends to in ``prefix``: the address itself for a host prefix, else the first host."""
    return str(prefix.ip) if prefix.size == 1 else str(prefix[1])


class PartnerPrefixes:
    """Views of the prefixes of ``partners`` (validated ``Partner``s)."""

    def __init__(self, partners, sharing=None):
        self.partners = tuple(partners)
        self._memo = {}
        self._sharing = sharing

    def _once(self, kind, version, partners, compute):
        """compute(), once per (kind, version, identity of the prefix tuples of ``partners``): the views read
        nothing else. With a sharing, once for the command (shared_work.of_objects)."""
        prefixes = tuple(partner.prefixes for partner in partners)
        if self._sharing is not None:
            return self._sharing.of_objects(kind, prefixes, version, compute)
        key = (kind, version, tuple(map(id, prefixes)))  # the tuples are held by self.partners
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def _family(self, partner, version):
        return self._once(
            "family", version, (partner,), lambda: [prefix for prefix in partner.prefixes if prefix.version == version]
        )

    def texts(self, partner):
        """The partner's prefixes as text, IPv4 first, each family in text order (read-only)."""
        return self._once(
            "texts", None, (partner,), lambda: sorted((str(prefix) for prefix in partner.prefixes), key=_text_order)
        )

    def count(self, partner, version):
        """How many of the partner's prefixes are of IP ``version``."""
        return len(self._family(partner, version))

    def probe(self, partner, version):
        """probe_address of the partner's lowest prefix of IP ``version`` (by address, then length), or None."""

        def lowest_probe():
            lowest = min(self._family(partner, version), key=lambda n: (n.first, n.prefixlen), default=None)
            return None if lowest is None else probe_address(lowest)

        return self._once("probe", version, (partner,), lowest_probe)

    def merged(self, chosen, version):
        """The prefixes of IP ``version`` of the ``chosen`` partners, aggregated (cidr_merge), as text (read-only)."""

        def merge():
            prefixes = [prefix for partner in chosen for prefix in self._family(partner, version)]
            return [str(network) for network in cidr_merge(prefixes)]

        return self._once("merged", version, chosen, merge)


def prefix_views(router: Router) -> "PartnerPrefixes":
    """The views that came with ``router`` when they are of its very partners, else new ones for it alone."""
    views = router.partner_prefixes
    return views if views is not None and views.partners is router.partners else PartnerPrefixes(router.partners)
