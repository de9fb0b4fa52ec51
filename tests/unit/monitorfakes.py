"""Fakes for the link monitor's unit tests: a clock, the rule switch, conntrack and a prober."""

import json
import subprocess

from symroute.plan import build_plan
from symroute_router.monitor.monitor import Monitor
from symroute_router.monitor.service_switch import Held


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class FakeSwitch:
    """Stands for the kernel's service state: records each change of the links out of service."""

    def __init__(self, out=frozenset()):
        self.kernel_out = frozenset(out)
        self.applied = []
        self.converges = 0

    def read(self):
        return Held(out=self.kernel_out, general=frozenset({"general"}) if self.kernel_out else frozenset())

    def holds(self, held, out):
        return held.out == frozenset(out)

    def hold_out_of_service(self, out, last=None):
        self.converges += 1
        if frozenset(out) != self.kernel_out:
            self.kernel_out = frozenset(out)
            self.applied.append(self.kernel_out)
        return self.read()


class Recorder(list):
    def __call__(self, *args):
        self.append(args)


def make_monitor(router_vars, clock=None, hook=None, logs=None, switch=None):
    """A Monitor on fakes; ``hook`` replaces the recording hook (e.g. a real Hook, or one that raises)."""
    plan = build_plan("edge", router_vars)
    clock = clock or FakeClock()
    switch, flushes = switch or FakeSwitch(), Recorder()
    hooks = Recorder() if hook is None else hook
    logs = Recorder() if logs is None else logs
    monitor = Monitor(
        {"router": "edge", "monitor": plan["monitor"]}, switch, flushes, hooks, logs, clock, lambda: 1.7e9 + clock()
    )
    return monitor, clock, switch, flushes, hooks, logs


class Journal(list):
    """One ordered record of what the rule switch, conntrack deletion and hook were asked to do."""

    def watch(self, monitor):
        """Wrap the monitor's switch.hold_out_of_service, flush and hook so each change is journaled, then passed on."""
        switch_converge, flush, hook = monitor.switch.hold_out_of_service, monitor.flush, monitor.hook

        def apply(out, last=None):
            if frozenset(out) != monitor.switch.kernel_out:
                self.append(("service", frozenset(out)))
            return switch_converge(out, last)

        def flushing(mark, mask):
            self.append(("conntrack", mark, mask))
            return flush(mark, mask)

        def hooked(transition):
            self.append(("hook", transition.link, transition.up))
            return hook(transition)

        monitor.switch.hold_out_of_service, monitor.flush, monitor.hook = apply, flushing, hooked
        return self


def run_rounds(monitor, clock, answered_by_link, rounds, interval=0.3):
    """``rounds`` probe rounds; answered_by_link maps link to a function round -> answered?"""
    for number in range(rounds):
        clock.advance(interval)
        for name, answered in answered_by_link.items():
            monitor.probe_round(name, 1, [0.01] if answered(number) else [])


class FakeIpKernel:
    """Stands for ``ip`` and the kernel behind it, for the service switch: interface groups and rules.

    ``groups`` maps interface to group (a missing interface: absent); ``rules`` per family are entries as
    ``ip -N -json rule show`` prints them. ``refuse`` names operations to fail ("group", "rule").
    """

    def __init__(self, plan, rules=None):
        self.groups = {link["interface"]: 0 for link in plan["links"]}
        self.rules = {4: list((rules or {}).get(4, [])), 6: list((rules or {}).get(6, []))}
        self.refuse = set()
        self.calls = []

    @staticmethod
    def _result(code=0, stdout="", stderr=""):
        return subprocess.CompletedProcess(["ip"], code, stdout=stdout, stderr=stderr)

    def _rule_entry(self, words):
        entry = {"priority": int(words[words.index("priority") + 1]), "src": "all"}
        if "lookup" in words:
            table = words[words.index("lookup") + 1]
            entry["table"] = "254" if table == "main" else table
        if "suppress_ifgroup" in words:
            entry["suppress_ifgroup"] = words[words.index("suppress_ifgroup") + 1]
        return entry

    def _batch(self, family, text):
        if "rule" in self.refuse:
            return self._result(1, stderr="RTNETLINK answers: Operation not permitted")
        for line in text.splitlines():
            command, words = line.split()[1], line.split()[2:]
            entry = self._rule_entry(words)
            if command == "add":
                self.rules[family].append(entry)
            else:
                self.rules[family] = [r for r in self.rules[family] if r != entry]
        return self._result()

    def __call__(self, *args, stdin=None):
        self.calls.append(args)
        if args[:4] == ("-N", "-json", "link", "show"):
            interface = args[5]
            if interface not in self.groups:
                return self._result(1, stderr=f'Device "{interface}" does not exist.')
            group = self.groups[interface]
            return self._result(
                stdout=json.dumps([{"ifname": interface, "group": "default" if group == 0 else str(group)}])
            )
        if args[:3] == ("link", "set", "dev"):
            if "group" in self.refuse or args[3] not in self.groups:
                return self._result(2, stderr="RTNETLINK answers: No such device")
            self.groups[args[3]] = int(args[5])
            return self._result()
        family = int(args[0][1:])
        if args[1:] == ("-N", "-json", "rule", "show"):
            return self._result(stdout=json.dumps(self.rules[family]))
        if args[1:4] == ("-force", "-batch", "-"):
            return self._batch(family, stdin)
        raise AssertionError(f"unexpected ip call {args}")
