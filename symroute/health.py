"""Health targets of links and health checks of partners, parsed into plain data.

A link's target is one of
    198.51.100.1 / 2001:db8::1      ICMP echo (the default kind)
    tcp://198.51.100.1:443          a TCP connect
    http://198.51.100.1/health      an HTTP GET answered 2xx or 3xx (https:// with TLS)
A partner's health check is tcp://host:port or an https:// URL.

ICMP and TCP targets are IP literals: a probe must not depend on a resolver
that may itself sit behind the failed link.
"""

from urllib.parse import urlsplit

from .addresses import AddressError, parse_address

DEFAULT_PORTS = {"http": 80, "https": 443}


def _host_and_port(text, scheme):
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise AddressError(f"{text!r}: {error}") from None
    if parts.scheme != scheme or not parts.hostname:
        raise AddressError(f"{text!r} is not a {scheme}:// URL with a host")
    return parts, port


def _family_of(host):
    """4 or 6 for an IP literal, 0 for a host name (resolved when probed)."""
    try:
        return parse_address(host).version
    except AddressError:
        return 0


def _tcp(text):
    parts, port = _host_and_port(text, "tcp")
    if port is None or parts.path not in ("", "/"):
        raise AddressError(f"{text!r}: write tcp://ADDRESS:PORT (IPv6 in brackets)")
    address = parse_address(parts.hostname)
    return {"kind": "tcp", "address": str(address), "family": address.version, "port": port, "text": text}


def _http(text, scheme):
    parts, port = _host_and_port(text, scheme)
    return {"kind": scheme, "host": parts.hostname, "family": _family_of(parts.hostname),
            "port": port or DEFAULT_PORTS[scheme],
            "path": (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), "text": text}


def parse_link_target(text):
    """One ``health_targets`` entry as plain data (raises AddressError)."""
    if not isinstance(text, str):
        raise AddressError(f"{text!r} is not a health target")
    if text.startswith("tcp://"):
        return _tcp(text)
    for scheme in ("http", "https"):
        if text.startswith(f"{scheme}://"):
            return _http(text, scheme)
    address = parse_address(text)
    return {"kind": "icmp", "address": str(address), "family": address.version, "text": text}


def parse_partner_check(text):
    """A partner's ``health_check`` as plain data (raises AddressError)."""
    if text.startswith("tcp://"):
        parts, port = _host_and_port(text, "tcp")
        if port is None:
            raise AddressError(f"{text!r}: write tcp://HOST:PORT")
        return {"kind": "tcp", "host": parts.hostname, "family": _family_of(parts.hostname), "port": port,
                "text": text}
    if text.startswith("https://"):
        return _http(text, "https")
    raise AddressError(f"{text!r} is neither tcp://HOST:PORT nor an https:// URL")
