#!/usr/bin/env python3
"""Outage a steady request stream sees when link A fails, in the incident lab.

Each trial starts bench/failover_client.py in the lab's app container (one
request to the partner API every 5 ms, each with a 250 ms budget), fails
link A about a second later, and reads which address the partner saw for
each request. The outage is the time between the last request answered by
link A and the first answered by the link the partner moves to (their send
times). Three failure kinds:

  blackhole      provider A's network drops everything; wana keeps its carrier
                 (detected by the link monitor's probes); the partner moves to B
  carrier-loss   wana loses carrier (fw-a's end goes down); the partner moves to B
  compound       link B is blackholed first (and taken out of service), then
                 wana loses carrier: the partner must move to C, not to B

Between trials the links are restored and the monitor must report them up again.
Baseline, in the same run: the largest gap between two answered requests of
a stream without failure (the stream's own resolution). Needs the lab up and
converged (`make lab-up` and the playbook; `make bench` does both).

    bench/failover.py [--smoke] [--rounds 10] [--markdown docs/results/failover.md]
"""

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent

import report

LAB = REPOSITORY / "molecule" / "resources" / "lab.sh"
PREFIX = "symroute-lab-"
URL = "http://100.64.20.10/health"
ADDRESS_A = "198.51.100.2"
# kind: (failed before the stream, failure of link A during it, address the partner must move to)
KINDS = {
    "blackhole": ((), "blackhole", "198.51.100.6"),
    "carrier-loss": ((), "carrier-loss", "198.51.100.6"),
    "compound": (("b",), "carrier-loss", "198.51.100.10"),
}
SPACING_MS, TIMEOUT_MS = 5, 250
FAIL_AFTER_SECONDS = 1.0
STREAM_SECONDS = {"blackhole": 4.0, "carrier-loss": 3.0, "compound": 3.0}
# Default detection times of the tools people use today (issue #5; documented
# defaults, not measured here).
ANCHORS = "mwan3 about 60 s, pfSense dpinger about 14 s, VyOS about 10 s"


def on(host, *command, check=True):
    return subprocess.run(["podman", "exec", PREFIX + host, *command], capture_output=True, text=True, check=check)


def link(side, action):
    """Fail a link at its firewall (blackhole, carrier-loss) or restore it: the lab's own command."""
    subprocess.run([str(LAB), "link", side, action], check=True, capture_output=True, text=True)


def monitor_state():
    result = on("edge", "cat", "/run/symroute/monitor.json", check=False)
    return json.loads(result.stdout) if result.returncode == 0 else None


def wait_until(serving, out_of_service=(), limit=15.0):
    """Until the monitor reports the links ``serving`` up and in service and ``out_of_service`` out of it."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        state = monitor_state()
        if (
            state
            and all(
                state["links"][f"wan_{side}"]["up"] and not state["links"][f"wan_{side}"]["gated"] for side in serving
            )
            and all(state["links"][f"wan_{side}"]["gated"] for side in out_of_service)
        ):
            return
        time.sleep(0.1)
    raise RuntimeError(
        f"the link monitor did not report {serving} in service and {out_of_service} out of it (is the lab converged?)"
    )


def stream(seconds, failure=None):
    """Run the client; fail link A after FAIL_AFTER_SECONDS when ``failure`` is given. Its requests."""
    client = subprocess.Popen(
        [
            "podman",
            "exec",
            PREFIX + "app",
            "python3",
            "/tmp/failover_client.py",
            URL,
            str(seconds),
            str(SPACING_MS),
            str(TIMEOUT_MS),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    if failure:
        time.sleep(FAIL_AFTER_SECONDS)
        link("a", failure)
    output, _ = client.communicate(timeout=seconds + 30)
    if client.returncode != 0:
        raise RuntimeError("the request stream failed")
    return [json.loads(line) for line in output.splitlines()]


def largest_gap(requests):
    answered = [r["sent"] for r in requests if r["client"]]
    return max((later - earlier for earlier, later in zip(answered, answered[1:])), default=float("inf"))


def outage(requests, moved_to):
    """Seconds from the last request answered by A to the first answered with ``moved_to`` after it."""
    last_a = max((r["sent"] for r in requests if r["client"] == ADDRESS_A), default=None)
    first = min(
        (r["sent"] for r in requests if r["client"] == moved_to and (last_a is None or r["sent"] > last_a)),
        default=None,
    )
    if last_a is None or first is None:
        raise RuntimeError(f"no move from link A to {moved_to} in this trial (last A {last_a}, first {first})")
    wrong = {r["client"] for r in requests if r["client"] not in (None, ADDRESS_A, moved_to)}
    if wrong:
        raise RuntimeError(f"requests were answered with {sorted(wrong)}: a link out of service was used")
    return first - last_a


def trial(kind):
    before, failure, moved_to = KINDS[kind]
    wait_until(("a", "b", "c"))
    try:
        for side in before:
            link(side, "blackhole")
        wait_until(("a",), before)
        time.sleep(0.5)
        return outage(stream(STREAM_SECONDS[kind], failure), moved_to)
    finally:
        for side in ("a",) + before:
            link(side, "restore")


def milliseconds(seconds):
    return f"{seconds * 1000:.0f}"


def main():
    args = report.arguments(__doc__.splitlines()[0], "one trial of each kind (the lab checks in CI)", rounds=10)
    rounds = 1 if args.smoke else args.rounds
    subprocess.run(
        ["podman", "cp", str(REPOSITORY / "bench" / "failover_client.py"), PREFIX + "app:/tmp/failover_client.py"],
        check=True,
    )
    for side in ("a", "b", "c"):
        link(side, "restore")
    wait_until(("a", "b", "c"))
    baseline = largest_gap(stream(2.0))
    outages = {kind: [] for kind in STREAM_SECONDS}
    for number in range(rounds):  # interleaved: one of each kind per round
        for kind in STREAM_SECONDS:
            outages[kind].append(trial(kind))
            print(f"round {number + 1}/{rounds} {kind}: {milliseconds(outages[kind][-1])} ms", file=sys.stderr)
    rows = []
    for kind, values in outages.items():
        median = statistics.median(values)
        rows.append(
            [
                kind.replace("-", " "),
                str(len(values)),
                milliseconds(median),
                milliseconds(min(values)),
                milliseconds(max(values)),
                f"{median / baseline:.1f}×",
                f"{max(values) / baseline:.1f}×",
            ]
        )
    caption = (
        f"Outage seen by a request stream (one request every {SPACING_MS} ms, {TIMEOUT_MS} ms budget each) "
        f"when link A fails (compound: link B blackholed and out of service first, the partner must reach "
        f"link C); baseline: the stream's largest gap without failure, {milliseconds(baseline)} ms "
        f"in this run. Default detection of other tools: {ANCHORS}."
    )
    report.emit(
        report.table(
            caption,
            ["failure", "trials", "median ms", "min ms", "max ms", "median / baseline", "max / baseline"],
            rows,
            left_aligned=(0,),
        ),
        args.markdown,
    )


if __name__ == "__main__":
    main()
