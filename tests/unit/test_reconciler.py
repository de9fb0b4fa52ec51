"""symroute-routing's pure logic: normalizing ip's JSON, owning only its band and tables."""

import importlib.machinery
import importlib.util

import pytest

from paths import REPOSITORY

_PATH = REPOSITORY / "roles" / "symroute_routing" / "files" / "symroute-routing"
_LOADER = importlib.machinery.SourceFileLoader("symroute_routing_reconciler", str(_PATH))
_SPEC = importlib.util.spec_from_loader(_LOADER.name, _LOADER)
reconciler = importlib.util.module_from_spec(_SPEC)
_LOADER.exec_module(reconciler)

STATE = {
    "priority_band": [10000, 10999],
    "tables": [200],
    "rules": [
        {"priority": 10000, "family": 4, "to": "203.0.113.0/24", "table": "main"},
        {"priority": 10100, "family": 4, "from": "198.51.100.2", "table": 200},
        {"priority": 10200, "family": 4, "fwmark": "0x100/0x7f00", "table": 200},
        {"priority": 10300, "family": 6, "fwmark": "0x8000/0x8000", "action": "prohibit"},
    ],
    "routes": [
        {"table": 200, "family": 4, "dst": "default", "via": "198.51.100.1", "dev": "wana", "onlink": False},
        {"table": 200, "family": 4, "dst": "198.51.100.0/30", "dev": "wana", "scope": "link", "src": "198.51.100.2"},
    ],
}
LIVE_RULES_4 = [
    {"priority": 0, "src": "all", "table": "255"},
    {"priority": 5000, "src": "100.64.55.0", "srclen": 24, "table": "254"},
    {"priority": 10000, "src": "all", "dst": "203.0.113.0", "dstlen": 24, "table": "254"},
    {"priority": 10100, "src": "198.51.100.2", "table": "200"},
    {"priority": 10200, "src": "all", "fwmark": "0x100", "fwmask": "0x7f00", "table": "200"},
    {"priority": 32766, "src": "all", "table": "254"},
]
LIVE_RULES_6 = [{"priority": 10300, "src": "all", "fwmark": "0x8000", "fwmask": "0x8000", "action": "8"}]
LIVE_ROUTES = [
    {"dst": "default", "gateway": "198.51.100.1", "dev": "wana", "protocol": "static", "flags": []},
    {"dst": "198.51.100.0/30", "dev": "wana", "protocol": "static", "scope": "link", "prefsrc": "198.51.100.2",
     "flags": []},
]


def _live(rules4=LIVE_RULES_4, rules6=LIVE_RULES_6, routes=LIVE_ROUTES, table=200):
    rules = [reconciler.live_rule(r, 4) for r in rules4] + [reconciler.live_rule(r, 6) for r in rules6]
    return rules, [reconciler.live_route(r, 4, table) for r in routes]


def test_matching_live_state_needs_no_change():
    rules, routes = _live()
    assert reconciler.is_empty(reconciler.compute_changes(STATE, rules, routes))


@pytest.mark.parametrize(
    "entry, family, expected",
    [
        ({"priority": 1, "src": "all", "table": "254"}, 4, {"src": "", "table": "254", "action": ""}),
        ({"priority": 1, "src": "10.0.0.0", "srclen": 8, "table": "7"}, 4, {"src": "10.0.0.0/8"}),
        ({"priority": 1, "src": "2001:db8::1", "table": "7"}, 6, {"src": "2001:db8::1/128"}),
        ({"priority": 1, "fwmark": "0x100", "table": "7"}, 4, {"fwmark": "0x100/0xffffffff"}),
        ({"priority": 1, "fwmark": "0x8000", "fwmask": "0x8000", "action": "8"}, 4,
         {"action": "prohibit", "table": ""}),
        ({"priority": 1, "iif": "eth0", "ipproto": "tcp", "table": "7"}, 4, {"iif": "eth0", "other": "ipproto=tcp"}),
    ],
)
def test_live_rule_normalization(entry, family, expected):
    rule = reconciler.live_rule(entry, family)
    for key, value in expected.items():
        assert rule[key] == value


def test_foreign_rules_outside_the_band_are_never_removed():
    rules, routes = _live()
    changes = reconciler.compute_changes(dict(STATE, rules=[]), rules, routes)
    removed = {r["priority"] for r in changes["remove_rules"]}
    assert removed == {10000, 10100, 10200, 10300}  # 0, 5000 and 32766 are someone else's


def test_a_foreign_rule_inside_the_band_is_removed():
    rules, routes = _live(rules4=LIVE_RULES_4 + [{"priority": 10050, "src": "1.2.3.4", "table": "99"}])
    changes = reconciler.compute_changes(STATE, rules, routes)
    assert [r["priority"] for r in changes["remove_rules"]] == [10050]


def test_the_link_monitors_rules_are_left_to_the_monitor():
    gate = {"priority": 10150, "src": "all", "fwmark": "0x100", "fwmask": "0x7f00", "goto": 10300}
    general = {"priority": 10901, "src": "all", "table": "201"}
    rules, routes = _live(rules4=LIVE_RULES_4 + [gate, general])
    state = dict(STATE, monitor_bands=[[10150, 10199], [10900, 10999]])
    assert reconciler.is_empty(reconciler.compute_changes(state, rules, routes))
    # Without the monitor's bands the same rules are strangers in the band, and removed.
    changes = reconciler.compute_changes(STATE, rules, routes)
    assert sorted(r["priority"] for r in changes["remove_rules"]) == [10150, 10901]


def test_routes_only_in_owned_tables():
    rules, _ = _live()
    main_routes = [reconciler.live_route(r, 4, 254) for r in LIVE_ROUTES]
    changes = reconciler.compute_changes(STATE, rules, main_routes)
    assert not changes["remove_routes"] and len(changes["add_routes"]) == 2


def test_tables_owned_before_are_emptied():
    rules, routes = _live(table=201)
    changes = reconciler.compute_changes(STATE, rules, routes, previously_owned_tables=["201"])
    assert {r["table"] for r in changes["remove_routes"]} == {"201"}


def test_changed_gateway_is_replaced_then_old_removed():
    rules, routes = _live()
    state = dict(STATE, routes=[dict(STATE["routes"][0], via="198.51.100.9"), STATE["routes"][1]])
    changes = reconciler.compute_changes(state, rules, routes)
    phases = reconciler.batches(changes)
    assert phases[0] == ("add", 4, ["route replace default via 198.51.100.9 dev wana table 200 proto static"])
    assert [line for _, line in reconciler.route_removals(changes)] == [
        "route del default via 198.51.100.1 dev wana table 200"]


def test_additions_come_before_removals():
    rules, routes = _live()
    state = dict(STATE, rules=STATE["rules"][:3] + [{"priority": 10301, "family": 6, "fwmark": "0x8000/0x8000",
                                                       "action": "prohibit"}])
    phases = reconciler.batches(reconciler.compute_changes(state, rules, routes))
    kinds = [phase for phase, _, lines in phases if lines]
    assert kinds == ["add", "remove"]
    assert phases[1][2] == ["rule add priority 10301 fwmark 0x8000/0x8000 prohibit"]
    assert phases[3][2] == ["rule del priority 10300 fwmark 0x8000/0x8000 prohibit"]


def test_describe_for_reviewers():
    rules, routes = _live()
    lines = reconciler.describe(reconciler.compute_changes(dict(STATE, rules=STATE["rules"][1:]), rules, routes))
    assert lines == ["- rule ipv4 priority 10000 to 203.0.113.0/24 lookup 254"]
