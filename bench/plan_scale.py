#!/usr/bin/env python3
"""Plan-engine scale: one router with 1k, 10k and 100k partner prefixes, and fleets that share one partner file.

One router: time and peak memory to plan it. Baseline, measured in the same
process on the same YAML: loading the YAML and running netaddr.cidr_merge over
the prefixes (the least any planner must do). Figures are ratios to that baseline.

Fleets: N routers of an Ansible inventory directory (group_vars/all/partners.yml
shared, host_vars per router with its own link addresses, hosts.yml) through
`symroute plan --format json` in this process (the CLI's loader, planning,
digest and output, to /dev/null), with and without --base; baseline: one router
with the same partner file and the same command, interleaved with it. Shared
planning (symroute/shared_work.py) makes a fleet cost little more than one router.

The pull-request check: one router of the same inventory with `--base HEAD`
(the partner file, or a host_vars file, changed since), against `plan` alone on
the same inventory, interleaved with it. The base reuses the head's work on
everything it shares with it (the unchanged files, the unchanged partners).

`--smoke` runs the smallest sizes once.

    bench/plan_scale.py [--smoke] [--markdown docs/results/plan_scale.md]
"""

import contextlib
import os
import platform
import random
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from collections import namedtuple
from pathlib import Path

import yaml
from netaddr import IPAddress, IPNetwork, cidr_merge

import report
from symroute import cli
from symroute.plan import build_plan

LINKS = [
    {
        "name": "wan_a",
        "interface": "wana",
        "address": "198.51.100.2/30",
        "gateway": "198.51.100.1",
        "address6": "2001:db8:a::2/64",
        "gateway6": "2001:db8:a::1",
    },
    {"name": "wan_b", "interface": "wanb", "address": "198.51.100.6/30", "gateway": "198.51.100.5"},
]
SIZES = (1_000, 10_000, 100_000)
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def partner_list(size, seed=7):
    """`size` prefixes over 100 partners: IPv4 /24 and /32, a tenth IPv6 /64 on wan_a."""
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
    return partners


def inventory_yaml(size, seed=7):
    """YAML text of one router's variables with `size` partner prefixes (partner_list)."""
    return yaml.safe_dump(
        {
            "symroute_partners": partner_list(size, seed),
            "symroute_links": LINKS,
            "symroute_lan_networks": ["203.0.113.0/24"],
        },
        default_flow_style=None,
    )


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


def interleaved(first, second, rounds):
    """The median seconds of ``first()`` and of ``second()``, run in turn ``rounds`` times, so both see the same
    machine noise."""
    first_times, second_times = [], []
    for _ in range(rounds):
        first_times.append(first())
        second_times.append(second())
    return statistics.median(first_times), statistics.median(second_times)


def measure(size, rounds):
    text = inventory_yaml(size)
    base, plan = interleaved(lambda: timed(baseline, text), lambda: timed(symroute, text), rounds)
    return {
        "size": size,
        "baseline_s": base,
        "symroute_s": plan,
        "ratio": plan / base,
        "baseline_peak_mib": peak_memory(baseline, text) / 2**20,
        "symroute_peak_mib": peak_memory(symroute, text) / 2**20,
        "rounds": rounds,
    }


def markdown(results):
    return report.table(
        f"Plan scale on {platform.node() or 'this machine'} ({platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}), median of interleaved rounds.",
        ["prefixes", "baseline (YAML + cidr_merge)", "symroute plan", "ratio", "peak MiB baseline", "peak MiB plan"],
        [
            [
                f"{r['size']:,}",
                f"{r['baseline_s'] * 1000:.0f} ms",
                f"{r['symroute_s'] * 1000:.0f} ms",
                f"{r['ratio']:.2f}x",
                f"{r['baseline_peak_mib']:.1f}",
                f"{r['symroute_peak_mib']:.1f}",
            ]
            for r in results
        ],
    )


# change: what the pull request changes for --base (None: no --base); rounds: at most that many (the largest is slow).
Fleet = namedtuple("Fleet", "command routers prefixes change target rounds")
FLEETS = (
    Fleet("plan", 20, 20_000, None, 1.5, 5),
    Fleet("plan", 100, 100_000, None, 2.0, 3),
    Fleet("plan --base, partner file changed", 20, 20_000, "partners", 1.5, 5),
    Fleet("plan --base, one host_vars file changed", 20, 20_000, "host_vars", 1.5, 5),
)
SMOKE_FLEETS = (
    Fleet("plan", 5, 1_000, None, None, 1),
    Fleet("plan --base, partner file changed", 5, 1_000, "partners", None, 1),
)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _router_links(number):
    """Router `number`'s own link addresses; the same link names and families on every router."""
    return [
        {
            "name": "wan_a",
            "interface": "wana",
            "address": f"172.16.{number}.2/30",
            "gateway": f"172.16.{number}.1",
            "address6": f"2001:db8:a:{number:x}::2/64",
            "gateway6": f"2001:db8:a:{number:x}::1",
        },
        {"name": "wan_b", "interface": "wanb", "address": f"172.17.{number}.2/30", "gateway": f"172.17.{number}.1"},
    ]


def _write_yaml(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump(data, Dumper=DUMPER, default_flow_style=None))


def _git(directory, *args):
    subprocess.run(
        ["git", "-C", str(directory), "-c", "user.name=bench", "-c", "user.email=bench@example.org", *args],
        check=True,
        capture_output=True,
    )


def fleet_inventory(root, routers, prefixes, change=None):
    """An inventory directory of `routers` routers sharing one partner file of `prefixes` prefixes.

    With `change`, it is committed in a git repository first and then changed as a pull request would:
    "partners" adds a prefix to the first partner, "host_vars" a LAN network to the first router.
    """
    inventory, partners = root / "inventory", partner_list(prefixes)
    _write_yaml(inventory / "group_vars" / "all" / "partners.yml", {"symroute_partners": partners})
    hosts = {}
    for number in range(routers):
        name = f"edge{number:03d}"
        hosts[name] = {"ansible_host": f"192.0.2.{number % 250 + 1}"}
        _write_yaml(
            inventory / "host_vars" / f"{name}.yml",
            {"symroute_links": _router_links(number), "symroute_lan_networks": [f"192.168.{number}.0/24"]},
        )
    _write_yaml(inventory / "hosts.yml", {"symroute_routers": {"hosts": hosts}})
    if change:
        _git(root, "init", "-q")
        _git(root, "add", "-A")
        _git(root, "commit", "-qm", "base")
        if change == "partners":
            partners[0]["prefixes"].append("100.100.0.0/24")
            _write_yaml(inventory / "group_vars" / "all" / "partners.yml", {"symroute_partners": partners})
        else:
            _write_yaml(
                inventory / "host_vars" / "edge000.yml",
                {"symroute_links": _router_links(0), "symroute_lan_networks": ["192.168.0.0/24", "192.168.200.0/24"]},
            )
    return inventory


def plan_command(inventory, base):
    """`symroute plan --format json [--base HEAD]` in this process, its output to /dev/null; the seconds it took."""
    argv = ["plan", "--inventory", str(inventory), "--format", "json"] + (["--base", "HEAD"] if base else [])
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        start = time.perf_counter()
        status = cli.main(argv)
        elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"symroute plan exited {status} for {inventory}")
    return elapsed


def measure_fleet(fleet, rounds):
    rounds = min(rounds, fleet.rounds)
    with tempfile.TemporaryDirectory(prefix="symroute-bench-") as scratch:
        one = fleet_inventory(Path(scratch) / "one", 1, fleet.prefixes, fleet.change)
        many = fleet_inventory(Path(scratch) / "many", fleet.routers, fleet.prefixes, fleet.change)
        plan_command(one, fleet.change)  # imports Ansible and warms the caches of the machine, not of symroute
        one_s, many_s = interleaved(
            lambda: plan_command(one, fleet.change), lambda: plan_command(many, fleet.change), rounds
        )
    return {"fleet": fleet, "one_s": one_s, "many_s": many_s, "ratio": many_s / one_s, "rounds": rounds}


def timing_cells(baseline_s, measured_s, target, rounds):
    """The cells of a timing row: baseline, measured, their ratio, the target ratio, the rounds."""
    return [
        f"{baseline_s * 1000:.0f} ms",
        f"{measured_s * 1000:.0f} ms",
        f"{measured_s / baseline_s:.2f}x",
        f"≤ {target}x" if target else "-",
        str(rounds),
    ]


def fleet_markdown(results):
    return report.table(
        "Shared planning: `symroute plan --format json` in-process (loader, planning, digest, output), median of "
        "interleaved rounds; baseline: one router, the same partner file and command.",
        ["command", "routers", "prefixes", "one router", "fleet", "ratio", "target", "rounds"],
        [
            [f"`{r['fleet'].command}`", str(r["fleet"].routers), f"{r['fleet'].prefixes:,}"]
            + timing_cells(r["one_s"], r["many_s"], r["fleet"].target, r["rounds"])
            for r in results
        ],
        left_aligned=(0,),
    )


# The pull-request check of one router: `plan --base HEAD` against `plan` alone, the inventory changed as
# fleet_inventory(change=...) does; target: the ratio at most (None: no target).
Review = namedtuple("Review", "change prefixes target rounds")
REVIEWS = (Review("partners", 100_000, 1.4, 5), Review("host_vars", 100_000, 1.4, 5))
SMOKE_REVIEWS = (Review("partners", 1_000, None, 1),)
CHANGES = {"partners": "partner file changed", "host_vars": "one host_vars file changed"}


def measure_review(review, rounds):
    rounds = min(rounds, review.rounds)
    with tempfile.TemporaryDirectory(prefix="symroute-bench-") as scratch:
        inventory = fleet_inventory(Path(scratch), 1, review.prefixes, review.change)
        plan_command(inventory, True)  # imports Ansible and warms the caches of the machine, not of symroute
        plan_s, review_s = interleaved(
            lambda: plan_command(inventory, False), lambda: plan_command(inventory, True), rounds
        )
    return {"review": review, "plan_s": plan_s, "review_s": review_s, "ratio": review_s / plan_s, "rounds": rounds}


def review_markdown(results):
    return report.table(
        "The pull-request check, one router: `symroute plan --format json --base HEAD` in-process against `plan` "
        "alone on the same inventory, median of interleaved rounds.",
        ["command", "prefixes", "plan", "plan --base", "ratio", "target", "rounds"],
        [
            [f"`plan --base, {CHANGES[r['review'].change]}`", f"{r['review'].prefixes:,}"]
            + timing_cells(r["plan_s"], r["review_s"], r["review"].target, r["rounds"])
            for r in results
        ],
        left_aligned=(0,),
    )


def main():
    args = report.arguments(__doc__.splitlines()[0], "smallest sizes, one round (make test)", rounds=5)
    sizes, rounds = ((SIZES[0],), 1) if args.smoke else (SIZES, args.rounds)
    single = markdown([measure(size, rounds) for size in sizes])
    fleets = SMOKE_FLEETS if args.smoke else FLEETS
    reviews = SMOKE_REVIEWS if args.smoke else REVIEWS
    report.emit(
        single
        + "\n"
        + fleet_markdown([measure_fleet(fleet, rounds) for fleet in fleets])
        + "\n"
        + review_markdown([measure_review(review, rounds) for review in reviews]),
        args.markdown,
    )


if __name__ == "__main__":
    main()
