"""Resolve a name on the controller for ``explain`` (issue #23): dnspython when installed, else the system resolver.

The router resolves partners' names itself (its monitor's resolver, through the partner's link); this is
the controller's view, to walk each answer through the plan. dnspython (``dns.resolver``) asks A and AAAA
of the configured resolvers; without it, ``socket.getaddrinfo`` asks the system resolver (which also reads
/etc/hosts). Either way the answers may differ from the router's: a CDN answers per resolver.
"""

import re
import socket
from collections.abc import Sequence

NAME = re.compile(
    r"(?=.{1,253}\.?$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.?", re.IGNORECASE
)


class NameLookupError(Exception):
    """The name could not be resolved on the controller (or is not a DNS name)."""


def is_name(text: str) -> bool:
    """True for text that is written as a DNS name (not checked against the plan)."""
    return bool(NAME.fullmatch(text))


def _with_dnspython(name: str) -> list[str]:
    import dns.exception  # type: ignore[import-not-found,unused-ignore]
    import dns.resolver  # type: ignore[import-not-found,unused-ignore]

    found = []
    for kind in ("A", "AAAA"):
        try:
            found += [record.to_text() for record in dns.resolver.resolve(name, kind, lifetime=5.0)]
        except dns.resolver.NoAnswer:  # no record of this kind: the other may have some
            continue
        except dns.exception.DNSException as error:  # NXDOMAIN, timeout, no nameserver
            raise NameLookupError(f"{name}: {error}") from None
    return found


def _with_getaddrinfo(name: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        raise NameLookupError(f"{name}: {error}") from None
    return [str(info[4][0]).split("%", 1)[0] for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]


def resolve(name: str) -> tuple[Sequence[str], str]:
    """(the addresses, sorted IPv4 first, without duplicates; which resolver answered) or NameLookupError."""
    if not is_name(name):
        raise NameLookupError(f"{name!r} is neither a valid IP address nor a DNS name")
    try:
        import dns.resolver  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        addresses, how = (
            _with_getaddrinfo(name),
            "the controller's system resolver (getaddrinfo; dnspython not installed)",
        )
    else:
        addresses, how = _with_dnspython(name), "dnspython on the controller"
    unique = sorted(
        set(addresses),
        key=lambda text: (":" in text, socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)),
    )
    if not unique:
        raise NameLookupError(f"{name}: no A or AAAA answer")
    return unique, how
