"""The monitor's decisions on events: gating, conntrack deletion, hooks (fakes, no network)."""

import pytest

from monitorfakes import FakeClock, FakeIpKernel, FakeSwitch, Journal, Recorder, make_monitor, run_rounds
from symroute.plan import build_plan
from symroute_router.monitor.hook import Hook
from symroute_router.monitor.monitor import Monitor
from symroute_router.monitor.service_switch import ServiceSwitch


def _targets(router_vars):
    router_vars["symroute_links"][0]["health_targets"] = ["100.64.1.2"]
    router_vars["symroute_links"][1]["health_targets"] = ["100.64.2.2"]
    return router_vars


ALIVE = lambda number: True  # noqa: E731
DEAD = lambda number: False  # noqa: E731


def test_a_blackholed_link_is_gated_and_only_its_connections_are_deleted(router_vars):
    monitor, clock, switch, flushes, hooks, _ = make_monitor(_targets(router_vars))
    monitor.start({"wana": True, "wanb": True})
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": ALIVE}, 5)
    assert switch.applied == []
    run_rounds(monitor, clock, {"wan_a": DEAD, "wan_b": ALIVE}, 2)
    assert switch.applied == []  # two missed rounds: not yet
    run_rounds(monitor, clock, {"wan_a": DEAD, "wan_b": ALIVE}, 1)
    assert switch.applied == [frozenset({"wan_a"})]
    assert flushes == [(0x100, 0x7F00)]  # wan_a's mark; wan_b's connections (0x200) are untouched
    assert [(t.link, t.up) for (t,) in hooks] == [("wan_a", False)]


def test_recovery_restores_the_plan_without_deleting_connections(router_vars):
    monitor, clock, switch, flushes, hooks, _ = make_monitor(_targets(router_vars))
    monitor.start({"wana": True, "wanb": True})
    run_rounds(monitor, clock, {"wan_a": DEAD, "wan_b": ALIVE}, 3)
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": ALIVE}, 9)
    assert switch.applied[-1] == frozenset({"wan_a"})
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": ALIVE}, 1)
    assert switch.applied[-1] == frozenset()
    assert flushes == [(0x100, 0x7F00)]  # the one at failure; none at recovery
    assert [(t.link, t.up) for (t,) in hooks] == [("wan_a", False), ("wan_a", True)]


def test_carrier_loss_acts_at_once(router_vars):
    monitor, clock, switch, flushes, _, _ = make_monitor(_targets(router_vars))
    monitor.start({"wana": True, "wanb": True})
    monitor.carrier("wana", False)
    assert switch.applied == [frozenset({"wan_a"})]
    assert flushes == [(0x100, 0x7F00)]
    monitor.carrier("eth9", False)  # not a link: ignored
    assert len(switch.applied) == 1


def test_every_link_down_keeps_the_last_configuration(router_vars):
    monitor, clock, switch, flushes, _, logs = make_monitor(_targets(router_vars))
    monitor.start({"wana": True, "wanb": True})
    run_rounds(monitor, clock, {"wan_a": DEAD, "wan_b": ALIVE}, 3)
    run_rounds(monitor, clock, {"wan_a": DEAD, "wan_b": DEAD}, 3)
    assert switch.applied == [frozenset({"wan_a"})]
    assert flushes == [(0x100, 0x7F00)]
    assert any("every link is down" in line for (line,) in logs)
    # When wan_a comes back while wan_b is still down, wan_b is gated instead.
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": DEAD}, 10)
    assert switch.applied[-1] == frozenset({"wan_b"})
    assert flushes[-1] == (0x200, 0x7F00)


def test_a_link_without_carrier_starts_gated(router_vars):
    monitor, _, switch, flushes, _, _ = make_monitor(_targets(router_vars))
    monitor.start({"wana": False, "wanb": True})
    assert switch.applied == [frozenset({"wan_a"})]


def test_a_link_left_out_of_service_by_a_killed_monitor_stays_out_until_it_earns_its_way_back(router_vars):
    """kill -9 in an outage leaves wan_a's interface in the out-of-service group: the new monitor keeps it
    out (no return to a dead link while it re-learns) and brings it back after up_after good rounds."""
    monitor, clock, switch, _, _, logs = make_monitor(_targets(router_vars), switch=FakeSwitch({"wan_a"}))
    monitor.start({"wana": True, "wanb": True})
    assert monitor.gated == frozenset({"wan_a"}) and switch.applied == []
    assert any("out of service when the monitor started" in line for (line,) in logs)
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": ALIVE}, 9)
    assert switch.kernel_out == frozenset({"wan_a"})
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": ALIVE}, 1)
    assert switch.applied == [frozenset()]  # nothing left out of service: back in service


def test_a_left_out_link_and_no_carrier_elsewhere_keeps_the_last_state_until_one_is_up(router_vars):
    monitor, clock, switch, _, _, _ = make_monitor(_targets(router_vars), switch=FakeSwitch({"wan_a"}))
    monitor.start({"wana": True, "wanb": False})
    # wan_b has no carrier and wan_a is down until proven: every link down, the last state stays.
    assert switch.kernel_out == frozenset({"wan_a"})
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": DEAD}, 10)
    assert switch.kernel_out == frozenset({"wan_b"})


def test_stop_leaves_the_plans_state(router_vars):
    monitor, clock, switch, _, _, _ = make_monitor(_targets(router_vars))
    monitor.start({"wana": True, "wanb": True})
    monitor.carrier("wana", False)
    monitor.stop()
    assert switch.applied[-1] == frozenset()


def test_partner_path_and_the_off_pinned_alert(router_vars):
    router_vars["symroute_partners"][0]["health_check"] = "tcp://100.64.20.10:80"
    monitor, _, _, _, _, _ = make_monitor(router_vars)
    partner = monitor.plan["partners"][0]
    monitor.partner_checked(partner, 0.004, "198.51.100.2")
    assert monitor.partners["partner-api"]["link"] == "wan_a"
    assert monitor.partners["partner-api"]["off_pinned_link"] is False
    monitor.partner_checked(partner, 0.006, "2001:db8:b::2")
    assert monitor.partners["partner-api"]["link"] == "wan_b"
    assert monitor.partners["partner-api"]["off_pinned_link"] is True
    monitor.partner_checked(partner, None, None)
    assert monitor.partners["partner-api"]["reachable"] is False
    assert monitor.partners["partner-api"]["off_pinned_link"] is False


# The hook comes after the failover, and nothing it does can undo or block it.


class RaisingHook:
    def __init__(self):
        self.calls = 0

    def __call__(self, transition):
        self.calls += 1
        raise RuntimeError("hook exploded")


def _fail_and_recover(monitor, clock):
    monitor.start({"wana": True, "wanb": True})
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": ALIVE}, 3)
    run_rounds(monitor, clock, {"wan_a": DEAD, "wan_b": ALIVE}, 3)  # wan_a down
    failed = monitor.gated
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": ALIVE}, 10)  # wan_a up again
    monitor.carrier("wanb", False)  # wan_b down at once
    return failed


def _decisions(monitor, switch, flushes):
    return {
        "gated": monitor.gated,
        "applied": list(switch.applied),
        "flushes": list(flushes),
        "links": {name: (t.up, t.carrier, t.reason, t.transitions) for name, t in monitor.trackers.items()},
    }


def test_rules_then_conntrack_deletion_then_the_hook(router_vars):
    monitor, clock, _, _, _, _ = make_monitor(_targets(router_vars))
    journal = Journal().watch(monitor)
    monitor.start({"wana": True, "wanb": True})
    run_rounds(monitor, clock, {"wan_a": DEAD, "wan_b": ALIVE}, 3)
    assert journal == [("service", frozenset({"wan_a"})), ("conntrack", 0x100, 0x7F00), ("hook", "wan_a", False)]
    journal.clear()
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": ALIVE}, 10)
    assert journal == [("service", frozenset()), ("hook", "wan_a", True)]


def test_a_hook_that_raises_changes_nothing_of_the_failover(router_vars):
    reference, clock, switch, flushes, _, _ = make_monitor(_targets(router_vars))
    _fail_and_recover(reference, clock)
    expected = _decisions(reference, switch, flushes)

    hook = RaisingHook()
    monitor, clock, switch, flushes, _, logs = make_monitor(_targets(router_vars), hook=hook)
    journal = Journal().watch(monitor)
    failed = _fail_and_recover(monitor, clock)
    assert failed == frozenset({"wan_a"})  # out of service although the hook raised
    assert journal[:3] == [("service", frozenset({"wan_a"})), ("conntrack", 0x100, 0x7F00), ("hook", "wan_a", False)]
    assert hook.calls == 3  # wan_a down, wan_a up, wan_b down: called every time, raised every time
    assert _decisions(monitor, switch, flushes) == expected  # exactly as without a failing hook
    failures = [line for (line,) in logs if "hook" in line]
    assert failures == [
        "hook for link wan_a down (3 missed rounds in a row) failed: RuntimeError: hook exploded",
        "hook for link wan_a up (10 good rounds in a row) failed: RuntimeError: hook exploded",
        "hook for link wan_b down (carrier lost) failed: RuntimeError: hook exploded",
    ]


@pytest.mark.parametrize(
    "value",
    [
        "sh -c 'x",
        "   ",
        [],
        [""],
        ["relative/path"],
        [1, 2],
        ["/bin/true\x00"],
        {"argv": ["/bin/true"]},
        ["/nonexistent/symroute-hook"],
    ],
    ids=[
        "unbalanced-quote",
        "spaces",
        "empty-list",
        "empty-element",
        "relative",
        "integers",
        "nul",
        "dict",
        "missing-program",
    ],
)
def test_a_broken_hook_setting_still_gates_the_link_and_deletes_its_connections(router_vars, value):
    logs = Recorder()
    hook = Hook(value, "edge", log=logs)  # refused (or, for a missing program, failing) without raising
    monitor, clock, switch, flushes, _, _ = make_monitor(_targets(router_vars), hook=hook, logs=logs)
    monitor.start({"wana": True, "wanb": True})
    monitor.carrier("wana", False)
    assert switch.applied == [frozenset({"wan_a"})]
    assert flushes == [(0x100, 0x7F00)]
    assert monitor.gated == frozenset({"wan_a"})
    assert hook.running == []


def test_with_a_raising_hook_the_link_still_leaves_service(router_vars):
    plan = build_plan("edge", _targets(router_vars))["monitor"]
    ip, flushes, logs = FakeIpKernel(plan), Recorder(), Recorder()
    monitor = Monitor(
        {"router": "edge", "monitor": plan},
        ServiceSwitch(plan, run=ip, sleep=lambda s: None),
        flushes,
        RaisingHook(),
        logs,
        FakeClock(),
        lambda: 1.7e9,
    )
    monitor.start({"wana": True, "wanb": True})
    monitor.carrier("wana", False)
    assert ip.groups == {"wana": plan["out_of_service_group"], "wanb": 0}
    assert flushes == [(0x100, 0x7F00)]
    assert any("failed: RuntimeError" in line for (line,) in logs)


def test_a_pair_s_router_that_yields_keeps_its_tracked_links_connections_for_the_peer(router_vars):
    """In an HA pair, every tracked link failing moves the master: the connections stay (conntrackd has
    them on the peer, and a deletion here would be replicated there); a failure that leaves a tracked link
    in service fails over locally, deleting as a single router does."""
    from symroute_router.monitor.ha_yield import YieldFile

    monitor, clock, switch, flushes, _, logs = make_monitor(_targets(router_vars))
    pair = YieldFile(
        {
            "yield_file": "/nonexistent/ha-yield",
            "tracked_links": ["wan_a"],
            "sync": {"interface": "sync0", "address": "10.255.0.1/30", "peer": "10.255.0.2"},
        },
        logs.append,
    )
    monitor.keep_connections = pair.kept_links
    monitor.start({"wana": True, "wanb": True})
    run_rounds(monitor, clock, {"wan_a": DEAD, "wan_b": ALIVE}, 3)
    assert switch.applied == [frozenset({"wan_a"})]  # out of service here all the same
    assert flushes == []
    assert any("kept the conntrack entries bound to wan_a" in str(line) for line in logs)
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": ALIVE}, 12)
    pair.tracked = ["wan_a", "wan_b"]  # now wan_b still in service when wan_a fails: a local failover
    run_rounds(monitor, clock, {"wan_a": DEAD, "wan_b": ALIVE}, 3)
    assert flushes == [(0x100, 0x7F00)]
