"""A link's probe rounds, each with a deadline (docs/monitor.md, "Probe rounds").

Every ``interval_ms`` the link's targets are probed at once (probes.py), each
within ``timeout_ms``. The round ends at its deadline, ``timeout_ms`` +
DEADLINE_SLACK_S after it started, whatever its probes do: a probe that has not
answered by then is a miss, and while it still runs its target gets no new
probe (it counts as missed again), so a stuck probe can neither stretch a
round nor pile up behind itself. Name lookups run inside the probes
(probe_names.py) and are bounded by the same deadline.
"""

import time
from concurrent import futures as concurrent_futures

from . import probes
from .probe_names import LinkNames

DEADLINE_SLACK_S = 0.02  # for the threads to hand their answers back


class LinkProber:
    """One link's rounds: its name cache, the probes still running, and how long its rounds took."""

    def __init__(self, link, log=None, probe=probes.probe_target, clock=time.monotonic, names=None):
        self.link, self.probe, self.clock = link, probe, clock
        self.timeout = link["health"]["timeout_ms"] / 1000
        self.names = names or LinkNames(link["name"], log=log)
        self.running = {}  # target index -> the future of its last probe
        self.rounds = self.late = 0
        self.longest = 0.0

    def round(self, pool):
        """The round trips of the targets that answered by the deadline, or None when no probe could be
        sent (a dynamic link between two addresses: the round counts neither way)."""
        started = self.clock()
        deadline = started + self.timeout + DEADLINE_SLACK_S
        futures = []
        for index, target in enumerate(self.link["targets"]):
            earlier = self.running.get(index)
            if earlier is not None and not earlier.done():
                futures.append(None)  # still running since an earlier round: missed again
                continue
            self.running[index] = pool.submit(self.probe, target, self.link, self.timeout, self.names, deadline)
            futures.append(self.running[index])
        results = []
        for future in futures:
            try:
                results.append(None if future is None else future.result(max(0.0, deadline - self.clock())))
            except concurrent_futures.TimeoutError:
                results.append(None)
            except Exception:  # noqa: BLE001  (a probe's error is a missed probe, never the end of the link's thread)
                results.append(None)
            if future is None or not future.done():
                self.late += 1
        self.rounds += 1
        self.longest = max(self.longest, self.clock() - started)
        if results and all(result is probes.NO_SOURCE for result in results):
            return None
        return [rtt for rtt in results if rtt is not None and rtt is not probes.NO_SOURCE]

    def report(self):
        return {
            "rounds": self.rounds,
            "deadline_seconds": round(self.timeout + DEADLINE_SLACK_S, 3),
            "longest_round_seconds": round(self.longest, 4),
            "late_probes": self.late,
            "names": self.names.report(),
        }


def probe_link(prober, events, stopping):
    """The link's probe thread: a round every ``interval_ms`` until ``stopping``."""
    link = prober.link
    interval = link["health"]["interval_ms"] / 1000
    with concurrent_futures.ThreadPoolExecutor(max_workers=len(link["targets"])) as pool:
        while not stopping.is_set():
            started = time.monotonic()
            rtts = prober.round(pool)
            if rtts is not None:  # None: a dynamic link without its address; the kernel routes around it
                events.put(("round", link["name"], len(link["targets"]), rtts))
            stopping.wait(max(0.0, started + interval - time.monotonic()))
