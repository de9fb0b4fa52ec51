"""A partner's ``domains``: DNS names whose A and AAAA answers the router adds to the partner's sets.

Only names the router can look up as written are accepted: lower-case
letters, digits and '-' in labels of 1-63 characters, at least two labels,
253 characters in all. Everything else is refused with the reason, never
rewritten, so the plan, the review and the digest show exactly the names the
router resolves:

- a wildcard (``*.cdn.example``) cannot be resolved: DNS answers for names,
  never for a pattern, and the addresses behind every name of a zone are not
  knowable on the router;
- an internationalized name is written in its punycode form (``xn--...``), the
  form DNS carries, so that two spellings of one name cannot slip past the
  duplicate checks;
- a final dot, capitals, an address (put it in ``prefixes``), a single label
  (the router's search domains would complete it) and the special-use names
  of RFC 6761/6762/7686 (``localhost``, ``.local``, ``.invalid``, ``.onion``,
  ``.arpa``) are refused.
"""

import re
from typing import Optional

from .addresses import shown

# At most this many names per partner, and per router: each is looked up again at every TTL.
MAX_DOMAINS_PER_PARTNER = 64
MAX_DOMAINS_PER_ROUTER = 1024
MAX_NAME_LENGTH = 253
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SPECIAL_SUFFIXES = ("localhost", "local", "invalid", "onion", "arpa")


def domain_problem(value: object) -> Optional[str]:
    """What is wrong with one ``domains`` entry, or None (non-strings are the schema's to report)."""
    if not isinstance(value, str):
        return None
    if not value:
        return "empty name"
    if len(value) > MAX_NAME_LENGTH:
        return f"a name has at most {MAX_NAME_LENGTH} characters"
    if not value.isascii():
        return (
            f"{shown(value)} is not ASCII: write an internationalized name in its punycode form "
            "(xn--...), the form DNS carries"
        )
    if "*" in value:
        return (
            f"{shown(value)} is a wildcard: DNS answers for names, not patterns; list the names the partner publishes"
        )
    if value.endswith("."):
        return f"{shown(value)}: write the name without its final dot"
    if value != value.lower():
        return f"{shown(value)}: write the name in lower case"
    labels = value.split(".")
    bad = [label for label in labels if _LABEL.fullmatch(label) is None]
    if bad:
        return (
            f"{shown(value)} is not a DNS name: each label is 1-63 letters, digits or '-' "
            f"(not at either end); {shown(bad[0])} is not"
        )
    if len(labels) < 2:
        return f"{shown(value)} is a single label: write the full name (the router's search domains would complete it)"
    if labels[-1].isdigit():
        return f"{shown(value)} is an address, not a name: put it in prefixes"
    if labels[-1] in _SPECIAL_SUFFIXES or value == "localhost":
        return f"{shown(value)} is a special-use name (.{labels[-1]}): never looked up in public DNS"
    return None


def domain_verdicts(raw: list) -> tuple[tuple[str, ...], tuple[tuple[int, str], ...]]:
    """(the valid names in written order, ((position, problem), ...)) of one partner's ``domains`` list."""
    names: list[str] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for position, value in enumerate(raw):
        problem = domain_problem(value)
        if problem is None and isinstance(value, str):
            if value in seen:
                problem = f"{value} is already listed at domains[{seen[value]}]"
            else:
                seen[value] = position
                names.append(value)
        if problem is not None:
            problems.append((position, problem))
    return tuple(names), tuple(problems)
