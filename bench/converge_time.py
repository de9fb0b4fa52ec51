#!/usr/bin/env python3
"""Converge and no-op re-run time of symmetric-routing.yml for one router, by partner prefix count.

A router container from the lab image (tests/routerlab.py) is converged from
scratch with 100 and with 10,000 partner prefixes, then the same playbook is
run again (the no-op run, which must report changed=0). Baseline, measured in
the same run against the same container: `ansible -m ansible.builtin.ping`,
the cost of reaching the router at all. Needs root and podman.

    bench/converge_time.py [--smoke] [--markdown docs/results/converge_time.md]
"""

import re
import statistics
import subprocess
import tempfile
import time
from functools import partial
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent

from netaddr import IPAddress, IPNetwork

import report
from routerlab import lab_partners, remove_router, start_router

CONTAINER = "symroute-bench-router"
SIZES = (100, 10_000)


def partners(size):
    base = IPNetwork("10.0.0.0/8").first
    extra = {
        "name": "bench-partner",
        "link": "wan_b",
        "prefixes": [f"{IPAddress(base + 512 * i)}/24" for i in range(size)],
    }
    return {"symroute_partners": lab_partners() + [extra]}


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def changed(result):
    match = re.search(r"changed=(\d+)", result.stdout)
    if result.returncode != 0 or not match:
        raise RuntimeError(result.stdout + result.stderr)
    return int(match[1])


def ping(router):
    return subprocess.run(
        [
            str(REPOSITORY / ".venv" / "bin" / "ansible"),
            "-i",
            str(router.inventory),
            "all",
            "-m",
            "ansible.builtin.ping",
        ],
        capture_output=True,
        text=True,
        check=True,
    )


def measure(sizes, rounds):
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        router = start_router(CONTAINER, scratch)
        try:
            for size in sizes:
                converge, noop, base, noop_changes = [], [], [], []
                for _ in range(rounds):
                    # From scratch: no monitor running, none of symroute's files, table, rules.
                    # ([r]: the pattern must not match this shell's own command line.)
                    router.sh(
                        "pkill -f 'symroute_route[r].monitor'; nft delete table inet symroute 2>/dev/null;"
                        " rm -rf /etc/symroute /var/lib/symroute /usr/local/lib/symroute"
                        " /usr/local/sbin/symroute-monitor-ctl;"
                        " for f in 4 6; do ip -$f rule | awk -F: '$1 >= 10000 && $1 <= 10999 {print $1}' |"
                        " while read p; do ip -$f rule del priority $p; done; done",
                        check=False,
                    )
                    base.append(timed(lambda: ping(router))[0])
                    seconds, result = timed(partial(router.playbook, inventory_vars=partners(size)))
                    changed(result)
                    converge.append(seconds)
                    seconds, result = timed(partial(router.playbook, inventory_vars=partners(size)))
                    noop_changes.append(changed(result))
                    noop.append(seconds)
                rows.append(
                    {
                        "size": size,
                        "baseline_s": statistics.median(base),
                        "converge_s": statistics.median(converge),
                        "noop_s": statistics.median(noop),
                        "noop_changed": max(noop_changes),
                    }
                )
        finally:
            remove_router(CONTAINER)
    return rows


def markdown(rows, rounds):
    return report.table(
        f"symmetric-routing.yml on one router container (median of {rounds}); "
        "baseline: `ansible -m ping` to the same router.",
        [
            "prefixes",
            "baseline",
            "converge",
            "no-op re-run",
            "no-op changed",
            "converge / baseline",
            "no-op / baseline",
        ],
        [
            [
                f"{r['size']:,}",
                f"{r['baseline_s']:.1f} s",
                f"{r['converge_s']:.1f} s",
                f"{r['noop_s']:.1f} s",
                f"{r['noop_changed']}",
                f"{r['converge_s'] / r['baseline_s']:.1f}x",
                f"{r['noop_s'] / r['baseline_s']:.1f}x",
            ]
            for r in rows
        ],
    )


def main():
    args = report.arguments(__doc__.splitlines()[0], "100 prefixes, one round", rounds=2)
    sizes, rounds = ((SIZES[0],), 1) if args.smoke else (SIZES, args.rounds)
    report.emit(markdown(measure(sizes, rounds), rounds), args.markdown)


if __name__ == "__main__":
    main()
