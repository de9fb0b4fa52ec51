#!/usr/bin/env python3
"""Plan-engine scale: time and peak memory to plan 1k, 10k and 100k partner prefixes.

Baseline, measured in the same process on the same YAML: loading the YAML and
running netaddr.cidr_merge over the prefixes (the least any planner must do).
Figures are ratios to that baseline. `--smoke` runs the smallest size once.

    bench/plan_scale.py [--smoke] [--markdown docs/results/plan_scale.md]
"""

import platform
import random
import statistics
import time
import tracemalloc
from pathlib import Path

import yaml
from netaddr import IPAddress, IPNetwork, cidr_merge


import report
from symroute.plan import build_plan

LINKS = [
    {"name": "wan_a", "interface": "wana", "address": "198.51.100.2/30", "gateway": "198.51.100.1",
     "address6": "2001:db8:a::2/64", "gateway6": "2001:db8:a::1"},
    {"name": "wan_b", "interface": "wanb", "address": "198.51.100.6/30", "gateway": "198.51.100.5"},
]
SIZES = (1_000, 10_000, 100_000)
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def inventory_yaml(size, seed=7):
    """YAML text of `size` prefixes over 100 partners: IPv4 /24 and /32, a tenth IPv6 /48 on wan_a."""
    rng = random.Random(seed)
    base = IPNetwork("10.0.0.0/8").first
    partners = []
    per_partner = max(1, size // 100)
    for number in range(0, size, per_partner):
        link = "wan_a" if (number // per_partner) % 2 == 0 else "wan_b"
        prefixes = []
        for index in range(number, min(size, number + per_partner)):
            if link == "wan_a" and index % 10 == 0:
                prefixes.append(f"2001:db8:{0x1000 + index // 65536:x}:{index % 65536:x}::/64")
            elif rng.random() < 0.5:
                prefixes.append(f"{IPAddress(base + index * 512)}/24")
            else:
                prefixes.append(f"{IPAddress(base + index * 512 + 256 + rng.randrange(256))}/32")
        partners.append({"name": f"partner-{number // per_partner}", "prefixes": prefixes, "link": link})
    return yaml.safe_dump({"symroute_partners": partners, "symroute_links": LINKS,
                           "symroute_lan_networks": ["203.0.113.0/24"]}, default_flow_style=None)


def baseline(text):
    data = yaml.load(text, Loader=LOADER)
    groups = {}
    for partner in data["symroute_partners"]:
        for prefix in partner["prefixes"]:
            network = IPNetwork(prefix)
            groups.setdefault((partner["link"], network.version), []).append(network)
    return {key: cidr_merge(networks) for key, networks in groups.items()}


def symroute(text):
    return build_plan("bench", yaml.load(text, Loader=LOADER))


def timed(function, text):
    start = time.perf_counter()
    function(text)
    return time.perf_counter() - start


def peak_memory(function, text):
    tracemalloc.start()
    function(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def measure(size, rounds):
    text = inventory_yaml(size)
    base_times, plan_times = [], []
    for _ in range(rounds):  # interleaved, so both see the same machine noise
        base_times.append(timed(baseline, text))
        plan_times.append(timed(symroute, text))
    base, plan = statistics.median(base_times), statistics.median(plan_times)
    return {"size": size, "baseline_s": base, "symroute_s": plan, "ratio": plan / base,
            "baseline_peak_mib": peak_memory(baseline, text) / 2**20,
            "symroute_peak_mib": peak_memory(symroute, text) / 2**20, "rounds": rounds}


def markdown(results):
    return report.table(
        f"Plan scale on {platform.node() or 'this machine'} ({platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}), median of interleaved rounds.",
        ["prefixes", "baseline (YAML + cidr_merge)", "symroute plan", "ratio", "peak MiB baseline", "peak MiB plan"],
        [[f"{r['size']:,}", f"{r['baseline_s'] * 1000:.0f} ms", f"{r['symroute_s'] * 1000:.0f} ms",
          f"{r['ratio']:.2f}x", f"{r['baseline_peak_mib']:.1f}", f"{r['symroute_peak_mib']:.1f}"] for r in results])


def main():
    args = report.arguments(__doc__.splitlines()[0], "smallest size, one round (make test)", rounds=5)
    sizes, rounds = ((SIZES[0],), 1) if args.smoke else (SIZES, args.rounds)
    report.emit(markdown([measure(size, rounds) for size in sizes]), args.markdown)


if __name__ == "__main__":
    main()
