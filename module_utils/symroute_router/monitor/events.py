"""The monitor's event queue: bounded, carrier and probe events first, address events coalesced.

Two lanes, taken in this order by the main loop:

  events     a thread's end ("fatal"), carrier changes ("carrier"), probe rounds ("round") and partner checks
             ("partner"), in the order they happened (a round measured before a carrier change is applied
             before it)
  addresses  one entry per interface that had an address or default-route event, however many came

A burst of address events (a router-advertisement flood on a WAN segment, a flapping PPPoE session) therefore
costs one entry per interface and never delays a carrier or probe event behind it. Both lanes are bounded,
and an overflow means "read everything again", never memory: a carrier event that finds the lane full
replaces every queued carrier event with one ("carrier", None, None) (every carrier is read again), a probe
event drops the oldest queued round or check (a sample; the next comes one interval later), too many
interfaces become one ("address", None) (every link is repaired). A "fatal" event is never dropped.
The watcher threads keep draining their netlink sockets into it; when the kernel drops notifications anyway
(ENOBUFS) the watchers put the same "read everything" events.
"""

import collections
import threading

EVENT_LIMIT = 2048
INTERFACE_LIMIT = 256
EVERYTHING = None
PROBES = ("round", "partner")


class EventQueue:
    def __init__(self, event_limit=EVENT_LIMIT, interface_limit=INTERFACE_LIMIT):
        self.event_limit, self.interface_limit = event_limit, interface_limit
        self._ready = threading.Condition()
        self._events = collections.deque()
        self._addresses = {}  # interface (or EVERYTHING) -> True, in arrival order
        self.counts = {"carrier": 0, "probe": 0, "address": 0, "address_coalesced": 0, "overflows": 0, "longest": 0}

    def put(self, event):
        with self._ready:
            kind = event[0]
            if kind == "address":
                self._address(event[1])
            else:
                if kind != "fatal":
                    self.counts["carrier" if kind == "carrier" else "probe"] += 1
                if kind != "fatal" and len(self._events) >= self.event_limit:
                    event = self._overflow(event)
                if event is not None:
                    self._events.append(event)
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

    def _overflow(self, event):
        """Room for ``event`` in a full lane; the event to append (or None: it is covered already)."""
        self.counts["overflows"] += 1
        if event[0] == "carrier":  # every queued carrier event becomes one "read every carrier"
            kept = [queued for queued in self._events if queued[0] != "carrier"]
            if len(kept) < len(self._events):
                self._events = collections.deque(kept)
                return ("carrier", None, None)
        oldest = next((index for index, queued in enumerate(self._events) if queued[0] in PROBES), None)
        if oldest is None:  # nothing but carrier and fatal events: a carrier event already says "read all"
            return None if event[0] in PROBES else ("carrier", None, None)
        del self._events[oldest]
        return event

    def get(self, timeout):
        """The next event (address events last), or None when none came within ``timeout`` seconds."""
        with self._ready:
            if not len(self):
                self._ready.wait(timeout)
            if self._events:
                return self._events.popleft()
            if self._addresses:
                interface = next(iter(self._addresses))
                del self._addresses[interface]
                return ("address", interface)
            return None

    def __len__(self):
        return len(self._events) + len(self._addresses)

    def empty(self):
        with self._ready:
            return not len(self)

    def report(self):
        with self._ready:
            return dict(self.counts, queued=len(self))
