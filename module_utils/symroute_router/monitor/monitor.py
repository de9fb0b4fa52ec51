"""The monitor's decisions, free of threads, sockets and clocks (unit-tested with fakes).

Events come in (carrier changes, probe rounds, partner checks); after each
transition the monitor recomputes which links are gated and which link
carries general traffic, switches the rules, and deletes the conntrack
entries bound to each newly gated link, so only those flows start again on
another link; connections on healthy links are never touched. Only then is
the transition hook called, and whatever it does (or raises) changes nothing
of the above: the hook never stands between a failure and the failover.
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
        self.gated, self.general = frozenset(), None
        self.link_of_address = {entry["address"]: link["name"]
                                for link in self.plan["links"] for entry in link["addresses"]}
        self.partners = {}

    def wall(self, monotonic_time):
        return self.wall_clock() - (self.clock() - monotonic_time)

    def start(self, carriers):
        """Begin from the plan's state: no monitor rule, every link up unless it has no carrier."""
        for error in self.switch.reset():
            self.log(f"could not remove an earlier run's rules: {error}")
        for interface, carrier in sorted(carriers.items()):
            self.carrier(interface, carrier)

    def stop(self):
        """Leave the plan's state: a stopped monitor must not keep a decision nobody revisits."""
        self.switch.apply(frozenset(), None)
        self.gated, self.general = frozenset(), None

    def carrier(self, interface, carrier):
        name = self.by_interface.get(interface)
        if name is not None:
            self._after(self.trackers[name].observe_carrier(carrier, self.clock()))

    def probe_round(self, name, sent, rtts):
        self._after(self.trackers[name].observe_round(sent, rtts, self.clock()))

    def partner_checked(self, partner, rtt, local_address):
        link = self.link_of_address.get(local_address) if local_address else None
        self.partners[partner["name"]] = {
            "pinned_link": partner["link"], "reachable": rtt is not None, "latency_seconds": rtt,
            "link": link, "off_pinned_link": link is not None and link != partner["link"],
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
            self.log(f"hook for link {transition.link} {'up' if transition.up else 'down'} "
                     f"({transition.reason}) failed: {type(error).__name__}: {error}")

    def reconcile(self):
        links_up = {name: tracker.up for name, tracker in self.trackers.items()}
        gated, general = choose_gated(links_up, self.gated)
        if (gated, general) == (self.gated, self.general):
            if gated and not any(links_up.values()):
                self.log("every link is down: keeping the last configuration")
            return
        for error in self.switch.apply(gated, general):
            self.log(f"ip refused a rule: {error}")
        newly_gated = sorted(gated - self.gated)
        self.gated, self.general = gated, general
        self.log(f"gated: {', '.join(sorted(gated)) or 'none'}; general traffic: {general or 'main table'}")
        for name in newly_gated:
            link = self.links[name]
            try:
                self.flush(int(link["mark"], 16), int(link["mark_mask"], 16))
                self.log(f"deleted the conntrack entries bound to {name} (mark {link['mark']}/{link['mark_mask']})")
            except OSError as error:
                self.log(f"could not delete the conntrack entries of {name}: {error}")
