#!/usr/bin/env python3
"""Add or delete many IPv4 `ip rule`s fast, for bench/dataplane.py's hand-written-fix configuration.

    rules_netlink.py add|del < lines of "PRIORITY DESTINATION/LENGTH TABLE"

The rules are the ones `ip rule add to DESTINATION lookup TABLE priority
PRIORITY` makes; only the way in differs. `ip` asks the kernel to refuse
duplicates (NLM_F_EXCL), and the kernel then compares each new rule with
every rule already there, so 100,000 rules take many minutes to install. This
sends the same requests without that flag, in order of falling priority
(each new rule goes to the front of the list), in large batches, and reads
every acknowledgement: every rule is confirmed or the script fails. The data
plane, which is what the benchmark measures, is the same either way.
Run it inside the namespace (`ip netns exec ROUTER`).
"""

import socket
import struct
import sys

RTM_NEWRULE, RTM_DELRULE = 32, 33
NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE = 0x1, 0x4, 0x400
NLMSG_ERROR = 2
FRA_DST, FRA_PRIORITY, FRA_TABLE = 1, 6, 15
FR_ACT_TO_TBL = 1
BATCH = 512


def _attribute(kind, value):
    return struct.pack("=HH", 4 + len(value), kind) + value


def message(kind, sequence, priority, destination, table):
    address, length = destination.split("/")
    header = struct.pack("=BBBBBBBBI", socket.AF_INET, int(length), 0, 0, 0, 0, 0, FR_ACT_TO_TBL, 0)
    body = (
        header
        + _attribute(FRA_DST, socket.inet_aton(address))
        + _attribute(FRA_PRIORITY, struct.pack("=I", priority))
        + _attribute(FRA_TABLE, struct.pack("=I", table))
    )
    flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_CREATE if kind == RTM_NEWRULE else 0)
    return struct.pack("=IHHII", 16 + len(body), kind, flags, sequence, 0) + body


def _acknowledged(channel, expected):
    done = 0
    while done < expected:
        data = channel.recv(1 << 20)
        offset = 0
        while offset < len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if kind == NLMSG_ERROR:
                code = struct.unpack_from("=i", data, offset + 16)[0]
                if code != 0:
                    raise OSError(-code, f"the kernel refused a rule: error {-code}")
                done += 1
            offset += (length + 3) & ~3


def main():
    kind = {"add": RTM_NEWRULE, "del": RTM_DELRULE}[sys.argv[1]]
    rules = [line.split() for line in sys.stdin if line.strip()]
    # add: highest priority first, so each rule is inserted at the head of the list;
    # del: lowest first, so each is found at the head.
    rules.sort(key=lambda rule: int(rule[0]), reverse=(kind == RTM_NEWRULE))
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0) as channel:
        channel.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
        channel.bind((0, 0))
        for start in range(0, len(rules), BATCH):
            chunk = rules[start : start + BATCH]
            channel.sendall(b"".join(message(kind, start + n, int(p), d, int(t)) for n, (p, d, t) in enumerate(chunk)))
            _acknowledged(channel, len(chunk))


if __name__ == "__main__":
    main()
