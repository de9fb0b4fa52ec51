"""The monitor's service switch: interface groups and general rules, read back from (a fake) kernel."""

import pytest

from monitorfakes import FakeIpKernel, Recorder
from symroute.plan import build_plan
from symroute_router.monitor.service_switch import RETRY_DELAYS_S, ServiceSwitch


@pytest.fixture
def plan(router_vars):
    return build_plan("edge", router_vars)


def _switch(plan, kernel, logs=None):
    return ServiceSwitch(
        plan["monitor"], run=kernel, sleep=lambda seconds: None, log=Recorder() if logs is None else logs
    )


def test_general_rules_sit_in_the_monitors_band_and_skip_links_out_of_service(plan):
    monitor = plan["monitor"]
    assert monitor["bands"] == [[10900, 10999]]
    texts = {(r["family"], r["priority"], r["table"]) for r in monitor["general_rules"]}
    assert texts == {
        (4, 10900, "main"),
        (6, 10900, "main"),
        (4, 10901, 200),
        (6, 10901, 200),
        (4, 10902, 201),
        (6, 10902, 201),
    }
    assert {r["suppress_ifgroup"] for r in monitor["general_rules"]} == {monitor["out_of_service_group"]}


def test_monitor_bands_hold_no_rule_of_the_plan(plan):
    bands = plan["monitor"]["bands"]
    assert not [r for r in plan["rules"] if any(low <= r["priority"] <= high for low, high in bands)]


def test_general_rules_only_in_the_families_a_link_carries(router_vars):
    del router_vars["symroute_links"][1]["address6"], router_vars["symroute_links"][1]["gateway6"]
    router_vars["symroute_links"][1]["nat66"] = False
    router_vars["symroute_partners"] = [p for p in router_vars["symroute_partners"] if p["link"] == "wan_a"]
    rules = build_plan("edge", router_vars)["monitor"]["general_rules"]
    assert {r["family"] for r in rules if r["table"] == 201} == {4}


def test_taking_a_link_out_moves_its_interface_and_adds_the_general_rules_in_ascending_order(plan):
    kernel = FakeIpKernel(plan["monitor"])
    held = _switch(plan, kernel).hold_out_of_service({"wan_a"})
    assert kernel.groups == {"wana": plan["monitor"]["out_of_service_group"], "wanb": 0}
    assert [r["priority"] for r in kernel.rules[4]] == [10900, 10901, 10902]
    assert held.out == frozenset({"wan_a"}) and len(held.general) == 6 and held.errors == ()
    group_call = kernel.calls.index(
        ("link", "set", "dev", "wana", "group", str(plan["monitor"]["out_of_service_group"]))
    )
    batch_call = next(i for i, call in enumerate(kernel.calls) if "-batch" in call)
    assert group_call < batch_call  # partners move first, in one message for both families


def test_back_in_service_restores_the_group_and_removes_every_rule_of_the_band(plan):
    kernel = FakeIpKernel(plan["monitor"], rules={4: [{"priority": 10950, "src": "all", "table": "7"}]})
    switch = _switch(plan, kernel)
    switch.hold_out_of_service({"wan_a"})
    held = switch.hold_out_of_service(set())
    assert kernel.groups == {"wana": 0, "wanb": 0}
    assert kernel.rules == {4: [], 6: []}  # the stray rule in the band went too
    assert held.out == frozenset() and held.general == frozenset()


def test_a_rule_deleted_by_hand_and_a_group_reset_by_hand_are_repaired(plan):
    kernel = FakeIpKernel(plan["monitor"])
    switch = _switch(plan, kernel)
    switch.hold_out_of_service({"wan_b"})
    kernel.rules[6] = [r for r in kernel.rules[6] if r["priority"] != 10901]
    kernel.groups["wanb"] = 0  # e.g. a network manager re-created the interface
    assert not switch.holds(switch.read(), {"wan_b"})
    held = switch.hold_out_of_service({"wan_b"})
    assert switch.holds(held, {"wan_b"})
    assert kernel.groups["wanb"] == plan["monitor"]["out_of_service_group"]
    assert 10901 in [r["priority"] for r in kernel.rules[6]]


def test_a_refused_change_is_retried_a_bounded_number_of_times_and_the_kernels_state_is_reported(plan):
    kernel, logs = FakeIpKernel(plan["monitor"]), Recorder()
    kernel.refuse = {"group", "rule"}
    switch = _switch(plan, kernel, logs)
    held = switch.hold_out_of_service({"wan_a"})
    assert held.out == frozenset() and held.general == frozenset()  # what the kernel holds, not what was wanted
    assert held.errors and not switch.holds(held, {"wan_a"})
    group_sets = [call for call in kernel.calls if call[:3] == ("link", "set", "dev")]
    assert len(group_sets) == len(RETRY_DELAYS_S)
    assert len([line for (line,) in logs if "does not hold the decision yet" in line]) == len(RETRY_DELAYS_S) - 1


def test_an_interface_that_does_not_exist_is_reported_missing_not_retried_forever(plan):
    kernel = FakeIpKernel(plan["monitor"])
    del kernel.groups["wana"]
    switch = _switch(plan, kernel)
    held = switch.hold_out_of_service({"wan_a"})
    assert held.missing == frozenset({"wan_a"}) and held.out == frozenset()
    assert switch.holds(held, {"wan_a"})  # nothing to set on an absent interface; rules are in
    assert not [call for call in kernel.calls if call[:3] == ("link", "set", "dev")]
    kernel.groups["wana"] = 0  # re-created: the next resync puts it back out of service
    assert switch.hold_out_of_service({"wan_a"}).out == frozenset({"wan_a"})


def test_a_decision_from_the_last_known_state_starts_with_the_group_change_and_is_read_back(plan):
    kernel = FakeIpKernel(plan["monitor"])
    switch = _switch(plan, kernel)
    last = switch.read()
    kernel.calls.clear()
    held = switch.hold_out_of_service({"wan_b"}, last)
    assert kernel.calls[0] == ("link", "set", "dev", "wanb", "group", str(plan["monitor"]["out_of_service_group"]))
    assert switch.holds(held, {"wan_b"}) and any(call[-2:] == ("rule", "show") for call in kernel.calls[1:])
