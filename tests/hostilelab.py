"""Hostile neighbours and local users against the monitor on the three-link router (tests/threelinklab.py):
an ICMP echo flood from a provider's namespace, a burst of address events, a carrier loss timed inside the
router's namespace, a lock held by an unprivileged process. Every load is bounded in count and time."""

import json
import subprocess
import sys
import textwrap

from threelinklab import ENVIRONMENT, ISPS, OUT_OF_SERVICE_GROUP, Monitor, sh

# Sends ``count`` ICMP echo requests to ``target`` at ``rate`` per second (paced every millisecond), then
# prints what it sent and how long it took. A raw socket: the kernel writes the IP header.
FLOOD = """
import json, socket, struct, sys, time
target, rate, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def packet(sequence):
    header = struct.pack("!BBHHH", 8, 0, 0, 0x4242, sequence) + b"flood" * 8
    words = sum(struct.unpack(f"!{len(header) // 2}H", header))
    words = (words >> 16) + (words & 0xFFFF); words += words >> 16
    return header[:2] + struct.pack("!H", ~words & 0xFFFF) + header[4:]
packets = [packet(sequence) for sequence in range(256)]
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
sock.connect((target, 0))
send, sent, started = sock.send, 0, time.monotonic()
while sent < count:
    due = min(int((time.monotonic() - started) * rate) + rate // 1000, count)
    try:
        for packet in packets[:max(0, min(due - sent, 256))]:  # a burst of up to 256: few Python steps each
            send(packet)
            sent += 1
    except BlockingIOError:
        pass
    if sent >= due:
        time.sleep(0.0005)
print(json.dumps({"sent": sent, "seconds": time.monotonic() - started}))
"""

# In the router's namespace: the far end of ``interface`` set down (the router's interface loses its carrier),
# then the interface's group read from /sys every millisecond until the monitor put it out of service;
# milliseconds from the start of `ip link set down`, or limit_ms + 1.
FAILOVER = """
import subprocess, sys, time
far_ns, interface, group, limit_ms = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
started = time.monotonic()  # before `ip` starts: an upper bound (the monitor may act before `ip` exits)
subprocess.run(["ip", "-n", far_ns, "link", "set", "eth0", "down"], check=True)
while (elapsed := (time.monotonic() - started) * 1000) <= limit_ms:
    with open(f"/sys/class/net/{interface}/netdev_group") as handle:
        if handle.read().strip() == group:
            print(round(elapsed, 1)); break
    time.sleep(0.001)
else:
    print(limit_ms + 1)
"""


def start_flood(lab, link, rate, seconds):
    """Echo requests from ``link``'s provider at the router's address on that link; ``flood_result``."""
    router_address = ISPS[link][2].split("/")[0]
    return subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            lab.names[link],
            sys.executable,
            "-c",
            FLOOD,
            router_address,
            str(rate),
            str(rate * seconds),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )


def flood_result(flood):
    """{"sent", "seconds"} of a flood, once it ended by itself."""
    return json.loads(flood.communicate(timeout=60)[0])


# In the router's namespace, for ``seconds``: the packets a probe socket of echo.py (ping or filtered raw,
# connected to the provider) receives, against an unfiltered raw ICMP socket bound to the same address and
# interface (the probes' sockets before #24).
EXPOSURE = """
import json, select, socket, sys, time
from symroute_router.monitor import echo
target, interface, source, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
probe, kind = echo.open_socket(4, target, interface, source)
plain = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
plain.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
plain.bind((source, 0))
counts = {"probe": 0, "probe_replies": 0, "unfiltered": 0}
deadline = time.monotonic() + seconds
while (left := deadline - time.monotonic()) > 0:
    for ready in select.select([probe, plain], [], [], left)[0]:
        packet = ready.recv(2048)
        if ready is plain:
            counts["unfiltered"] += 1
        elif packet[(packet[0] & 0x0F) * 4 if kind == "raw" else 0] == 0:
            counts["probe_replies"] += 1  # an echo reply from the target (the monitor's own probes' too)
        else:
            counts["probe"] += 1
print(json.dumps(dict(counts, kind=kind)))
"""


def socket_exposure(lab, link, seconds):
    """{"probe": packets but echo replies from the target a probe socket received, "probe_replies": echo
    replies from the target, "unfiltered": packets an unfiltered socket received, "kind"}."""
    _interface, far, near, _far6, _near6 = ISPS[link]
    done = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            lab.r,
            sys.executable,
            "-c",
            EXPOSURE,
            far.split("/")[0],
            ISPS[link][0],
            near.split("/")[0],
            str(seconds),
        ],
        capture_output=True,
        text=True,
        env=ENVIRONMENT,
        check=True,
    )
    return json.loads(done.stdout)


def echoes_received(lab):
    """The router's count of ICMP echo requests received (Icmp InEchos in its namespace's /proc/net/snmp)."""
    lines = [
        line.split()
        for line in sh("ip", "netns", "exec", lab.r, "cat", "/proc/net/snmp").stdout.splitlines()
        if line.startswith("Icmp:")
    ]
    return int(dict(zip(lines[0], lines[1]))["InEchos"])


def carrier_loss_failover_ms(lab, link, limit_ms=1000):
    """Milliseconds from ``link``'s carrier loss until the monitor has it out of service, timed inside the
    router's namespace (no `ip netns exec` start-up in the measure)."""
    out = sh(
        "ip",
        "netns",
        "exec",
        lab.r,
        sys.executable,
        "-c",
        FAILOVER,
        lab.names[link],
        ISPS[link][0],
        str(OUT_OF_SERVICE_GROUP),
        str(limit_ms),
    ).stdout
    return float(out.split()[-1])


def address_burst(lab, interface, count):
    """``count`` global addresses added to ``interface`` in one `ip -batch` (``count`` RTM_NEWADDR
    notifications), then removed again; the seconds the additions took."""
    adds = "".join(f"addr add 100.100.{index // 250}.{index % 250 + 1}/32 dev {interface}\n" for index in range(count))
    timed = sh(
        "ip",
        "netns",
        "exec",
        lab.r,
        sys.executable,
        "-c",
        textwrap.dedent("""
        import subprocess, sys, time
        started = time.monotonic()
        subprocess.run(["ip", "-batch", "-"], input=sys.stdin.read(), text=True, check=True)
        print(time.monotonic() - started)
    """),
        stdin=adds,
    )
    return float(timed.stdout)


def remove_burst(lab, interface):
    sh("ip", "-n", lab.r, "addr", "flush", "dev", interface, "to", "100.100.0.0/16")


def peak_memory_kib(monitor):
    """The monitor process's peak resident memory (VmHWM), KiB."""
    with open(f"/proc/{monitor.process.pid}/status", encoding="ascii") as status:
        return int(next(line.split()[1] for line in status if line.startswith("VmHWM:")))


class RepairingMonitor(Monitor):
    """The real monitor with its repairer: the lab's routing state, owned tables and routing lock in the
    test's scratch directory (the router's own paths are /etc/symroute and /run/symroute)."""

    def __init__(self, lab, lock):
        super().__init__(lab)
        config = json.loads(self.config.read_text())
        config["settings"].update(
            {
                "routing_state_file": str(lab.routing_state),
                "owned_tables_file": str(lab.scratch / "owned.json"),
                "routing_lock": str(lock),
                "repair_interval_s": 30,
            }
        )
        self.config.write_text(json.dumps(config))


def run_as_nobody(*argv):
    """A process as the unprivileged user nobody (no groups, no capabilities)."""
    return subprocess.Popen(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENVIRONMENT,
    )
