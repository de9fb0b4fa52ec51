#!/usr/bin/env python3
"""nftables load time of symroute's rendered table, by partner prefix count.

Each size is rendered from a real plan with the role's own template and loaded
with `nft -f` in a network namespace of this benchmark's own (first load, then
a replacing reload, the case of every later run). Baseline, in the same run:
the same table with one prefix. Needs root.

    bench/nft_load.py [--smoke] [--markdown docs/results/nft_load.md]
"""

import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from netaddr import IPAddress, IPNetwork

REPOSITORY = Path(__file__).resolve().parent.parent

import report
from rendering import environment
from symroute.plan import build_plan

SIZES = (1, 1_000, 10_000, 100_000)
ROUTER = {
    "symroute_links": [
        {"name": "wan_a", "interface": "wana", "address": "198.51.100.2/30", "gateway": "198.51.100.1"},
        {"name": "wan_b", "interface": "wanb", "address": "198.51.100.6/30", "gateway": "198.51.100.5"},
    ],
    "symroute_lan_networks": ["203.0.113.0/24"],
}


def render(size):
    """The role's template over a plan with `size` disjoint /32 prefixes (no aggregation)."""
    base = IPNetwork("10.0.0.0/8").first
    prefixes = [f"{IPAddress(base + 2 * i)}/32" for i in range(size)]
    plan = build_plan("bench", dict(ROUTER, symroute_partners=[{"name": "p", "prefixes": prefixes, "link": "wan_a"}]))
    return (
        environment("symroute_nftables")
        .get_template("symroute.nft.j2")
        .render(symroute_nftables_plan=plan, symroute_nftables_header="symroute benchmark")
    )


def timed_load(namespace, path):
    start = time.perf_counter()
    subprocess.run(["ip", "netns", "exec", namespace, "nft", "-f", path], check=True)
    return time.perf_counter() - start


def measure(sizes, rounds):
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        files = {}
        for size in sizes:
            files[size] = Path(scratch) / f"symroute-{size}.nft"
            files[size].write_text(render(size))
        first, reload = {s: [] for s in sizes}, {s: [] for s in sizes}
        for _ in range(rounds):
            for size in sizes:  # interleaved sizes, a fresh namespace each time
                namespace = f"symroute-bench-{uuid.uuid4().hex[:8]}"
                subprocess.run(["ip", "netns", "add", namespace], check=True)
                try:
                    first[size].append(timed_load(namespace, str(files[size])))
                    reload[size].append(timed_load(namespace, str(files[size])))
                finally:
                    subprocess.run(["ip", "netns", "del", namespace], check=False)
        for size in sizes:
            results[size] = {
                "first_s": statistics.median(first[size]),
                "reload_s": statistics.median(reload[size]),
                "max_s": max(first[size] + reload[size]),
            }
    return results


def markdown(results, rounds):
    base = results[min(results)]
    return report.table(
        f"nft -f of symroute's table (median of {rounds} interleaved rounds; baseline: 1 prefix).",
        ["prefixes", "first load", "reload (replace)", "slowest", "reload / baseline"],
        [
            [
                f"{size:,}",
                f"{r['first_s'] * 1000:.0f} ms",
                f"{r['reload_s'] * 1000:.0f} ms",
                f"{r['max_s'] * 1000:.0f} ms",
                f"{r['reload_s'] / base['reload_s']:.1f}x",
            ]
            for size, r in sorted(results.items())
        ],
    )


def main():
    args = report.arguments(__doc__.splitlines()[0], "two small sizes, one round (make test)", rounds=3)
    sizes, rounds = ((1, 1_000), 1) if args.smoke else (SIZES, args.rounds)
    report.emit(markdown(measure(sizes, rounds), rounds), args.markdown)


if __name__ == "__main__":
    main()
