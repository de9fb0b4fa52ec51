"""ICMP echo probes that no other ICMP traffic reaches: a flood at the link's address is dropped by the kernel.

A ping socket (``SOCK_DGRAM``/``IPPROTO_ICMP`` or ``IPPROTO_ICMPV6``) is used where the kernel allows one: the
kernel gives it an identifier (its "port"), writes that identifier and the checksum into what it sends, and
delivers to it only echo replies carrying that identifier. Echo requests, errors and every other socket's
replies never reach it, so Python never parses them.

The kernel allows a ping socket only to a process whose group is in ``net.ipv4.ping_group_range`` (one setting
per network namespace, IPv6 included). Its kernel default, ``1 0``, allows no group, root's included; systemd's
``50-default.conf`` allows every group. symroute does not widen that system-wide setting on its own (it decides
who else on the router may send ICMP): where the kernel refuses a ping socket (EACCES), the probe uses a raw
socket that the kernel filters as narrowly: connected to the target (only packets from that address) and with
``ICMP_FILTER``/``ICMP6_FILTER`` passing echo replies only. Either way an echo-request flood at the link's
address is answered by the kernel and never queued on a probe socket. docs/security.md has the argument.
"""

import errno
import select
import socket
import struct
import time

FAMILIES = {4: socket.AF_INET, 6: socket.AF_INET6}
PROTOCOLS = {4: socket.IPPROTO_ICMP, 6: socket.IPPROTO_ICMPV6}
ECHO = {4: (8, 0), 6: (128, 129)}  # (request, reply) types
SOL_RAW = 255
ICMP_FILTER = 1  # SOL_RAW, IPv4: a bit set for each type the kernel must not deliver
ICMP6_FILTER = 1  # IPPROTO_ICMPV6: 256 bits, set = blocked


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def echo_request(family, identifier, sequence, payload=b"symroute"):
    request_type = ECHO[family][0]
    header = struct.pack("!BBHHH", request_type, 0, 0, identifier, sequence)
    summed = checksum(header + payload) if family == 4 else 0  # the kernel sums ICMPv6 (and a ping socket's)
    return struct.pack("!BBHHH", request_type, 0, summed, identifier, sequence) + payload


def is_echo_reply(family, packet, identifier, sequence, ip_header=None):
    """``packet`` as a socket received it: a raw IPv4 socket's starts with the IP header (``ip_header``
    defaults to that); a ping socket's and an IPv6 socket's start with the ICMP header. ``identifier``
    None: not compared (a ping socket's kernel matched it already)."""
    if (family == 4 if ip_header is None else ip_header) and packet:
        packet = packet[(packet[0] & 0x0F) * 4 :]
    if len(packet) < 8:
        return False
    kind, _code, _sum, got_identifier, got_sequence = struct.unpack_from("!BBHHH", packet)
    return kind == ECHO[family][1] and got_sequence == sequence and (identifier is None or got_identifier == identifier)


def reply_filter(family):
    """The ICMP_FILTER (IPv4) or ICMP6_FILTER (IPv6) value that blocks every type but the echo reply."""
    reply = ECHO[family][1]
    words = [0xFFFFFFFF] * (1 if family == 4 else 8)
    words[reply >> 5] &= ~(1 << (reply & 31)) & 0xFFFFFFFF
    return struct.pack(f"={len(words)}I", *words)


def _prepare(sock, interface, source):
    if interface:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
    if source:
        sock.bind((source, 0))


def open_socket(family, address, interface=None, source=None):
    """(socket, "ping" or "raw"): a ping socket, or where the kernel refuses one a connected, filtered raw
    socket. Raises OSError when neither can be opened."""
    try:
        sock = socket.socket(FAMILIES[family], socket.SOCK_DGRAM, PROTOCOLS[family])
        kind = "ping"
    except OSError as error:
        if error.errno not in (errno.EACCES, errno.EPERM, errno.EPROTONOSUPPORT):
            raise
        sock = socket.socket(FAMILIES[family], socket.SOCK_RAW, PROTOCOLS[family])
        kind = "raw"
    try:
        if kind == "raw":
            level, option = (SOL_RAW, ICMP_FILTER) if family == 4 else (socket.IPPROTO_ICMPV6, ICMP6_FILTER)
            sock.setsockopt(level, option, reply_filter(family))
        _prepare(sock, interface, source)
        if kind == "raw":
            sock.connect((address, 0))  # the kernel delivers only what comes from the target
            _drain(sock)
    except OSError:
        sock.close()
        raise
    return sock, kind


def _drain(sock):
    """Drop what a raw socket queued between its creation and its filter and connect (any ICMP packet to
    the host, a flood's included): from then on it holds only the target's echo replies."""
    sock.setblocking(False)
    try:
        while True:
            sock.recv(2048)
    except (BlockingIOError, InterruptedError):
        pass
    finally:
        sock.setblocking(True)


def kind_available(family=4):
    """ "ping" when this process may open ping sockets, else "raw" (for the monitor's start-up line)."""
    try:
        socket.socket(FAMILIES[family], socket.SOCK_DGRAM, PROTOCOLS[family]).close()
        return "ping"
    except OSError:
        return "raw"


def ping(address, family, interface, source, timeout, sequence, identifier):
    """One echo to ``address`` from ``source`` bound to ``interface``: the round trip in seconds, or None."""
    try:
        sock, kind = open_socket(family, address, interface, source)
    except OSError:
        return None
    with sock:
        try:
            if kind == "ping":
                identifier = None  # the kernel writes its own and delivers only the replies carrying it
            started = time.monotonic()
            deadline = started + timeout
            sock.sendto(echo_request(family, identifier or 0, sequence), (address, 0))
            while (left := deadline - time.monotonic()) > 0:
                if not select.select([sock], [], [], left)[0]:
                    return None
                packet, sender = sock.recvfrom(2048)
                if sender[0] == address and is_echo_reply(
                    family, packet, identifier, sequence, ip_header=family == 4 and kind == "raw"
                ):
                    return time.monotonic() - started
        except OSError:
            return None
    return None
