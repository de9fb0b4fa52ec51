#!/usr/bin/env python3
"""Rollout wall time of symmetric-routing.yml over 1, 4, 8 and 16 router containers.

Each size gets fresh router containers from the lab image (tests/fleetlab.py),
all sharing the lab's partner list, and the playbook runs as shipped: the
default serial ([1, 25%]), max_fail_percentage 0 and ansible.cfg's forks. It is
timed from scratch and again as the no-op re-run (which must report changed=0
on every router). Baseline, measured in the same run over the same routers:
`ansible -m ansible.builtin.ping`, the cost of reaching them at all. The
controller's memory is the peak of the summed resident sizes of ansible-playbook
and every process under it (its forks and their podman commands), sampled
every 0.2 s. Needs root and podman.

    bench/fleet_scale.py [--smoke] [--markdown docs/results/fleet_scale.md]
"""

import os
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

import report
from fleetlab import Fleet

SIZES = (1, 4, 8, 16)
SMOKE_SIZES = (2,)
FORKS = 10  # ansible.cfg
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _children(pid):
    """Every process under ``pid`` (from /proc's parent links), with ``pid`` itself."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found.add(child)
                frontier.append(child)
    return found


def _resident_kib(pids):
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB
        except (OSError, IndexError, ValueError):
            continue
    return total


class PeakMemory:
    """Samples the summed resident size of this process's children while a command runs."""

    def __init__(self):
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.wait(0.2):
            self.peak_kib = max(self.peak_kib, _resident_kib(_children(os.getpid()) - {os.getpid()}))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _recap(result):
    """{router: (changed, failed)} from the play recap; raises when the run failed."""
    recap = {
        name: (int(changed), int(failed))
        for name, changed, failed in re.findall(
            r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", result.stdout, re.M
        )
    }
    if result.returncode != 0 or not recap or any(failed for _, failed in recap.values()):
        raise RuntimeError(result.stdout[-4000:] + result.stderr[-2000:])
    return recap


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def measure_size(size, rounds):
    with tempfile.TemporaryDirectory() as scratch:
        fleet = Fleet([f"symroute-bench-fleet-{number}" for number in range(1, size + 1)], scratch)
        try:
            fleet.start()
            pings = [timed(fleet.ping) for _ in range(rounds)]
            if any(result.returncode != 0 for _, result in pings):
                raise RuntimeError(pings[0][1].stdout + pings[0][1].stderr)
            with PeakMemory() as memory:
                converge_s, result = timed(fleet.rollout)
            first = _recap(result)
            noop_s, result = timed(fleet.rollout)
            again = _recap(result)
        finally:
            fleet.remove()
    if sorted(first) != sorted(fleet.names) or any(changed for changed, _ in again.values()):
        raise RuntimeError(f"no-op re-run changed something or missed a router: {again}")
    ping_s = statistics.median(seconds for seconds, _ in pings)
    return {
        "size": size,
        "ping_s": ping_s,
        "converge_s": converge_s,
        "noop_s": noop_s,
        "peak_mib": memory.peak_kib / 1024,
    }


def markdown(rows):
    return report.table(
        "symmetric-routing.yml over N router containers, default serial [1, 25%] and forks; "
        "baseline: `ansible -m ping` to the same routers in the same run.",
        [
            "routers",
            "batches",
            "ping",
            "rollout",
            "no-op re-run",
            "rollout / ping",
            "no-op / ping",
            "controller peak RSS",
        ],
        [
            [
                str(r["size"]),
                str(len(batches(r["size"]))),
                f"{r['ping_s']:.1f} s",
                f"{r['converge_s']:.1f} s",
                f"{r['noop_s']:.1f} s",
                f"{r['converge_s'] / r['ping_s']:.1f}x",
                f"{r['noop_s'] / r['ping_s']:.1f}x",
                f"{r['peak_mib']:.0f} MiB",
            ]
            for r in rows
        ],
    ) + thousand_routers(rows)


def thousand_routers(rows):
    """What the measured figures say about a rollout to 1,000 routers from this controller."""
    first, largest = rows[0], rows[-1]
    if largest["size"] <= first["size"]:
        return ""
    per_router = (largest["converge_s"] - first["converge_s"]) / (largest["size"] - first["size"])
    active = min(FORKS, max(batches(largest["size"])))
    per_fork = (largest["peak_mib"] - first["peak_mib"]) / max(1, active - 1)
    hours = (first["converge_s"] + 999 * per_router) / 3600
    return (
        f"\nFrom these figures, 1,000 routers: every router after the first adds {per_router:.1f} s "
        f"(the {largest['size']}-router rollout against the 1-router one), so the default rollout "
        f"(batches of 1, then 250) takes about {hours:.1f} h from this controller, bound by its CPUs "
        f"(ansible's forks and their podman commands); each active fork adds about {per_fork:.0f} MiB "
        f"(peak {first['peak_mib']:.0f} MiB with one router, {largest['peak_mib']:.0f} MiB with {active} forks "
        f"busy), so {FORKS} forks need about {first['peak_mib'] + (FORKS - 1) * per_fork:.0f} MiB.\n"
    )


def batches(size):
    """Ansible's batches for serial [1, 25%]: one router, then a quarter of all (at least one) at a time."""
    sizes, left, quarter = [], size, max(1, int(size * 0.25))
    for batch in [1] + [quarter] * size:
        if left <= 0:
            break
        sizes.append(min(batch, left))
        left -= sizes[-1]
    return sizes


def main():
    args = report.arguments(__doc__.splitlines()[0], "two routers only (make test)", rounds=3)
    sizes = SMOKE_SIZES if args.smoke else SIZES
    report.emit(markdown([measure_size(size, args.rounds) for size in sizes]), args.markdown)


if __name__ == "__main__":
    main()
