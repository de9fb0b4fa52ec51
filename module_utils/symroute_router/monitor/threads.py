"""The monitor's feeding threads: each puts its observations on the daemon's event queue.

  carrier and address watchers   rtnetlink notifications (netlink.py)
  one per link                    a probe round every interval_ms (rounds.py)
  partner checks                  each partner's health check every partner_interval_s
  resolver                        partners by DNS name (resolving.py)

A thread that ends (an exception, or a return while the daemon runs) puts a "fatal" event: the main loop
ends the process, never a daemon that has silently stopped watching.
"""

import threading

from . import probes, resolving, rounds
from .hook import log
from .probe_names import LinkNames


def daemon_thread(name, events, target, *args):
    """A thread whose end (an exception, or a return while the daemon runs) is a "fatal" event."""

    def guarded():
        try:
            target(*args)
            events.put(("fatal", name, "returned"))
        except Exception as error:  # noqa: BLE001  (reported; the main loop ends the process)
            events.put(("fatal", name, f"{type(error).__name__}: {error}"))

    thread = threading.Thread(target=guarded, name=name, daemon=True)
    thread.start()
    return thread


def watch_carrier(watcher, events):
    for interface, carrier in watcher:
        events.put(("carrier", interface, carrier))
    raise RuntimeError("the netlink subscription ended")


def watch_addresses(watcher, events):
    for interface in watcher:
        events.put(("address", interface))
    raise RuntimeError("the netlink subscription to addresses ended")


def check_partners(partners, settings, events, stopping):
    names = {
        partner["name"]: LinkNames(f"partner {partner['name']}'s path", log=log, mark=int(partner["mark"], 16))
        for partner in partners
    }  # a named check's answers, per partner (probe_names.py)
    while not stopping.is_set():
        for partner in partners:
            try:
                rtt, local = probes.check_partner(
                    partner["check"], int(partner["mark"], 16), settings["partner_timeout_s"], names[partner["name"]]
                )
            except Exception as error:  # noqa: BLE001  (a partner check is never worth the monitor)
                log(f"the health check of partner {partner['name']} failed: {type(error).__name__}: {error}")
                rtt, local = None, None
            events.put(("partner", partner, rtt, local))
        stopping.wait(settings["partner_interval_s"])


def start_threads(plan, settings, events, stopping, probers):
    threads = []
    for prober in probers:
        threads.append(
            daemon_thread(f"probes of {prober.link['name']}", events, rounds.probe_link, prober, events, stopping)
        )
    if plan["partners"]:
        threads.append(
            daemon_thread("partner checks", events, check_partners, plan["partners"], settings, events, stopping)
        )
    if plan.get("resolver"):  # partners by DNS name (resolving.py)
        threads.append(daemon_thread("resolver", events, resolving.run, plan["resolver"], settings, stopping, log))
    return threads
