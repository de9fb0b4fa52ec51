"""A three-link router in network namespaces, shared by the failover and monitor fault tests.

    client ── lan ┤ r ├ wana ── isp_a   IPv4 + IPv6 (NAT66); the main table's default route
                     ├ wanb ── isp_b   IPv4 only
                     └ wanc ── isp_c   IPv4 + IPv6 (NAT66), the LTE-style backup

Every ISP namespace holds every partner address and answers a TCP connection
on port 8080 with its own link's name and the source address it saw, so an
answer says which link a connection left by and with which address. The
router gets the real plan: nft from the role's template, sysctls, and rules
and routes applied by `python -m symroute_router apply`, as the boot unit does.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

from paths import REPOSITORY
from rendering import environment, role_variables
from symroute.pipeline import plan_routers

ENVIRONMENT = {
    "PATH": os.environ["PATH"],
    "PYTHONPATH": str(REPOSITORY / "module_utils"),
    "PYTHONDONTWRITEBYTECODE": "1",
}
# link: (router interface, far end, router address, far end IPv6, router IPv6)
ISPS = {
    "wan_a": ("wana", "198.51.100.1/30", "198.51.100.2/30", "2001:db8:a::1/64", "2001:db8:a::2/64"),
    "wan_b": ("wanb", "198.51.100.5/30", "198.51.100.6/30", None, None),
    "wan_c": ("wanc", "198.51.100.9/30", "198.51.100.10/30", "2001:db8:c::1/64", "2001:db8:c::2/64"),
}
PARTNER_ADDRESSES = ["100.64.20.1", "100.64.21.1", "100.64.60.1", "100.64.77.1", "2001:db8:20::1"]
FAST = {"interval_ms": 100, "timeout_ms": 80, "reliability": 1, "down_after": 3, "up_after": 5}
ROUTER = {
    "symroute_links": [
        {
            "name": "wan_a",
            "interface": "wana",
            "address": "198.51.100.2/30",
            "gateway": "198.51.100.1",
            "address6": "2001:db8:a::2/64",
            "gateway6": "2001:db8:a::1",
            "nat66": True,
            "health_targets": ["198.51.100.1"],
            "health": FAST,
        },
        {
            "name": "wan_b",
            "interface": "wanb",
            "address": "198.51.100.6/30",
            "gateway": "198.51.100.5",
            "health_targets": ["198.51.100.5"],
            "health": FAST,
        },
        {
            "name": "wan_c",
            "interface": "wanc",
            "address": "198.51.100.10/30",
            "gateway": "198.51.100.9",
            "address6": "2001:db8:c::2/64",
            "gateway6": "2001:db8:c::1",
            "nat66": True,
            "health_targets": ["198.51.100.9"],
            "health": FAST,
        },
    ],
    "symroute_partners": [
        {"name": "api", "prefixes": ["100.64.20.0/24", "2001:db8:20::/48"], "link": "wan_a"},
        {"name": "ledger", "prefixes": ["100.64.21.0/24"], "link": "wan_a", "on_link_failure": "fail_closed"},
        {"name": "lte-first", "prefixes": ["100.64.60.0/24"], "link": "wan_b", "failover_links": ["wan_c", "wan_a"]},
    ],
    "symroute_lan_networks": ["10.10.0.0/24", "fd10::/64"],
}
PLAN = plan_routers({"edge": ROUTER})["edge"]
OUT_OF_SERVICE_GROUP = PLAN["monitor"]["out_of_service_group"]

SERVER = """
import socket, socketserver, sys
class Answer(socketserver.BaseRequestHandler):
    def handle(self):
        peer = self.client_address[0].removeprefix("::ffff:")
        self.request.sendall(f"{sys.argv[1]} {peer}\\n".encode())
class Server(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True
    daemon_threads = True
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
Server(("::", 8080), Answer).serve_forever()
"""
CLIENT = """
import json, socket, sys
answers = {}
for address in json.load(sys.stdin):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect((address, 8080))
            answers[address] = s.recv(200).decode().split()
    except OSError as error:
        answers[address] = ["refused", type(error).__name__]
print(json.dumps(answers))
"""


def sh(*argv, check=True, stdin=None):
    return subprocess.run(list(argv), input=stdin, capture_output=True, text=True, check=check)


def _address(ns, device, address):
    sh("ip", "-n", ns, "addr", "add", address, "dev", device, *(["nodad"] if ":" in address else []))


class Lab:
    """The namespaces, the ISP servers and the router's applied state; ``close`` removes everything."""

    def __init__(self, scratch):
        tag = uuid.uuid4().hex[:6]
        self.scratch = scratch
        self.names = {
            "r": f"tl-r-{tag}",
            "client": f"tl-lan-{tag}",
            **{link: f"tl-isp{link[-1]}-{tag}" for link in ISPS},
        }
        self.r = self.names["r"]
        self.servers = []

    def open(self):
        for ns in self.names.values():
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        self.veth("lan", self.names["client"], "eth0")
        for address in ("10.10.0.1/24", "fd10::1/64"):
            _address(self.r, "lan", address)
        client = self.names["client"]
        for address in ("10.10.0.2/24", "fd10::2/64"):
            _address(client, "eth0", address)
        sh("ip", "-n", client, "route", "add", "default", "via", "10.10.0.1")
        sh("ip", "-n", client, "-6", "route", "add", "default", "via", "fd10::1")
        for link in ISPS:
            self.wire(link)
            isp = self.names[link]
            for address in PARTNER_ADDRESSES:
                _address(isp, "lo", address + ("/128" if ":" in address else "/32"))
            self.servers.append(subprocess.Popen(["ip", "netns", "exec", isp, sys.executable, "-c", SERVER, link]))
        sh("ip", "-n", self.r, "route", "add", "default", "via", "198.51.100.1", "dev", "wana")
        sh("ip", "-n", self.r, "-6", "route", "add", "default", "via", "2001:db8:a::1", "dev", "wana")
        nft = (
            environment("symroute_nftables")
            .get_template("symroute.nft.j2")
            .render(dict(role_variables("symroute_nftables", PLAN), symroute_nftables_plan=PLAN))
        )
        sh("ip", "netns", "exec", self.r, "nft", "-f", "-", stdin=nft)
        for item in PLAN["sysctls"]:
            sh("ip", "netns", "exec", self.r, "sysctl", "-q", "-w", f"{item['name'].replace('/', '.')}={item['value']}")
        self.routing_state = self.scratch / "routing.json"
        self.routing_state.write_text(
            json.dumps(
                {
                    "contract_version": 1,
                    "priority_band": PLAN["priority_band"],
                    "monitor_bands": PLAN["monitor"]["bands"],
                    "tables": [table["id"] for table in PLAN["tables"]],
                    "rules": PLAN["rules"],
                    "routes": PLAN["routes"],
                }
            )
        )
        self.apply()
        return self

    def veth(self, router_side, other_ns, other_side):
        sh(
            "ip",
            "link",
            "add",
            router_side,
            "netns",
            self.r,
            "type",
            "veth",
            "peer",
            "name",
            other_side,
            "netns",
            other_ns,
        )
        sh("ip", "-n", self.r, "link", "set", router_side, "up")
        sh("ip", "-n", other_ns, "link", "set", other_side, "up")

    def wire(self, link):
        """The link's veth pair and addresses (again after the router's interface was deleted)."""
        interface, far, near, far6, near6 = ISPS[link]
        self.veth(interface, self.names[link], "eth0")
        _address(self.names[link], "eth0", far)
        _address(self.r, interface, near)
        if far6:
            _address(self.names[link], "eth0", far6)
            _address(self.r, interface, near6)

    def apply(self):
        """symroute's rules and routes, as the boot unit applies them."""
        applied = subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                self.r,
                sys.executable,
                "-m",
                "symroute_router",
                "apply",
                "--state",
                str(self.routing_state),
                "--owned-tables",
                str(self.scratch / "owned.json"),
                "--lock",
                "",
            ],
            capture_output=True,
            text=True,
            env=ENVIRONMENT,
            check=False,
        )
        assert applied.returncode == 0, applied.stderr
        return json.loads(applied.stdout)

    def carrier(self, link, up):
        """The far end's interface down or up: the router's interface loses or regains its carrier."""
        sh("ip", "-n", self.names[link], "link", "set", "eth0", "up" if up else "down")
        if up and ISPS[link][3]:  # an interface set down loses its IPv6 addresses: the far end puts it back
            sh("ip", "-n", self.names[link], "-6", "addr", "replace", ISPS[link][3], "dev", "eth0", "nodad")

    def blackhole(self, link, on):
        """The ISP drops everything it receives while the carrier stays up."""
        ns = self.names[link]
        if on:
            sh(
                "ip",
                "netns",
                "exec",
                ns,
                "nft",
                "add table inet blackhole; add chain inet blackhole input "
                "{ type filter hook input priority 0; policy drop; }",
            )
        else:
            sh("ip", "netns", "exec", ns, "nft", "delete table inet blackhole", check=False)

    def connect(self, addresses=PARTNER_ADDRESSES):
        """{address: [link, source] or "refused"} for one TCP connection from the client to each address."""
        result = sh(
            "ip", "netns", "exec", self.names["client"], sys.executable, "-c", CLIENT, stdin=json.dumps(list(addresses))
        )
        return {
            address: "refused" if words[0] == "refused" else words
            for address, words in json.loads(result.stdout).items()
        }

    def group(self, link):
        shown = sh("ip", "-n", self.r, "-N", "-json", "link", "show", "dev", ISPS[link][0], check=False)
        if shown.returncode != 0:
            return None
        group = json.loads(shown.stdout)[0]["group"]
        return 0 if group == "default" else int(group)

    def close(self):
        for server in self.servers:
            server.kill()
            server.wait()
        for ns in self.names.values():
            sh("ip", "netns", "del", ns, check=False)


class Monitor:
    """The real monitor daemon in the router's namespace (python -m symroute_router.monitor)."""

    def __init__(self, lab, plan=None):
        """``plan``: the monitor's section of the plan (PLAN's by default)."""
        self.lab = lab
        self.state_file = lab.scratch / "monitor.json"
        self.config = lab.scratch / "monitor-config.json"
        self.log = lab.scratch / "monitor.log"
        self.config.write_text(
            json.dumps(
                {
                    "router": "edge",
                    "monitor": plan or PLAN["monitor"],
                    "settings": {
                        "state_file": str(self.state_file),
                        "textfile": None,
                        "hook": [],
                        "partner_interval_s": 5,
                        "partner_timeout_s": 1,
                    },
                }
            )
        )
        self.process = None

    def start(self):
        if self.state_file.exists():
            self.state_file.unlink()
        with open(self.log, "a", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    self.lab.r,
                    sys.executable,
                    "-m",
                    "symroute_router.monitor",
                    "--config",
                    str(self.config),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=ENVIRONMENT,
            )
        self.wait_for(lambda s: True, 10, "the monitor's first state file")
        return self

    def state(self):
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None

    def wait_for(self, condition, seconds, what):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            state = self.state()
            if state is not None and condition(state):
                return state
            assert self.process.poll() is None, f"the monitor exited: {self.log.read_text()[-2000:]}"
            time.sleep(0.05)
        raise AssertionError(f"{what} within {seconds} s; state: {self.state()}; log: {self.log.read_text()[-2000:]}")

    def signal(self, number):
        """Signal the monitor itself (ip netns exec execs it: same process)."""
        os.kill(self.process.pid, number)

    def kill9(self):
        self.signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.signal(signal.SIGTERM)
            assert self.process.wait(timeout=10) == 0, self.log.read_text()[-2000:]
