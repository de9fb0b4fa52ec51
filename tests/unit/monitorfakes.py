"""Fakes for the link monitor's unit tests: a clock, the rule switch, conntrack and a prober."""

from paths import REPOSITORY  # noqa: F401  (puts the monitor's package on sys.path)
from symroute.plan import build_plan
from symroute_monitor.monitor import Monitor


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class FakeSwitch:
    """Records each rule switch instead of calling ip."""

    def __init__(self):
        self.applied = []
        self.resets = 0

    def reset(self):
        self.resets += 1
        return []

    def apply(self, gated, general):
        self.applied.append((frozenset(gated), general))
        return []


class Recorder(list):
    def __call__(self, *args):
        self.append(args)


def make_monitor(router_vars, clock=None):
    plan = build_plan("edge", router_vars)
    clock = clock or FakeClock()
    switch, flushes, hooks, logs = FakeSwitch(), Recorder(), Recorder(), Recorder()
    monitor = Monitor({"router": "edge", "monitor": plan["monitor"]}, switch, flushes, hooks, logs, clock,
                      lambda: 1.7e9 + clock())
    return monitor, clock, switch, flushes, hooks, logs


def run_rounds(monitor, clock, answered_by_link, rounds, interval=0.3):
    """``rounds`` probe rounds; answered_by_link maps link to a function round -> answered?"""
    for number in range(rounds):
        clock.advance(interval)
        for name, answered in answered_by_link.items():
            monitor.probe_round(name, 1, [0.01] if answered(number) else [])
