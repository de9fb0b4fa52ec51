"""The monitor's wire formats: netlink messages in and out, ICMP echo, metrics text."""

import socket
import struct

from symroute_router.monitor import echo, netlink, probes, publish


def _newlink(name, flags):
    attribute = name.encode() + b"\0"
    padded = attribute + b"\0" * ((4 - len(attribute) % 4) % 4)
    body = struct.pack("=BxHiII", 0, 1, 7, flags, 0) + struct.pack("=HH", 4 + len(attribute), 3) + padded
    return struct.pack("=IHHII", 16 + len(body), 16, 0, 0, 0) + body


def test_link_notifications_give_interface_and_carrier():
    data = _newlink("wana", 0x1 | 0x10000) + _newlink("wanb", 0x1)
    assert list(netlink.parse_link_messages(data)) == [("wana", True), ("wanb", False)]


def test_other_messages_are_ignored():
    data = struct.pack("=IHHII", 20, 20, 0, 0, 0) + b"\0" * 4 + _newlink("lan0", 0x10000)
    assert list(netlink.parse_link_messages(data)) == [("lan0", True)]


def test_conntrack_flush_message_filters_by_mark_and_mask():
    message = netlink.conntrack_flush_message(0x100, 0x7F00, sequence=9)
    length, kind, flags, sequence, _ = struct.unpack_from("=IHHII", message)
    assert length == len(message) == 16 + 4 + 8 + 8
    assert kind == (1 << 8) | 2  # ctnetlink, IPCTNL_MSG_CT_DELETE
    assert flags == 0x1 | 0x4 and sequence == 9
    assert message[16:20] == bytes([socket.AF_UNSPEC, 0, 0, 0])  # IPv4 and IPv6 alike
    assert message[20:28] == struct.pack("=HH", 8, 8) + struct.pack("!I", 0x100)  # CTA_MARK
    assert message[28:36] == struct.pack("=HH", 8, 21) + struct.pack("!I", 0x7F00)  # CTA_MARK_MASK


def test_icmp_echo_request_checksum_and_reply_matching():
    request = probes.echo_request(4, 0x1234, 7)
    assert echo.checksum(request) == 0  # a correct checksum sums to zero
    reply = bytes([0x45]) + b"\0" * 19 + struct.pack("!BBHHH", 0, 0, 0, 0x1234, 7)
    assert probes.is_echo_reply(4, reply, 0x1234, 7)
    assert not probes.is_echo_reply(4, reply, 0x1234, 8)
    assert probes.is_echo_reply(6, struct.pack("!BBHHH", 129, 0, 0, 5, 6), 5, 6)
    assert not probes.is_echo_reply(6, struct.pack("!BBHHH", 128, 0, 0, 5, 6), 5, 6)
    # A ping socket's IPv4 reply has no IP header and the kernel's identifier (matched by the kernel).
    assert echo.is_echo_reply(4, struct.pack("!BBHHH", 0, 0, 0, 999, 7), None, 7, ip_header=False)
    assert not echo.is_echo_reply(4, struct.pack("!BBHHH", 8, 0, 0, 999, 7), None, 7, ip_header=False)


def test_the_raw_fallbacks_kernel_filter_passes_echo_replies_only():
    (blocked,) = struct.unpack("=I", echo.reply_filter(4))  # bit set: the kernel drops that type
    assert [kind for kind in range(32) if not blocked & (1 << kind)] == [0]
    words = struct.unpack("=8I", echo.reply_filter(6))
    assert [kind for kind in range(256) if not words[kind >> 5] & (1 << (kind & 31))] == [129]


SNAPSHOT = {
    "router": "edge",
    "updated": 1700000000.5,
    "links": {
        "wan_a": {
            "up": False,
            "carrier": True,
            "gated": True,
            "rtt_seconds": None,
            "loss_ratio": 1.0,
            "transitions": 1,
        },
        "wan_b": {
            "up": True,
            "carrier": True,
            "gated": False,
            "rtt_seconds": 0.0012345678,
            "loss_ratio": 0.0,
            "transitions": 0,
        },
    },
    "partners": {
        "partner-api": {
            "pinned_link": "wan_a",
            "reachable": True,
            "latency_seconds": 0.004,
            "link": "wan_b",
            "off_pinned_link": True,
        },
    },
}


def test_metrics_textfile():
    text = publish.metrics(SNAPSHOT)
    assert 'symroute_link_up{router="edge",link="wan_a"} 0\n' in text
    assert 'symroute_link_gated{router="edge",link="wan_a"} 1\n' in text
    assert 'symroute_link_rtt_seconds{router="edge",link="wan_b"} 0.001235\n' in text
    assert 'symroute_link_rtt_seconds{router="edge",link="wan_a"}' not in text  # no answer, no sample
    assert 'symroute_link_transitions_total{router="edge",link="wan_a"} 1\n' in text
    assert 'symroute_partner_path{router="edge",partner="partner-api",pinned_link="wan_a",link="wan_b"} 1\n' in text
    assert 'symroute_partner_off_pinned_link{router="edge",partner="partner-api",pinned_link="wan_a"} 1\n' in text
    assert "# TYPE symroute_link_transitions_total counter\n" in text
    assert publish.metrics(SNAPSHOT) == text  # same state, same bytes


def test_files_are_replaced_whole(tmp_path):
    publish.write(SNAPSHOT, str(tmp_path / "run" / "monitor.json"), str(tmp_path / "prom" / "symroute.prom"))
    assert (tmp_path / "prom" / "symroute.prom").read_text() == publish.metrics(SNAPSHOT)
    assert '"general' not in (tmp_path / "run" / "monitor.json").read_text()
    assert sorted(p.name for p in (tmp_path / "prom").iterdir()) == ["symroute.prom"]


def _newaddr(index, scope, family=socket.AF_INET):
    body = struct.pack("=BBBBI", family, 24, 0, scope, index)
    return struct.pack("=IHHII", 16 + len(body), 20, 0, 0, 0) + body


def test_address_notifications_give_the_interface_of_each_global_address_added():
    names = {7: "wana", 8: "wanb"}

    def name_of(index):
        if index not in names:
            raise OSError(19, "No such device")
        return names[index]

    data = (
        _newaddr(7, 0)
        + _newaddr(7, 253, socket.AF_INET6)  # a global address, then a link-local one
        + _newaddr(9, 0)  # an interface gone meanwhile
        + _newlink("wanb", 0x10000)
        + _newaddr(8, 0, socket.AF_INET6)
    )
    assert list(netlink.parse_address_messages(data, name_of)) == ["wana", "wanb"]
