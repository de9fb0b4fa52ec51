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


def test_carrier_and_probe_events_come_in_their_order_before_any_address_event():
    queue = EventQueue()
    for _ in range(10_000):
        queue.put(("address", "wana"))
    queue.put(("round", "wan_b", 1, [0.001]))
    queue.put(("carrier", "wanb", False))
    queue.put(("address", "wanb"))
    assert _drain(queue) == [
        ("round", "wan_b", 1, [0.001]),
        ("carrier", "wanb", False),
        ("address", "wana"),
        ("address", "wanb"),
    ]
    report = queue.report()
    assert report["address"] == 10_001 and report["address_coalesced"] == 9_999 and report["longest"] == 4


def test_too_many_interfaces_mean_every_link_too_many_carriers_every_carrier():
    queue = EventQueue(event_limit=4, interface_limit=3)
    queue.put(("fatal", "probes of wan_a", "returned"))
    for index in range(10):
        queue.put(("address", f"noise{index}"))
        queue.put(("carrier", f"noise{index}", True))
        queue.put(("round", "wan_a", 1, [index]))
    # Full lanes: carrier events folded into one "read every carrier", the oldest rounds dropped, the fatal
    # event kept, the interfaces folded into "repair every link".
    events = _drain(queue)
    assert events[0] == ("fatal", "probes of wan_a", "returned") and len(events) <= 5
    assert ("carrier", None, None) in events and events[-1] == ("address", None)
    assert events[-2] == ("round", "wan_a", 1, [9])  # the newest round kept
    assert not [event for event in events if event[0] == "carrier" and event[1] is not None]
    assert queue.report()["queued"] == 0 and queue.report()["overflows"] > 0


def test_get_wakes_up_for_an_event_from_another_thread_and_times_out_without_one():
    queue = EventQueue()
    started = time.monotonic()
    assert queue.get(0.05) is None and time.monotonic() - started >= 0.04
    threading.Timer(0.05, queue.put, [("carrier", "wana", False)]).start()
    assert queue.get(5) == ("carrier", "wana", False)
