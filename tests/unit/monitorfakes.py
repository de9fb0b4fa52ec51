"""Fakes for the link monitor's unit tests: a clock, the rule switch, conntrack and a prober."""

from symroute.plan import build_plan
from symroute_router.monitor.monitor import Monitor


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


def make_monitor(router_vars, clock=None, hook=None, logs=None):
    """A Monitor on fakes; ``hook`` replaces the recording hook (e.g. a real Hook, or one that raises)."""
    plan = build_plan("edge", router_vars)
    clock = clock or FakeClock()
    switch, flushes = FakeSwitch(), Recorder()
    hooks = Recorder() if hook is None else hook
    logs = Recorder() if logs is None else logs
    monitor = Monitor({"router": "edge", "monitor": plan["monitor"]}, switch, flushes, hooks, logs, clock,
                      lambda: 1.7e9 + clock())
    return monitor, clock, switch, flushes, hooks, logs


class Journal(list):
    """One ordered record of what the rule switch, conntrack deletion and hook were asked to do."""

    def watch(self, monitor):
        """Wrap the monitor's switch.apply, flush and hook so each call is journaled, then passed on."""
        switch_apply, flush, hook = monitor.switch.apply, monitor.flush, monitor.hook

        def apply(gated, general):
            self.append(("rules", frozenset(gated), general))
            return switch_apply(gated, general)

        def flushing(mark, mask):
            self.append(("conntrack", mark, mask))
            return flush(mark, mask)

        def hooked(transition):
            self.append(("hook", transition.link, transition.up))
            return hook(transition)

        monitor.switch.apply, monitor.flush, monitor.hook = apply, flushing, hooked
        return self


def run_rounds(monitor, clock, answered_by_link, rounds, interval=0.3):
    """``rounds`` probe rounds; answered_by_link maps link to a function round -> answered?"""
    for number in range(rounds):
        clock.advance(interval)
        for name, answered in answered_by_link.items():
            monitor.probe_round(name, 1, [0.01] if answered(number) else [])
