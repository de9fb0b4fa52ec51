"""symroute_router.connected: a partner prefix inside a network the router is connected to (a LAN the
inventory forgot) is refused by the converge before anything is read or changed, naming the interface;
check mode too. The main table's sets, loopback and host addresses are not partners or networks."""

import json

import pytest

from symroute_router import connected, converge

TABLE = """table inet symroute {
\t# fail_open partners pinned to wan_a: partner-api, payroll
\tset wan_a_failover_v4 {
\t\ttype ipv4_addr
\t\tflags interval
\t\telements = {
\t\t\t100.64.20.10/32,
\t\t\t10.10.40.0/24,
\t\t}
\t}
\tset wan_a_failover_v6 {
\t\ttype ipv6_addr
\t\tflags interval
\t\telements = {
\t\t\t2001:db8:20::/48,
\t\t}
\t}
\tset main_table_v4 {
\t\ttype ipv4_addr
\t\tflags interval
\t\telements = {
\t\t\t10.10.0.0/16,
\t\t}
\t}
}
"""


class Result:
    def __init__(self, stdout, rc=0):
        self.stdout, self.rc, self.stderr = stdout, rc, ""


class AddressesOnly:
    """`ip -json addr show` answered with ``links``; every other command is an error of the test."""

    def __init__(self, links, rc=0):
        self.links, self.rc, self.calls = links, rc, []

    def run(self, args, **kwargs):
        self.calls.append(args)
        assert args == ["ip", "-json", "addr", "show"], args
        return Result(json.dumps(self.links), self.rc)


def _link(name, *addresses):
    return {
        "ifname": name,
        "addr_info": [{"local": local, "prefixlen": length, "scope": scope} for local, length, scope in addresses],
    }


ROUTER = [
    _link("lo", ("127.0.0.1", 8, "host"), ("10.10.40.7", 24, "global")),
    _link("lan0", ("10.10.0.1", 16, "global"), ("fe80::1", 64, "link")),
    _link("wana", ("198.51.100.2", 30, "global"), ("2001:db8:a::2", 64, "global")),
    _link("ppp0", ("100.66.9.2", 32, "global")),
]


def test_the_partner_sets_elements_are_read_and_the_main_tables_are_not():
    assert connected.partner_prefixes(TABLE) == [
        ("wan_a_failover_v4", "100.64.20.10/32"),
        ("wan_a_failover_v4", "10.10.40.0/24"),
        ("wan_a_failover_v6", "2001:db8:20::/48"),
    ]


def test_a_partner_prefix_inside_a_connected_lan_is_one_problem_naming_set_network_and_interface():
    assert connected.problems(AddressesOnly(ROUTER), TABLE) == [
        "partner set wan_a_failover_v4 holds 10.10.40.0/24, inside 10.10.0.0/16 on lan0, a network this router"
        " is connected to: add it to symroute_lan_networks, or correct the partner's prefixes"
    ]


@pytest.mark.parametrize(
    "links",
    [
        [_link("lo", ("10.10.40.1", 24, "global"))],  # loopback is no network the router is on
        [_link("ppp0", ("10.10.40.9", 32, "global"))],  # a host address is no network
        [_link("lan0", ("10.10.40.1", 24, "link"))],  # not a global address
        [_link("lan0", ("10.10.41.1", 24, "global"))],  # next to it, not around it
        [_link("lan0", ("not an address", 24, "global")), {"ifname": "x"}, "junk"],  # unreadable entries
        [],
    ],
)
def test_what_is_not_a_connected_network_around_a_partner_prefix_is_no_problem(links):
    assert connected.problems(AddressesOnly(links), TABLE) == []


def test_ip_failing_reads_as_no_networks_and_a_table_without_partner_sets_reads_no_addresses():
    assert connected.problems(AddressesOnly(ROUTER, rc=1), TABLE) == []
    runner = AddressesOnly(ROUTER)
    assert connected.problems(runner, "table inet symroute {\n}\n") == [] and runner.calls == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_the_converge_stops_before_anything_is_changed_in_check_mode_too(tmp_path, monkeypatch, check_mode):
    request = {
        "parts": ["nftables"],
        "snapshot": {"path": str(tmp_path / "snapshot.json"), "scope": {"files": []}},
        "nftables": {"nftables": {"contract_version": 1, "table": "inet symroute", "content": TABLE}},
    }
    monkeypatch.setattr(converge.contract, "refusal", lambda part, data: None)  # TABLE is an excerpt
    monkeypatch.setattr(converge, "CONVERGE_LOCK", str(tmp_path / "converge.lock"))
    with pytest.raises(converge.ConvergeFailed) as failed:
        converge.converge(request, check_mode, AddressesOnly(ROUTER), warn=lambda text: None)
    assert failed.value.step == "Partners outside the router's own networks"
    assert "inside 10.10.0.0/16 on lan0" in str(failed.value)
    assert not (tmp_path / "snapshot.json").exists()
