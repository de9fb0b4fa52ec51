"""Shared fixtures: a small valid router."""

import copy

import pytest

BASE_ROUTER = {
    "symroute_links": [
        {
            "name": "wan_a",
            "interface": "wana",
            "address": "198.51.100.2/30",
            "gateway": "198.51.100.1",
            "address6": "2001:db8:a::2/64",
            "gateway6": "2001:db8:a::1",
            "nat66": True,
        },
        {
            "name": "wan_b",
            "interface": "wanb",
            "address": "198.51.100.6/30",
            "gateway": "198.51.100.5",
            "address6": "2001:db8:b::2/64",
            "gateway6": "2001:db8:b::1",
            "nat66": True,
        },
    ],
    "symroute_partners": [
        {"name": "partner-api", "prefixes": ["100.64.20.0/24", "2001:db8:20::/48"], "link": "wan_a"},
        {"name": "partner-ledger", "prefixes": ["100.64.21.0/24"], "link": "wan_a", "on_link_failure": "fail_closed"},
        {"name": "partner-b", "prefixes": ["100.64.30.0/24"], "link": "wan_b"},
    ],
    "symroute_lan_networks": ["203.0.113.0/24", "2001:db8:5::/64"],
    "symroute_management_networks": ["100.64.99.0/24"],
}


@pytest.fixture
def router_vars():
    """A fresh deep copy of a valid two-link router's variables."""
    return copy.deepcopy(BASE_ROUTER)
