"""The running monitor: threads that feed events to one Monitor.

  carrier thread   rtnetlink link notifications (acts within milliseconds)
  one per link     a probe round every interval_ms, each probe bounded by timeout_ms
  partner thread   each partner's health check every partner_interval_s
  main thread      applies events in order, writes state and metrics
"""

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import netlink, probes, report
from ..command import Runner
from .repair import Repairer
from .monitor import Monitor
from .rules import RuleSwitch

WRITE_EVERY_SECONDS = 1.0


def log(message):
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    print(f"{stamp} symroute-monitor: {message}", flush=True)


def hook_argv(value):
    """The hook setting checked: ``(argv, None)``, ``(None, None)`` for no hook, or ``(None, problem)``.

    The hook is an argv list, run as it is (never through a shell, never split):
    its first element an absolute path, every element a non-empty string without
    NUL. ``None`` or an empty list means no hook.
    """
    if value is None or (isinstance(value, list) and not value):
        return None, None
    if not isinstance(value, list):
        return None, f"must be a list of strings (an argv), not a {type(value).__name__}"
    for position, item in enumerate(value):
        if not isinstance(item, str):
            return None, f"element {position} is a {type(item).__name__}, not a string"
        if not item:
            return None, f"element {position} is empty"
        if "\x00" in item:
            return None, f"element {position} contains a NUL character"
        try:
            os.fsencode(item)
        except UnicodeError:
            return None, f"element {position} cannot be encoded for the file system"
    if not os.path.isabs(value[0]):
        return None, "its first element must be an absolute path to the program"
    return list(value), None


class Hook:
    """Runs the configured argv on each transition, without waiting for it.

    A hook setting that is not a valid argv is refused once, here, with a log
    line; the monitor then runs without a hook. Starting the hook may fail
    (missing program, no permission): that is logged, never raised.
    """

    def __init__(self, command, router, log=log):
        self.router, self.log, self.running = router, log, []
        self.argv, problem = hook_argv(command)
        if problem is not None:
            shown = repr(command)
            shown = shown if len(shown) <= 200 else shown[:200] + "..."
            self.log(f"hook refused, running without one: {problem} (setting {shown})")

    def reap(self):
        """Forget the hook processes that have ended (collecting their exit status)."""
        self.running = [process for process in self.running if process.poll() is None]

    def __call__(self, transition):
        state = "up" if transition.up else "down"
        try:
            self.reap()
            if self.argv is None:
                return
            environment = dict(os.environ, SYMROUTE_ROUTER=str(self.router), SYMROUTE_LINK=str(transition.link),
                               SYMROUTE_STATE=state, SYMROUTE_REASON=str(transition.reason))
            self.running.append(subprocess.Popen(self.argv, env=environment, stdin=subprocess.DEVNULL,  # noqa: S603
                                                 close_fds=True))
        except Exception as error:  # noqa: BLE001  (a hook never stops the monitor)
            self.log(f"hook {self.argv!r} for link {transition.link} {state} ({transition.reason}) "
                     f"failed: {type(error).__name__}: {error}")


def _daemon_thread(target, *args):
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def _watch_carrier(watcher, events):
    for interface, carrier in watcher:
        events.put(("carrier", interface, carrier))


def _probe_link(link, events, stopping):
    interval = link["health"]["interval_ms"] / 1000
    timeout = link["health"]["timeout_ms"] / 1000
    with ThreadPoolExecutor(max_workers=len(link["targets"])) as pool:
        while not stopping.is_set():
            started = time.monotonic()
            rtts = probes.round_of_probes(link, pool, timeout)
            events.put(("round", link["name"], len(link["targets"]), rtts))
            stopping.wait(max(0.0, started + interval - time.monotonic()))


def _check_partners(partners, settings, events, stopping):
    while not stopping.is_set():
        for partner in partners:
            rtt, local = probes.check_partner(partner["check"], int(partner["mark"], 16),
                                              settings["partner_timeout_s"])
            events.put(("partner", partner, rtt, local))
        stopping.wait(settings["partner_interval_s"])


def _write(monitor, settings, repairer=None):
    """State file and metrics; a full disk or a missing directory is logged, never fatal."""
    snapshot = report.state(monitor, time.time())
    if repairer is not None:
        snapshot["repairs"] = repairer.report()
    try:
        report.write(snapshot, settings["state_file"], settings.get("textfile"))
    except (OSError, ValueError) as error:
        log(f"could not write the state file or metrics: {error}")


def run(config):
    settings = config["settings"]
    plan = config["monitor"]
    events, stopping = queue.Queue(), threading.Event()
    hook = Hook(settings.get("hook"), config["router"])
    monitor = Monitor(config, RuleSwitch(plan), netlink.flush_conntrack, hook, log, time.monotonic, time.time)
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stopping.set())
    # Subscribed before the carriers are first read: no change falls in between.
    _daemon_thread(_watch_carrier, netlink.CarrierWatcher(), events)
    monitor.start({link["interface"]: netlink.read_carrier(link["interface"]) for link in plan["links"]})
    for link in plan["links"]:
        if link["targets"]:
            _daemon_thread(_probe_link, link, events, stopping)
    if plan["partners"]:
        _daemon_thread(_check_partners, plan["partners"], settings, events, stopping)
    repairer = None
    if settings.get("routing_state_file"):
        repairer = Repairer(settings["routing_state_file"], Runner(), log, time.monotonic,
                            float(settings.get("repair_interval_s", 30)))
    log(f"started for {config['router']}: links {', '.join(monitor.trackers)}; "
        f"{len(plan['partners'])} partner checks")
    last_written, last_shape = 0.0, None
    while not stopping.is_set():
        try:
            event = events.get(timeout=0.2)
        except queue.Empty:
            event = None
        if event is not None:
            kind, *rest = event
            {"carrier": monitor.carrier, "round": monitor.probe_round, "partner": monitor.partner_checked}[kind](*rest)
            if kind == "carrier" and repairer is not None:
                repairer.carrier(*rest)
        if repairer is not None:
            repairer.tick()
        shape = (monitor.gated, monitor.general, tuple((t.up, t.carrier) for t in monitor.trackers.values()))
        if shape != last_shape or time.monotonic() - last_written >= WRITE_EVERY_SECONDS:
            _write(monitor, settings, repairer)
            hook.reap()
            last_written, last_shape = time.monotonic(), shape
    monitor.stop()
    _write(monitor, settings, repairer)
    log("stopped; the monitor's rules are removed")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="symroute-monitor", description="symroute's link monitor")
    parser.add_argument("--config", default="/etc/symroute/monitor.json")
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        return run(json.load(handle))


if __name__ == "__main__":
    sys.exit(main())
