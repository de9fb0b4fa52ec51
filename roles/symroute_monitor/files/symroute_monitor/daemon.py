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
import shlex
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import netlink, probes, report
from .monitor import Monitor
from .rules import RuleSwitch

WRITE_EVERY_SECONDS = 1.0


def log(message):
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    print(f"{stamp} symroute-monitor: {message}", flush=True)


class Hook:
    """Runs the configured command on each transition, without waiting for it."""

    def __init__(self, command, router):
        self.command, self.router, self.running = command, router, []

    def __call__(self, transition):
        self.running = [process for process in self.running if process.poll() is None]
        if not self.command:
            return
        environment = dict(os.environ, SYMROUTE_ROUTER=self.router, SYMROUTE_LINK=transition.link,
                           SYMROUTE_STATE="up" if transition.up else "down", SYMROUTE_REASON=transition.reason)
        try:
            self.running.append(subprocess.Popen(shlex.split(self.command), env=environment))  # noqa: S603
        except OSError as error:
            log(f"hook {self.command} failed: {error}")


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


def _write(monitor, settings):
    """State file and metrics; a full disk or a missing directory is logged, never fatal."""
    try:
        report.write(report.state(monitor, time.time()), settings["state_file"], settings.get("textfile"))
    except OSError as error:
        log(f"could not write the state file or metrics: {error}")


def run(config):
    settings = config["settings"]
    plan = config["monitor"]
    events, stopping = queue.Queue(), threading.Event()
    monitor = Monitor(config, RuleSwitch(plan), netlink.flush_conntrack, Hook(settings.get("hook"), config["router"]),
                      log, time.monotonic, time.time)
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
        shape = (monitor.gated, monitor.general, tuple((t.up, t.carrier) for t in monitor.trackers.values()))
        if shape != last_shape or time.monotonic() - last_written >= WRITE_EVERY_SECONDS:
            _write(monitor, settings)
            last_written, last_shape = time.monotonic(), shape
    monitor.stop()
    _write(monitor, settings)
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
