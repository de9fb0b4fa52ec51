#!/usr/bin/env python3
"""Outage a steady request stream sees when link A fails, in the incident lab.

Each trial starts bench/failover_client.py in the lab's app container (one
request to the partner API every 5 ms, each with a 250 ms budget), fails
link A about a second later, and reads which address the partner saw for
each request. The outage is the time between the last request answered by
link A and the first answered by link B (their send times). Two failure kinds:

  blackhole      provider A's network drops everything; wana keeps its carrier
                 (detected by the link monitor's probes)
  carrier-loss   wana loses carrier (fw-a's end goes down)

Between trials link A is restored and the monitor must report it up again.
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
ADDRESS_A, ADDRESS_B = "198.51.100.2", "198.51.100.6"
SPACING_MS, TIMEOUT_MS = 5, 250
FAIL_AFTER_SECONDS = 1.0
STREAM_SECONDS = {"blackhole": 4.0, "carrier-loss": 3.0}
# Default detection times of the tools people use today (issue #5; documented
# defaults, not measured here).
ANCHORS = "mwan3 about 60 s, pfSense dpinger about 14 s, VyOS about 10 s"


def on(host, *command, check=True):
    return subprocess.run(["podman", "exec", PREFIX + host, *command], capture_output=True, text=True,
                          check=check)


def link_a(action):
    """Fail link A at fw-a (blackhole, carrier-loss) or restore it: the lab's own command."""
    subprocess.run([str(LAB), "link-a", action], check=True, capture_output=True, text=True)


def monitor_state():
    result = on("edge", "cat", "/run/symroute/monitor.json", check=False)
    return json.loads(result.stdout) if result.returncode == 0 else None


def wait_until_link_a_serves(limit=15.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        state = monitor_state()
        if state and state["links"]["wan_a"]["up"] and not state["links"]["wan_a"]["gated"]:
            return
        time.sleep(0.1)
    raise RuntimeError("the link monitor did not report wan_a up again (is the lab converged?)")


def stream(seconds, failure=None):
    """Run the client; fail link A after FAIL_AFTER_SECONDS when ``failure`` is given. Its requests."""
    client = subprocess.Popen(
        ["podman", "exec", PREFIX + "app", "python3", "/tmp/failover_client.py", URL, str(seconds),
         str(SPACING_MS), str(TIMEOUT_MS)], stdout=subprocess.PIPE, text=True)
    if failure:
        time.sleep(FAIL_AFTER_SECONDS)
        link_a(failure)
    output, _ = client.communicate(timeout=seconds + 30)
    if client.returncode != 0:
        raise RuntimeError("the request stream failed")
    return [json.loads(line) for line in output.splitlines()]


def largest_gap(requests):
    answered = [r["sent"] for r in requests if r["client"]]
    return max((later - earlier for earlier, later in zip(answered, answered[1:])), default=float("inf"))


def outage(requests):
    """Seconds from the last request answered by A to the first answered by B after it."""
    last_a = max((r["sent"] for r in requests if r["client"] == ADDRESS_A), default=None)
    first_b = min((r["sent"] for r in requests if r["client"] == ADDRESS_B
                   and (last_a is None or r["sent"] > last_a)), default=None)
    if last_a is None or first_b is None:
        raise RuntimeError(f"no move from link A to link B in this trial (last A {last_a}, first B {first_b})")
    return first_b - last_a


def trial(kind):
    wait_until_link_a_serves()
    time.sleep(0.5)
    try:
        return outage(stream(STREAM_SECONDS[kind], kind))
    finally:
        link_a("restore")


def milliseconds(seconds):
    return f"{seconds * 1000:.0f}"


def main():
    args = report.arguments(__doc__.splitlines()[0], "one trial of each kind (the lab checks in CI)", rounds=10)
    rounds = 1 if args.smoke else args.rounds
    subprocess.run(["podman", "cp", str(REPOSITORY / "bench" / "failover_client.py"),
                    PREFIX + "app:/tmp/failover_client.py"], check=True)
    link_a("restore")
    wait_until_link_a_serves()
    baseline = largest_gap(stream(2.0))
    outages = {kind: [] for kind in STREAM_SECONDS}
    for number in range(rounds):  # interleaved: one of each kind per round
        for kind in STREAM_SECONDS:
            outages[kind].append(trial(kind))
            print(f"round {number + 1}/{rounds} {kind}: {milliseconds(outages[kind][-1])} ms", file=sys.stderr)
    rows = []
    for kind, values in outages.items():
        median = statistics.median(values)
        rows.append([kind.replace("-", " "), str(len(values)), milliseconds(median), milliseconds(min(values)),
                     milliseconds(max(values)), f"{median / baseline:.1f}×"])
    caption = (f"Outage seen by a request stream (one request every {SPACING_MS} ms, {TIMEOUT_MS} ms budget each) "
               f"when link A fails; baseline: the stream's largest gap without failure, {milliseconds(baseline)} ms "
               f"in this run. Default detection of other tools: {ANCHORS}.")
    report.emit(report.table(caption, ["failure", "trials", "median ms", "min ms", "max ms", "median / baseline"],
                             rows, left_aligned=(0,)), args.markdown)


if __name__ == "__main__":
    main()
