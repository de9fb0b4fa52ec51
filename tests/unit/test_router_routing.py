"""symroute_router.routing: normalizing ip's JSON, owning only its band and tables, per-link apply."""

import copy
import json

import pytest

from router_fakes import FakeRouter
from symroute_router import ipforms, routing
from symroute_router.command import Result

STATE = {
    "contract_version": 1,
    "priority_band": [10000, 10999],
    "monitor_bands": [],
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
    {
        "dst": "198.51.100.0/30",
        "dev": "wana",
        "protocol": "static",
        "scope": "link",
        "prefsrc": "198.51.100.2",
        "flags": [],
    },
]
TWO_LINKS = dict(
    STATE,
    tables=[200, 201],
    rules=STATE["rules"]
    + [
        {"priority": 10101, "family": 4, "from": "198.51.100.6", "table": 201},
        {"priority": 10201, "family": 4, "fwmark": "0x200/0x7f00", "table": 201},
    ],
    routes=STATE["routes"]
    + [
        {"table": 201, "family": 4, "dst": "default", "via": "198.51.100.5", "dev": "wanb", "onlink": False},
        {"table": 201, "family": 4, "dst": "198.51.100.4/30", "dev": "wanb", "scope": "link", "src": "198.51.100.6"},
    ],
)


def _live(rules4=LIVE_RULES_4, rules6=LIVE_RULES_6, routes=LIVE_ROUTES, table=200, previously_owned=()):
    rules = [ipforms.live_rule(r, 4) for r in rules4] + [ipforms.live_rule(r, 6) for r in rules6]
    return {
        "rules": rules,
        "routes": [ipforms.live_route(r, 4, table) for r in routes],
        "previously_owned": list(previously_owned),
    }


def _applied(fake, state=STATE, tmp_path=None, **options):
    owned = str(tmp_path / "owned.json") if tmp_path else None
    return routing.apply(fake, state, owned_path=owned, **options)


# ----------------------------------------------------------------------------- diff (ported cases)
def test_matching_live_state_needs_no_change():
    assert routing.is_empty(routing.diff(STATE, _live()))


@pytest.mark.parametrize(
    "entry, family, expected",
    [
        ({"priority": 1, "src": "all", "table": "254"}, 4, {"src": "", "table": "254", "action": ""}),
        ({"priority": 1, "src": "10.0.0.0", "srclen": 8, "table": "7"}, 4, {"src": "10.0.0.0/8"}),
        ({"priority": 1, "src": "2001:db8::1", "table": "7"}, 6, {"src": "2001:db8::1/128"}),
        ({"priority": 1, "fwmark": "0x100", "table": "7"}, 4, {"fwmark": "0x100/0xffffffff"}),
        (
            {"priority": 1, "fwmark": "0x8000", "fwmask": "0x8000", "action": "8"},
            4,
            {"action": "prohibit", "table": ""},
        ),
        ({"priority": 1, "iif": "eth0", "ipproto": "tcp", "table": "7"}, 4, {"iif": "eth0", "other": "ipproto=tcp"}),
    ],
)
def test_live_rule_normalization(entry, family, expected):
    rule = ipforms.live_rule(entry, family)
    for key, value in expected.items():
        assert rule[key] == value


@pytest.mark.parametrize(
    "entry, text",
    [
        # What `ip -N -json rule` prints for rules other tools add, and what `ip rule add` takes back.
        (
            {"priority": 10150, "src": "all", "fwmark": "0x100", "fwmask": "0x7f00", "goto": 10300},
            "priority 10150 fwmark 0x100/0x7f00 goto 10300",
        ),
        (
            {"priority": 10901, "src": "all", "table": "254", "suppress_prefixlen": 0},
            "priority 10901 suppress_prefixlength 0 lookup 254",
        ),
        (
            {"priority": 10050, "src": "1.2.3.4", "ipproto": "ipproto-6", "table": "99"},
            "priority 10050 from 1.2.3.4/32 ipproto 6 lookup 99",
        ),
    ],
)
def test_rule_text_of_other_tools_rules_can_be_added_back(entry, text):
    assert ipforms.rule_text(ipforms.live_rule(entry, 4)) == text


def test_foreign_rules_outside_the_band_are_never_removed():
    changes = routing.diff(dict(STATE, rules=[]), _live())
    assert {r["priority"] for r in changes["remove_rules"]} == {10000, 10100, 10200, 10300}


def test_a_foreign_rule_inside_the_band_is_removed():
    changes = routing.diff(STATE, _live(rules4=LIVE_RULES_4 + [{"priority": 10050, "src": "1.2.3.4", "table": "99"}]))
    assert [r["priority"] for r in changes["remove_rules"]] == [10050]


def test_the_link_monitors_rules_are_left_to_the_monitor():
    main = {"priority": 10900, "src": "all", "table": "254", "suppress_ifgroup": "21337"}
    general = {"priority": 10901, "src": "all", "table": "201", "suppress_ifgroup": "21337"}
    live = _live(rules4=LIVE_RULES_4 + [main, general])
    assert routing.is_empty(routing.diff(dict(STATE, monitor_bands=[[10900, 10999]]), live))
    # Without the monitor's band the same rules are strangers in the band, and removed.
    assert sorted(r["priority"] for r in routing.diff(STATE, live)["remove_rules"]) == [10900, 10901]


def test_routes_only_in_owned_tables():
    live = dict(_live(), routes=[ipforms.live_route(r, 4, 254) for r in LIVE_ROUTES])
    changes = routing.diff(STATE, live)
    assert not changes["remove_routes"] and len(changes["add_routes"]) == 2


def test_tables_owned_before_are_emptied():
    changes = routing.diff(STATE, _live(table=201, previously_owned=["201"]))
    assert {r["table"] for r in changes["remove_routes"]} == {"201"}


def test_describe_for_reviewers():
    lines = routing.describe(routing.diff(dict(STATE, rules=STATE["rules"][1:]), _live()))
    assert lines == ["- rule ipv4 priority 10000 to 203.0.113.0/24 lookup 254"]


# ----------------------------------------------------------------------------- apply on the fake router
def _ip_lines(fake):
    """Every `ip` write as one line each, in order."""
    lines = []
    for argv, stdin in fake.writes():
        lines += stdin.splitlines() if stdin else [" ".join(argv[2:])]
    return lines


def test_apply_from_scratch_installs_everything_and_a_second_apply_changes_nothing(tmp_path):
    fake = FakeRouter()
    first = _applied(fake, TWO_LINKS, tmp_path)
    assert first["changed"] and first["converged"]
    assert first["links"] == {200: "installed", 201: "installed"}
    assert routing.is_empty(routing.diff(TWO_LINKS, routing.read_live(fake, TWO_LINKS, str(tmp_path / "owned.json"))))
    fake.calls.clear()
    second = _applied(fake, TWO_LINKS, tmp_path)
    assert not second["changed"] and second["changes"] == [] and fake.writes() == []


def test_changed_gateway_is_replaced_then_the_old_route_removed(tmp_path):
    fake = FakeRouter()
    _applied(fake, STATE, tmp_path)
    fake.calls.clear()
    state = dict(STATE, routes=[dict(STATE["routes"][0], via="198.51.100.9", onlink=True), STATE["routes"][1]])
    _applied(fake, state, tmp_path)
    assert _ip_lines(fake) == [
        "route replace default via 198.51.100.9 dev wana onlink table 200 proto static",
    ]
    # `route replace` swapped the route in place: nothing was left to remove.
    assert [r.get("gateway") for r in fake.routes[(4, "200")] if r["dst"] == "default"] == ["198.51.100.9"]


def test_additions_come_before_removals(tmp_path):
    fake = FakeRouter()
    _applied(fake, STATE, tmp_path)
    fake.calls.clear()
    state = dict(
        STATE,
        rules=STATE["rules"][:3] + [{"priority": 10301, "family": 6, "fwmark": "0x8000/0x8000", "action": "prohibit"}],
    )
    _applied(fake, state, tmp_path)
    assert _ip_lines(fake) == [
        "rule add priority 10301 fwmark 0x8000/0x8000 prohibit",
        "rule del priority 10300 fwmark 0x8000/0x8000 prohibit",
    ]


def test_a_link_whose_interface_is_down_does_not_stop_the_others(tmp_path):
    fake = FakeRouter()
    fake.set_down("wanb")
    result = _applied(fake, TWO_LINKS, tmp_path)
    assert result["links"] == {200: "installed", 201: "waiting for interface wanb"}
    assert result["rules_installed"] and not result["converged"]
    live = routing.read_live(fake, TWO_LINKS, None)
    changes = routing.diff(TWO_LINKS, live)
    assert changes["add_rules"] == [] and changes["remove_rules"] == []  # every rule, wanb's too
    assert {r["table"] for r in changes["add_routes"]} == {"201"}  # only wanb's routes are missing
    with pytest.raises(routing.ApplyError, match="table 201: waiting for interface wanb") as raised:
        _applied(fake, TWO_LINKS, tmp_path, strict=True)
    assert raised.value.result["links"][200] == "installed"


def test_an_absent_interface_is_waited_for():
    fake = FakeRouter(links=("wana",))
    result = routing.apply(fake, TWO_LINKS, owned_path=None)
    assert result["links"] == {200: "installed", 201: "waiting for interface wanb"}


def test_a_route_refused_for_another_reason_fails_its_link_with_ips_message():
    fake = FakeRouter()
    fake.refuse.append("via 198.51.100.5")
    result = routing.apply(fake, TWO_LINKS, owned_path=None)
    assert result["links"] == {200: "installed", 201: "failed: Error: refused by the test."}


def test_a_link_whose_interface_lacks_its_address_waits_for_it_and_the_others_install():
    """A network manager configuring the interface (or re-adding its addresses): not a failure."""
    fake = FakeRouter()
    fake.links["wanb"]["addresses"] = ["fe80::1"]
    fake.refuse.append("src 198.51.100.6")  # the kernel: "Error: Invalid source address."
    result = routing.apply(fake, TWO_LINKS, owned_path=None)
    assert result["links"] == {200: "installed", 201: "waiting for interface wanb to get 198.51.100.6"}
    fake.links["wanb"]["addresses"].append({"local": "198.51.100.6", "tentative": True})  # DAD not done
    assert routing.apply(fake, TWO_LINKS, owned_path=None)["links"][201] == (
        "waiting for interface wanb to get 198.51.100.6"
    )
    fake.links["wanb"]["addresses"][-1] = "198.51.100.6"
    fake.refuse.clear()
    assert routing.apply(fake, TWO_LINKS, owned_path=None)["links"] == {200: "installed", 201: "installed"}


def test_a_refused_rule_raises_and_nothing_is_removed():
    fake = FakeRouter()
    routing.apply(fake, STATE, owned_path=None)
    state = dict(
        STATE, rules=STATE["rules"][1:] + [{"priority": 10001, "family": 4, "to": "100.64.99.0/24", "table": "main"}]
    )
    fake.refuse.append("priority 10001")
    with pytest.raises(routing.ApplyError, match="refused by the test") as raised:
        routing.apply(fake, state, owned_path=None)
    assert any(r["priority"] == 10000 for r in fake.rules[4])  # the old rule stays: add first, then remove
    assert raised.value.result["rules_installed"] is False


def test_the_tables_of_a_removed_link_are_flushed_on_the_next_apply(tmp_path):
    fake = FakeRouter()
    _applied(fake, TWO_LINKS, tmp_path)
    assert json.loads((tmp_path / "owned.json").read_text()) == [200, 201]
    result = _applied(fake, STATE, tmp_path)
    assert result["converged"]
    assert fake.routes[(4, "201")] == []
    assert not any(r.get("table") == "201" for r in fake.rules[4])
    assert json.loads((tmp_path / "owned.json").read_text()) == [200]


def test_a_table_that_does_not_exist_reads_as_no_routes():
    live = routing.read_live(FakeRouter(), STATE, None)
    assert live["routes"] == [] and live["tables"] == ["200"]


def test_other_read_errors_are_raised():
    class Broken(FakeRouter):
        def run(self, argv, stdin=None):
            if "rule" in argv:
                return Result(1, "", "Error: Operation not permitted.\n")
            return super().run(argv, stdin)

    with pytest.raises(routing.ApplyError, match="Operation not permitted"):
        routing.read_live(Broken(), STATE, None)


def test_diff_statuses_say_which_links_would_change_or_wait():
    fake = FakeRouter()
    routing.apply(fake, STATE, owned_path=None)
    fake.set_down("wanb")
    state = copy.deepcopy(TWO_LINKS)
    changes = routing.diff(state, routing.read_live(fake, state, None))
    assert routing.pending(fake, state, changes) == {200: "installed", 201: "waiting for interface wanb"}


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        (
            {
                "dst": "198.51.100.0/30",
                "dev": "wana",
                "protocol": "4",
                "scope": "253",
                "prefsrc": "198.51.100.2",
                "flags": [],
            },
            "198.51.100.0/30 dev wana scope link src 198.51.100.2 table 200",
        ),
        ({"type": "unreachable", "dst": "default", "protocol": "3", "flags": []}, "unreachable default table 200"),
        (
            {"dst": "default", "gateway": "198.51.100.1", "dev": "wana", "metric": 100, "flags": ["onlink"]},
            "default via 198.51.100.1 dev wana metric 100 onlink table 200",
        ),
    ],
)
def test_live_routes_read_back_as_ip_route_arguments(entry, text):
    assert ipforms.route_text(ipforms.live_route(entry, 4, 200)) == text


def test_a_table_refused_while_its_address_arrived_is_sent_once_more_and_installs():
    """The boot unit races a network manager: ip refuses the table (no source address yet), and by the time
    the refusal is examined the address is there. Sent once more, it installs; it neither fails nor waits."""
    fake = FakeRouter()
    fake.links["wanb"]["addresses"] = ["fe80::1"]
    fake.refuse.append("src 198.51.100.6")
    original = fake.run

    def run(argv, stdin=None):
        result = original(argv, stdin)
        if "-batch" in argv and "src 198.51.100.6" in (stdin or ""):  # refused; the manager adds it now
            fake.links["wanb"]["addresses"].append("198.51.100.6")
            fake.refuse.clear()
        return result

    fake.run = run
    assert routing.apply(fake, TWO_LINKS, owned_path=None)["links"] == {200: "installed", 201: "installed"}


def test_a_table_refused_twice_for_a_reason_that_is_not_its_interface_fails_with_ips_message():
    fake = FakeRouter()
    fake.refuse.append("via 198.51.100.5")
    fake.run = _counting(fake, batches := [])
    assert routing.apply(fake, TWO_LINKS, owned_path=None)["links"][201] == "failed: Error: refused by the test."
    assert sum("via 198.51.100.5" in text for text in batches) == 2  # once more, not forever


def _counting(fake, batches):
    original = fake.run

    def run(argv, stdin=None):
        if "-batch" in argv:
            batches.append(stdin or "")
        return original(argv, stdin)

    return run
