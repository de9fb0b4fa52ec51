"""Every validation error: one clear message naming the item and field, all at once."""

import pytest

from symroute.errors import InventoryError
from symroute.plan import build_plan
from symroute.validate import validate_router, validate_routers


def _partner(router_vars, index=0):
    return router_vars["symroute_partners"][index]


def _link(router_vars, index=0):
    return router_vars["symroute_links"][index]


def _ipv4_only(link):
    for key in ("address6", "gateway6", "nat66"):
        link.pop(key, None)
    return link


CASES = [
    # (id, mutation, expected fragments of one problem)
    (
        "wrong type of prefixes",
        lambda v: _partner(v).update(prefixes="100.64.20.0/24"),
        ["partner 'partner-api'", "field prefixes", "must be an array"],
    ),
    (
        "wrong type of table",
        lambda v: _link(v).update(table="two hundred"),
        ["link 'wan_a'", "field table", "must be an integer"],
    ),
    (
        "unknown partner key",
        lambda v: _partner(v).update(prefxes=["100.64.50.0/24"]),
        ["partner 'partner-api'", "unknown key 'prefxes'", "did you mean 'prefixes'"],
    ),
    ("unknown link key", lambda v: _link(v).update(gw="198.51.100.1"), ["link 'wan_a'", "unknown key 'gw'"]),
    ("missing link field", lambda v: _partner(v).pop("link"), ["partner 'partner-api'", "'link' is required"]),
    (
        "bad partner name",
        lambda v: _partner(v).update(name="Partner API"),
        ["field name", "does not have the expected form"],
    ),
    (
        "bad on_link_failure",
        lambda v: _partner(v).update(on_link_failure="sometimes"),
        ["partner 'partner-api'", "field on_link_failure", "failover, fail_closed"],
    ),
    (
        "bad health_check",
        lambda v: _partner(v).update(health_check="http://x"),
        ["partner 'partner-api'", "field health_check"],
    ),
    (
        "health_check port out of range",
        lambda v: _partner(v).update(health_check="tcp://100.64.20.10:99999"),
        ["partner 'partner-api'", "field health_check", "99999"],
    ),
    (
        "bad health target",
        lambda v: _link(v).update(health_targets=["198.51.100.300"]),
        ["link 'wan_a'", "field health_targets[0]", "not a valid IP address"],
    ),
    (
        "bad health target after a non-string one",
        lambda v: _link(v).update(health_targets=[5, "198.51.100.300"]),
        ["link 'wan_a'", "field health_targets[1]", "not a valid IP address"],
    ),
    (
        "tcp health target without port",
        lambda v: _link(v).update(health_targets=["tcp://198.51.100.1"]),
        ["link 'wan_a'", "field health_targets[0]", "tcp://ADDRESS:PORT"],
    ),
    (
        "IPv6 health target on an IPv4 link",
        lambda v: _ipv4_only(_link(v)).update(health_targets=["2001:db8:a::1"]),
        ["link 'wan_a'", "field health_targets[0]", "the link has no address6"],
    ),
    (
        "probe timeout longer than the interval",
        lambda v: _link(v).update(health={"interval_ms": 300, "timeout_ms": 400}),
        ["link 'wan_a'", "field health.timeout_ms", "longer than interval_ms"],
    ),
    (
        "reliability above the number of targets",
        lambda v: _link(v).update(health_targets=["198.51.100.1"], health={"reliability": 2}),
        ["link 'wan_a'", "field health.reliability", "has 1"],
    ),
    (
        "unknown health key",
        lambda v: _link(v).update(health={"down_afer": 3}),
        ["link 'wan_a'", "unknown key 'down_afer'", "did you mean 'down_after'"],
    ),
    (
        "invalid prefix",
        lambda v: _partner(v).update(prefixes=["100.64.300.0/24"]),
        ["partner 'partner-api'", "field prefixes[0]", "not a valid IPv4 or IPv6 prefix"],
    ),
    (
        "prefix without length",
        lambda v: _partner(v).update(prefixes=["100.64.20.7"]),
        ["partner 'partner-api'", "field prefixes[0]", "no prefix length"],
    ),
    (
        "host bits set",
        lambda v: _partner(v).update(prefixes=["100.64.20.7/24"]),
        ["partner 'partner-api'", "field prefixes[0]", "host bits set", "100.64.20.0/24"],
    ),
    (
        "unknown link",
        lambda v: _partner(v).update(link="wan_c"),
        ["partner 'partner-api'", "field link", "unknown link 'wan_c'", "wan_a, wan_b"],
    ),
    (
        "duplicate partner",
        lambda v: _partner(v, 2).update(name="partner-api", prefixes=["100.64.60.0/24"]),
        ["partner 'partner-api'", "duplicate partner name"],
    ),
    (
        "overlap on different links",
        lambda v: _partner(v, 2).update(prefixes=["100.64.20.128/25"]),
        ["partner 'partner-b'", "100.64.20.128/25", "partner 'partner-api'", "100.64.20.0/24", "different links"],
    ),
    (
        "same prefix on different links",
        lambda v: _partner(v, 2).update(prefixes=["100.64.20.0/24"]),
        ["the same as", "partner-api", "partner-b", "different links"],
    ),
    (
        "failover and fail-closed overlap",
        lambda v: _partner(v, 1).update(prefixes=["100.64.20.0/25"]),
        ["partner-ledger", "partner-api", "ambiguous"],
    ),
    (
        "overlaps LAN",
        lambda v: _partner(v).update(prefixes=["203.0.113.128/25"]),
        ["partner 'partner-api'", "LAN network 203.0.113.0/24"],
    ),
    (
        "overlaps management",
        lambda v: _partner(v).update(prefixes=["100.64.0.0/10"], allow_broad=True),
        ["partner 'partner-api'", "management network 100.64.99.0/24"],
    ),
    (
        "overlaps a link network",
        lambda v: _partner(v).update(prefixes=["198.51.100.0/29"]),
        ["partner 'partner-api'", "link 'wan_a' network 198.51.100.0/30"],
    ),
    (
        "broad IPv4",
        lambda v: _partner(v).update(prefixes=["96.0.0.0/4"]),
        ["field prefixes[0]", "broader than /8", "allow_broad"],
    ),
    ("broad IPv6", lambda v: _partner(v).update(prefixes=["2000::/8"]), ["field prefixes[0]", "broader than /16"]),
    (
        "IPv6 prefix on a link without IPv6",
        lambda v: (
            [_link(v, 1).pop(k) for k in ("address6", "gateway6", "nat66")]
            and _partner(v, 2).update(prefixes=["2001:db8:30::/48"])
        ),
        ["partner 'partner-b'", "IPv6 but link 'wan_b' has no IPv6"],
    ),
    (
        "invalid link address",
        lambda v: _link(v).update(address="198.51.100.2"),
        ["link 'wan_a'", "field address", "prefix length"],
    ),
    (
        "gateway outside the link",
        lambda v: _link(v).update(gateway="198.51.100.9"),
        ["link 'wan_a'", "field gateway", "not in the link's network 198.51.100.0/30"],
    ),
    (
        "IPv6 address without gateway6",
        lambda v: _link(v).pop("gateway6"),
        ["link 'wan_a'", "field gateway6", "both address6 and gateway6"],
    ),
    ("duplicate link name", lambda v: _link(v, 1).update(name="wan_a"), ["duplicate link name"]),
    (
        "duplicate interface",
        lambda v: _link(v, 1).update(interface="wana"),
        ["link 'wan_b'", "field interface", "also the interface of link 'wan_a'"],
    ),
    ("reserved table", lambda v: _link(v).update(table=254), ["link 'wan_a'", "field table", "reserved table 'main'"]),
    (
        "table collision",
        lambda v: _link(v, 1).update(table=200),
        ["link 'wan_b'", "field table", "also used by link 'wan_a'"],
    ),
    (
        "mark collision",
        lambda v: _link(v, 1).update(mark=1),
        ["link 'wan_b'", "field mark", "also used by link 'wan_a'"],
    ),
    ("mark out of range", lambda v: _link(v).update(mark=200), ["link 'wan_a'", "field mark", "out of range"]),
    (
        "priority band collides with the kernel's rules",
        lambda v: v.update(symroute_rule_priority_base=32000),
        ["symroute_rule_priority_base", "out of range"],
    ),
    (
        "invalid LAN network",
        lambda v: v.update(symroute_lan_networks=["203.0.113.1/24"]),
        ["symroute_lan_networks[0]", "host bits set"],
    ),
    ("no links", lambda v: v.update(symroute_links=[], symroute_partners=[]), ["no links"]),
]


@pytest.mark.parametrize("mutate, fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_inventory(router_vars, mutate, fragments):
    mutate(router_vars)
    with pytest.raises(InventoryError) as raised:
        build_plan("edge", router_vars)
    messages = [str(problem) for problem in raised.value.problems]
    assert any(all(fragment in message for fragment in fragments) for message in messages), messages
    assert all(message.startswith("edge") for message in messages)


def test_every_problem_at_once(router_vars):
    _partner(router_vars).update(prefxes=["1"], link="wan_c")
    _partner(router_vars, 2).update(prefixes=["100.64.21.0/24"])
    _link(router_vars, 1).update(table=254)
    with pytest.raises(InventoryError) as raised:
        build_plan("edge", router_vars)
    text = raised.value.describe()
    for fragment in ("prefxes", "unknown link 'wan_c'", "different links", "reserved table"):
        assert fragment in text
    assert text.startswith(f"symroute: the inventory has {len(raised.value.problems)} problems")


def test_all_routers_problems_at_once(router_vars):
    import copy

    other = copy.deepcopy(router_vars)
    _partner(router_vars).update(link="wan_x")
    _partner(other).update(prefixes=["100.64.20.1/24"])
    with pytest.raises(InventoryError) as raised:
        validate_routers({"edge-1": router_vars, "edge-2": other})
    wheres = {problem.where.split(",")[0] for problem in raised.value.problems}
    assert wheres == {"edge-1", "edge-2"}


@pytest.mark.parametrize(
    "prefixes, fragment",
    [
        (["100.64.20.0/24", "100.64.20.0/25"], "redundant"),
        (["100.64.20.0/24", "100.64.20.0/24"], "the same as"),
    ],
)
def test_overlap_on_the_same_link_is_a_warning(router_vars, prefixes, fragment):
    _partner(router_vars).update(prefixes=prefixes)
    router = validate_router("edge", router_vars)
    assert any(fragment in warning and "partner-api" in warning for warning in router.warnings)


def test_allow_broad_accepts_a_broad_prefix(router_vars):
    _partner(router_vars, 2).update(prefixes=["16.0.0.0/6"], allow_broad=True)
    plan = build_plan("edge", router_vars)
    assert "16.0.0.0/6" in next(s for s in plan["nftables"]["partner_sets"] if s["link"] == "wan_b")["elements"]


def test_not_a_mapping():
    with pytest.raises(InventoryError) as raised:
        build_plan("edge", ["not", "a", "mapping"])
    assert "not a mapping" in str(raised.value)
