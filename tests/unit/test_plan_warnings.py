"""Warnings for what a user forgot: no LAN, a private partner prefix, a family dropped on failover."""

import copy

import pytest
from conftest import BASE_ROUTER

from symroute.errors import InventoryError
from symroute.pipeline import plan_routers
from symroute.validate import validate_router

FIBER_LTE = {
    "symroute_links": [
        {
            "name": "fiber",
            "interface": "eth1",
            "address": "198.51.100.2/30",
            "gateway": "198.51.100.1",
            "address6": "2001:db8:a::2/64",
            "gateway6": "2001:db8:a::1",
        },
        {"name": "lte", "interface": "wwan0", "address": "dynamic", "gateway": "dynamic"},
    ],
    "symroute_partners": [
        {"name": "stripe-api", "prefixes": ["198.18.10.0/24", "2001:db8:100::/48"], "link": "fiber"},
        {"name": "intranet", "prefixes": ["10.10.40.0/24"], "link": "fiber"},
    ],
}


def warnings(variables):
    return list(validate_router("gw1", variables).warnings)


def test_a_forgotten_lan_is_a_warning_naming_the_variable_and_the_private_prefix():
    found = warnings(copy.deepcopy(FIBER_LTE))
    assert any(w.startswith("gw1, symroute_lan_networks: not set") for w in found), found
    assert any(
        "partner 'intranet': 10.10.40.0/24 is private address space" in w and "pinned out fiber" in w for w in found
    ), found


def test_an_explicitly_empty_lan_says_there_is_none():
    variables = dict(copy.deepcopy(FIBER_LTE), symroute_lan_networks=[])
    assert not any("symroute_lan_networks" in w for w in warnings(variables))


def test_a_partner_prefix_inside_the_lan_is_refused():
    variables = dict(copy.deepcopy(FIBER_LTE), symroute_lan_networks=["10.10.0.0/16"])
    with pytest.raises(InventoryError) as raised:
        validate_router("gw1", variables)
    assert any("intranet" in str(p) and "10.10.40.0/24" in str(p) for p in raised.value.problems)


def test_ipv6_dropped_on_failover_to_an_ipv4_only_link_is_a_warning():
    variables = dict(copy.deepcopy(FIBER_LTE), symroute_lan_networks=["10.20.0.0/16"])
    variables["symroute_partners"] = variables["symroute_partners"][:1]
    assert warnings(variables) == [
        "gw1, partner 'stripe-api': its IPv6 prefixes are rejected while fiber is out of service: none of its "
        "failover links (lte) carries IPv6"
    ]


def test_the_warning_is_in_the_plan():
    variables = dict(copy.deepcopy(FIBER_LTE), symroute_lan_networks=["10.20.0.0/16"])
    variables["symroute_partners"] = variables["symroute_partners"][:1]
    plan = plan_routers({"gw1": variables})["gw1"]
    assert any("IPv6 prefixes are rejected" in w for w in plan["warnings"])


def test_fail_closed_partners_and_ipv6_capable_failover_links_give_no_family_warning():
    variables = copy.deepcopy(BASE_ROUTER)
    assert warnings(variables) == []
    variables["symroute_links"][1].pop("address6")
    variables["symroute_links"][1].pop("gateway6")
    variables["symroute_links"][1].pop("nat66")
    variables["symroute_partners"] = [dict(variables["symroute_partners"][0], on_link_failure="fail_closed")]
    assert warnings(variables) == []
