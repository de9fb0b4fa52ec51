"""The monitor's event queue (monitor/events.py): carrier and probe events first, address events coalesced,
every lane bounded, an overflow turned into "read everything again"."""

import threading
import time

from symroute_router.monitor.events import EventQueue


def _drain(queue):
    events = []
    while (event := queue.get(0)) is not None:
        events.append(event)
    return events


def test_carrier_and_probe_events_come_before_any_address_event():
    queue = EventQueue()
    for _ in range(10_000):
        queue.put(("address", "wana"))
    queue.put(("round", "wan_b", 1, [0.001]))
    queue.put(("carrier", "wanb", False))
    queue.put(("address", "wanb"))
    assert _drain(queue) == [("carrier", "wanb", False), ("round", "wan_b", 1, [0.001]), ("address", "wana"),
                             ("address", "wanb")]
    report = queue.report()
    assert report["address"] == 10_001 and report["address_coalesced"] == 9_999 and report["longest"] == 4


def test_too_many_interfaces_mean_every_link_too_many_carriers_every_carrier():
    queue = EventQueue(urgent_limit=4, probe_limit=2, interface_limit=3)
    queue.put(("fatal", "probes of wan_a", "returned"))
    for index in range(10):
        queue.put(("address", f"noise{index}"))
        queue.put(("carrier", f"noise{index}", True))
        queue.put(("round", "wan_a", 1, [index]))
    # The last carrier overflow (noise9) left one "read every carrier"; the fatal event is never dropped.
    assert _drain(queue) == [("fatal", "probes of wan_a", "returned"), ("carrier", None, None),
                             ("round", "wan_a", 1, [8]), ("round", "wan_a", 1, [9]), ("address", None)]
    assert queue.report()["queued"] == 0 and queue.report()["overflows"] > 0


def test_get_wakes_up_for_an_event_from_another_thread_and_times_out_without_one():
    queue = EventQueue()
    started = time.monotonic()
    assert queue.get(0.05) is None and time.monotonic() - started >= 0.04
    threading.Timer(0.05, queue.put, [("carrier", "wana", False)]).start()
    assert queue.get(5) == ("carrier", "wana", False)
