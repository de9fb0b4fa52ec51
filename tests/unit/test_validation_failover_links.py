"""failover_links: a partner's own failover order, validated with every problem reported at once."""

import itertools

import pytest

from symroute.errors import InventoryError
from symroute.plan import build_plan
from symroute.validate import validate_router


def _messages(router_vars):
    with pytest.raises(InventoryError) as raised:
        validate_router("edge", router_vars)
    return [str(problem) for problem in raised.value.problems]


def _with_links(router_vars, count):
    router_vars["symroute_links"] += [
        {"name": f"lte{i}", "interface": f"wwan{i}", "address": f"100.65.{i}.2/30", "gateway": f"100.65.{i}.1"}
        for i in range(count)
    ]
    return router_vars


def test_every_problem_of_a_failover_order_is_reported_at_once(router_vars):
    router_vars["symroute_partners"][0]["failover_links"] = ["wan_a", "nope", "wan_b", "wan_b"]
    messages = _messages(router_vars)
    assert any("failover_links[0]" in m and "the pinned link itself" in m for m in messages)
    assert any("failover_links[1]" in m and "unknown link 'nope'" in m and "wan_a, wan_b" in m for m in messages)
    assert any("failover_links[3]" in m and "listed twice" in m for m in messages)
    assert all("edge" in m and "partner 'partner-api'" in m for m in messages)


def test_at_most_23_different_orders_and_every_block_ends_before_the_shared_chain(router_vars):
    """Each order takes 20 priorities of the band; the 24th is refused with the limit named."""
    _with_links(router_vars, 4)
    others = ["wan_b", "lte0", "lte1", "lte2", "lte3"]
    orders = [list(o) for o in itertools.permutations(others, 1)] + [list(o) for o in itertools.permutations(others, 2)]
    partners = [
        {"name": f"p{index}", "prefixes": [f"100.70.{index}.0/24"], "link": "wan_a", "failover_links": order}
        for index, order in enumerate(orders)
    ]
    router_vars["symroute_partners"] = partners
    distinct = {tuple(p["failover_links"]) for p in partners}
    assert len(distinct) == 25
    assert any("different failover_links orders" in m and "at most 23" in m for m in _messages(router_vars))
    kept = sorted(distinct, key=len, reverse=True)[:23]  # the longest orders: the fullest blocks
    router_vars["symroute_partners"] = [p for p in partners if tuple(p["failover_links"]) in kept]
    plan = build_plan("edge", router_vars)
    order_marks = {p["mark"] for p in plan["partners"]}
    assert len(order_marks) == 23
    order_rules = [r for r in plan["rules"] if r.get("fwmark", "").split("/")[0] in order_marks]
    assert max(r["priority"] for r in order_rules) < 10870  # before the shared failover chain


def test_overlapping_prefixes_with_different_orders_are_ambiguous(router_vars):
    _with_links(router_vars, 1)
    router_vars["symroute_partners"][0]["failover_links"] = ["lte0"]
    router_vars["symroute_partners"].append(
        {"name": "inner", "prefixes": ["100.64.20.128/25"], "link": "wan_a", "failover_links": ["wan_b"]}
    )
    assert any("different failover_links: ambiguous" in m for m in _messages(router_vars))


def test_order_marks_never_collide_with_link_marks(router_vars):
    router_vars["symroute_links"][1]["mark"] = 127
    _with_links(router_vars, 1)  # a third link: [wan_b] is then not the default order (which is the default)
    router_vars["symroute_partners"][0]["failover_links"] = ["wan_b"]
    plan = build_plan("edge", router_vars)
    assert plan["partners"][0]["mark"] == "0x7e00"  # 127 is wan_b's: the next free number


def test_the_default_order_written_out_is_the_same_plan_as_leaving_it_out(router_vars):
    before = build_plan("edge", router_vars)
    router_vars["symroute_partners"][0]["failover_links"] = ["wan_b"]  # the default order of a two-link router
    assert build_plan("edge", router_vars) == before
