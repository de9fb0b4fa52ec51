"""The monitor's decisions on events: gating, conntrack deletion, hooks (fakes, no network)."""

from monitorfakes import make_monitor, run_rounds


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
    assert switch.applied == [(frozenset({"wan_a"}), "wan_b")]
    assert flushes == [(0x100, 0x7F00)]  # wan_a's mark; wan_b's connections (0x200) are untouched
    assert [(t.link, t.up) for (t,) in hooks] == [("wan_a", False)]


def test_recovery_restores_the_plan_without_deleting_connections(router_vars):
    monitor, clock, switch, flushes, hooks, _ = make_monitor(_targets(router_vars))
    monitor.start({"wana": True, "wanb": True})
    run_rounds(monitor, clock, {"wan_a": DEAD, "wan_b": ALIVE}, 3)
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": ALIVE}, 9)
    assert switch.applied[-1] == (frozenset({"wan_a"}), "wan_b")
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": ALIVE}, 1)
    assert switch.applied[-1] == (frozenset(), None)
    assert flushes == [(0x100, 0x7F00)]  # the one at failure; none at recovery
    assert [(t.link, t.up) for (t,) in hooks] == [("wan_a", False), ("wan_a", True)]


def test_carrier_loss_acts_at_once(router_vars):
    monitor, clock, switch, flushes, _, _ = make_monitor(_targets(router_vars))
    monitor.start({"wana": True, "wanb": True})
    monitor.carrier("wana", False)
    assert switch.applied == [(frozenset({"wan_a"}), "wan_b")]
    assert flushes == [(0x100, 0x7F00)]
    monitor.carrier("eth9", False)  # not a link: ignored
    assert len(switch.applied) == 1


def test_every_link_down_keeps_the_last_configuration(router_vars):
    monitor, clock, switch, flushes, _, logs = make_monitor(_targets(router_vars))
    monitor.start({"wana": True, "wanb": True})
    run_rounds(monitor, clock, {"wan_a": DEAD, "wan_b": ALIVE}, 3)
    run_rounds(monitor, clock, {"wan_a": DEAD, "wan_b": DEAD}, 3)
    assert switch.applied == [(frozenset({"wan_a"}), "wan_b")]
    assert flushes == [(0x100, 0x7F00)]
    assert any("every link is down" in line for (line,) in logs)
    # When wan_a comes back while wan_b is still down, wan_b is gated instead.
    run_rounds(monitor, clock, {"wan_a": ALIVE, "wan_b": DEAD}, 10)
    assert switch.applied[-1] == (frozenset({"wan_b"}), "wan_a")
    assert flushes[-1] == (0x200, 0x7F00)


def test_start_removes_old_rules_and_a_link_without_carrier_starts_gated(router_vars):
    monitor, _, switch, flushes, _, _ = make_monitor(_targets(router_vars))
    monitor.start({"wana": False, "wanb": True})
    assert switch.resets == 1
    assert switch.applied == [(frozenset({"wan_a"}), "wan_b")]


def test_stop_leaves_the_plans_state(router_vars):
    monitor, clock, switch, _, _, _ = make_monitor(_targets(router_vars))
    monitor.start({"wana": True, "wanb": True})
    monitor.carrier("wana", False)
    monitor.stop()
    assert switch.applied[-1] == (frozenset(), None)


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
