"""Probes through one link, and partner checks through a partner's path.

A link probe leaves from the link's own address and is bound to the link's
interface (SO_BINDTODEVICE): the rule ``from <link address> lookup <link
table>`` routes it by that link, and it can never take another. A partner
check carries the partner's mark (SO_MARK), so it follows exactly the rules
the partner's traffic follows, failover included. Each returns the round
trip in seconds, or None. A link target's name is resolved through the link
(probe_names.py), a partner check's along the partner's mark (the same cache,
time limit and last good answer); never by the system resolver.
"""

import random
import socket
import ssl
import time

from . import echo, probe_names

# A probe not sent: its family's address on a dynamic link is not there (yet, or between two leases).
NO_SOURCE = "no source address"
FAMILIES = {4: socket.AF_INET, 6: socket.AF_INET6}


# The echo probe's packet format and sockets (echo.py); kept here by name for callers and tests.
echo_request, is_echo_reply = echo.echo_request, echo.is_echo_reply


def _bound_socket(family, kind, protocol, interface=None, source=None, mark=None):
    sock = socket.socket(FAMILIES[family], kind, protocol)
    try:
        if interface:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        if mark is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
        if source:
            sock.bind((source, 0))
    except OSError:
        sock.close()
        raise
    return sock


def icmp_echo(address, family, interface, source, timeout):
    """One ICMP echo through a socket only echo replies reach (echo.py): the round trip or None."""
    return echo.ping(
        address, family, interface, source, timeout, random.randrange(1, 0xFFFF), random.randrange(1, 0xFFFF)
    )


def _connect(family, host, port, timeout, interface=None, source=None, mark=None):
    """A connected TCP socket and the connect time (raises OSError)."""
    sock = _bound_socket(family, socket.SOCK_STREAM, 0, interface, source, mark)
    sock.settimeout(timeout)
    started = time.monotonic()
    try:
        sock.connect((host, port))
    except OSError:
        sock.close()
        raise
    return sock, time.monotonic() - started


def _http_status(sock, host, path, tls, timeout):
    if tls:
        sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
    sock.settimeout(timeout)
    with sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: symroute-monitor\r\nConnection: close\r\n\r\n".encode()
        )
        status_line = sock.recv(64).split(b"\r\n", 1)[0].split()
    return int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0


def _healthy(status):
    """Only a 2xx answer is health: a redirect is what a captive portal or an exhausted LTE quota answers."""
    return 200 <= status < 300


def _destinations(target, link, sources, names, deadline):
    """[(family, address)] of an http(s) target: its IP literal, or its name's answer through ``link``
    (probe_names.py; never the system resolver, which would ask by the main table's default route)."""
    found = probe_names.literal(target["host"])
    if found is not None:
        return [found] if found[0] in sources else []
    return names.addresses(target["host"], link, deadline)[:1] if names is not None else []


def probe_target(target, link, timeout, names=None, deadline=None):
    """One probe of a link target (plan form) through ``link``: the round trip or None. ``names``: the
    link's LinkNames (a named target without it is a miss); ``deadline``: the round's (monotonic) end,
    which a name's lookup never passes."""
    sources = {entry["family"]: entry["address"] for entry in link["addresses"]}
    waiting = {family for family in link.get("learned_families", ()) if family not in sources}
    if target.get("family") in waiting or (waiting and not sources):
        return NO_SOURCE  # a dynamic link waiting for its address: no probe may leave with another link's
    started = time.monotonic()
    if target["kind"] == "icmp":
        return icmp_echo(target["address"], target["family"], link["interface"], sources.get(target["family"]), timeout)
    if target["kind"] == "tcp":
        destinations = [(target["family"], target["address"])]
    else:
        destinations = _destinations(target, link, sources, names, deadline or started + timeout)
    for family, address in destinations:
        left = max(0.001, timeout - (time.monotonic() - started))
        try:
            sock, connected = _connect(family, address, target["port"], left, link["interface"], sources.get(family))
            if target["kind"] == "tcp":
                sock.close()
                return connected
            left = max(0.001, timeout - (time.monotonic() - started))
            if _healthy(_http_status(sock, target["host"], target["path"], target["kind"] == "https", left)):
                return time.monotonic() - started
        except (OSError, ssl.SSLError, ValueError):
            return None
    return None


def _check_destinations(check, families, names, deadline):
    """[(family, address)] of a partner check: its IP literal, or its name's answer along the partner's mark
    (``names``: the partner's LinkNames with that mark; never the system resolver)."""
    found = probe_names.literal(check["host"])
    if found is not None:
        return [found] if found[0] in families else []
    return names.marked(check["host"], families, deadline)[:1] if names is not None else []


def check_partner(check, mark, timeout, names=None):
    """A partner's health check along the partner's path: (round trip or None, local address used or None).
    A name is looked up through ``names`` (probe_names.LinkNames with the partner's mark) within ``timeout``."""
    started = time.monotonic()
    families = {check["family"]} if check["family"] else {4, 6}
    for family, address in _check_destinations(check, families, names, started + timeout):
        left = max(0.001, timeout - (time.monotonic() - started))  # what the name's lookup left
        try:
            sock, connected = _connect(family, address, check["port"], left, mark=mark)
        except OSError:
            return None, None
        local = sock.getsockname()[0]
        if check["kind"] == "tcp":
            sock.close()
            return connected, local
        try:
            left = max(0.001, timeout - (time.monotonic() - started))
            status = _http_status(sock, check["host"], check["path"], True, left)
        except (OSError, ssl.SSLError, ValueError):
            return None, local
        return (time.monotonic() - started, local) if _healthy(status) else (None, local)
    return None, None
