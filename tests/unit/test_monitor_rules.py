"""The monitor's rules: computed by the plan, switched in order, only in its own bands."""

import json
import subprocess

import pytest

from symroute.plan import build_plan
from symroute_router.monitor.rules import RuleSwitch, batches, desired_rules


@pytest.fixture
def monitor_plan(router_vars):
    return build_plan("edge", router_vars)["monitor"]


def test_gate_rules_skip_to_the_plans_fail_closed_rule(router_vars):
    plan = build_plan("edge", router_vars)
    fail_closed = {(r["family"], r["priority"]) for r in plan["rules"] if r.get("action") == "prohibit"}
    for link in plan["monitor"]["links"]:
        for gate in link["gate_rules"]:
            assert gate["rule"].startswith("priority 1015")
            assert f"fwmark {link['mark']}/0x7f00 goto" in gate["rule"]
            assert (gate["family"], int(gate["rule"].split()[-1])) in fail_closed


def test_monitor_bands_hold_no_rule_of_the_plan(router_vars):
    plan = build_plan("edge", router_vars)
    bands = plan["monitor"]["bands"]
    assert bands == [[10150, 10199], [10900, 10999]]
    assert not [r for r in plan["rules"] if any(low <= r["priority"] <= high for low, high in bands)]


@pytest.mark.parametrize(
    "gated, general, expected",
    [
        (set(), None, set()),
        ({"wan_a"}, "wan_b", {
            (4, "priority 10150 fwmark 0x100/0x7f00 goto 10300"),
            (6, "priority 10150 fwmark 0x100/0x7f00 goto 10300"),
            (4, "priority 10900 lookup main suppress_prefixlength 0"),
            (6, "priority 10900 lookup main suppress_prefixlength 0"),
            (4, "priority 10901 lookup 201"),
            (6, "priority 10901 lookup 201"),
        }),
    ],
)
def test_desired_rules(monitor_plan, gated, general, expected):
    assert desired_rules(monitor_plan, gated, general) == expected


def test_general_traffic_only_in_the_families_of_the_healthy_link(router_vars):
    del router_vars["symroute_links"][1]["address6"], router_vars["symroute_links"][1]["gateway6"]
    router_vars["symroute_links"][1]["nat66"] = False
    router_vars["symroute_partners"] = [p for p in router_vars["symroute_partners"] if p["link"] == "wan_a"]
    plan = build_plan("edge", router_vars)["monitor"]
    assert {f for f, _ in desired_rules(plan, {"wan_a"}, "wan_b") if "10900" in _ or "10901" in _} == {4}


def test_additions_ascend_and_removals_descend(monitor_plan):
    down = desired_rules(monitor_plan, {"wan_a"}, "wan_b")
    (family4, lines4), (family6, _) = batches(set(), down)
    assert family4 == 4 and family6 == 6
    assert [line.split()[3] for line in lines4] == ["10150", "10900", "10901"]
    (_, back), _ = batches(down, set())
    assert [line.split()[3] for line in back] == ["10901", "10900", "10150"]
    assert all(line.startswith("rule del ") for line in back)


def test_reset_removes_only_rules_in_the_monitors_bands(monitor_plan):
    live = [{"priority": 0}, {"priority": 5000}, {"priority": 10150}, {"priority": 10200}, {"priority": 10901},
            {"priority": 32766}]
    calls = []

    def fake_ip(family, *args, stdin=None):
        calls.append((family, args, stdin))
        output = json.dumps(live) if args[-2:] == ("rule", "show") else ""
        return subprocess.CompletedProcess(args, 0, output, "")

    assert RuleSwitch(monitor_plan, run=fake_ip).reset() == []
    deletions = [stdin for _, args, stdin in calls if stdin]
    assert deletions == ["rule del priority 10150\nrule del priority 10901\n"] * 2
