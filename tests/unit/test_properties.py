"""Property tests: the plan's answer for any address equals a brute-force answer."""

import json
import random

from hypothesis import HealthCheck, given, settings, strategies as st
from netaddr import IPAddress, IPNetwork, IPSet

from symroute.json_text import dumps
from symroute.plan import build_plan


def _serialized(plan):
    """The plan as the CLI writes it (json.dumps(indent=2, sort_keys=True))."""
    return dumps(plan, indent=2)


LINKS = [
    {
        "name": "wan_a",
        "interface": "wana",
        "address": "198.51.100.2/30",
        "gateway": "198.51.100.1",
        "address6": "2001:db8:a::2/64",
        "gateway6": "2001:db8:a::1",
    },
    {
        "name": "wan_b",
        "interface": "wanb",
        "address": "198.51.100.6/30",
        "gateway": "198.51.100.5",
        "address6": "2001:db8:b::2/64",
        "gateway6": "2001:db8:b::1",
    },
]
V4_SPACE = IPNetwork("10.0.0.0/16")
V6_SPACE = IPNetwork("2001:db8:4000::/40")
OWNERS = [("wan_a", "failover"), ("wan_a", "fail_closed"), ("wan_b", "failover"), ("wan_b", "fail_closed")]


@st.composite
def prefix_strategy(draw):
    if draw(st.booleans()):
        length = draw(st.integers(min_value=18, max_value=32))
        offset = draw(st.integers(min_value=0, max_value=V4_SPACE.size - 1))
        return IPNetwork(f"{IPAddress(V4_SPACE.first + offset)}/{length}").cidr
    length = draw(st.integers(min_value=42, max_value=128))
    offset = draw(st.integers(min_value=0, max_value=2**40 - 1))
    return IPNetwork(f"{IPAddress(V6_SPACE.first + (offset << (128 - 40 - 40)), 6)}/{length}").cidr


@st.composite
def inventory_strategy(draw):
    """Partners whose prefixes never conflict (overlaps only within one link and mode)."""
    kept = []
    for prefix in draw(st.lists(prefix_strategy(), min_size=1, max_size=40)):
        owner = draw(st.sampled_from(OWNERS))
        conflict = any(
            p.version == prefix.version and p.first <= prefix.last and prefix.first <= p.last and o != owner
            for p, o in kept
        )
        if not conflict:
            kept.append((prefix, owner))
    partners = []
    for prefix, owner in kept:
        group = draw(st.integers(min_value=0, max_value=3))
        name = f"p-{owner[0].replace('_', '')}-{owner[1].replace('_', '')}-{group}"
        partner = next((p for p in partners if p["name"] == name), None)
        if partner is None:
            partner = {"name": name, "prefixes": [], "link": owner[0], "on_link_failure": owner[1]}
            partners.append(partner)
        partner["prefixes"].append(str(prefix))
    return {
        "symroute_links": LINKS,
        "symroute_partners": partners,
        "symroute_lan_networks": ["203.0.113.0/24"],
        "symroute_management_networks": ["100.64.99.0/24"],
    }


def brute_force(variables, address):
    """(link, mode) straight from the raw inventory, or None."""
    for partner in variables["symroute_partners"]:
        for prefix in partner["prefixes"]:
            if address in IPNetwork(prefix):
                return partner["link"], partner.get("on_link_failure", "failover")
    return None


def plan_answer(plan, address):
    """(link, mode) by walking the planned nftables sets in classify order."""
    selector = "ip" if address.version == 4 else "ip6"
    for nft_set in plan["nftables"]["partner_sets"]:
        if nft_set["selector"] == selector and any(address in IPNetwork(e) for e in nft_set["elements"]):
            return nft_set["link"], nft_set["mode"]
    return None


def _addresses(variables, draw_offsets):
    addresses = []
    for partner in variables["symroute_partners"]:
        for prefix in partner["prefixes"]:
            network = IPNetwork(prefix)
            addresses += [
                network[0],
                network[-1],
                IPAddress(network.first - 1, network.version),
                IPAddress(network.last + 1, network.version),
            ]
    addresses += [IPAddress(V4_SPACE.first + offset % V4_SPACE.size) for offset in draw_offsets]
    return addresses


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inventory_strategy(), st.lists(st.integers(min_value=0, max_value=2**32), max_size=20))
def test_plan_link_equals_brute_force(variables, offsets):
    plan = build_plan("edge", variables)
    for address in _addresses(variables, offsets):
        assert plan_answer(plan, address) == brute_force(variables, address), str(address)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inventory_strategy())
def test_aggregation_covers_exactly_the_input(variables):
    plan = build_plan("edge", variables)
    for nft_set in plan["nftables"]["partner_sets"]:
        version = 4 if nft_set["selector"] == "ip" else 6
        wanted = IPSet(
            prefix
            for partner in variables["symroute_partners"]
            if partner["link"] == nft_set["link"] and partner["on_link_failure"] == nft_set["mode"]
            for prefix in partner["prefixes"]
            if IPNetwork(prefix).version == version
        )
        assert IPSet(nft_set["elements"]) == wanted
        assert len(nft_set["elements"]) <= nft_set["input_prefixes"]


@settings(max_examples=50, deadline=None)
@given(inventory_strategy(), st.randoms())
def test_partner_and_prefix_order_do_not_change_the_plan(variables, rng):
    first = _serialized(build_plan("edge", variables))
    shuffled = json.loads(json.dumps(variables))
    rng.shuffle(shuffled["symroute_partners"])
    for partner in shuffled["symroute_partners"]:
        rng.shuffle(partner["prefixes"])
    assert _serialized(build_plan("edge", shuffled)) == first


def test_same_input_same_bytes(router_vars):
    assert _serialized(build_plan("edge", router_vars)) == _serialized(build_plan("edge", router_vars))


def test_a_100k_prefix_inventory_plans(router_vars):
    base = IPNetwork("10.0.0.0/8").first
    prefixes = [f"{IPAddress(base + 2 * i)}/32" for i in range(100_000)]
    random.Random(7).shuffle(prefixes)
    router_vars["symroute_partners"][0]["prefixes"] = prefixes
    plan = build_plan("edge", router_vars)
    nft_set = next(s for s in plan["nftables"]["partner_sets"] if s["name"] == "wan_a_failover_v4")
    assert len(nft_set["elements"]) == 100_000
    assert nft_set["elements"][0] == "10.0.0.0/32" and nft_set["elements"][-1] == str(IPAddress(base + 199_998)) + "/32"
