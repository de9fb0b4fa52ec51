"""A partner list checked once for every router that shares it and its link shape.

Everything per prefix that validation does with a partner list (parsing and
refusing prefixes, the partner-against-partner overlap sweep) depends on the
list as written and on the links' names and IPv6 only (``link_shape``). Its
outcome is recorded once per distinct (partner list, link shape) and each router
replays it under its own name (collector.Recorder); within it, each partner's
prefix verdicts are worked out once per distinct prefix list (a list that
differs from another in a few partners, such as the base of a pull request,
parses only those again); the plan's per-prefix views
(partner_prefixes.PartnerPrefixes) travel with it, so the routers' plans
aggregate each set once too.
"""

from collections import namedtuple
from collections.abc import Sequence
from typing import Any, Optional

from .collector import Recorder
from .model import Link
from .overlap_check import check_partner_overlaps
from .partner_prefixes import PartnerPrefixes
from .partner_validation import link_shape, validate_partners

# written: the valid partners in their written order (the overlap sweep's input); by_name: sorted by name
# (the Router's partners); validation, overlaps: Recorders; index: PrefixIndex; prefixes: PartnerPrefixes.
PartnerCheck = namedtuple("PartnerCheck", "written by_name validation overlaps index prefixes")


def _check(raw_partners, links, sharing=None):
    validation, overlaps = Recorder(), Recorder()
    written = tuple(validate_partners(validation, raw_partners, links, sharing))
    index = check_partner_overlaps(overlaps, written, sharing)
    by_name = tuple(sorted(written, key=lambda partner: partner.name))
    return PartnerCheck(written, by_name, validation, overlaps, index, PartnerPrefixes(by_name, sharing))


def partner_check(raw_partners: object, links: Sequence[Link], sharing: Optional[Any] = None) -> PartnerCheck:
    """The PartnerCheck of ``raw_partners`` on ``links``: shared through ``sharing`` (shared_work.Sharing)
    with every router of the same partner list and link shape, computed here when None."""
    if sharing is None:
        return _check(raw_partners, links)
    return sharing.once("partners", raw_partners, link_shape(links), lambda: _check(raw_partners, links, sharing))
