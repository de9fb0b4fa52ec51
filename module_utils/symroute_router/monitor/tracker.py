"""Up/down decisions of one link from probe rounds and carrier changes.

Hysteresis: ``down_after`` missed rounds in a row declare a link down,
``up_after`` good rounds in a row declare it up again; a round is good when at
least ``reliability`` targets answered. Carrier loss declares the link down at
once; carrier back only lets the rounds count again (a link without targets is
judged by carrier alone). A link can therefore change state at most once per
``down_after`` or ``up_after`` rounds, however fast it flaps.
"""

from collections import deque, namedtuple

LOSS_WINDOW_ROUNDS = 20

Transition = namedtuple("Transition", "link up reason at")


class LinkTracker:
    """The state of one link; every observe_* returns a Transition or None."""

    def __init__(self, name, health, has_targets, now):
        self.name = name
        self.down_after = health["down_after"]
        self.up_after = health["up_after"]
        self.reliability = health["reliability"]
        self.has_targets = has_targets
        self.up = True
        self.carrier = True
        self.misses = 0
        self.successes = 0
        self.transitions = 0
        self.since = now
        self.reason = "monitor started"
        self.rtt = None
        self._window = deque(maxlen=LOSS_WINDOW_ROUNDS)

    @property
    def loss(self):
        """Share of unanswered probes over the last rounds (0.0 to 1.0)."""
        sent = sum(sent for sent, _answered in self._window)
        return 1.0 - sum(answered for _sent, answered in self._window) / sent if sent else 0.0

    def _become(self, up, now, reason):
        if up == self.up:
            return None
        self.up, self.since, self.reason = up, now, reason
        self.transitions += 1
        self.misses = self.successes = 0
        return Transition(self.name, up, reason, now)

    def start_down(self, now, reason):
        """Begin down (a link an earlier run left out of service); only a link with targets can earn
        its way back, a link without them is judged by its carrier. True when it starts down."""
        if not self.has_targets:
            return False
        self.up, self.since, self.reason = False, now, reason
        return True

    def observe_carrier(self, carrier, now):
        if carrier == self.carrier:
            return None
        self.carrier = carrier
        self.successes = 0
        if not carrier:
            return self._become(False, now, "carrier lost")
        if not self.has_targets:
            return self._become(True, now, "carrier back")
        return None

    def observe_round(self, sent, rtts, now):
        """One probe round: ``sent`` probes, ``rtts`` the round-trip times of those answered."""
        self._window.append((sent, len(rtts)))
        if rtts:
            self.rtt = sum(rtts) / len(rtts)
        if self.carrier and len(rtts) >= self.reliability:
            self.successes += 1
            self.misses = 0
            if not self.up and self.successes >= self.up_after:
                return self._become(True, now, f"{self.successes} good rounds in a row")
        else:
            self.misses += 1
            self.successes = 0
            if self.up and self.misses >= self.down_after:
                return self._become(False, now, f"{self.misses} missed rounds in a row")
        return None


def choose_gated(links_up, previously_gated):
    """Which links to take out of service.

    ``links_up`` maps link name to up/down in the inventory's order. With every
    link down nothing is gained by moving traffic, so the last configuration
    stays as it is (at least one link stays in service).
    """
    down = frozenset(name for name, up in links_up.items() if not up)
    return frozenset(previously_gated) if down == frozenset(links_up) else down
