"""The running monitor: threads that feed events to one Monitor.

  carrier thread   rtnetlink link notifications (acts within milliseconds)
  one per link     a probe round every interval_ms, ended by its deadline (rounds.py); the names of its
                   targets resolved through the link (probe_names.py)
  partner thread   each partner's health check every partner_interval_s
  main thread      applies events by priority (events.py), resyncs the kernel with the decision
                   (after link events and every resync_interval_s), writes state and metrics

A thread that dies ends the process with status 1 (systemd restarts it, and
the new process starts from what the kernel holds): never a daemon that has
silently stopped watching.
"""

import argparse
import json
import signal
import threading
import time

from .. import routing
from ..command import Runner
from . import drill, echo, netlink, publish, rounds
from .events import EventQueue
from .ha_yield import YieldFile, links_in_service, watch_peer
from .hook import Hook, log
from .learned_links import LearnedLinks
from .monitor import Monitor
from .repair import Repairer
from .service_switch import ServiceSwitch
from .threads import daemon_thread, start_threads, watch_addresses, watch_carrier

WRITE_EVERY_SECONDS = 1.0
ECHO_SOCKETS = {
    "ping": "ping sockets",
    "raw": "raw sockets filtered by the kernel (net.ipv4.ping_group_range excludes this process's group)",
}
# The kernel is read back and made to hold the decision again at least this often.
RESYNC_EVERY_SECONDS = 5.0


def _address_event(monitor, repairer, interface):
    """A link's interface got a global address (a dynamic link's: or lost one, or its client's default route
    changed; None: notifications lost): its routes may use it. Repaired soon, once for the whole burst."""
    if repairer is not None and (interface is None or interface in monitor.by_interface):
        repairer.request(
            f"an address or default route changed on {interface}" if interface else "lost address notifications",
            interface,
        )


def _write(monitor, settings, repairer=None, learned=None, events=None, probers=(), ha=None):
    """State file and metrics; a full disk or a missing directory is logged, never fatal."""
    snapshot = publish.state(monitor, time.time())
    if probers:
        snapshot["probes"] = {prober.link["name"]: prober.report() for prober in probers}
    if events is not None:
        snapshot["events"] = events.report()
    if (confirm := publish.confirm_status(settings.get("confirm_record"))) is not None:
        snapshot["confirm"] = confirm
    if repairer is not None:
        snapshot["repairs"] = repairer.report()
    if learned is not None and learned.dynamic:
        snapshot["learned"] = learned.report()
    if ha is not None:
        snapshot["ha"] = dict(ha.report(), **ha.drill_report())
    try:
        publish.write(snapshot, settings["state_file"], settings.get("textfile"))
    except (OSError, ValueError) as error:
        log(f"could not write the state file or metrics: {error}")


def _make_repairer(settings, monitor, learned):
    if not settings.get("routing_state_file"):
        return None
    config_links = list(learned.links.values())

    def follow(facts):
        for name in learned.update(facts):  # its old address is gone: so are the connections bound to it
            link = next(link for link in config_links if link["name"] == name)
            try:
                netlink.flush_conntrack(int(link["mark"], 16), int(link["mark_mask"], 16))
                log(f"deleted the conntrack entries bound to {name}'s old address (mark {link['mark']})")
            except OSError as error:
                log(f"deleting the conntrack entries of {name} failed: {error}")
        monitor.link_of_address = learned.address_of()

    return Repairer(
        settings["routing_state_file"],
        Runner(),
        log,
        time.monotonic,
        float(settings.get("repair_interval_s", 30)),
        # Other paths than the router's only for a lab that runs the monitor beside the host's own.
        owned_path=settings.get("owned_tables_file") or routing.OWNED_TABLES_FILE,
        lock_path=settings.get("routing_lock") or routing.LOCK_FILE,
        sysctl_file=settings.get("sysctl_file") or "",
        nftables_file=settings.get("nftables_file") or "",
        nftables_listing_file=settings.get("nftables_listing_file") or "",
        on_learned=follow,
    )


def _carrier_event(monitor, repairer, plan, interface, carrier):
    if interface is None:  # notifications were lost: read every carrier again
        log("link notifications were lost (socket overflow): reading every carrier again")
        for link in plan["links"]:
            monitor.carrier(link["interface"], netlink.read_carrier(link["interface"]))
    elif interface in monitor.by_interface:
        monitor.carrier(interface, carrier)
        if repairer is not None:
            repairer.carrier(interface, carrier)
    else:
        return  # another interface's event
    # A re-created interface comes back in the default group: hold the decision again.
    monitor.resync()


def run(config):
    settings = config["settings"]
    plan = config["monitor"]
    events, stopping = EventQueue(), threading.Event()
    hook = Hook(settings.get("hook"), config["router"])
    monitor = Monitor(
        config, ServiceSwitch(plan, log=log), netlink.flush_conntrack, hook, log, time.monotonic, time.time
    )
    ha = YieldFile(config["ha"], log, settings.get("ha_state_file")) if config.get("ha") else None
    monitor.keep_connections = ha.kept_links if ha is not None else None
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stopping.set())
    # Subscribed before the carriers are first read: no change falls in between.
    learned = LearnedLinks(plan["links"], log)
    addresses = netlink.AddressWatcher(
        dynamic=bool(learned.dynamic), ignored_tables=[link["table"] for link in plan["links"]]
    )
    threads = [
        daemon_thread("carrier watcher", events, watch_carrier, netlink.CarrierWatcher(), events),
        daemon_thread("address watcher", events, watch_addresses, addresses, events),
    ]
    monitor.start({link["interface"]: netlink.read_carrier(link["interface"]) for link in plan["links"]})
    probers = [rounds.LinkProber(link, log) for link in plan["links"] if link["targets"]]
    threads += start_threads(plan, settings, events, stopping, probers)
    if ha is not None:  # the peer over the sync link (ha_yield.py)
        threads.append(daemon_thread("HA peer", events, watch_peer, ha, stopping))
    repairer = _make_repairer(settings, monitor, learned)
    if repairer is not None:  # what changed before the subscriptions (the boot unit ran earlier)
        repairer.start([link["interface"] for link in plan["links"]])
    resync_every = RESYNC_EVERY_SECONDS
    log(
        f"started for {config['router']}: links {', '.join(monitor.trackers)}; "
        f"{len(plan['partners'])} partner checks; ICMP probes on {ECHO_SOCKETS[echo.kind_available()]}"
    )
    last_written, last_shape, last_resync = 0.0, None, time.monotonic()
    while not stopping.is_set():
        due = repairer.due_in() if repairer is not None else None
        event = events.get(timeout=0.2 if due is None else min(0.2, due))
        if event is not None:
            kind, *rest = event
            if kind == "fatal" and stopping.is_set():
                continue  # a thread ending because the monitor stops
            if kind == "fatal":
                log(
                    f"the {rest[0]} thread ended ({rest[1]}): exiting so that the service manager restarts "
                    "the monitor; the kernel keeps the links' service state meanwhile"
                )
                _write(monitor, settings, repairer, learned, events, probers)
                return 1
            if kind == "carrier":
                _carrier_event(monitor, repairer, plan, *rest)
            elif kind == "address":
                _address_event(monitor, repairer, *rest)
            else:
                {"round": monitor.probe_round, "partner": monitor.partner_checked}[kind](*rest)
        if not stopping.is_set() and not all(thread.is_alive() for thread in threads) and events.empty():
            log("a monitor thread is no longer running: exiting so that the service manager restarts the monitor")
            return 1
        if repairer is not None:
            repairer.tick()
        drill_file = settings.get("drill_file", drill.DRILL_FILE)
        monitor.set_drill(*drill.read(drill_file, monitor.trackers, time.time()))
        if ha is not None:  # a pair drill: this router yields the master until its deadline (pair_drill.py)
            ha.update(links_in_service(monitor), _pair_drill(drill_file, ha, log))
        if time.monotonic() - last_resync >= resync_every:
            monitor.resync()
            last_resync = time.monotonic()
        shape = (
            monitor.gated,
            monitor.held,
            monitor.drill,
            learned.version,
            ha and (ha.vrrp_state(), ha.peer_reachable(), ha.value, ha.drill_until),
            tuple((t.up, t.carrier) for t in monitor.trackers.values()),
        )
        if shape != last_shape or time.monotonic() - last_written >= WRITE_EVERY_SECONDS:
            _write(monitor, settings, repairer, learned, events, probers, ha)
            hook.reap()
            last_written, last_shape = time.monotonic(), shape
    monitor.stop()
    if ha is not None:  # a stopped monitor judges no link and ends any pair drill: it yields nothing
        ha.update(dict.fromkeys(monitor.trackers, True), None)
    _write(monitor, settings, repairer, learned, events, probers)
    log("stopped; every link is back in service and the monitor's rules are removed")
    return 0


def _pair_drill(drill_file, ha, log):
    """The pair drill's deadline, or None. A drill whose peer stops answering over the sync link is ended here
    (its request removed): the peer may be gone, and a router yielding for a drill must not leave the pair
    without a master until the deadline."""
    until = drill.read_pair(drill_file, time.time())
    if until is not None and not ha.peer_reachable():
        drill.stop(drill_file)
        log("HA pair: the peer does not answer over the sync link: the pair drill is ended, this router yields no more")
        return None
    return until


def main(argv=None):
    parser = argparse.ArgumentParser(prog="symroute-monitor", description="symroute's link monitor")
    parser.add_argument("--config", default="/etc/symroute/monitor.json")
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        return run(json.load(handle))


if __name__ == "__main__":
    raise SystemExit(main())
