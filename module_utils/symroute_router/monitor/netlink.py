"""The monitor's netlink conversations, with the standard library only: carrier
changes of the link interfaces and global addresses added to them (rtnetlink),
and the deletion of the conntrack entries bound to a link (ctnetlink, filtered
by mark in the kernel).
"""

import errno
import os
import socket
import struct

NETLINK_ROUTE = 0
NETLINK_NETFILTER = 12
RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV6_IFADDR = 0x100
RTMGRP_IPV4_ROUTE = 0x40
RTMGRP_IPV6_ROUTE = 0x400
RTM_NEWLINK = 16
RTM_DELLINK = 17
RTM_NEWADDR = 20
RTM_DELADDR = 21
RTM_NEWROUTE = 24
RTM_DELROUTE = 25
RTA_OIF = 4
RTA_TABLE = 15
RT_SCOPE_UNIVERSE = 0
NLMSG_ERROR = 2
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
IFLA_IFNAME = 3
IFF_LOWER_UP = 0x10000
NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_DELETE = 2
CTA_MARK = 8
CTA_MARK_MASK = 21
NLMSG_HEADER = struct.Struct("=IHHII")
IFINFOMSG = struct.Struct("=BxHiII")
IFADDRMSG = struct.Struct("=BBBBI")
RTMSG = struct.Struct("=BBBBBBBBI")
NLATTR = struct.Struct("=HH")


def _align(length):
    return (length + 3) & ~3


def _attributes(data):
    offset = 0
    while offset + NLATTR.size <= len(data):
        length, kind = NLATTR.unpack_from(data, offset)
        if length < NLATTR.size:
            break
        yield kind & 0x3FFF, data[offset + NLATTR.size : offset + length]
        offset += _align(length)


def _messages(data):
    offset = 0
    while offset + NLMSG_HEADER.size <= len(data):
        length, kind, _flags, _seq, _pid = NLMSG_HEADER.unpack_from(data, offset)
        if length < NLMSG_HEADER.size:
            break
        yield kind, data[offset + NLMSG_HEADER.size : offset + length]
        offset += _align(length)


def parse_link_messages(data):
    """(interface name, carrier) for each RTM_NEWLINK and RTM_DELLINK (an interface that vanished has no
    carrier: a PPPoE or LTE interface going away is a link going down) in one netlink datagram."""
    for kind, body in _messages(data):
        if kind not in (RTM_NEWLINK, RTM_DELLINK) or len(body) < IFINFOMSG.size:
            continue
        _family, _type, _index, flags, _change = IFINFOMSG.unpack_from(body)
        for attribute, value in _attributes(body[IFINFOMSG.size :]):
            if attribute == IFLA_IFNAME:
                name = value.split(b"\0", 1)[0].decode(errors="replace")
                yield name, kind == RTM_NEWLINK and bool(flags & IFF_LOWER_UP)


def parse_address_messages(data, name_of=socket.if_indextoname, removed=False):
    """The interface of each global address added (RTM_NEWADDR, scope universe) in one datagram, and with
    ``removed`` of each one deleted (RTM_DELADDR: a dynamic link's old address); an interface gone
    meanwhile is skipped. Link-local addresses come with every up and are not reported."""
    kinds = (RTM_NEWADDR, RTM_DELADDR) if removed else (RTM_NEWADDR,)
    for kind, body in _messages(data):
        if kind not in kinds or len(body) < IFADDRMSG.size:
            continue
        _family, _length, _flags, scope, index = IFADDRMSG.unpack_from(body)
        if scope != RT_SCOPE_UNIVERSE:
            continue
        try:
            yield name_of(index)
        except OSError:
            continue


def parse_default_route_messages(data, ignored_tables, name_of=socket.if_indextoname):
    """The interface of each default route added or deleted (a DHCP, RA or PPP client's, RTM_NEWROUTE or
    RTM_DELROUTE with prefix length 0) in a table not in ``ignored_tables`` (symroute's own: its repairs
    must not wake it again); a route without one output interface is skipped."""
    for kind, body in _messages(data):
        if kind not in (RTM_NEWROUTE, RTM_DELROUTE) or len(body) < RTMSG.size:
            continue
        _family, dst_len, _src_len, _tos, table, _protocol, _scope, _type, _flags = RTMSG.unpack_from(body)
        if dst_len != 0:
            continue
        index = None
        for attribute, value in _attributes(body[RTMSG.size :]):
            if attribute == RTA_TABLE and len(value) >= 4:
                table = struct.unpack_from("=I", value)[0]
            elif attribute == RTA_OIF and len(value) >= 4:
                index = struct.unpack_from("=I", value)[0]
        if index is None or table in ignored_tables:
            continue
        try:
            yield name_of(index)
        except OSError:
            continue


def read_carrier(interface):
    """The carrier of an interface now (False when it is missing or administratively down)."""
    try:
        with open(f"/sys/class/net/{interface}/carrier", encoding="ascii") as handle:
            return handle.read().strip() == "1"
    except OSError:
        return False


LOST_EVENTS = (None, None)


class _Subscription:
    """Blocking iterator over the notifications of rtnetlink ``groups``, each datagram read by ``parse``.

    When the kernel had to drop notifications (the socket's buffer overflowed: ENOBUFS) it yields
    ``lost``: the reader must read the state again. Any other error ends the iteration with it.
    """

    groups: int = 0
    lost: object = None

    def __init__(self, receive_buffer=1 << 20):
        self.socket = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.socket.bind((0, self.groups))

    def parse(self, data):
        raise NotImplementedError

    def __iter__(self):
        while True:
            try:
                data = self.socket.recv(1 << 16)
            except OSError as error:
                if error.errno != errno.ENOBUFS:
                    raise
                yield self.lost
                continue
            yield from self.parse(data)

    def close(self):
        self.socket.close()


class CarrierWatcher(_Subscription):
    """(interface, carrier) for link change notifications; LOST_EVENTS: read every carrier again."""

    groups, lost = RTMGRP_LINK, LOST_EVENTS

    def parse(self, data):
        return parse_link_messages(data)


class AddressWatcher(_Subscription):
    """The interface names that got a global address (IPv4 or IPv6); None: repair every link.

    The kernel deletes a link table's routes with the addresses they use (a network manager's
    reconfigure removes and re-adds them while the carrier stays up): the monitor repairs then.
    With ``dynamic`` (the router has dynamic links) it also reports addresses removed and default
    routes added or removed in any table but ``ignored_tables``: a dynamic link's address and gateway
    are learned from them (learned.py).
    """

    lost = None

    def __init__(self, dynamic=False, ignored_tables=(), receive_buffer=1 << 20):
        self.dynamic, self.ignored_tables = dynamic, frozenset(ignored_tables)
        self.groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR
        if dynamic:
            self.groups |= RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE
        super().__init__(receive_buffer)

    def parse(self, data):
        yield from parse_address_messages(data, removed=self.dynamic)
        if self.dynamic:
            yield from parse_default_route_messages(data, self.ignored_tables)


def _attribute(kind, value):
    return NLATTR.pack(NLATTR.size + len(value), kind) + value + b"\0" * (_align(len(value)) - len(value))


def conntrack_flush_message(mark, mask, sequence=1):
    """The ctnetlink request deleting every entry with (ct mark & mask) == mark, IPv4 and IPv6."""
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, 0)
    body += _attribute(CTA_MARK, struct.pack("!I", mark)) + _attribute(CTA_MARK_MASK, struct.pack("!I", mask))
    kind = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE
    return NLMSG_HEADER.pack(NLMSG_HEADER.size + len(body), kind, NLM_F_REQUEST | NLM_F_ACK, sequence, 0) + body


def flush_conntrack(mark, mask):
    """Delete the conntrack entries bound to one link (its mark); raises OSError on refusal."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER) as channel:
        channel.bind((0, 0))
        channel.settimeout(2.0)
        channel.send(conntrack_flush_message(mark, mask))
        for kind, body in _messages(channel.recv(1 << 16)):
            if kind == NLMSG_ERROR:
                code = -struct.unpack_from("=i", body)[0]
                if code not in (0, errno.ENOENT):
                    raise OSError(code, os.strerror(code))
