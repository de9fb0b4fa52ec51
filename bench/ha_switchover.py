#!/usr/bin/env python3
"""Switchover time of the HA pair (issue #25), in the HA lab (tests/halab.py), with a live TCP stream.

Each trial runs tests/hastream.py from the LAN client to the partner pinned to wan_a (a number every
10 ms, echoed back) and, about 2.5 s in, takes the master off every segment at once: its four switch
ports go down, as a router losing power does (the ports come back after the trial, and the router returns
as the backup: nopreempt, so the next trial switches the other way). The switchover is the time between
the stream's last packet leaving the old master on wan_a and its first leaving the new one (tcpdump on
both routers' wan_a switch ports). Every trial must also keep the stream whole: every number echoed, in
order, no error, one connection at the partner from the shared address, no RST. Then as many trials kill the
master's container (`podman kill`) instead; after each, the killed router comes back as after a reboot onto a
fresh disk (tests/halab.py ``restore``: a new container, converged by the playbook limited to it) and
returns as the backup, so these trials too switch one way, then the other.

Baseline, in the same run and the same trials: the largest gap between two packets of the stream leaving
the master before the failure (the stream's own resolution on this machine); the table gives the
switchover as a ratio to it, and VRRP's own master-down interval (3 advertisements plus the skew) for
comparison. Starts and removes its own lab (about a minute to start); a kill trial takes about 20 s with the
restore. --smoke: two trials of each.

    bench/ha_switchover.py [--smoke] [--rounds 10] [--markdown docs/results/ha_switchover.md]
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY / "tests")]

import halab  # noqa: E402

import report  # noqa: E402
from routerlab import podman  # noqa: E402

FAIL_AFTER_S, STREAM_S = 2.5, 6.0
ADVERT_S = 0.1  # inventories/ha-lab: advert_interval_ms 100
PRIORITY = {"edge-1": 150, "edge-2": 100}


def _master_down_interval(router):
    """VRRPv3 (RFC 5798): 3 x Advertisement_Interval + Skew_Time, Skew = (256 - priority) x interval / 256."""
    return 3 * ADVERT_S + (256 - PRIORITY[router]) * ADVERT_S / 256


def _captures(directory, name):
    return {
        "rst": halab.Capture(
            halab.PARTNER, "any", "tcp port 9000 and tcp[tcpflags] & tcp-rst != 0", directory / f"{name}-rst.txt"
        ),
        **{
            router: halab.Capture(
                halab.SWITCH, halab.port(router, "wana"), "tcp and dst port 9000", directory / f"{name}-{router}.txt"
            )
            for router in halab.ROUTERS
        },
    }


def _fail(router, kind):
    if kind == "kill":
        podman("kill", halab.container(router))
    else:
        for segment in halab.SEGMENTS:
            halab.set_port(router, segment, up=False)


def trial(directory, name, kind):
    old = halab.master()
    new = "edge-2" if old == "edge-1" else "edge-1"
    captures = _captures(directory, name)
    drops_before = halab.unsynced_drops(new)
    stream = halab.Stream(directory, port=9000, seconds=STREAM_S)
    try:
        time.sleep(FAIL_AFTER_S)
        failed_at = time.time()
        _fail(old, kind)
        client, server = stream.wait()
    finally:
        stream.kill()
    lines = {key: capture.stop() for key, capture in captures.items()}
    problems = []
    if client["error"] or client["echoed"] != client["sent"] or not client["in_order"]:
        problems.append(f"stream broken: {client}")
    if [(c["peer"], c["reset"]) for c in server["connections"]] != [(halab.SHARED_WAN_A, False)]:
        problems.append(f"partner saw {server['connections']}")
    if lines["rst"]:
        problems.append(f"RST: {lines['rst'][:2]}")
    before = [t for t in halab.timestamps(lines[old]) if t < failed_at]
    first_new = min(halab.timestamps(lines[new]), default=None)
    if first_new is None or not before:
        raise RuntimeError(f"trial {name}: no packet via {'the new master' if before else 'the old one'}; {problems}")
    last_old = max(t for t in halab.timestamps(lines[old]) if t < first_new)
    baseline = max(b - a for a, b in zip(before, before[1:]))
    if problems:
        raise RuntimeError(f"trial {name} ({old} -> {new}): " + "; ".join(problems))
    return {
        "old": old,
        "new": new,
        "switchover": first_new - last_old,
        "baseline": baseline,
        "down_interval": _master_down_interval(new),
        "drops": halab.unsynced_drops(new) - drops_before,
    }


def reconnect(router):
    """The router taken off its segments back on them: it returns as the backup, its links in service again."""
    for segment in halab.SEGMENTS:
        halab.set_port(router, segment, up=True)
    halab.wait_for(
        lambda: (
            halab.vrrp_state(router) == "backup" and halab.on(router, f"cat {halab.YIELD_FILE}").stdout.strip() == "0"
        ),
        30,
        f"{router} back as the backup",
    )
    time.sleep(1.0)  # conntrackd's bulk resync to the returned router


def _print(kind, number, result):
    print(
        f"{kind} trial {number + 1}: {result['old']} -> {result['new']}: switchover "
        f"{result['switchover'] * 1000:.0f} ms (baseline gap {result['baseline'] * 1000:.0f} ms,"
        f" {result['drops']} unsynced packets dropped)",
        file=sys.stderr,
    )


def _row(label, results):
    switchovers = [r["switchover"] for r in results]
    baseline = statistics.median(r["baseline"] for r in results)
    return [
        label,
        str(len(results)),
        f"{statistics.median(switchovers) * 1000:.0f}",
        f"{max(switchovers) * 1000:.0f}",
        f"{baseline * 1000:.0f}",
        f"{statistics.median(switchovers) / baseline:.1f}",
        f"{max(switchovers) / baseline:.1f}",
        f"{statistics.median(r['down_interval'] for r in results) * 1000:.0f}",
        str(sum(r["drops"] for r in results)),
    ]


def main():
    args = report.arguments(__doc__.splitlines()[1], "two trials of each failure (a quick check)", 10)
    rounds = 2 if args.smoke else args.rounds
    cuts, kills = [], []
    with tempfile.TemporaryDirectory(prefix="symroute-ha-bench-") as temporary:
        directory = Path(temporary)
        try:
            inventory = halab.start(directory)
            for number in range(rounds):
                result = trial(directory, f"cut{number}", "ports")
                cuts.append(result)
                _print("ports down", number, result)
                reconnect(result["old"])
            for number in range(rounds):
                result = trial(directory, f"kill{number}", "kill")
                kills.append(result)
                _print("podman kill", number, result)
                halab.restore(result["old"], inventory)
                time.sleep(1.0)  # conntrackd's bulk resync to the returned router
        finally:
            halab.stop()
    rows = [_row("master off every segment (ports down)", cuts), _row("master killed (podman kill)", kills)]
    report.emit(
        report.table(
            "HA pair switchover with a live TCP stream (last packet via the old master to the first via the new, "
            "wan_a; every trial: stream whole, shared address at the partner, no RST)",
            [
                "failure",
                "trials",
                "median ms",
                "max ms",
                "baseline gap ms",
                "median / baseline",
                "max / baseline",
                "VRRP master-down interval ms",
                "unsynced drops",
            ],
            rows,
            left_aligned=(0,),
        ),
        args.markdown,
    )


if __name__ == "__main__":
    main()
