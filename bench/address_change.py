#!/usr/bin/env python3
"""Time from a dynamic link's new address to the first new connection that leaves with it.

A router container with link C as an LTE-style dynamic link (tests/dynamiclab.py: dnsmasq DHCP and RA on
the provider's side, dhclient on the router), converged by symmetric-routing.yml. Each trial is a reconnect
to another address (release, the provider reserves the next address, lease again); from the moment the new
address is on wanc, inside the router: until link C's `from` rule and table use it ("follows"), and until a
new connection from the LAN host to the partner pinned to link C is answered from it ("answered").
Baseline, in the same run: one such connection with the address unchanged (the probe's own resolution:
curl started from a shell inside the container).

    bench/address_change.py [--smoke] [--rounds 10] [--markdown docs/results/address_change.md]
"""

import statistics
import sys
import tempfile
from pathlib import Path

import dynamiclab
import report
from routerlab import RESOURCES

NAME = "symroute-bench-dynamic"
BASELINE = """t0=$(date +%s%N); ip netns exec lan curl -s --max-time 1 http://{partner}:8080/health >/dev/null;
echo $(( ($(date +%s%N) - t0) / 1000000 ))"""


def main():
    args = report.arguments(__doc__.splitlines()[0], "two reconnects (the lab runs in CI)", rounds=10)
    rounds = 2 if args.smoke else args.rounds
    router = dynamiclab.start(
        NAME, Path(tempfile.mkdtemp(prefix="symroute-bench-")), (RESOURCES / "lab-http-server.py").read_text()
    )
    try:
        converged = router.playbook(inventory_vars=dynamiclab.inventory())
        if converged.returncode != 0:
            raise SystemExit(converged.stdout[-3000:])
        dynamiclab.lease(router)
        dynamiclab.wait_address(router, dynamiclab.OLD)
        router.wait_for_monitor(
            lambda s: s["links"]["wan_c"]["up"] and not s["links"]["wan_c"]["gated"], 30, "wan_c in service"
        )
        baseline = statistics.median(
            int(router.sh(BASELINE.format(partner=dynamiclab.PARTNER4)).stdout.split()[-1]) for _ in range(5)
        )
        follows, answered = [], []
        for number in range(rounds):
            address = f"100.66.0.{11 + number % 2}"  # back and forth: each trial is a real change
            followed, first = dynamiclab.change_address(router, address)
            follows.append(followed)
            answered.append(first)
            print(
                f"change {number + 1}/{rounds} to {address}: follows {followed} ms, answered {first} ms",
                file=sys.stderr,
            )
    finally:
        dynamiclab.stop(NAME)
    base = max(baseline, 1)
    rows = [
        [
            what,
            str(len(values)),
            str(statistics.median(values)),
            str(max(values)),
            f"{statistics.median(values) / base:.1f}×",
            f"{max(values) / base:.1f}×",
        ]
        for what, values in (("rules and table follow", follows), ("first new connection answered", answered))
    ]
    caption = (
        f"A dynamic link's address change (dnsmasq DHCP, dhclient reconnect), measured from the new address "
        f"on the interface; target: at most 1000 ms. Baseline: one connection to the partner with the "
        f"address unchanged, {baseline} ms in this run."
    )
    report.emit(
        report.table(
            caption,
            ["from the new address to", "changes", "median ms", "max ms", "median / baseline", "max / baseline"],
            rows,
            left_aligned=(0,),
        ),
        args.markdown,
    )


if __name__ == "__main__":
    main()
