"""symroute_router.verify: what the router reads, and the failure messages the playbook showed before."""

import json

from router_fakes import FakeRouter
from symroute_router import verify

REQUEST = {
    "tables": [
        {"link": "wan_a", "table": 200, "interface": "wana", "family": 4, "gateway": "198.51.100.1"},
        {"link": "wan_b", "table": 201, "interface": "wanb", "family": 4, "gateway": "198.51.100.5"},
    ],
    "partners": [
        {
            "partner": "partner-api",
            "family": 4,
            "address": "100.64.20.1",
            "mark": "0x100",
            "interface": "wana",
            "link": "wan_a",
            "failover_links": ["wan_b"],
        }
    ],
    "management": ["100.64.99.1"],
}
DEFAULT_A = {"dst": "default", "gateway": "198.51.100.1", "dev": "wana", "protocol": "4", "flags": []}
MANAGEMENT = [
    {
        "dst": "100.64.99.1",
        "gateway": "198.51.100.1",
        "dev": "wana",
        "prefsrc": "198.51.100.2",
        "flags": [],
        "uid": 0,
        "cache": [],
    }
]


def _fake(tmp_path, monitor=None):
    fake = FakeRouter()
    fake.routes[(4, "200")] = [DEFAULT_A]
    fake.route_get[(4, "100.64.20.1", "0x100")] = [{"dst": "100.64.20.1", "gateway": "198.51.100.5", "dev": "wanb"}]
    fake.route_get[(None, "100.64.99.1", None)] = MANAGEMENT
    request = dict(REQUEST, monitor_state_file=str(tmp_path / "monitor.json"))
    if monitor is not None:
        (tmp_path / "monitor.json").write_text(json.dumps(monitor))
    return fake, request


def test_read_never_gives_broken_json(tmp_path):
    fake, request = _fake(tmp_path)
    observed = verify.read(fake, dict(request, management=["100.64.99.1", "192.0.2.1"]))
    assert observed["tables"][0]["routes"] == [DEFAULT_A]
    assert observed["tables"][1]["routes"] == []  # table 201 does not exist: `ip` printed "[" and failed
    assert observed["management"] == [MANAGEMENT, [{}]]  # unroutable
    assert observed["monitor"] == {}  # no monitor state file
    assert json.loads(json.dumps(observed)) == observed
    assert [argv for argv, _ in fake.calls][:2] == [
        ["ip", "-4", "-N", "-json", "route", "show", "table", "200"],
        ["ip", "-4", "-N", "-json", "route", "show", "table", "201"],
    ]
    assert fake.calls[2][0] == ["ip", "-4", "-json", "route", "get", "100.64.20.1", "mark", "0x100"]


def test_the_messages_of_the_former_assertions(tmp_path):
    fake, request = _fake(tmp_path)
    observed = verify.read(fake, request)
    before = verify.read_management(fake, request["management"])
    failures = verify.check(request, observed, before, verify.gated_links(observed))
    assert failures == [
        "table 201 has no ipv4 default route via 198.51.100.5 dev wanb",
        "partner partner-api: 100.64.20.1 with mark 0x100 is routed wanb; expected out wana (wan_a)",
    ]


def test_a_link_out_of_service_must_not_carry_its_partners(tmp_path):
    fake, request = _fake(tmp_path, monitor={"links": {"wan_a": {"gated": True, "up": False}, "wan_b": {}}})
    observed = verify.read(fake, request)
    assert verify.gated_links(observed) == ["wan_a"]
    assert [
        f for f in verify.check(request, observed, {"100.64.99.1": MANAGEMENT}, ["wan_a"]) if f.startswith("partner")
    ] == []
    fake.route_get[(4, "100.64.20.1", "0x100")] = [{"dst": "100.64.20.1", "dev": "wana"}]
    failures = verify.check(request, verify.read(fake, request), {"100.64.99.1": MANAGEMENT}, ["wan_a"])
    assert (
        "partner partner-api: 100.64.20.1 with mark 0x100 is routed wana; expected out wanb, the first link "
        "of its failover order in service (wan_a out of service)" in failures
    )


def test_with_its_link_out_of_service_a_fail_closed_partner_must_be_rejected(tmp_path):
    fake, request = _fake(tmp_path, monitor={"links": {"wan_a": {"gated": True, "up": False}, "wan_b": {}}})
    request["partners"] = [dict(request["partners"][0], partner="ledger", mark="0x8100", failover_links=[])]
    fake.route_get[(4, "100.64.20.1", "0x8100")] = [{"dst": "100.64.20.1", "dev": "wanb"}]
    failures = verify.check(request, verify.read(fake, request), {"100.64.99.1": MANAGEMENT}, ["wan_a"])
    assert (
        "partner ledger: 100.64.20.1 with mark 0x8100 is routed wanb; expected rejected (wan_a out of "
        "service and no link of its failover order in service)" in failures
    )
    del fake.route_get[(4, "100.64.20.1", "0x8100")]
    failures = verify.check(request, verify.read(fake, request), {"100.64.99.1": MANAGEMENT}, ["wan_a"])
    assert not [f for f in failures if f.startswith("partner")]


def test_a_failover_partner_with_no_link_in_service_for_its_family_must_be_rejected(tmp_path):
    fake, request = _fake(tmp_path, monitor={"links": {"wan_a": {"gated": True}, "wan_b": {"gated": True}}})
    failures = verify.check(request, verify.read(fake, request), {"100.64.99.1": MANAGEMENT}, ["wan_a", "wan_b"])
    assert (
        "partner partner-api: 100.64.20.1 with mark 0x100 is routed wanb; expected rejected (wan_a out of "
        "service and no link of its failover order in service)" in failures
    )


def test_a_partner_with_its_own_order_must_take_its_first_link_in_service_not_any(tmp_path):
    fake, request = _fake(tmp_path, monitor={"links": {"wan_a": {"gated": True}}})
    fake.links["wanc"] = {"up": True, "gateways": set()}
    request["tables"] = request["tables"] + [
        {"link": "wan_c", "table": 202, "interface": "wanc", "family": 4, "gateway": "198.51.100.9"}
    ]
    request["partners"] = [dict(request["partners"][0], failover_links=["wan_c", "wan_b"])]
    failures = verify.check(request, verify.read(fake, request), {"100.64.99.1": MANAGEMENT}, ["wan_a"])
    assert (
        "partner partner-api: 100.64.20.1 with mark 0x100 is routed wanb; expected out wanc, the first link "
        "of its failover order in service (wan_a out of service)" in failures
    )


def test_an_unroutable_partner_is_routed_nowhere(tmp_path):
    fake, request = _fake(tmp_path)
    del fake.route_get[(4, "100.64.20.1", "0x100")]
    failures = verify.check(request, verify.read(fake, request), {"100.64.99.1": MANAGEMENT}, [])
    assert "partner partner-api: 100.64.20.1 with mark 0x100 is routed nowhere; expected out wana (wan_a)" in failures


def test_a_changed_management_route_is_a_failure(tmp_path):
    fake, request = _fake(tmp_path)
    before = verify.read_management(fake, request["management"])
    fake.route_get[(None, "100.64.99.1", None)] = [{"dst": "100.64.99.1", "gateway": "198.51.100.5", "dev": "wanb"}]
    failures = verify.check(request, verify.read(fake, request), before, [])
    assert failures[-1] == (
        "the route to management address 100.64.99.1 changed: "
        f"{MANAGEMENT[0]} -> {{'dst': '100.64.99.1', 'gateway': '198.51.100.5', 'dev': 'wanb'}}"
    )


def test_a_management_address_not_captured_before_counts_as_changed(tmp_path):
    fake, request = _fake(tmp_path)
    fake.routes[(4, "201")] = [dict(DEFAULT_A, gateway="198.51.100.5", dev="wanb")]
    fake.route_get[(4, "100.64.20.1", "0x100")] = [{"dst": "100.64.20.1", "dev": "wana"}]
    observed = verify.read(fake, request)
    assert verify.check(request, observed, {"100.64.99.1": MANAGEMENT}, []) == []
    assert verify.check(request, observed, {}, []) == [
        "the route to management address 100.64.99.1 changed: {} -> " + str(MANAGEMENT[0])
    ]


def test_a_link_whose_interface_is_missing_is_not_verified_and_counts_as_out_of_service(tmp_path):
    """An LTE or PPPoE device not there: its table cannot hold routes and its partners fail over."""
    fake, request = _fake(tmp_path)
    fake.routes[(4, "201")] = [{"dst": "default", "gateway": "198.51.100.5", "dev": "wanb", "flags": []}]
    del fake.links["wana"]
    observed = verify.read(fake, request)
    assert verify.unavailable_links(observed) == ["wan_a"]
    fake.routes.pop((4, "200"))
    observed = verify.read(fake, request)
    assert verify.check(request, observed, {"100.64.99.1": MANAGEMENT}, verify.gated_links(observed)) == []


def test_a_link_without_carrier_counts_as_out_of_service_before_the_monitor_acts(tmp_path):
    fake, request = _fake(tmp_path)
    fake.routes[(4, "201")] = [{"dst": "default", "gateway": "198.51.100.5", "dev": "wanb", "flags": []}]
    fake.links["wana"]["up"] = False
    observed = verify.read(fake, request)
    assert verify.check(request, observed, {"100.64.99.1": MANAGEMENT}, []) == []
    fake.links["wana"]["up"] = True
    observed = verify.read(fake, request)
    assert verify.check(request, observed, {"100.64.99.1": MANAGEMENT}, []) == [
        "partner partner-api: 100.64.20.1 with mark 0x100 is routed wanb; expected out wana (wan_a)"
    ]
