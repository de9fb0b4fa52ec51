"""The HA lab (issue #25): two edge routers (edge-1, edge-2) in podman containers with systemd, keepalived
and conntrackd, on a bridge per segment, driven by symmetric-routing.yml with inventories/ha-lab.

    LAN    203.0.113.0/24, 2001:db8:5::/64   shared gateway .1 / ::1, edge-1 .2 / ::2, edge-2 .3 / ::3, client .50
    wan_a  198.51.100.0/29                   ISP firewall A .1, shared .4, edge-1 .2, edge-2 .3
    wan_b  198.51.100.8/29                   ISP firewall B .9, shared .12, edge-1 .10, edge-2 .11
    sync0  10.255.0.0/30                     edge-1 .1, edge-2 .2
    firewall A's far side: the partner, 100.64.20.10 (API) and 100.64.21.10 (ledger), over 100.64.9.0/30

The bridges live in a network namespace of their own (symroute-ha-sw), the client, the two ISP firewalls and
the partner in theirs; the routers' interfaces are veth pairs from the switch namespace, so the host is on
no lab segment, and a router lost (``podman kill``, or its ports cut at the switch) leaves every segment at
once, as a router losing power does. The firewalls are stateful (established/related in, new only from the
site side) and drop out-of-state packets, as in the incident lab. Every name starts with symroute-ha-, so the
lab never touches another lab's containers or namespaces; ``stop`` removes all of them and succeeds when
nothing is left. Used by tests/ha (molecule's ``ha`` scenario runs them in its lab) and bench/ha_switchover.py.

    python tests/halab.py up      the lab, not converged: image, namespaces, both routers wired (molecule create)
    python tests/halab.py down    every container and namespace of the lab removed (molecule destroy)
"""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from routerlab import PODMAN_ENVIRONMENT, REPOSITORY, RESOURCES, _image, podman

PREFIX = "symroute-ha-"
SWITCH, CLIENT, FW_A, FW_B, PARTNER = (PREFIX + name for name in ("sw", "client", "fwa", "fwb", "partner"))
NAMESPACES = (SWITCH, CLIENT, FW_A, FW_B, PARTNER)
SEGMENTS = ("lan0", "wana", "wanb", "sync0")
ROUTERS = {
    "edge-1": {
        "number": 1,
        "lan0": ("203.0.113.2/24", "2001:db8:5::2/64"),
        "wana": "198.51.100.2/29",
        "wanb": "198.51.100.10/29",
        "sync0": "10.255.0.1/30",
    },
    "edge-2": {
        "number": 2,
        "lan0": ("203.0.113.3/24", "2001:db8:5::3/64"),
        "wana": "198.51.100.3/29",
        "wanb": "198.51.100.11/29",
        "sync0": "10.255.0.2/30",
    },
}
SHARED_WAN_A, PARTNER_API, PARTNER_LEDGER = "198.51.100.4", "100.64.20.10", "100.64.21.10"
STATE_FILE, YIELD_FILE = "/run/symroute/ha-state", "/run/symroute/ha-yield"
MONITOR_STATE = "/run/symroute/monitor.json"
STREAM = Path(__file__).resolve().parent / "hastream.py"

FIREWALL = """
table inet firewall {
	counter out_of_state { }
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state invalid counter name out_of_state drop
		ct state established,related accept
		iifname "site" accept
		counter name out_of_state drop
	}
	chain input {
		type filter hook input priority filter; policy accept;
	}
}
"""


def container(router):
    return PREFIX + router


def run(*argv, check=True, stdin=None, timeout=120):
    result = subprocess.run(list(argv), input=stdin, capture_output=True, text=True, check=False, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({result.returncode}): {result.stdout}{result.stderr}")
    return result


def ns(namespace, script, check=True, timeout=120):
    """A shell script in one of the lab's network namespaces (on the host)."""
    return run("ip", "netns", "exec", namespace, "sh", "-ec", script, check=check, timeout=timeout)


def on(router, script, check=True):
    """A shell script in a router's container."""
    result = podman("exec", "-i", container(router), "sh", "-c", script, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"{router}: {script!r} failed: {result.stdout}{result.stderr}")
    return result


def _veth(outer, namespace, inner):
    """A veth pair: ``outer`` in the switch namespace, ``inner`` in ``namespace`` (a name or a pid)."""
    target = str(namespace)
    run("ip", "-n", SWITCH, "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", target)


def _bridge_port(outer, bridge):
    run("ip", "-n", SWITCH, "link", "set", outer, "master", bridge, "up")


def stop():
    """Remove every container and namespace of the lab (nothing left is fine)."""
    for router in ROUTERS:
        podman("rm", "-f", "-t", "0", container(router), check=False)
    for namespace in NAMESPACES:
        run("ip", "netns", "del", namespace, check=False)


def _namespaces():
    for namespace in NAMESPACES:
        run("ip", "netns", "add", namespace)
        ns(namespace, "ip link set lo up; sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0")
    # Bridged frames never go through the switch namespace's netfilter (no conntrack on the segments).
    ns(
        SWITCH,
        "for key in iptables ip6tables arptables; do sysctl -qw net.bridge.bridge-nf-call-$key=0"
        " 2>/dev/null || true; done",
    )
    for bridge in ("br-lan", "br-wana", "br-wanb", "br-sync"):
        ns(SWITCH, f"ip link add {bridge} type bridge forward_delay 0 mcast_snooping 0; ip link set {bridge} up")
    # The client on the LAN.
    _veth("c-lan", CLIENT, "eth0")
    _bridge_port("c-lan", "br-lan")
    ns(
        CLIENT,
        "ip link set eth0 up; ip addr add 203.0.113.50/24 dev eth0;"
        " ip -6 addr add 2001:db8:5::50/64 dev eth0 nodad;"
        " ip route add default via 203.0.113.1; ip -6 route add default via 2001:db8:5::1",
    )
    # ISP A: a stateful firewall between wan_a and the partner; answers the monitor's probes at 100.64.1.2.
    _veth("fa-site", FW_A, "site")
    _bridge_port("fa-site", "br-wana")
    run("ip", "-n", FW_A, "link", "add", "uplink", "type", "veth", "peer", "name", "eth0", "netns", PARTNER)
    ns(
        FW_A,
        "sysctl -qw net.ipv4.ip_forward=1 net.netfilter.nf_conntrack_tcp_loose=0 2>/dev/null ||"
        " sysctl -qw net.ipv4.ip_forward=1; ip link set site up; ip link set uplink up;"
        " ip addr add 198.51.100.1/29 dev site; ip addr add 100.64.9.1/30 dev uplink;"
        " ip addr add 100.64.1.2/32 dev lo; ip route add 100.64.20.0/23 via 100.64.9.2",
    )
    run("ip", "netns", "exec", FW_A, "nft", "-f", "-", stdin=FIREWALL)
    ns(
        PARTNER,
        "ip link set eth0 up; ip addr add 100.64.9.2/30 dev eth0;"
        f" ip addr add {PARTNER_API}/32 dev lo; ip addr add {PARTNER_LEDGER}/32 dev lo;"
        " ip route add default via 100.64.9.1",
    )
    # ISP B: a firewall on wan_b answering the probes at 100.64.2.2.
    _veth("fb-site", FW_B, "site")
    _bridge_port("fb-site", "br-wanb")
    ns(
        FW_B,
        "sysctl -qw net.ipv4.ip_forward=1; ip link set site up; ip addr add 198.51.100.9/29 dev site;"
        " ip addr add 100.64.2.2/32 dev lo",
    )
    run("ip", "netns", "exec", FW_B, "nft", "-f", "-", stdin=FIREWALL)


def _pid(router):
    return podman("inspect", "-f", "{{.State.Pid}}", container(router)).stdout.strip()


def _wait_booted(router, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = podman("exec", container(router), "systemctl", "is-system-running", check=False).stdout.strip()
        if state in ("running", "degraded"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"{router} did not boot within {seconds} s")


def start_router(router):
    """The router's container (systemd as PID 1), wired to the four segments with its own addresses."""
    podman("rm", "-f", "-t", "0", container(router), check=False)
    podman(
        "run",
        "-d",
        "--privileged",
        "--network",
        "none",
        "--systemd=always",
        "--stop-timeout",
        "5",
        "--name",
        container(router),
        "--hostname",
        router,
        _image(),
        "/lib/systemd/systemd",
    )
    _wait_booted(router)
    wire_router(router)


def wire_router(router):
    spec, pid = ROUTERS[router], _pid(router)
    bridges = {"lan0": "br-lan", "wana": "br-wana", "wanb": "br-wanb", "sync0": "br-sync"}
    for segment in SEGMENTS:
        outer = port(router, segment)
        run("ip", "-n", SWITCH, "link", "del", outer, check=False)
        _veth(outer, pid, segment)
        _bridge_port(outer, bridges[segment])
    lan4, lan6 = spec["lan0"]
    on(
        router,
        "set -e; sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0"
        " net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1;"
        " for i in lan0 wana wanb sync0; do ip link set $i up; done;"
        f" ip addr add {lan4} dev lan0; ip -6 addr add {lan6} dev lan0 nodad;"
        f" ip addr add {spec['wana']} dev wana; ip addr add {spec['wanb']} dev wanb;"
        f" ip addr add {spec['sync0']} dev sync0;"
        " ip route add default via 198.51.100.1 dev wana metric 10;"
        " ip route add default via 198.51.100.9 dev wanb metric 20",
    )


def port(router, segment):
    """The switch-side name of a router's port on a segment (e.g. e1-wana)."""
    return f"e{ROUTERS[router]['number']}-{segment}"


def set_port(router, segment, up):
    run("ip", "-n", SWITCH, "link", "set", port(router, segment), "up" if up else "down")


def inventory(directory):
    """The lab's inventory (inventories/ha-lab) copied to ``directory``."""
    target = Path(directory) / "ha-lab"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(REPOSITORY / "inventories" / "ha-lab", target)
    return target


def playbook(inventory_dir, *args):
    env = dict(
        PODMAN_ENVIRONMENT, ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"
    )
    command = [
        str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
        "-i",
        str(inventory_dir),
        str(REPOSITORY / "symmetric-routing.yml"),
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPOSITORY, env=env, check=False)


def up():
    """The lab as a new site has it before symroute: the image (built if missing), the segments, the client,
    the firewalls and the partner, and both routers booted and wired with their own addresses only."""
    subprocess.run([str(RESOURCES / "build-image.sh")], check=True, capture_output=True, env=PODMAN_ENVIRONMENT)
    stop()
    _namespaces()
    for router in ROUTERS:
        start_router(router)


def start(directory):
    """The whole lab, converged by the playbook; returns the inventory directory."""
    up()
    inventory_dir = inventory(directory)
    result = playbook(inventory_dir)
    if result.returncode != 0:
        raise AssertionError(f"the playbook failed:\n{result.stdout[-6000:]}{result.stderr[-3000:]}")
    wait_for_states({"edge-1": "master", "edge-2": "backup"}, 30)
    return inventory_dir


def restore(router, inventory_dir, seconds=30):
    """A lost router back, as after a reboot onto a fresh disk: a new container, wired, converged by the real
    playbook limited to it (``-l router``; the plan step still plans the whole pair from the inventory's
    files). It returns as the backup (nopreempt) with its links in service; returns the playbook's run."""
    start_router(router)
    result = playbook(inventory_dir, "-l", router)
    if result.returncode != 0:
        raise AssertionError(
            f"the playbook limited to {router} failed:\n{result.stdout[-6000:]}{result.stderr[-3000:]}"
        )
    wait_for(
        lambda: vrrp_state(router) == "backup" and on(router, f"cat {YIELD_FILE}", check=False).stdout.strip() == "0",
        seconds,
        f"{router} back as the backup, its links in service",
    )
    return result


def external_cache(router):
    """conntrackd's external cache on ``router``: the peer's connections it holds, ready to commit."""
    return on(router, "conntrackd -C /etc/conntrackd/conntrackd.conf -e", check=False).stdout


def vrrp_state(router):
    """What keepalived's notify command last recorded (master, backup, fault, stopped), or None."""
    result = on(router, f"cat {STATE_FILE}", check=False)
    return result.stdout.split()[0] if result.returncode == 0 and result.stdout.strip() else None


def monitor_state(router):
    result = on(router, f"cat {MONITOR_STATE}", check=False)
    try:
        return json.loads(result.stdout) if result.returncode == 0 else None
    except ValueError:
        return None


def holds(router, address):
    return f" {address}/" in on(router, "ip -4 -o addr show").stdout


def wait_for(condition, seconds, what, interval=0.1):
    deadline = time.monotonic() + seconds
    value = None
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} within {seconds} s (last: {value!r})\n{diagnostics()}")


def wait_for_states(states, seconds):
    wait_for(
        lambda: all(vrrp_state(router) == state for router, state in states.items()), seconds, f"VRRP states {states}"
    )


def diagnostics():
    lines = []
    for router in ROUTERS:
        result = on(
            router,
            "journalctl -b --no-pager -n 25 -u keepalived -u conntrackd -o short-monotonic;"
            f" cat {STATE_FILE} {YIELD_FILE}; ip -o addr",
            check=False,
        )
        lines.append(f"--- {router}\n{result.stdout[-4000:]}{result.stderr[-500:]}")
    return "\n".join(lines)


def master():
    """The router that holds the shared wan_a address (the one the partner sees), or None."""
    holders = [
        router
        for router in ROUTERS
        if podman("container", "exists", container(router), check=False).returncode == 0
        and _running(router)
        and holds(router, SHARED_WAN_A)
    ]
    return holders[0] if len(holders) == 1 else None


def _running(router):
    return podman("inspect", "-f", "{{.State.Running}}", container(router), check=False).stdout.strip() == "true"


class Capture:
    """tcpdump on a switch port or in a namespace, open when the constructor returns; ``stop`` gives its
    lines (-tt timestamps)."""

    def __init__(self, namespace, interface, expression, path):
        self.path = Path(path)
        self.process = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                namespace,
                "tcpdump",
                "-i",
                interface,
                "-nn",
                "-tt",
                "-l",
                "-Q",
                "in",
                "-U",
                expression,
            ],
            stdout=self.path.open("w"),
            stderr=subprocess.PIPE,
            text=True,
        )
        # tcpdump says "listening on ..." once its capture is open: nothing sent after that is missed.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if "listening on" in line or not line:
                break
        time.sleep(0.05)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return [line for line in self.path.read_text().splitlines() if line.strip()]


def timestamps(lines):
    return [float(line.split()[0]) for line in lines]


class Stream:
    """A long-lived TCP stream from the LAN client to the partner (tests/hastream.py on both ends): a
    sequence number every ``interval`` seconds, echoed back; the partner records who connected and any reset."""

    def __init__(self, directory, port=9000, seconds=30.0, interval=0.01, target=PARTNER_API):
        self.directory = Path(directory)
        self.server_report = self.directory / f"server-{port}.json"
        self.client_report = self.directory / f"client-{port}.json"
        for path in (self.server_report, self.client_report):
            path.unlink(missing_ok=True)
        self.server = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                PARTNER,
                "python3",
                str(STREAM),
                "serve",
                target,
                str(port),
                str(seconds + 30),
                str(self.server_report),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # The client connects once the partner listens, never before (a SYN to a closed port draws a RST: on a
        # busy machine the server's start took longer than a fixed pause).
        if self.server.stdout.readline().strip() != "listening":
            self.server.wait(timeout=10)
            raise AssertionError(f"the partner's stream server did not start: {self.server.stderr.read()}")
        self.client = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                CLIENT,
                "python3",
                str(STREAM),
                "send",
                target,
                str(port),
                str(seconds),
                str(interval),
                str(self.client_report),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait(self, timeout=120):
        """Both reports once the client's time is up: (client, server)."""
        self.client.wait(timeout=timeout)
        self.server.wait(timeout=timeout)
        client = json.loads(self.client_report.read_text())
        server = json.loads(self.server_report.read_text())
        return client, server

    def finish(self, timeout=120):
        """End the client's stream now (SIGTERM: it stops sending, waits for the last echoes and reports)."""
        if self.client.poll() is None:
            self.client.terminate()
        return self.wait(timeout)

    def kill(self):
        for process in (self.client, self.server):
            if process.poll() is None:
                process.kill()
                process.wait()


def unsynced_drops(router):
    """Packets symroute's table dropped as unsynced mid-stream TCP to a shared address (ha_unsynced)."""
    result = on(router, "nft list chain inet symroute ha_unsynced", check=False)
    return sum(
        int(word)
        for line in result.stdout.splitlines()
        if "counter packets" in line
        for word in [line.split("counter packets")[1].split()[0]]
    )


TCP_SEGMENT = """
import socket, struct, sys
source, destination, sport, dport, flags = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def checksum(data):
    data += b"\\0" * (len(data) % 2)
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF
header = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000, 5 << 4, flags, 8192, 0, 0)
pseudo = socket.inet_aton(source) + socket.inet_aton(destination) + struct.pack("!BBH", 0, 6, len(header))
header = header[:16] + struct.pack("!H", checksum(pseudo + header)) + header[18:]
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
sock.bind((source, 0))
sock.sendto(header, (destination, 0))
"""


def send_tcp(namespace, source, destination, sport, dport, flags):
    """One bare TCP segment (``flags``: 0x10 ACK, 0x02 SYN) from ``namespace``, no connection behind it."""
    run(
        "ip",
        "netns",
        "exec",
        namespace,
        "python3",
        "-c",
        TCP_SEGMENT,
        source,
        destination,
        str(sport),
        str(dport),
        str(flags),
    )


def main(argv):
    if argv == ["up"]:
        up()
    elif argv == ["down"]:
        stop()
    else:
        raise SystemExit("usage: halab.py up|down")


if __name__ == "__main__":
    main(sys.argv[1:])
