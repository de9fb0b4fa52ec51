"""The monitor's event queue: bounded, carrier and probe events first, address events coalesced.

Three lanes, taken in this order by the main loop:

  urgent     a thread's end ("fatal", never dropped) and carrier changes ("carrier")
  probes     probe rounds ("round") and partner checks ("partner")
  addresses  one entry per interface that had an address or default-route event, however many came

A burst of address events (a router-advertisement flood on a WAN segment, a flapping PPPoE session) therefore
costs one entry per interface and never delays a carrier or probe event behind it. Every lane is bounded, and
its overflow means "read everything again", never memory: too many carrier events become one ("carrier", None,
None) (every carrier is read again), too many interfaces one ("address", None) (every link is repaired), and
the oldest probe round gives way to the newest (a round is a sample; the next comes one interval later).
The watcher threads keep draining their netlink sockets into it; when the kernel drops notifications anyway
(ENOBUFS) the watchers put the same "read everything" events.
"""

import collections
import threading

URGENT_LIMIT = 1024
PROBE_LIMIT = 1024
INTERFACE_LIMIT = 256
EVERYTHING = None


class EventQueue:
    def __init__(self, urgent_limit=URGENT_LIMIT, probe_limit=PROBE_LIMIT, interface_limit=INTERFACE_LIMIT):
        self.urgent_limit, self.probe_limit, self.interface_limit = urgent_limit, probe_limit, interface_limit
        self._ready = threading.Condition()
        self._urgent = collections.deque()
        self._probes = collections.deque()
        self._addresses = {}  # interface (or EVERYTHING) -> True, in arrival order
        self.counts = {"carrier": 0, "probe": 0, "address": 0, "address_coalesced": 0, "overflows": 0,
                       "longest": 0}

    def put(self, event):
        with self._ready:
            kind = event[0]
            if kind == "address":
                self._address(event[1])
            elif kind == "fatal":
                self._urgent.append(event)
            elif kind == "carrier":
                self.counts["carrier"] += 1
                self._carrier(event)
            else:
                self.counts["probe"] += 1
                if len(self._probes) >= self.probe_limit:
                    self._probes.popleft()
                    self.counts["overflows"] += 1
                self._probes.append(event)
            self.counts["longest"] = max(self.counts["longest"], len(self))
            self._ready.notify()

    def _address(self, interface):
        self.counts["address"] += 1
        if interface in self._addresses or EVERYTHING in self._addresses:
            self.counts["address_coalesced"] += 1
        elif len(self._addresses) >= self.interface_limit:
            self._addresses = {EVERYTHING: True}
            self.counts["overflows"] += 1
        else:
            self._addresses[interface] = True

    def _carrier(self, event):
        if len(self._urgent) < self.urgent_limit:
            self._urgent.append(event)
            return
        fatal = [queued for queued in self._urgent if queued[0] == "fatal"]
        self._urgent = collections.deque(fatal + [("carrier", None, None)])  # read every carrier again
        self.counts["overflows"] += 1

    def get(self, timeout):
        """The next event by priority, or None when none came within ``timeout`` seconds."""
        with self._ready:
            if not len(self):
                self._ready.wait(timeout)
            if self._urgent:
                return self._urgent.popleft()
            if self._probes:
                return self._probes.popleft()
            if self._addresses:
                interface = next(iter(self._addresses))
                del self._addresses[interface]
                return ("address", interface)
            return None

    def __len__(self):
        return len(self._urgent) + len(self._probes) + len(self._addresses)

    def empty(self):
        with self._ready:
            return not len(self)

    def report(self):
        with self._ready:
            return dict(self.counts, queued=len(self))
