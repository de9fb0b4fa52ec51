"""Two netlink conversations of the monitor, with the standard library only:
carrier changes of the link interfaces (rtnetlink), and the deletion of the
conntrack entries bound to a link (ctnetlink, filtered by mark in the kernel).
"""

import errno
import os
import socket
import struct

NETLINK_ROUTE = 0
NETLINK_NETFILTER = 12
RTMGRP_LINK = 0x1
RTM_NEWLINK = 16
RTM_DELLINK = 17
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
NLATTR = struct.Struct("=HH")


def _align(length):
    return (length + 3) & ~3


def _attributes(data):
    offset = 0
    while offset + NLATTR.size <= len(data):
        length, kind = NLATTR.unpack_from(data, offset)
        if length < NLATTR.size:
            break
        yield kind & 0x3FFF, data[offset + NLATTR.size:offset + length]
        offset += _align(length)


def _messages(data):
    offset = 0
    while offset + NLMSG_HEADER.size <= len(data):
        length, kind, _flags, _seq, _pid = NLMSG_HEADER.unpack_from(data, offset)
        if length < NLMSG_HEADER.size:
            break
        yield kind, data[offset + NLMSG_HEADER.size:offset + length]
        offset += _align(length)


def parse_link_messages(data):
    """(interface name, carrier) for each RTM_NEWLINK and RTM_DELLINK (an interface that vanished has no
    carrier: a PPPoE or LTE interface going away is a link going down) in one netlink datagram."""
    for kind, body in _messages(data):
        if kind not in (RTM_NEWLINK, RTM_DELLINK) or len(body) < IFINFOMSG.size:
            continue
        _family, _type, _index, flags, _change = IFINFOMSG.unpack_from(body)
        for attribute, value in _attributes(body[IFINFOMSG.size:]):
            if attribute == IFLA_IFNAME:
                name = value.split(b"\0", 1)[0].decode(errors="replace")
                yield name, kind == RTM_NEWLINK and bool(flags & IFF_LOWER_UP)


def read_carrier(interface):
    """The carrier of an interface now (False when it is missing or administratively down)."""
    try:
        with open(f"/sys/class/net/{interface}/carrier", encoding="ascii") as handle:
            return handle.read().strip() == "1"
    except OSError:
        return False


LOST_EVENTS = (None, None)


class CarrierWatcher:
    """Blocking iterator of (interface, carrier) for link change notifications.

    When the kernel had to drop notifications (the socket's buffer overflowed:
    ENOBUFS) it yields LOST_EVENTS: the reader must read every carrier again.
    Any other error ends the iteration with the exception.
    """

    def __init__(self, receive_buffer=1 << 20):
        self.socket = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.socket.bind((0, RTMGRP_LINK))

    def __iter__(self):
        while True:
            try:
                data = self.socket.recv(1 << 16)
            except OSError as error:
                if error.errno != errno.ENOBUFS:
                    raise
                yield LOST_EVENTS
                continue
            yield from parse_link_messages(data)

    def close(self):
        self.socket.close()


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
