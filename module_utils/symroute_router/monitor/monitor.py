"""The monitor's decisions, free of threads, sockets and clocks (unit-tested with fakes).

Events come in (carrier changes, probe rounds, partner checks); after each
transition the monitor recomputes which links are out of service ("gated"),
has the kernel hold it (service_switch.ServiceSwitch: interface groups and the
general rules, read back until they match), and deletes the conntrack entries
bound to each newly gated link, so only those flows start again on another
link; connections on links in service are never touched. Only then is the
transition hook called, and whatever it does (or raises) changes nothing of
the above: the hook never stands between a failure and the failover.

``held`` is what the kernel was last read to hold; the state file reports it.
"""

from .tracker import LinkTracker, choose_gated


class Monitor:
    def __init__(self, config, switch, flush, hook, log, clock, wall_clock):
        self.router = config["router"]
        self.plan = config["monitor"]
        self.switch, self.flush, self.hook, self.log = switch, flush, hook, log
        self.clock, self.wall_clock = clock, wall_clock
        self.links = {link["name"]: link for link in self.plan["links"]}
        self.by_interface = {link["interface"]: link["name"] for link in self.plan["links"]}
        now = clock()
        self.trackers = {
            link["name"]: LinkTracker(link["name"], link["health"], bool(link["targets"]), now)
            for link in self.plan["links"]
        }
        self.gated = frozenset()
        self.held = None
        self.drill = None  # (link, deadline) of a failover drill in force (drill.py)
        self.abandoned = None  # a drill given up because another link failed: its request is ignored
        self.link_of_address = {
            entry["address"]: link["name"] for link in self.plan["links"] for entry in link["addresses"]
        }
        self.partners = {}
        # An HA pair's: the links whose connections a failure keeps, given {link: in service} (ha_yield.py)
        self.keep_connections = None

    def wall(self, monotonic_time):
        return self.wall_clock() - (self.clock() - monotonic_time)

    def start(self, carriers):
        """Begin from the kernel's state: a link an earlier run left out of service (a crash, a kill -9
        in an outage) stays out until it earns ``up_after`` good rounds; the others are up unless they
        have no carrier. Then the kernel is made to hold that decision."""
        held = self.switch.read()
        now = self.clock()
        for name in sorted(held.out):
            if self.trackers[name].start_down(now, "out of service when the monitor started"):
                self.log(f"link {name} was out of service when the monitor started: it stays out until it is up")
        self.gated = frozenset(name for name in held.out if not self.trackers[name].up)
        for interface, carrier in sorted(carriers.items()):
            name = self.by_interface.get(interface)
            if name is not None:
                self.trackers[name].observe_carrier(carrier, now)
        self.reconcile(force=True)

    def stop(self):
        """Leave the plan's state: a stopped monitor must not keep a decision nobody revisits."""
        self.held = self.switch.hold_out_of_service(frozenset())
        self.gated = frozenset()

    def resync(self):
        """Make the kernel hold the current decision again (periodic, and after any link event):
        repairs groups and rules changed by hand and interfaces re-created without their group."""
        before = self.held
        self.held = self.switch.hold_out_of_service(self.gated)
        if (
            before is not None
            and (before.out, before.general) != (self.held.out, self.held.general)
            and self.switch.holds(self.held, self.gated)
        ):
            self.log(f"resync: the kernel again holds out of service: {', '.join(sorted(self.gated)) or 'none'}")
        for error in self.held.errors:
            self.log(f"ip refused a change: {error}")

    def set_drill(self, link, until):
        """A failover drill takes ``link`` out of service as if it were down (None: no drill)."""
        if link and (link, until) == self.abandoned:
            return
        before = self.drill[0] if self.drill else None
        self.drill = (link, until) if link else None
        if link != before:
            self.log(
                f"failover drill: {link} out of service until {until:.0f} (epoch seconds)"
                if link
                else f"failover drill of {before} over: its probes decide again"
            )
            self.reconcile()

    def carrier(self, interface, carrier):
        name = self.by_interface.get(interface)
        if name is not None:
            self._after(self.trackers[name].observe_carrier(carrier, self.clock()))

    def probe_round(self, name, sent, rtts):
        self._after(self.trackers[name].observe_round(sent, rtts, self.clock()))

    def partner_checked(self, partner, rtt, local_address):
        link = self.link_of_address.get(local_address) if local_address else None
        self.partners[partner["name"]] = {
            "pinned_link": partner["link"],
            "reachable": rtt is not None,
            "latency_seconds": rtt,
            "link": link,
            "off_pinned_link": link is not None and link != partner["link"],
            "checked": round(self.wall_clock(), 3),
        }

    def _after(self, transition):
        if transition is None:
            return
        self.log(f"link {transition.link} {'up' if transition.up else 'down'}: {transition.reason}")
        self.reconcile()
        self._call_hook(transition)

    def _call_hook(self, transition):
        """After the rules and the conntrack deletion; a failing hook is logged, nothing else."""
        if self.hook is None:
            return
        try:
            self.hook(transition)
        except Exception as error:  # noqa: BLE001  (whatever the hook does, the monitor goes on)
            self.log(
                f"hook for link {transition.link} {'up' if transition.up else 'down'} "
                f"({transition.reason}) failed: {type(error).__name__}: {error}"
            )

    def reconcile(self, force=False):
        drilled = self.drill[0] if self.drill else None
        if drilled and any(not tracker.up for name, tracker in self.trackers.items() if name != drilled):
            # A real failure during a drill: the drilled (healthy) link is needed back at once.
            self.log(f"failover drill of {drilled} abandoned: another link is down")
            self.abandoned, self.drill, drilled = self.drill, None, None
        links_up = {name: tracker.up and name != drilled for name, tracker in self.trackers.items()}
        gated = choose_gated(links_up, self.gated)
        if gated == self.gated and not force:
            if gated and not any(links_up.values()):
                self.log("every link is down: keeping the last configuration")
            return
        self.held = self.switch.hold_out_of_service(gated, self.held)
        for error in self.held.errors:
            self.log(f"ip refused a change: {error}")
        newly_gated = sorted(gated - self.gated)
        self.gated = gated
        self.log(
            f"out of service: {', '.join(sorted(gated)) or 'none'}"
            + ("" if self.switch.holds(self.held, gated) else " (the kernel does not hold it yet)")
        )
        kept = self.keep_connections(links_up) if self.keep_connections else frozenset()
        for name in newly_gated:
            link = self.links[name]
            if name in kept:
                self.log(f"kept the conntrack entries bound to {name}: this router yields, its HA peer carries them")
                continue
            try:
                self.flush(int(link["mark"], 16), int(link["mark_mask"], 16))
                self.log(f"deleted the conntrack entries bound to {name} (mark {link['mark']}/{link['mark_mask']})")
            except OSError as error:
                self.log(f"could not delete the conntrack entries of {name}: {error}")
