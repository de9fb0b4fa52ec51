"""Dynamic links: the inventory states the policy (``dynamic``, point-to-point), the plan carries it and
never a learned value, and the router fills in the kernel's current address and gateway (learned.py)."""

import json
import socket
import struct

import pytest

from symroute.errors import InventoryError
from symroute.json_text import dumps
from symroute.plan import build_plan
from symroute_router import learned, routing
from symroute_router.command import Result
from symroute_router.monitor import netlink, probes, publish, rounds
from symroute_router.monitor.learned_links import LearnedLinks


def _serialized(plan):
    """The plan as the CLI writes it (json.dumps(indent=2, sort_keys=True))."""
    return dumps(plan, indent=2)


LTE = {
    "name": "wan_c",
    "interface": "wwan0",
    "address": "dynamic",
    "gateway": "dynamic",
    "health_targets": ["100.64.3.2"],
}


def _plan(router_vars, **link):
    router_vars["symroute_links"].append(dict(LTE, **link))
    return build_plan("edge", router_vars)


def _problems(router_vars):
    with pytest.raises(InventoryError) as raised:
        build_plan("edge", router_vars)
    return [str(problem) for problem in raised.value.problems]


def test_a_dynamic_link_states_its_policy_and_no_address(router_vars):
    plan = _plan(router_vars)
    assert plan["learned"] == [
        {
            "link": "wan_c",
            "interface": "wwan0",
            "table": 202,
            "family": 4,
            "address": "dynamic",
            "gateway": "dynamic",
            "from_priority": 10102,
            "own_address_priority": 10352,
        }
    ]
    # Its table's routes and its `from` rules are the router's to fill in; the other links' are as before.
    assert [r for r in plan["routes"] if r["table"] == 202] == []
    assert not [r for r in plan["rules"] if r["priority"] in (10102, 10352)]
    assert {r["priority"] for r in plan["rules"] if r["priority"] in (10100, 10101, 10350, 10351)} == {
        10100,
        10101,
        10350,
        10351,
    }
    # SNAT to the link's current address: masquerade, still binding the connection to the link.
    assert {
        "interface": "wwan0",
        "family": "ip",
        "nfproto": "ipv4",
        "link": "wan_c",
        "bind_mark": "0x8300",
        "masquerade": True,
    } in plan["nftables"]["snat"]
    assert plan["links"][2]["address"] == "dynamic" and plan["links"][2]["gateway"] == "dynamic"
    assert plan["monitor"]["links"][2]["addresses"] == []
    assert plan["monitor"]["links"][2]["learned_families"] == [4]
    assert {"link": "wan_c", "table": 202, "interface": "wwan0", "family": 4, "gateway": "dynamic"} in plan[
        "verify_tables"
    ]


def test_an_all_static_plan_has_no_trace_of_dynamic_links(router_vars):
    plan = build_plan("edge", router_vars)
    assert "learned" not in plan
    assert all("masquerade" not in snat and "address" in snat for snat in plan["nftables"]["snat"])
    assert all("learned_families" not in link for link in plan["monitor"]["links"])


def test_point_to_point_static_and_dynamic(router_vars):
    router_vars["symroute_links"].append({"name": "ppp", "interface": "ppp0", "address": "100.66.9.2/32"})
    plan = build_plan("edge", router_vars)
    assert plan["learned"][0]["address"] == "100.66.9.2/32" and plan["learned"][0]["gateway"] == "point-to-point"
    # The static address is still SNATed to, exactly.
    assert {
        "interface": "ppp0",
        "family": "ip",
        "nfproto": "ipv4",
        "link": "ppp",
        "bind_mark": "0x8300",
        "address": "100.66.9.2",
    } in plan["nftables"]["snat"]


def test_dynamic_ipv6_by_slaac_is_masqueraded_with_nat66(router_vars):
    router_vars["symroute_links"][1].update(address6="dynamic", gateway6="dynamic")
    plan = build_plan("edge", router_vars)
    assert [(e["link"], e["family"]) for e in plan["learned"]] == [("wan_b", 6)]
    six = [s for s in plan["nftables"]["snat"] if s["link"] == "wan_b" and s["family"] == "ip6"]
    assert six == [
        {
            "interface": "wanb",
            "family": "ip6",
            "nfproto": "ipv6",
            "link": "wan_b",
            "bind_mark": "0x8200",
            "masquerade": True,
        }
    ]
    # IPv6 partners may still be pinned to it: the link carries IPv6.
    assert plan["links"][1]["address6"] == "dynamic"


def test_bad_dynamic_values_are_each_reported_with_the_hint(router_vars):
    router_vars["symroute_links"][0].update(address="dhcp", gateway="dhcp")
    router_vars["symroute_links"][1].update(address="dynamic")  # a static gateway with a dynamic address
    problems = _problems(router_vars)
    assert any("link 'wan_a'" in p and "field address" in p and "'dynamic'" in p for p in problems)
    assert any("link 'wan_a'" in p and "field gateway" in p and "'dynamic'" in p for p in problems)
    assert any(
        "link 'wan_b'" in p and "field gateway" in p and "static but the address is dynamic" in p for p in problems
    )


def test_the_plan_is_the_same_whatever_the_router_learns(router_vars):
    """The plan holds the policy only: nothing in it can depend on a learned value."""
    text = _serialized(_plan(router_vars))
    assert "dynamic" in text and "100.66." not in text


# --- the router: learned.py against a fake `ip` ---------------------------------------------------------


class FakeIp:
    def __init__(self, addresses=None, routes=None):
        self.addresses, self.routes, self.calls = addresses or {}, routes or {}, []

    def run(self, argv, stdin=None):
        self.calls.append(argv)
        family = int(argv[2][1])
        interface = argv[-1]
        if "addr" in argv:
            if interface not in self.addresses:
                return Result(1, "", f'Device "{interface}" does not exist.')
            entries = [e for e in self.addresses[interface] if (":" in e["local"]) == (family == 6)]
            return Result(0, json.dumps([{"ifname": interface, "addr_info": entries}]), "")
        return Result(0, json.dumps([r for r in self.routes.get(interface, []) if r.get("family", 4) == family]), "")


def _entry(**values):
    entry = {
        "link": "wan_c",
        "interface": "wwan0",
        "table": 202,
        "family": 4,
        "address": "dynamic",
        "gateway": "dynamic",
        "from_priority": 10102,
        "own_address_priority": 10352,
    }
    entry.update(values)
    return entry


STATE = {
    "priority_band": [10000, 10999],
    "monitor_bands": [[10900, 10999]],
    "tables": [200, 202],
    "rules": [],
    "routes": [],
}


def test_the_router_fills_in_the_current_address_and_the_clients_gateway():
    ip = FakeIp(
        {"wwan0": [{"local": "100.66.0.10", "prefixlen": 24, "scope": "global", "dynamic": True}]},
        {
            "wwan0": [
                {"dst": "default", "gateway": "100.66.0.1", "table": "202", "metric": 0},  # symroute's own
                {"dst": "default", "gateway": "100.66.0.254", "table": "254", "metric": 300},
                {"dst": "default", "gateway": "100.66.0.1", "table": "254", "metric": 100},
            ]
        },
    )
    resolved, facts = learned.resolve(ip, dict(STATE, learned=[_entry()]))
    assert "learned" not in resolved and resolved["waiting"] == {}
    assert facts[0]["address"] == "100.66.0.10/24" and facts[0]["gateway"] == "100.66.0.1"
    wanted = routing.target(resolved)
    texts = {routing.rule_text(r) for r in wanted["rules"]} | {routing.route_text(r) for r in wanted["routes"]}
    assert texts == {
        "priority 10102 from 100.66.0.10/32 lookup 202",
        "priority 10352 from 100.66.0.10/32 prohibit",
        "100.66.0.0/24 dev wwan0 scope link src 100.66.0.10 table 202",
        "default via 100.66.0.1 dev wwan0 table 202",
    }


def test_a_link_without_its_lease_waits_and_installs_nothing():
    ip = FakeIp({"wwan0": [{"local": "100.66.0.10", "prefixlen": 24, "scope": "global", "tentative": True}]})
    resolved, facts = learned.resolve(ip, dict(STATE, learned=[_entry()]))
    assert resolved["rules"] == [] and resolved["routes"] == []
    assert resolved["waiting"] == {"202": "waiting for an IPv4 address on wwan0 (dynamic)"}
    assert facts[0]["address"] == ""
    missing, _ = learned.resolve(FakeIp(), dict(STATE, learned=[_entry()]))  # no interface at all
    assert missing["waiting"] == {"202": "waiting for an IPv4 address on wwan0 (dynamic)"}


def test_an_address_without_a_default_route_waits_for_its_gateway():
    ip = FakeIp({"wwan0": [{"local": "100.66.0.10", "prefixlen": 24, "scope": "global"}]})
    resolved, _ = learned.resolve(ip, dict(STATE, learned=[_entry()]))
    assert resolved["waiting"] == {"202": "waiting for an IPv4 default route on wwan0 (dynamic gateway)"}
    assert len(resolved["rules"]) == 2 and [r["dst"] for r in resolved["routes"]] == ["100.66.0.0/24"]


def test_a_pppoe_peer_is_the_gateway_when_pppd_installed_no_default_route():
    ip = FakeIp({"ppp0": [{"local": "100.67.0.5", "address": "100.67.0.1", "prefixlen": 32, "scope": "global"}]})
    resolved, _ = learned.resolve(ip, dict(STATE, learned=[_entry(interface="ppp0")]))
    texts = {routing.route_text(r) for r in routing.target(resolved)["routes"]}
    assert texts == {"100.67.0.1/32 dev ppp0 scope link src 100.67.0.5 table 202", "default dev ppp0 table 202"}
    assert resolved["waiting"] == {}


def test_slaac_address_and_router_advertisement_gateway():
    ip = FakeIp(
        {
            "wanb": [
                {"local": "2001:db8:b::5:1", "prefixlen": 64, "scope": "global", "temporary": True},
                {"local": "2001:db8:b::5", "prefixlen": 64, "scope": "global", "mngtmpaddr": True},
                {"local": "fe80::5", "prefixlen": 64, "scope": "link"},
            ]
        },
        {"wanb": [{"family": 6, "dst": "default", "gateway": "fe80::1", "table": "254", "metric": 1024}]},
    )
    entry = _entry(link="wan_b", interface="wanb", family=6, table=200, from_priority=10101, own_address_priority=10351)
    resolved, facts = learned.resolve(ip, dict(STATE, learned=[entry]))
    assert facts[0]["address"] == "2001:db8:b::5/64"  # the stable address, not the temporary one
    routes = {routing.route_text(r) for r in routing.target(resolved)["routes"]}
    assert "default via fe80::1 dev wanb onlink table 200" in routes


def test_the_learned_entries_are_part_of_the_contract():
    from symroute_router import contract

    state = dict(STATE, contract_version=1, learned=[_entry()])
    assert contract.check("routing", state) == []
    bad = dict(state, learned=[_entry(gateway="dynamic\nflush ruleset", from_priority=10950, table=7)])
    problems = contract.check("routing", bad)
    assert any("learned[0].gateway" in p for p in problems)
    assert any("learned[0].from_priority" in p for p in problems)
    assert any("learned[0].table" in p for p in problems)


# --- the monitor --------------------------------------------------------------------------------------------


def _route_message(kind, table, index, dst_len=0):
    attributes = struct.pack("=HHI", 8, netlink.RTA_TABLE, table) + struct.pack("=HHI", 8, netlink.RTA_OIF, index)
    body = struct.pack("=BBBBBBBBI", socket.AF_INET, dst_len, 0, 0, min(table, 252), 16, 0, 1, 0) + attributes
    return struct.pack("=IHHII", 16 + len(body), kind, 0, 0, 0) + body


def test_default_route_notifications_outside_symroutes_tables_wake_the_repair():
    names = {7: "wwan0", 8: "wana"}
    data = (
        _route_message(netlink.RTM_NEWROUTE, 254, 7)  # the DHCP client's default route: reported
        + _route_message(netlink.RTM_NEWROUTE, 202, 7)  # symroute's own repair: not
        + _route_message(netlink.RTM_DELROUTE, 254, 8)  # a default route removed: reported
        + _route_message(netlink.RTM_NEWROUTE, 254, 7, dst_len=24)
    )  # not a default route
    assert list(netlink.parse_default_route_messages(data, {200, 201, 202}, names.get)) == ["wwan0", "wana"]


def test_address_removals_are_reported_only_for_dynamic_links():
    body = struct.pack("=BBBBI", socket.AF_INET, 24, 0, 0, 7)
    removed = struct.pack("=IHHII", 16 + len(body), netlink.RTM_DELADDR, 0, 0, 0) + body
    assert list(netlink.parse_address_messages(removed, {7: "wwan0"}.get)) == []
    assert list(netlink.parse_address_messages(removed, {7: "wwan0"}.get, removed=True)) == ["wwan0"]


def _monitor_links():
    return [
        {"name": "wan_a", "interface": "wana", "addresses": [{"family": 4, "address": "198.51.100.2"}]},
        {"name": "wan_c", "interface": "wwan0", "addresses": [], "learned_families": [4]},
    ]


def _fact(address, gateway="100.66.0.1"):
    return {
        "link": "wan_c",
        "family": 4,
        "interface": "wwan0",
        "address": address,
        "peer": "",
        "gateway": gateway,
        "gateway_known": bool(address),
    }


def test_the_monitor_follows_the_learned_address_counts_changes_and_shows_them():
    lines = []
    links = _monitor_links()
    followed = LearnedLinks(links, lines.append)
    assert followed.update([_fact("100.66.0.10/24")]) == []  # the first lease: nothing bound to an old one
    assert links[1]["addresses"] == [{"family": 4, "address": "100.66.0.10"}]  # the probes' source
    assert followed.update([_fact("100.66.0.10/24")]) == []  # nothing new
    assert followed.update([_fact("100.66.0.11/24")]) == ["wan_c"]  # renumbered: its connections go
    assert links[1]["addresses"] == [{"family": 4, "address": "100.66.0.11"}]
    assert followed.address_of() == {"198.51.100.2": "wan_a", "100.66.0.11": "wan_c"}
    assert followed.report() == {
        "wan_c": {"ipv4": {"policy": "learned", "address": "100.66.0.11/24", "gateway": "100.66.0.1", "changes": 1}}
    }
    assert "link wan_c: IPv4 address 100.66.0.10/24 -> 100.66.0.11/24, gateway 100.66.0.1" in lines[-1]
    assert followed.update([_fact("")]) == ["wan_c"]  # the lease is gone: no source, no probe is sent
    assert links[1]["addresses"] == []
    assert followed.update([_fact("100.66.0.12/24")]) == []  # back from no address: nothing was bound
    snapshot = {
        "router": 'edge"x',
        "updated": 1.0,
        "links": {},
        "partners": {},
        "learned": {
            "wan_c": {"ipv4": {"policy": "learned", "address": "100.66.0.11/24", "gateway": "100.66.0.1", "changes": 1}}
        },
    }
    text = publish.metrics(snapshot)
    assert (
        'symroute_link_address_info{router="edge\\"x",link="wan_c",family="ipv4",address="100.66.0.11/24",'
        'gateway="100.66.0.1"} 1'
    ) in text
    assert 'symroute_link_address_changes_total{router="edge\\"x",link="wan_c",family="ipv4"} 1' in text


def test_a_probe_of_a_link_waiting_for_its_address_fails_without_a_socket(monkeypatch):
    def no_socket(*args, **kwargs):
        raise AssertionError("a probe without its link's address must not open a socket")

    monkeypatch.setattr(socket, "socket", no_socket)
    target = {"kind": "icmp", "family": 4, "address": "100.64.3.2", "text": "100.64.3.2"}
    assert probes.probe_target(target, _monitor_links()[1], 0.1) is probes.NO_SOURCE


def test_a_round_without_any_source_counts_neither_way_and_a_partial_one_counts():
    class Done:
        def __init__(self, value):
            self.value = value

        def result(self, timeout=None):
            return self.value

        def done(self):
            return True

    class Pool:
        def __init__(self, answers):
            self.answers = iter(answers)

        def submit(self, function, target, link, timeout, names, deadline):
            return Done(next(self.answers))

    link = {"name": "wan_c", "targets": [{}, {}], "health": {"timeout_ms": 100}}
    assert rounds.LinkProber(link).round(Pool([probes.NO_SOURCE, probes.NO_SOURCE])) is None
    assert rounds.LinkProber(link).round(Pool([probes.NO_SOURCE, None])) == []  # a missed round
    assert rounds.LinkProber(link).round(Pool([0.01, probes.NO_SOURCE])) == [0.01]


def test_the_static_lab_plan_digest_is_what_it_was_before_dynamic_links():
    """An unchanged all-static inventory keeps its plan digest: the digest README shows for the lab (the
    same before and after dynamic links were added; a change here means every static router would see a
    new plan)."""
    import subprocess

    from paths import REPOSITORY

    out = subprocess.run(
        [
            str(REPOSITORY / "bin" / "symroute"),
            "plan",
            "--inventory",
            str(REPOSITORY / "inventories" / "lab"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(out)["digest"] == "sha256:92327f615116648da7d583a2805eada3422292e8d48d2def2da82dba9990778a"
    assert (
        "sha256:92327f615116648da7d583a2805eada3422292e8d48d2def2da82dba9990778a"
        in (REPOSITORY / "README.md").read_text()
    )


def test_the_review_and_explain_say_dynamic(router_vars):
    from symroute.explain import explain_address
    from symroute.review import router_changes

    before = build_plan("edge", json.loads(json.dumps(router_vars)))
    router_vars["symroute_partners"].append({"name": "lte-p", "prefixes": ["100.64.50.0/24"], "link": "wan_c"})
    after = _plan(router_vars)
    changes = router_changes(before, after)
    assert "ipv4 pref 10102 from wan_c's current address (dynamic) lookup 202" in changes["rules"]["added"]
    assert (
        "table 202 ipv4 connected and default routes learned on the router (address dynamic, gateway dynamic) dev wwan0"
    ) in changes["routes"]["added"]
    assert explain_address(after, "100.64.50.10")["path"] == (
        "leaves by wan_c (wwan0, source wan_c's current address (dynamic, learned on the router))"
    )


def test_the_audit_expects_a_waiting_family_to_be_routed_around():
    from symroute_router import audit

    request = {
        "verify": {
            "tables": [{"link": "wan_a", "family": 4}, {"link": "wan_c", "family": 4}, {"link": "wan_c", "family": 6}]
        }
    }
    states = {"wan_a": {"in_service": True}, "wan_c": {"in_service": True}}
    four = {"link": "wan_c", "family": 4, "failover_links": ["wan_a"]}
    six = {"link": "wan_c", "family": 6, "failover_links": ["wan_a"]}
    assert audit._expected(request, four, states, {("wan_c", 4)}) == ("failover", "wan_a")
    assert audit._expected(request, six, states, {("wan_c", 4)}) == ("pinned", "wan_c")
    assert audit._expected(request, four, states) == ("pinned", "wan_c")
