"""Links in and out of service, as the kernel holds them.

A link is out of service while its interface is in the plan's out-of-service
interface group: every plan rule that routes forwarded traffic by a link's
table skips it (``suppress_ifgroup``), so one netlink message moves every
partner of the link, both families, to the first link in service of its
failover order. While any link is out of service the monitor also holds the
general rules (its own sub-band): traffic no rule claims leaves main's routes
through such a link for the first link in service.

The switch never takes its own word for it: after each change it reads the
interface groups and its band back and tries again (bounded backoff, a log
line per retry) until the kernel holds the decision; ``converge`` is also the
periodic resync, which undoes changes made by hand. What it read is what the
state file reports.
"""

import json
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

from ..command import Runner
from ..ipforms import desired_rule, live_rule, rule_key, rule_text
from .hook import log as hook_log

# Before each attempt: the first read-back follows the change at once, later ones back off.
RETRY_DELAYS_S = (0.0, 0.0, 0.05, 0.2, 0.5)


def _ip(*args, stdin=None):
    """`ip` through the package's Runner, answered as the switch reads it (returncode, stdout, stderr)."""
    result = Runner().run(["ip", *args], stdin=stdin)
    return SimpleNamespace(returncode=result.rc, stdout=result.stdout, stderr=result.stderr)


@dataclass(frozen=True)
class Held:
    """What the kernel holds: links out of service, links without an interface, and the general rules."""

    out: frozenset = frozenset()
    missing: frozenset = frozenset()
    general: frozenset = frozenset()
    errors: tuple = field(default=(), compare=False)
    rules: tuple = field(default=(), compare=False)  # the band's rules (normalized), for removing them


class ServiceSwitch:
    def __init__(self, monitor, run=_ip, sleep=time.sleep, log=hook_log):
        self.run, self.sleep, self.log = run, sleep, log
        self.out_group, self.in_group = monitor["out_of_service_group"], monitor["in_service_group"]
        self.interfaces = {link["name"]: link["interface"] for link in monitor["links"]}
        self.bands = [tuple(band) for band in monitor["bands"]]
        self.general = {rule_key(rule): rule for rule in map(desired_rule, monitor["general_rules"])}

    def _group(self, interface):
        """The interface's group number, or None when the interface does not exist."""
        shown = self.run("-N", "-json", "link", "show", "dev", interface)
        if shown.returncode != 0:
            return None
        group = (json.loads(shown.stdout or "[{}]") or [{}])[0].get("group", 0)
        return 0 if group == "default" else int(group) if str(group).isdigit() else group

    def _band_rules(self):
        """The live rules in the monitor's band: {key: normalized rule}."""
        rules = {}
        for family in (4, 6):
            listed = self.run(f"-{family}", "-N", "-json", "rule", "show")
            for entry in json.loads(listed.stdout or "[]"):
                if any(low <= entry.get("priority", 0) <= high for low, high in self.bands):
                    rule = live_rule(entry, family)
                    rules[rule_key(rule)] = rule
        return rules

    def read(self):
        groups = {name: self._group(interface) for name, interface in self.interfaces.items()}
        rules = self._band_rules()
        return Held(
            out=frozenset(n for n, g in groups.items() if g == self.out_group),
            missing=frozenset(n for n, g in groups.items() if g is None),
            general=frozenset(rules),
            rules=tuple(rules.values()),
        )

    def holds(self, held, out):
        """True when ``held`` is the kernel state for links ``out`` (absent interfaces cannot be set)."""
        present = set(self.interfaces) - held.missing
        wanted_general = frozenset(self.general) if out else frozenset()
        return held.out == frozenset(out) & present and held.general == wanted_general

    def _change(self, held, out):
        errors = []
        for name, interface in self.interfaces.items():
            if name in held.missing or (name in held.out) == (name in out):
                continue
            group = self.out_group if name in out else self.in_group
            outcome = self.run("link", "set", "dev", interface, "group", str(group))
            if outcome.returncode != 0:
                errors.append(f"{interface}: {outcome.stderr.strip()}")
        live = {rule_key(rule): rule for rule in held.rules}
        wanted = self.general if out else {}
        for family in (4, 6):
            added = sorted(
                (r for k, r in wanted.items() if k not in live and r["family"] == family), key=lambda r: r["priority"]
            )
            removed = sorted(
                (r for k, r in live.items() if k not in wanted and r["family"] == family),
                key=lambda r: r["priority"],
                reverse=True,
            )
            lines = [f"rule add {rule_text(r)}" for r in added] + [f"rule del {rule_text(r)}" for r in removed]
            if lines:
                outcome = self.run(f"-{family}", "-force", "-batch", "-", stdin="\n".join(lines) + "\n")
                if outcome.returncode != 0:
                    errors.append(outcome.stderr.strip())
        return errors

    def hold_out_of_service(self, out, last=None):
        """Make the kernel hold links ``out`` out of service; returns what it holds afterwards.

        ``last`` (what the kernel was last read to hold) saves the first read: a decision reaches the
        kernel with one ``ip link set`` per link that changes, and is read back afterwards.
        """
        out, errors = frozenset(out), []
        for attempt, delay in enumerate(RETRY_DELAYS_S):
            self.sleep(delay)
            held = last if attempt == 0 and last is not None else self.read()
            if self.holds(held, out) and held is not last:
                return held  # what the kernel holds; an earlier attempt's errors no longer matter
            if attempt:
                self.log(
                    f"the kernel does not hold the decision yet (attempt {attempt + 1}): "
                    f"out of service {sorted(held.out)}, "
                    f"wanted {sorted(out & (set(self.interfaces) - held.missing))}"
                    + (f"; errors: {'; '.join(errors)}" if errors else "")
                )
            errors = self._change(held, out)
        held = self.read()
        return Held(held.out, held.missing, held.general, tuple(errors), held.rules)
