"""An HA pair's yield file (docs/design.md, "HA pair"): keepalived tracks it (``track_file``, weight 0), so a
router whose pinned links are all out of service puts its whole VRRP sync group in FAULT and the peer
becomes the master.

The monitor writes ``1`` when every link of the plan's ``ha.tracked_links`` is out of service here (down, or
taken out by a failover drill) or while a pair drill is in force (drill.py, pair_drill.py: the router hands
the master to its peer until the drill's deadline), else ``0``; atomically, and only when the value changes
(keepalived reads the file at each change it is told of by inotify). With no tracked link the router never
yields for its links. ``report`` is the state file's ``ha`` section: the decision and why (``links``,
``drill``), the pair drill's deadline, this router's VRRP state as keepalived's notify command last recorded
it (``master``, ``backup``, ``fault``, ``stopped``, or None before any transition), and whether the peer
answers over the sync link (``watch_peer``, a thread): a cut sync link leaves VRRP with one master
(its advertisements cross the segments) but stops conntrackd's replication, so a switchover would then lose
the connections; the state file says so (``sync.peer_reachable`` false) on both routers.
"""

import time

from ..files import read_text, write_atomically
from . import probes

PEER_INTERVAL_S, PEER_TIMEOUT_S, PEER_LOST_AFTER_S = 1.0, 0.5, 3.0


def must_yield(links_in_service, tracked):
    """Whether the router yields: it tracks links and none of them is in service here."""
    return bool(tracked) and not any(links_in_service.get(name, False) for name in tracked)


class YieldFile:
    def __init__(self, ha, log, state_file=None):
        self.path, self.tracked = ha["yield_file"], list(ha.get("tracked_links", []))
        self.pair = ha.get("pair")
        self.state_file, self.log = state_file, log
        self.value = None  # what this monitor last wrote (or found there)
        self.sync = ha["sync"]
        self.heard = None  # when the peer last answered over the sync link (monotonic)
        self.clock = time.monotonic
        self.drill_until = None  # the deadline of the pair drill in force (wall clock), or None
        self.reason = None  # why it yields: "links", "drill", or None

    def update(self, links_in_service, drill_until=None):
        """Write the decision when it differs from the file; True when it wrote. ``drill_until``: the
        deadline of a pair drill in force (the router yields until then)."""
        self.drill_until = drill_until
        links_out = must_yield(links_in_service, self.tracked)
        self.reason = "links" if links_out else "drill" if drill_until is not None else None
        value = "1" if self.reason else "0"
        if value == self.value:
            return False
        try:
            written = write_atomically(self.path, value + "\n", mode=0o644)
        except OSError as error:
            self.log(f"could not write the HA yield file {self.path}: {error}")
            return False
        self.value = value
        if written:
            self.log(
                "HA pair: a pair drill is in force: this router yields the master until its deadline"
                if self.reason == "drill"
                else "HA pair: every tracked link is out of service here: this router yields the master"
                if value == "1"
                else "HA pair: a tracked link is in service here: this router may be the master"
            )
        return written

    def kept_links(self, links_in_service):
        """The links whose connections a failure keeps: the tracked ones when the router yields. The peer
        takes the master and carries them (conntrackd replicated them); deleting them here would replicate
        the deletion to the peer and reset them there."""
        yielding = self.value == "1" or must_yield(links_in_service, self.tracked)  # for its links or a drill
        return frozenset(self.tracked) if yielding else frozenset()

    def vrrp_state(self):
        text = read_text(self.state_file) if self.state_file else None
        words = (text or "").split()
        return words[0] if words else None

    def peer_answered(self, rtt):
        if rtt is not None:
            self.heard = self.clock()

    def peer_reachable(self):
        return self.heard is not None and self.clock() - self.heard <= PEER_LOST_AFTER_S

    def report(self):
        return {
            "yield": self.value == "1",
            "tracked_links": self.tracked,
            "yield_file": self.path,
            "vrrp_state": self.vrrp_state(),
            "sync": {
                "interface": self.sync["interface"],
                "peer": self.sync["peer"],
                "peer_reachable": self.peer_reachable(),
            },
        }

    def drill_report(self):
        """The pair's name, why the router yields (``links``, ``drill``, or None) and the pair drill in force:
        the state file's ``ha`` section carries them beside ``report``."""
        return {
            "pair": self.pair,
            "yield_reason": self.reason if self.value == "1" else None,
            "drill": {"until": self.drill_until} if self.drill_until is not None else None,
        }


def links_in_service(monitor):
    """{link: in service here}: up, and not the link a failover drill takes out."""
    drilled = monitor.drill[0] if monitor.drill else None
    return {name: tracker.up and name != drilled for name, tracker in monitor.trackers.items()}


def watch_peer(yielding, stopping, ping=probes.icmp_echo):
    """Ping the peer's sync address over the sync link every second until ``stopping`` (a thread)."""
    source = yielding.sync["address"].split("/")[0]
    while not stopping.is_set():
        yielding.peer_answered(ping(yielding.sync["peer"], 4, yielding.sync["interface"], source, PEER_TIMEOUT_S))
        stopping.wait(PEER_INTERVAL_S)
