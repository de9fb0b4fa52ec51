"""The monitor's ip rules: the plan lists them, this switches them on and off.

Additions go in ascending priority, removals in descending priority, each
family in one ``ip -batch``; one rule is one netlink message, so a link is
taken out of (or back into) service in one step per family.
"""

import json
import subprocess


def _ip(family, *args, stdin=None):
    return subprocess.run(["ip", f"-{family}", *args], input=stdin, capture_output=True, text=True, check=False)


def _priority(rule):
    """The priority of a plan rule text ("priority 10150 fwmark ...")."""
    return int(rule.split()[1])


def desired_rules(monitor, gated, general):
    """The (family, rule) pairs for this set of gated links and this general-traffic link."""
    rules = []
    for link in monitor["links"]:
        if link["name"] in gated:
            rules += [(r["family"], r["rule"]) for r in link["gate_rules"]]
    if general is not None:
        link = next(link for link in monitor["links"] if link["name"] == general)
        families = {r["family"] for r in link["general_rules"]}
        rules += [(r["family"], r["rule"]) for r in monitor["suppress_main_default"] if r["family"] in families]
        rules += [(r["family"], r["rule"]) for r in link["general_rules"]]
    return set(rules)


def batches(current, wanted):
    """``ip -batch`` input per family: additions (ascending), then removals (descending)."""
    result = []
    for family in (4, 6):
        added = sorted((r for f, r in wanted - current if f == family), key=_priority)
        removed = sorted((r for f, r in current - wanted if f == family), key=_priority, reverse=True)
        lines = [f"rule add {r}" for r in added] + [f"rule del {r}" for r in removed]
        if lines:
            result.append((family, lines))
    return result


class RuleSwitch:
    """Keeps the live rules of the monitor's bands equal to what its decisions need."""

    def __init__(self, monitor, run=_ip):
        self.monitor = monitor
        self.run = run
        self.current = set()

    def reset(self):
        """Remove every rule in the monitor's bands (left by an earlier run): start from the plan's state."""
        errors = []
        for family in (4, 6):
            listed = self.run(family, "-json", "rule", "show")
            priorities = [entry.get("priority", 0) for entry in json.loads(listed.stdout or "[]")]
            owned = [p for p in priorities if any(low <= p <= high for low, high in self.monitor["bands"])]
            if owned:
                outcome = self.run(family, "-force", "-batch", "-",
                                   stdin="".join(f"rule del priority {p}\n" for p in owned))
                if outcome.returncode != 0:
                    errors.append(outcome.stderr.strip())
        self.current = set()
        return errors

    def apply(self, gated, general):
        """Switch to the rules for ``gated``/``general``; returns ip's errors (empty when all went in)."""
        wanted = desired_rules(self.monitor, gated, general)
        errors = []
        for family, lines in batches(self.current, wanted):
            outcome = self.run(family, "-force", "-batch", "-", stdin="\n".join(lines) + "\n")
            if outcome.returncode != 0:
                errors.append(outcome.stderr.strip())
        self.current = wanted
        return errors
