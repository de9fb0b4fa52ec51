#!/usr/bin/env python3
"""Data plane: forwarding cost of symroute against the hand-written fix, by partner prefix count.

Three network namespaces of this benchmark's own (sender, router, receiver;
traffic only between them, bounded in time). The router forwards to the
address of the *last* partner prefix (the worst case for a list) under:

  stateless     no policy, no firewall
  stateful      no policy, conntrack active (one `ct state` rule), as on every stateful edge
  stateful-snat the same, plus SNAT to the link's address: the per-packet work the fix itself needs
  symroute      symroute's rendered nftables table (role template), rules (reconciler) and sysctls
  ip-rules      the hand-written fix: one `ip rule to <prefix> lookup <table>` per prefix
                (installed with bench/rules_netlink.py: the same rules, without ip's
                duplicate check that makes 100,000 insertions take many minutes)

Packets per second: iperf3, UDP, 64-byte payloads, sender unthrottled; round
trip: a bounded flood ping. Rounds are interleaved across configurations and
each figure is a ratio to both baselines of the same round. Needs root and iperf3.

    bench/dataplane.py [--smoke] [--markdown docs/results/dataplane.md] [--plot docs/results/dataplane.png]
"""

import json
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent

from netaddr import IPAddress, IPNetwork

import report
from rendering import environment
from symroute.plan import build_plan

SIZES = (1, 1_000, 10_000, 100_000)
CONFIGURATIONS = ("stateless", "stateful", "stateful-snat", "symroute", "ip-rules")
BASELINES = ("stateless", "stateful", "stateful-snat")
PREFIX_BASE = IPNetwork("100.80.0.0/12").first
# The hand-written fix's rules sit between the kernel's `local` (0) and `main` (32766)
# rules, in the order of their prefixes: the destination's rule is the last one walked.
IP_RULES_PRIORITIES = (1000, 31000)
RULES_NETLINK = REPOSITORY / "bench" / "rules_netlink.py"
ROUTER = {
    "symroute_links": [
        {"name": "wan_a", "interface": "wana", "address": "198.51.100.2/30", "gateway": "198.51.100.1"},
        {"name": "wan_b", "interface": "wanb", "address": "198.51.100.6/30", "gateway": "198.51.100.5"},
    ],
    "symroute_lan_networks": ["203.0.113.0/24"],
}
STATEFUL = """table inet bench_stateful {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state established,related accept
    }
}
"""
STATEFUL_SNAT = STATEFUL.replace(
    "    }\n}",
    """    }
    chain source_nat {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wana" snat ip to 198.51.100.2
    }
}""",
)


ROUTER_PACKAGE = REPOSITORY / "module_utils"


def prefixes(size):
    return [f"{IPAddress(PREFIX_BASE + 4 * i)}/32" for i in range(size)]


def destination(size):
    return str(IPAddress(PREFIX_BASE + 4 * (size - 1)))


def ip_rules(size):
    """'PRIORITY PREFIX TABLE' lines: one rule per prefix, priorities rising with the prefixes."""
    low, high = IP_RULES_PRIORITIES
    return "".join(
        f"{low + index * (high - low) // size} {prefix} 200\n" for index, prefix in enumerate(prefixes(size))
    )


class Lab:
    """sender ── lan0 router wana ── receiver (wanb ── receiver too)."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.sender, self.router, self.receiver = (f"srb-{role}-{tag}" for role in ("snd", "rtr", "rcv"))
        self.installed_rules = ""

    def run(self, namespace, *command, stdin=None, check=True):
        return subprocess.run(
            ["ip", "netns", "exec", namespace, *command], input=stdin, capture_output=True, text=True, check=check
        )

    def __enter__(self):
        for namespace in (self.sender, self.router, self.receiver):
            subprocess.run(["ip", "netns", "add", namespace], check=True)
            self.run(namespace, "ip", "link", "set", "lo", "up")
        for left, left_if, right, right_if in (
            (self.sender, "eth0", self.router, "lan0"),
            (self.router, "wana", self.receiver, "eth0"),
            (self.router, "wanb", self.receiver, "eth1"),
        ):
            subprocess.run(
                ["ip", "link", "add", "srbtmp0", "netns", left, "type", "veth", "peer", "srbtmp1", "netns", right],
                check=True,
            )
            self.run(left, "ip", "link", "set", "srbtmp0", "name", left_if, "up")
            self.run(right, "ip", "link", "set", "srbtmp1", "name", right_if, "up")
        script = {
            self.sender: "ip addr add 203.0.113.10/24 dev eth0; ip route add default via 203.0.113.1",
            self.router: "sysctl -qw net.ipv4.ip_forward=1; ip addr add 203.0.113.1/24 dev lan0;"
            " ip addr add 198.51.100.2/30 dev wana; ip addr add 198.51.100.6/30 dev wanb;"
            " ip route add default via 198.51.100.1 dev wana metric 10;"
            " ip route add default via 198.51.100.5 dev wanb metric 20",
            self.receiver: "ip addr add 198.51.100.1/30 dev eth0; ip addr add 198.51.100.5/30 dev eth1;"
            " ip route add 203.0.113.0/24 via 198.51.100.2",
        }
        for namespace, commands in script.items():
            self.run(namespace, "sh", "-c", commands)
        return self

    def __exit__(self, *exc):
        for namespace in (self.sender, self.router, self.receiver):
            subprocess.run(["ip", "netns", "del", namespace], check=False)

    def set_destination(self, address):
        self.run(self.receiver, "sh", "-c", f"ip addr flush dev lo; ip link set lo up; ip addr add {address}/32 dev lo")

    def reset_router(self):
        """Back to no policy and no firewall; fails unless the router is really clean."""
        self.run(
            self.router,
            "sh",
            "-c",
            "nft flush ruleset; ip route flush table 200; ip route flush table 201",
            check=False,
        )
        if self.installed_rules:
            self.run(self.router, "python3", str(RULES_NETLINK), "del", stdin=self.installed_rules)
            self.installed_rules = ""
        # `ip rule flush` removes one dump's worth at a time: repeat until only the kernel's rules are left.
        for _ in range(1000):
            rules = self.run(self.router, "ip", "rule", "show").stdout.strip().splitlines()
            if len(rules) <= 3:
                break
            self.run(self.router, "ip", "rule", "flush", check=False)
            self.run(
                self.router,
                "sh",
                "-c",
                "ip rule show priority 0 | grep -q local || "
                "ip rule add priority 0 lookup local; ip rule show priority 32766 | grep -q main || "
                "ip rule add priority 32766 lookup main; ip rule show priority 32767 | grep -q default || "
                "ip rule add priority 32767 lookup default",
                check=False,
            )
        rules = self.run(self.router, "ip", "rule", "show").stdout.strip().splitlines()
        ruleset = self.run(self.router, "nft", "list", "ruleset").stdout.strip()
        if len(rules) != 3 or ruleset:
            raise RuntimeError(f"router not clean: {len(rules)} rules, ruleset {ruleset[:200]!r}")

    def configure(self, configuration, size, files):
        if configuration == "stateful":
            self.run(self.router, "nft", "-f", "-", stdin=STATEFUL)
        elif configuration == "stateful-snat":
            self.run(self.router, "nft", "-f", "-", stdin=STATEFUL_SNAT)
        elif configuration == "symroute":
            self.run(self.router, "nft", "-f", str(files["nft"]))
            self.run(
                self.router,
                "env",
                f"PYTHONPATH={ROUTER_PACKAGE}",
                "python3",
                "-m",
                "symroute_router",
                "apply",
                "--state",
                str(files["routing"]),
                "--owned-tables",
                str(files["owned"]),
            )
            self.run(
                self.router, "sh", "-c", "sysctl -qw net.ipv4.conf.wana.rp_filter=2 net.ipv4.conf.wanb.rp_filter=2"
            )
        elif configuration == "ip-rules":
            self.run(
                self.router, "ip", "route", "replace", "default", "via", "198.51.100.1", "dev", "wana", "table", "200"
            )
            self.installed_rules = ip_rules(size)
            self.run(self.router, "python3", str(RULES_NETLINK), "add", stdin=self.installed_rules)

    def packets_per_second(self, address, seconds):
        # Sender on CPU 0 (with veth, the router's forwarding runs there too), receiver on CPU 1.
        server = subprocess.Popen(
            ["ip", "netns", "exec", self.receiver, "iperf3", "-s", "-1", "-A", "1", "-B", address],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.3)
        try:
            result = self.run(
                self.sender,
                "iperf3",
                "-A",
                "0",
                "-c",
                address,
                "-u",
                "-b",
                "0",
                "-l",
                "64",
                "-t",
                str(seconds),
                "-J",
                "--connect-timeout",
                "2000",
                check=False,
            )
        finally:
            server.wait(timeout=seconds + 10)
        document = json.loads(result.stdout or "{}")
        end = document.get("end", {})
        received = end.get("sum_received") or end.get("sum") or {}
        packets = received.get("packets", 0) - received.get("lost_packets", 0)
        duration = received.get("seconds") or seconds
        sender_cpu = end.get("cpu_utilization_percent", {}).get("host_total", 0.0)
        return packets / duration, sender_cpu

    def round_trip_ms(self, address):
        result = self.run(self.sender, "ping", "-f", "-c", "2000", "-w", "10", "-q", address, check=False)
        for line in result.stdout.splitlines():
            if "min/avg/max" in line:
                return float(line.split("=")[1].split("/")[1])
        return float("nan")


def render_files(size, directory):
    plan = build_plan(
        "bench", dict(ROUTER, symroute_partners=[{"name": "p", "prefixes": prefixes(size), "link": "wan_a"}])
    )
    nft = Path(directory) / f"symroute-{size}.nft"
    nft.write_text(
        environment("symroute_nftables")
        .get_template("symroute.nft.j2")
        .render(symroute_nftables_plan=plan, symroute_nftables_header="bench")
    )
    routing = Path(directory) / f"routing-{size}.json"
    routing.write_text(
        json.dumps(
            {
                "contract_version": plan["contract_version"],
                "priority_band": plan["priority_band"],
                "monitor_bands": plan["monitor"]["bands"],
                "tables": [t["id"] for t in plan["tables"]],
                "rules": plan["rules"],
                "routes": plan["routes"],
            }
        )
    )
    return {"nft": nft, "routing": routing, "owned": Path(directory) / "owned-tables.json"}


def measure(sizes, rounds, seconds):
    rows = []
    with tempfile.TemporaryDirectory() as scratch, Lab() as lab:
        for size in sizes:
            files = render_files(size, scratch)
            lab.set_destination(destination(size))
            samples = {c: {"pps": [], "rtt": [], "cpu": []} for c in CONFIGURATIONS}
            for _ in range(rounds):
                for configuration in CONFIGURATIONS:
                    lab.reset_router()
                    lab.configure(configuration, size, files)
                    pps, cpu = lab.packets_per_second(destination(size), seconds)
                    samples[configuration]["pps"].append(pps)
                    samples[configuration]["cpu"].append(cpu)
                    samples[configuration]["rtt"].append(lab.round_trip_ms(destination(size)))
            lab.reset_router()
            for configuration, values in samples.items():
                if not values["pps"]:
                    continue
                ratios = {base: [p / b for p, b in zip(values["pps"], samples[base]["pps"])] for base in BASELINES}
                rows.append(
                    {
                        "size": size,
                        "configuration": configuration,
                        "pps": statistics.median(values["pps"]),
                        "pps_range": [min(values["pps"]), max(values["pps"])],
                        "rtt_ms": statistics.median(values["rtt"]),
                        "sender_cpu": statistics.median(values["cpu"]),
                        "vs_stateless": statistics.median(ratios["stateless"]),
                        "vs_stateful": statistics.median(ratios["stateful"]),
                        "vs_stateful_range": [min(ratios["stateful"]), max(ratios["stateful"])],
                        "vs_stateful_snat": statistics.median(ratios["stateful-snat"]),
                    }
                )
    return rows


def markdown(rows, rounds, seconds):
    return report.table(
        f"Forwarding through the router namespace (median of {rounds} interleaved rounds, {seconds} s of "
        "iperf3 UDP with 64-byte payloads each; round trip from a 2000-packet flood ping).",
        [
            "prefixes",
            "configuration",
            "packets/s",
            "× stateless",
            "× stateful (range)",
            "× stateful+SNAT",
            "RTT",
            "sender CPU",
        ],
        [
            [
                f"{r['size']:,}",
                r["configuration"],
                f"{r['pps']:,.0f}",
                f"{r['vs_stateless']:.2f}",
                "{:.2f} ({:.2f}–{:.2f})".format(r["vs_stateful"], *r["vs_stateful_range"]),
                f"{r['vs_stateful_snat']:.2f}",
                _round_trip(r["rtt_ms"]),
                f"{r['sender_cpu']:.0f}%",
            ]
            for r in rows
        ],
        left_aligned={1},
    )


def _round_trip(milliseconds):
    return f"{milliseconds:.1f} ms" if milliseconds >= 1 else f"{milliseconds * 1000:.0f} µs"


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for configuration in CONFIGURATIONS:
        points = [r for r in rows if r["configuration"] == configuration]
        if not points:
            continue
        sizes = [r["size"] for r in points]
        left.plot(sizes, [r["vs_stateful"] for r in points], marker="o", label=configuration)
        right.plot(sizes, [r["rtt_ms"] * 1000 for r in points], marker="o", label=configuration)
    left.set(xscale="log", xlabel="partner prefixes", ylabel="packets/s, × stateful baseline", title="Forwarding rate")
    right.set(xscale="log", yscale="log", xlabel="partner prefixes", ylabel="round trip (µs)", title="Round trip")
    for axis in (left, right):
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def main():
    args = report.arguments(__doc__.splitlines()[0], "1 and 1,000 prefixes, one short round", rounds=5)
    sizes, rounds, seconds = ((1, 1_000), 1, 1) if args.smoke else (SIZES, args.rounds, 3)
    rows = measure(sizes, rounds, seconds)
    report.emit(markdown(rows, rounds, seconds), args.markdown)
    if args.markdown and not args.smoke:
        plot(rows, args.markdown.with_suffix(".png"))
        (args.markdown.with_suffix(".json")).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
