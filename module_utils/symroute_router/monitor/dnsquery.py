"""One A or AAAA query to a recursive resolver, over UDP (TCP when truncated): the router resolver's lookup.

Standard library only, and only what a recursive resolver's answer to one
question needs: a random query id, recursion desired, the socket connected to
the server (the kernel drops datagrams from anyone else), the reply's id, flags
and question checked against the query, then the answer section read with every
length bounded by the datagram. Records of the asked type and class IN are the
addresses; the smallest TTL of the answer section (CNAMEs included) is the
answer's TTL. A truncated reply (an answer over 512 bytes: a name with many
addresses) is asked again over TCP, from the same socket options and within the
same time limit. An error code, a malformed reply or no reply within the time
limit is a LookupFailed: the resolver keeps the last good answer. A partner's
query carries the partner's mark (SO_MARK), so it leaves by the partner's link
while that link is in service, else by its failover order; a link probe's query
(probe_names.py) is bound to the link's interface and leaves from its address,
like the probe itself.
"""

import ipaddress
import secrets
import socket
import struct
import time

from .resolver import LookupFailed

SO_MARK = 36  # socket.SO_MARK from Python 3.12 on; Linux's value
TYPES = {4: 1, 6: 28}  # A, AAAA
CLASS_IN = 1
RCODES = {1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


class Truncated(LookupFailed):
    """The reply does not hold the whole answer (TC): ask again over TCP."""


def question(name, family):
    """The question section for ``name`` (validated on the controller: ASCII labels of 1-63)."""
    encoded = b"".join(bytes([len(label)]) + label.encode("ascii") for label in name.split(".")) + b"\0"
    return encoded + struct.pack("!HH", TYPES[family], CLASS_IN)


def query_packet(query_id, name, family):
    return struct.pack("!HHHHHH", query_id, 0x0100, 1, 0, 0, 0) + question(name, family)


def _skip_name(packet, offset):
    """The offset after the (possibly compressed) name at ``offset``."""
    while True:
        if offset >= len(packet):
            raise LookupFailed("malformed reply: a name runs past the end")
        length = packet[offset]
        if length & 0xC0 == 0xC0:
            if offset + 2 > len(packet):
                raise LookupFailed("malformed reply: a cut pointer")
            return offset + 2
        if length & 0xC0:
            raise LookupFailed("malformed reply: an unknown label type")
        if length == 0:
            return offset + 1
        offset += 1 + length


def parse_reply(packet, query_id, name, family):
    """(addresses, ttl) of a reply to the query (``query_id``, ``name``, ``family``); raise LookupFailed."""
    if len(packet) < 12:
        raise LookupFailed("malformed reply: shorter than a header")
    reply_id, flags, qdcount, ancount = struct.unpack("!HHHH", packet[:8])
    if reply_id != query_id or not flags & 0x8000:
        raise LookupFailed("not a reply to this query")
    if flags & 0x0200:
        raise Truncated("truncated reply")
    if flags & 0x000F:
        code = flags & 0x000F
        raise LookupFailed(RCODES.get(code, f"error code {code}"))
    asked = question(name, family)
    if qdcount != 1 or packet[12 : 12 + len(asked)].lower() != asked:
        raise LookupFailed("the reply's question is not the query's")
    offset, addresses, ttls = 12 + len(asked), [], []
    wanted, size = TYPES[family], (4 if family == 4 else 16)
    for _record in range(ancount):
        offset = _skip_name(packet, offset)
        if offset + 10 > len(packet):
            raise LookupFailed("malformed reply: a record runs past the end")
        rtype, rclass, ttl, length = struct.unpack("!HHIH", packet[offset : offset + 10])
        offset += 10
        if offset + length > len(packet):
            raise LookupFailed("malformed reply: record data runs past the end")
        if rclass == CLASS_IN:
            ttls.append(ttl & 0x7FFFFFFF)
            if rtype == wanted and length == size:
                addresses.append(str(ipaddress.ip_address(packet[offset : offset + length])))
        offset += length
    return addresses, (min(ttls) if ttls else 0)


def _socket(server, kind, mark, interface, source):
    sock = socket.socket(socket.AF_INET6 if ":" in server else socket.AF_INET, kind)
    try:
        if mark is not None:
            sock.setsockopt(socket.SOL_SOCKET, SO_MARK, mark)
        if interface:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        if source:
            sock.bind((source, 0))
    except OSError:
        sock.close()
        raise
    return sock


def _left(deadline, server, timeout):
    left = deadline - time.monotonic()
    if left <= 0:
        raise LookupFailed(f"no reply from {server} within {timeout:g} s")
    return left


def _over_udp(sock, server, port, query_id, name, family, deadline, timeout):
    sock.connect((server, port))
    sock.send(query_packet(query_id, name, family))
    while True:
        sock.settimeout(_left(deadline, server, timeout))
        packet = sock.recv(4096)
        try:
            return parse_reply(packet, query_id, name, family)
        except LookupFailed as error:
            if str(error) != "not a reply to this query":
                raise


def _receive(sock, size, deadline, server, timeout):
    data = b""
    while len(data) < size:
        sock.settimeout(_left(deadline, server, timeout))
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise LookupFailed(f"{server} closed the TCP connection mid-reply")
        data += chunk
    return data


def _over_tcp(sock, server, port, query_id, name, family, deadline, timeout):
    """The same question over TCP (RFC 7766): each message after its 2-byte length; one reply read."""
    sock.settimeout(_left(deadline, server, timeout))
    sock.connect((server, port))
    packet = query_packet(query_id, name, family)
    sock.sendall(struct.pack("!H", len(packet)) + packet)
    (size,) = struct.unpack("!H", _receive(sock, 2, deadline, server, timeout))
    return parse_reply(_receive(sock, size, deadline, server, timeout), query_id, name, family)


def lookup(server, name, family, timeout=2.0, mark=None, port=53, interface=None, source=None):
    """(addresses, ttl) of ``name`` in ``family`` from ``server``; raise LookupFailed. ``interface`` and
    ``source``: the socket is bound to that interface (SO_BINDTODEVICE) and leaves from that address. A
    truncated UDP reply is asked again over TCP within the same ``timeout``."""
    deadline = time.monotonic() + timeout
    try:
        with _socket(server, socket.SOCK_DGRAM, mark, interface, source) as sock:
            try:
                return _over_udp(sock, server, port, secrets.randbits(16), name, family, deadline, timeout)
            except Truncated:
                pass
        with _socket(server, socket.SOCK_STREAM, mark, interface, source) as sock:
            return _over_tcp(sock, server, port, secrets.randbits(16), name, family, deadline, timeout)
    except socket.timeout:
        raise LookupFailed(f"no reply from {server} within {timeout:g} s") from None
    except OSError as error:
        raise LookupFailed(f"{server}: {error.strerror or error}") from None


def servers_of(resolv_conf_text):
    """The nameserver addresses of a resolv.conf (at most 3, as the C library reads them)."""
    servers = []
    for line in resolv_conf_text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            try:
                servers.append(str(ipaddress.ip_address(words[1].split("%")[0])))
            except ValueError:
                continue
    return servers[:3]
