"""Every kind of ip rule, route, mark, set and SNAT entry the plan emits."""

import pytest

from symroute.plan import build_plan


@pytest.fixture
def plan(router_vars):
    return build_plan("edge", router_vars)


def _rule(plan, **selector):
    matches = [r for r in plan["rules"] if all(r.get(k) == v for k, v in selector.items())]
    assert len(matches) == 1, (selector, matches)
    return matches[0]


@pytest.mark.parametrize(
    "selector, expected",
    [
        # LAN and management stay in the main table, first in the band.
        ({"family": 4, "to": "100.64.99.0/24"}, {"priority": 10000, "table": "main"}),
        ({"family": 4, "to": "203.0.113.0/24"}, {"priority": 10001, "table": "main"}),
        ({"family": 6, "to": "2001:db8:5::/64"}, {"priority": 10002, "table": "main"}),
        # Source rules: replies from a link's own address use that link's table.
        ({"family": 4, "from": "198.51.100.2", "table": 200}, {"priority": 10100}),
        ({"family": 4, "from": "198.51.100.6", "table": 201}, {"priority": 10101}),
        ({"family": 6, "from": "2001:db8:a::2", "table": 200}, {"priority": 10100}),
        ({"family": 6, "from": "2001:db8:b::2", "table": 201}, {"priority": 10101}),
        # Connection-mark rules, one per link and family, link bits only (fail-closed too); skipped while the
        # link's interface is in the out-of-service group.
        ({"family": 4, "fwmark": "0x100/0x7f00"}, {"priority": 10200, "table": 200, "suppress_ifgroup": 0x5359}),
        ({"family": 4, "fwmark": "0x200/0x7f00"}, {"priority": 10201, "table": 201, "suppress_ifgroup": 0x5359}),
        ({"family": 6, "fwmark": "0x100/0x7f00"}, {"priority": 10200, "table": 200, "suppress_ifgroup": 0x5359}),
        # Fail-closed traffic whose link is out of service is prohibited.
        ({"family": 4, "fwmark": "0x8000/0x8000"}, {"priority": 10300, "action": "prohibit"}),
        ({"family": 6, "fwmark": "0x8000/0x8000"}, {"priority": 10300, "action": "prohibit"}),
        # A link's own address never leaves by another link (reached when its table cannot route).
        ({"family": 4, "from": "198.51.100.2", "action": "prohibit"}, {"priority": 10350}),
        ({"family": 4, "from": "198.51.100.6", "action": "prohibit"}, {"priority": 10351}),
        ({"family": 6, "from": "2001:db8:a::2", "action": "prohibit"}, {"priority": 10350}),
        # Failover: any symroute mark whose own rule fell through takes the first link in service, in order.
        (
            {"family": 4, "not": True, "table": 200},
            {"priority": 10870, "fwmark": "0x0/0x7f00", "suppress_ifgroup": 0x5359},
        ),
        ({"family": 4, "not": True, "table": 201}, {"priority": 10871, "fwmark": "0x0/0x7f00"}),
        ({"family": 6, "not": True, "table": 201}, {"priority": 10871, "fwmark": "0x0/0x7f00"}),
        # None in service: rejected, never left to the main table.
        ({"family": 4, "not": True, "action": "prohibit"}, {"priority": 10899, "fwmark": "0x0/0x7f00"}),
        ({"family": 6, "not": True, "action": "prohibit"}, {"priority": 10899, "fwmark": "0x0/0x7f00"}),
    ],
)
def test_rule(plan, selector, expected):
    rule = _rule(plan, **selector)
    for key, value in expected.items():
        assert rule[key] == value


def test_the_rules_that_route_by_a_links_table_are_the_ones_that_skip_it_out_of_service(plan):
    """Only the link-address rules (the router's own traffic and the probes) ignore the service state."""
    for rule in plan["rules"]:
        if "table" in rule and rule["table"] != "main":
            assert ("suppress_ifgroup" in rule) == ("from" not in rule), rule


def test_a_partners_own_failover_order_gets_its_own_mark_and_rules(router_vars):
    router_vars["symroute_links"].append(
        {"name": "lte", "interface": "wwan0", "address": "100.64.77.2/30", "gateway": "100.64.77.1"}
    )
    router_vars["symroute_partners"][0]["failover_links"] = ["lte", "wan_b"]
    plan = build_plan("edge", router_vars)
    partner = plan["partners"][0]
    assert partner["failover_links"] == ["lte", "wan_b"] and partner["mark"] == "0x7f00"
    order = [
        (r["priority"], r.get("table", r.get("action")))
        for r in plan["rules"]
        if r["family"] == 4 and r.get("fwmark") == "0x7f00/0x7f00"
    ]
    assert order == [(10400, 200), (10401, 202), (10402, 201), (10419, "prohibit")]
    v6 = [
        (r["priority"], r.get("table", r.get("action")))
        for r in plan["rules"]
        if r["family"] == 6 and r.get("fwmark") == "0x7f00/0x7f00"
    ]
    assert v6 == [(10400, 200), (10402, 201), (10419, "prohibit")]  # lte has no IPv6: not in the v6 order
    sets = {s["name"]: s["mark_chain"] for s in plan["nftables"]["partner_sets"]}
    assert sets["order0_v4"] == "mark_0x7f00"
    assert "mark_0x7f00" in {m["mark_chain"] for m in plan["nftables"]["marks"]}


def test_partners_with_the_same_order_share_it_and_the_default_order_is_spelled_out(router_vars):
    router_vars["symroute_partners"].append(
        dict(router_vars["symroute_partners"][0], name="second", prefixes=["100.66.0.0/24"])
    )
    router_vars["symroute_links"].append(
        {"name": "lte", "interface": "wwan0", "address": "100.65.0.2/30", "gateway": "100.65.0.1"}
    )
    for partner in (router_vars["symroute_partners"][0], router_vars["symroute_partners"][-1]):
        partner["failover_links"] = ["wan_b"]  # not the default order (wan_b, lte): the partners' own
    plan = build_plan("edge", router_vars)
    assert {p["mark"] for p in plan["partners"] if p["name"] in ("partner-api", "second")} == {"0x7f00"}
    assert len([r for r in plan["rules"] if r.get("action") == "prohibit" and r["priority"] == 10419]) == 2
    default = [p for p in plan["partners"] if p["name"] not in ("partner-api", "second")]
    assert all(
        p["failover_links"]
        == ([] if p["on_link_failure"] == "fail_closed" else [n for n in ("wan_a", "wan_b", "lte") if n != p["link"]])
        for p in default
    )


def test_rule_count_does_not_depend_on_partner_prefixes(router_vars):
    few = build_plan("edge", router_vars)
    router_vars["symroute_partners"][0]["prefixes"] = [f"100.65.{i}.0/24" for i in range(200)]
    many = build_plan("edge", router_vars)
    assert len(many["rules"]) == len(few["rules"])


def test_every_rule_is_inside_the_band(plan):
    low, high = plan["priority_band"]
    assert all(low <= r["priority"] <= high for r in plan["rules"])


def test_priority_base_moves_the_band(router_vars):
    router_vars["symroute_rule_priority_base"] = 20000
    plan = build_plan("edge", router_vars)
    assert plan["priority_band"] == [20000, 20999]
    assert min(r["priority"] for r in plan["rules"]) == 20000


@pytest.mark.parametrize(
    "route",
    [
        {"table": 200, "family": 4, "dst": "198.51.100.0/30", "dev": "wana", "scope": "link", "src": "198.51.100.2"},
        {"table": 200, "family": 4, "dst": "default", "via": "198.51.100.1", "dev": "wana", "onlink": False},
        {"table": 201, "family": 4, "dst": "default", "via": "198.51.100.5", "dev": "wanb", "onlink": False},
        {"table": 200, "family": 6, "dst": "2001:db8:a::/64", "dev": "wana", "scope": "link", "src": "2001:db8:a::2"},
        {"table": 201, "family": 6, "dst": "default", "via": "2001:db8:b::1", "dev": "wanb", "onlink": False},
    ],
)
def test_route(plan, route):
    assert route in plan["routes"]


def test_link_local_ipv6_gateway_is_onlink(router_vars):
    router_vars["symroute_links"][1]["gateway6"] = "fe80::1"
    plan = build_plan("edge", router_vars)
    route = next(r for r in plan["routes"] if r["table"] == 201 and r["family"] == 6 and r["dst"] == "default")
    assert route["via"] == "fe80::1" and route["onlink"] is True


@pytest.mark.parametrize(
    "name, mark_chain, elements",
    [
        ("wan_a_failover_v4", "mark_0x100", ["100.64.20.0/24"]),
        ("wan_a_failover_v6", "mark_0x100", ["2001:db8:20::/48"]),
        ("wan_a_fail_closed_v4", "mark_0x8100", ["100.64.21.0/24"]),
        ("wan_b_failover_v4", "mark_0x200", ["100.64.30.0/24"]),
    ],
)
def test_partner_set(plan, name, mark_chain, elements):
    nft_set = next(s for s in plan["nftables"]["partner_sets"] if s["name"] == name)
    assert nft_set["mark_chain"] == mark_chain
    assert nft_set["elements"] == elements


def test_fail_closed_sets_are_matched_first(plan):
    modes = [s["mode"] for s in plan["nftables"]["partner_sets"]]
    assert modes == sorted(modes, key=lambda m: m != "fail_closed")


def test_sets_are_aggregated(router_vars):
    router_vars["symroute_partners"][0]["prefixes"] = [
        "100.64.40.0/25",
        "100.64.40.128/25",
        "100.64.41.0/24",
        "100.64.41.7/32",
    ]
    plan = build_plan("edge", router_vars)
    nft_set = next(s for s in plan["nftables"]["partner_sets"] if s["name"] == "wan_a_failover_v4")
    assert nft_set["elements"] == ["100.64.40.0/23"]
    assert nft_set["input_prefixes"] == 4


@pytest.mark.parametrize(
    "value, link, fail_closed",
    [("0x100", "wan_a", False), ("0x8100", "wan_a", True), ("0x200", "wan_b", False), ("0x8200", "wan_b", True)],
)
def test_marks(plan, value, link, fail_closed):
    mark = next(m for m in plan["nftables"]["marks"] if m["value"] == value)
    assert (mark["link"], mark["fail_closed"]) == (link, fail_closed)
    assert mark["mark_chain"] == f"mark_{value}" and mark["restore_chain"] == f"restore_{value}"


def test_explicit_mark_and_table(router_vars):
    router_vars["symroute_links"][0].update(table=110, mark=11)
    plan = build_plan("edge", router_vars)
    assert plan["links"][0]["table"] == 110 and plan["links"][0]["mark"] == "0xb00"
    assert _rule(plan, family=4, fwmark="0xb00/0x7f00")["table"] == 110


def test_mark_bits_stay_in_symroutes_mask(plan):
    assert plan["nftables"]["mark_mask"] == "0xff00"
    assert plan["nftables"]["keep_mask"] == "0xffff00ff"
    for mark in plan["nftables"]["marks"]:
        assert int(mark["value"], 16) & ~0xFF00 == 0


@pytest.mark.parametrize(
    "entry",
    [
        {"interface": "wana", "family": "ip", "nfproto": "ipv4", "address": "198.51.100.2", "link": "wan_a"},
        {"interface": "wanb", "family": "ip", "nfproto": "ipv4", "address": "198.51.100.6", "link": "wan_b"},
        {"interface": "wana", "family": "ip6", "nfproto": "ipv6", "address": "2001:db8:a::2", "link": "wan_a"},
    ],
)
def test_snat_per_link_on_its_output_interface(plan, entry):
    assert any(entry.items() <= s.items() for s in plan["nftables"]["snat"])


def test_no_nat66_unless_the_link_asks(router_vars):
    router_vars["symroute_links"][1]["nat66"] = False
    plan = build_plan("edge", router_vars)
    families = {(s["link"], s["family"]) for s in plan["nftables"]["snat"]}
    assert ("wan_b", "ip6") not in families and ("wan_b", "ip") in families


@pytest.mark.parametrize(
    "link, family, bind_mark",
    [("wan_a", "ip", "0x8100"), ("wan_a", "ip6", "0x8100"), ("wan_b", "ip", "0x8200")],
)
def test_snat_binds_the_connection_to_its_link(plan, link, family, bind_mark):
    # Bound connections carry the link's fail-closed mark: rejected when the link dies, never leaked.
    entry = next(s for s in plan["nftables"]["snat"] if s["link"] == link and s["family"] == family)
    assert entry["bind_mark"] == bind_mark
    assert bind_mark in [m["value"] for m in plan["nftables"]["marks"]]


def test_ipv6_link_local_and_multicast_never_marked(plan):
    assert plan["nftables"]["ipv6_never_marked"] == ["fe80::/10", "ff00::/8"]


def test_main_table_sets_hold_lan_and_management(plan):
    sets = {s["name"]: s["elements"] for s in plan["nftables"]["main_table_sets"]}
    assert sets == {"main_table_v4": ["100.64.99.0/24", "203.0.113.0/24"], "main_table_v6": ["2001:db8:5::/64"]}


@pytest.mark.parametrize(
    "name, value",
    [
        ("net.ipv4.ip_forward", "1"),
        ("net.ipv6.conf.all.forwarding", "1"),
        ("net.ipv4.conf.wana.rp_filter", "2"),
        ("net.ipv4.conf.wanb.rp_filter", "2"),
        ("net.ipv4.conf.wana.ignore_routes_with_linkdown", "1"),
        ("net.ipv6.conf.wanb.ignore_routes_with_linkdown", "1"),
    ],
)
def test_sysctl(plan, name, value):
    assert {"name": name, "value": value} in plan["sysctls"]


def test_sysctl_key_for_vlan_interface_uses_slashes(router_vars):
    router_vars["symroute_links"][0]["interface"] = "eth0.100"
    names = [s["name"] for s in build_plan("edge", router_vars)["sysctls"]]
    assert "net/ipv4/conf/eth0.100/rp_filter" in names


def test_no_ipv6_forwarding_without_ipv6_links(router_vars):
    for link in router_vars["symroute_links"]:
        for key in ("address6", "gateway6", "nat66"):
            link.pop(key)
    router_vars["symroute_partners"][0]["prefixes"] = ["100.64.20.0/24"]
    plan = build_plan("edge", router_vars)
    assert "net.ipv6.conf.all.forwarding" not in [s["name"] for s in plan["sysctls"]]
    assert all(
        r["family"] == 4
        for r in plan["rules"]
        if "fwmark" in r and r.get("table") != "main" and r.get("action") != "prohibit"
    )


@pytest.mark.parametrize(
    "partner, family, address, mark, interface",
    [
        ("partner-api", 4, "100.64.20.1", "0x100", "wana"),
        ("partner-api", 6, "2001:db8:20::1", "0x100", "wana"),
        ("partner-ledger", 4, "100.64.21.1", "0x8100", "wana"),
        ("partner-b", 4, "100.64.30.1", "0x200", "wanb"),
    ],
)
def test_verify_probe_per_partner_and_family(plan, partner, family, address, mark, interface):
    probe = next(v for v in plan["verify"] if v["partner"] == partner and v["family"] == family)
    assert (probe["address"], probe["mark"], probe["interface"]) == (address, mark, interface)
