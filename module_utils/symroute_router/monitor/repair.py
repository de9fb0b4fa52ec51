"""Repair symroute's rules and link-table routes from the installed state file.

The kernel deletes every route through an interface that goes down (ifdown/ifup,
a NIC reset, a network manager's reconfigure, a PPPoE reconnect), including the
routes of symroute's link table, and other tools may delete rules or routes of
symroute's. The monitor re-applies the routing state file (the one the boot
unit applies, /etc/symroute/routing.json) at once when a link's interface gets
its carrier back or is re-created, and every ``every_s`` seconds in any case.
Applying is idempotent and link by link (routing.apply): a link whose interface
is still down waits, the others are repaired. The link re-enters service through
the monitor's usual ``up_after`` good probe rounds, which need its table.
"""

import json

from .. import files, nftables, routing, sysctl
from ..locking import LockBusy, locked

# The monitor never waits on the routing lock for longer than this (its event loop applies carrier and probe
# decisions): a lock held elsewhere (a converge's apply, a rollback) defers the repair, retried every RETRY_S.
LOCK_WAIT_S = 0.05
RETRY_S = 0.5

# An address change comes as several notifications (the old address removed, the new one added, the
# client's default route): one repair after the first, this long after it, sees them all.
COALESCE_SECONDS = 0.05
# One interface's address events start at most a burst of repairs per window: a renumbering (the old
# address gone, the new one there: two repairs) is followed at once, a flood costs one repair a second.
ADDRESS_REPAIR_BURST, ADDRESS_REPAIR_WINDOW_S = 3, 3.0


class Repairer:
    def __init__(
        self,
        state_file,
        runner,
        log,
        clock,
        every_s=30.0,
        owned_path=routing.OWNED_TABLES_FILE,
        lock_path=routing.LOCK_FILE,
        sysctl_file="",
        sysctl_root=sysctl.PROC_SYS,
        nftables_file="",
        nftables_listing_file="",
        sysctl_originals=sysctl.ORIGINALS_FILE,
        on_learned=None,
    ):
        self.state_file, self.runner, self.log, self.clock, self.every_s = state_file, runner, log, clock, every_s
        self.owned_path, self.lock_path = owned_path, lock_path
        self.sysctl_file, self.sysctl_root, self.sysctl_originals = sysctl_file, sysctl_root, sysctl_originals
        self.nftables_file, self.nftables_listing_file = nftables_file, nftables_listing_file
        self.nftables_total, self.nftables_last = 0, None
        self.last_run = self.last_periodic = clock()
        self.total, self.failures, self.last = 0, 0, None
        # Called with the dynamic links' facts (learned.py) after every apply: the monitor follows them.
        self.on_learned = on_learned
        self.requested = None  # (when, reason) of a coalesced repair
        self.pending = {}  # interface -> reason of the address events the requested repair answers
        self.address_repaired = {}  # interface -> when its events started their last repairs (at most a burst)
        self.address_repairs = 0
        self.deferred = None  # the reason of a repair the routing lock put off, retried at the next tick

    def _state(self):
        try:
            with open(self.state_file, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError) as error:
            self.log(f"cannot repair: the routing state {self.state_file} is unreadable: {error}")
            return None

    def repair(self, reason):
        """Re-apply the state; True when something had to be repaired. The state file is read under the
        routing lock, so a playbook's apply or rollback in progress is never undone with an older state."""
        self.last_run = self.clock()
        try:
            with locked(self.lock_path, wait_s=LOCK_WAIT_S):
                state = self._state()
                if state is None:
                    return False
                result = routing.apply(self.runner, state, owned_path=self.owned_path, lock_path=None)
        except LockBusy:
            if self.deferred is None:
                self.log(f"repair after {reason} deferred: the routing lock is held elsewhere")
            self.deferred = reason
            return False
        except (routing.ApplyError, OSError) as error:
            self.failures += 1
            self.log(f"repair after {reason} failed: {error}")
            return False
        self.deferred = None
        if self.on_learned is not None and result.get("learned"):
            self.on_learned(result["learned"])
        if not result.get("changed"):
            return False
        self.total += 1
        links = {str(table): status for table, status in sorted(result.get("links", {}).items())}
        self.last = {"reason": reason, "links": links}
        self.log(
            f"repaired symroute's rules and routes after {reason}: "
            + ", ".join(f"table {table} {status}" for table, status in links.items())
        )
        return True

    def request(self, reason, interface=None):
        """A repair soon (``COALESCE_SECONDS``): the notifications that come with it are folded into one. An
        interface's events start at most ``ADDRESS_REPAIR_BURST`` repairs per ``ADDRESS_REPAIR_WINDOW_S`` (a
        flood of them costs one repair a second, not one each); ``interface`` None: notifications were lost."""
        if interface not in self.pending:
            self.pending[interface] = reason
        recent, due = self.address_repaired.get(interface, []), self.clock() + COALESCE_SECONDS
        if len(recent) >= ADDRESS_REPAIR_BURST:
            due = max(due, recent[-ADDRESS_REPAIR_BURST] + ADDRESS_REPAIR_WINDOW_S)
        if self.requested is None or due < self.requested[0]:
            self.requested = (due, self.pending[interface])

    def due_in(self):
        """Seconds until a requested repair is due (0 when it is), or None when none is requested."""
        return None if self.requested is None else max(0.0, self.requested[0] - self.clock())

    def run_requested(self):
        if self.requested is not None and self.clock() >= self.requested[0]:
            reason, self.requested = self.requested[1], None
            interfaces, self.pending = list(self.pending), {}
            for interface in interfaces:
                started = self.address_repaired.get(interface, []) + [self.clock()]
                self.address_repaired[interface] = started[-ADDRESS_REPAIR_BURST:]
            self.address_repairs += 1
            self.repair(reason)

    def sysctls(self, interface):
        """The interface's keys from symroute's sysctl.d file (a device that appeared after the converge, or
        was re-created with the kernel's defaults)."""
        if not self.sysctl_file:
            return []
        try:
            written = sysctl.apply_interface(self.sysctl_file, interface, self.sysctl_root, self.sysctl_originals)
        except (OSError, ValueError) as error:
            self.failures += 1
            self.log(f"applying the sysctls of {interface} failed: {error}")
            return []
        if written:
            self.log(f"applied the sysctls of {interface}: {', '.join(written)}")
        return written

    def carrier(self, interface, carrier):
        """An interface came back (carrier, or re-created): its sysctls, then repair at once."""
        if carrier:
            self.sysctls(interface)
            self.repair(f"carrier up on {interface}")

    def nftables(self):
        """symroute's table back from its file when it is missing or differs from the listing saved at its
        load (deleted or changed by hand); True when it was reloaded."""
        content = files.read_text(self.nftables_file) if self.nftables_file else None
        if content is None:
            return False
        try:
            with locked(self.lock_path, wait_s=LOCK_WAIT_S):  # a rollback restores files and table under it
                live = nftables.read_table(self.runner, nftables.DEFAULT_TABLE)
                if not nftables.drifted(live, files.read_text(self.nftables_listing_file)):
                    return False
                nftables.load(self.runner, files.read_text(self.nftables_file) or content)
                files.write_atomically(self.nftables_listing_file, nftables.read_table(self.runner) or "", mode=0o600)
        except (nftables.NftError, OSError, ValueError) as error:
            self.failures += 1
            self.log(f"reloading the nftables table failed: {error}")
            return False
        why = "missing" if live is None else "changed by hand"
        self.nftables_total += 1
        self.nftables_last = {"reason": f"the table was {why}"}
        self.log(f"reloaded symroute's nftables table from {self.nftables_file}: the table was {why}")
        return True

    def start(self, interfaces):
        """At the monitor's start: addresses and interfaces that appeared between the boot unit and the
        monitor's subscriptions sent their notifications to nobody. Each interface's sysctls, then the
        routing state and the table, at once."""
        for interface in interfaces:
            self.sysctls(interface)
        self.repair("monitor start")
        self.nftables()

    def tick(self):
        """The periodic reconcile: repairs what another tool removed. Its own timer: event-driven repairs
        (address refreshes can come more often than the interval) never postpone it."""
        self.run_requested()
        if self.clock() - self.last_periodic >= self.every_s:
            self.last_periodic = self.clock()
            self.repair("periodic reconcile")
            self.nftables()
        elif self.deferred is not None and self.clock() - self.last_run >= RETRY_S:
            self.repair(self.deferred)

    def report(self):
        return {
            "total": self.total,
            "failures": self.failures,
            "last": self.last,
            "address_repairs": self.address_repairs,
            "nftables": {"total": self.nftables_total, "last": self.nftables_last},
        }
