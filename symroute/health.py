"""Health targets of links and health checks of partners, parsed into plain data.

A link's target is one of
    198.51.100.1 / 2001:db8::1      ICMP echo (the default kind)
    tcp://198.51.100.1:443          a TCP connect
    http://198.51.100.1/health      an HTTP GET answered 2xx or 3xx (https:// with TLS)
A partner's health check is tcp://host:port or an https:// URL.

ICMP and TCP targets are IP literals: a probe must not depend on a resolver
that may itself sit behind the failed link. An http(s):// target may name its
host: the monitor resolves it through the probed link itself, never with the
system resolver (docs/monitor.md, "Health targets by name").

URLs are parsed strictly: printable ASCII without spaces, a host (an IP
literal, IPv6 in brackets, or a DNS name of letter-digit-hyphen labels where
names are allowed), a port from 1 to 65535, no user@ and no #fragment.
"""

import re
from typing import Any
from urllib.parse import urlsplit

from .addresses import AddressError, parse_address, shown

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2048
MAX_NAME_LENGTH = 253

_PRINTABLE_ASCII = re.compile(r"[!-~]+")
# Printable ASCII without "@" by now; the host is checked on its own.
_NETLOC = re.compile(r"(?P<host>\[[^\[\]]+\]|[^\[\]:]+)(?::(?P<port>[0-9]{1,5}))?")
_DNS_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_DOTTED_DIGITS = re.compile(r"[0-9.]+")


def _printable(text):
    if not isinstance(text, str):
        raise AddressError(f"{shown(text)} is not a text")
    if len(text) > MAX_URL_LENGTH:
        raise AddressError(f"{shown(text)} is longer than {MAX_URL_LENGTH} characters")
    if _PRINTABLE_ASCII.fullmatch(text) is None:
        raise AddressError(f"{shown(text)} contains spaces, control or non-ASCII characters")


def _dns_name(text, host):
    labels = host.split(".")
    if len(host) > MAX_NAME_LENGTH or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        raise AddressError(f"{shown(text)}: {host} is neither an IP address nor a DNS name")
    if labels[-1].isdigit():
        raise AddressError(f"{shown(text)}: {host} is neither an IP address nor a DNS name (all-numeric last label)")


def _host_address(text, host, names):
    """The IPAddress of an IP literal host; None for a DNS name (only where ``names`` are allowed)."""
    try:
        if host.startswith("["):
            return parse_address(host[1:-1], 6)
        if _DOTTED_DIGITS.fullmatch(host):
            return parse_address(host, 4)
    except AddressError as error:
        raise AddressError(f"{shown(text)}: {error}") from None
    if not names:
        raise AddressError(f"{shown(text)}: the host must be an IP address (IPv6 in brackets)")
    _dns_name(text, host)
    return None


def _strict_url(text, scheme, names):
    """(urlsplit parts, port or None, IPAddress of the host or None for a name) of a _printable URL."""
    try:
        parts = urlsplit(text)
    except ValueError as error:
        raise AddressError(f"{shown(text)}: {error}") from None
    if "@" in parts.netloc:
        raise AddressError(f"{shown(text)} has user information (user@); remove it")
    if "#" in text:
        raise AddressError(f"{shown(text)} has a fragment (#...); remove it")
    netloc = _NETLOC.fullmatch(parts.netloc)
    if parts.scheme != scheme or netloc is None:
        raise AddressError(f"{shown(text)} is not a {scheme}:// URL with a host")
    port = int(netloc["port"]) if netloc["port"] else None
    if port is not None and not 1 <= port <= 65535:
        raise AddressError(f"{shown(text)}: port {port} is not between 1 and 65535")
    return parts, port, _host_address(text, netloc["host"], names)


def _family(address):
    """4 or 6 for an IP literal, 0 for a host name (resolved when probed)."""
    return address.version if address is not None else 0


def _tcp(text, names):
    parts, port, address = _strict_url(text, "tcp", names)
    if port is None or parts.path not in ("", "/") or parts.query:
        raise AddressError(f"{shown(text)}: write tcp://{'HOST' if names else 'ADDRESS'}:PORT (IPv6 in brackets)")
    return parts, port, address


def _http(text, scheme):
    parts, port, address = _strict_url(text, scheme, names=True)
    return {
        "kind": scheme,
        "host": parts.hostname,
        "family": _family(address),
        "port": port or DEFAULT_PORTS[scheme],
        "path": (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        "text": text,
    }


def parse_link_target(text: str) -> dict[str, Any]:
    """One ``health_targets`` entry as plain data (raises AddressError)."""
    _printable(text)
    if text.startswith("tcp://"):
        _, port, address = _tcp(text, names=False)
        return {"kind": "tcp", "address": str(address), "family": address.version, "port": port, "text": text}
    for scheme in ("http", "https"):
        if text.startswith(f"{scheme}://"):
            return _http(text, scheme)
    address = parse_address(text)
    return {"kind": "icmp", "address": str(address), "family": address.version, "text": text}


def parse_partner_check(text: str) -> dict[str, Any]:
    """A partner's ``health_check`` as plain data (raises AddressError)."""
    _printable(text)
    if text.startswith("tcp://"):
        parts, port, address = _tcp(text, names=True)
        return {"kind": "tcp", "host": parts.hostname, "family": _family(address), "port": port, "text": text}
    if text.startswith("https://"):
        return _http(text, "https")
    raise AddressError(f"{shown(text)} is neither tcp://HOST:PORT nor an https:// URL")
