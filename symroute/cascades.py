"""One root cause, one message: drop the problems that only follow from another one reported.

- a link refused for its own fields (reported on the link) is not reported
  again as an "unknown link" by each partner or failover order naming it;
- a link whose IPv6 fields were refused (reported on the link) is not
  reported again by each partner pinning an IPv6 prefix to it;
- a field whose form the schema refused and that a semantic check explains
  more precisely gets the precise message only (a health_check without its
  scheme: "is neither tcp://HOST:PORT nor an https:// URL").
"""

from .addresses import shown
from .item_checks import mapping_items
from .schema_check import named

SCHEMA_FORM = "does not have the expected form"
IPV6_FIELDS = ("address6", "gateway6")


def _written_links(raw_links):
    """{name: item} of the links written with a string name."""
    return {item["name"]: item for _, item in mapping_items(raw_links) if isinstance(item.get("name"), str)}


def _follows(problem, refused, refused_ipv6):
    message = problem.message
    if any(f"unknown link {shown(name)} " in message for name in refused):
        return True
    return any(f"is IPv6 but {named('link', name)} has no IPv6" in message for name in refused_ipv6)


def _field(problem):
    head, colon, _ = problem.message.partition(": ")
    return (problem.where, head) if colon and head.startswith("field ") else None


def without_cascades(problems, raw_links, links):
    """``problems`` without those that follow from another reported problem (see the module's docstring)."""
    written = _written_links(raw_links)
    valid = {link.name: link for link in links}
    refused = {name for name in written if name not in valid}
    refused_ipv6 = {
        name
        for name, item in written.items()
        if name in valid and not valid[name].has_ipv6 and any(field in item for field in IPV6_FIELDS)
    }
    kept = [problem for problem in problems if not _follows(problem, refused, refused_ipv6)]
    explained = {_field(problem) for problem in kept if SCHEMA_FORM not in problem.message}
    return [problem for problem in kept if not (SCHEMA_FORM in problem.message and _field(problem) in explained)]
