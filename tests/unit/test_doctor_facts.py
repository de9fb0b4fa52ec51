"""symroute doctor's path facts, NAT and pinning, read from recorded `ip -json` and `nft -json` output."""

import json

from test_doctor_fakes import SAMPLES, Replay, replayed

from symroute_router.command import Result
from symroute_router.doctor import facts, nat, pinning

ROUTES4 = ("ip", "-4", "-json", "route", "show", "default")


def test_wan_links_are_the_interfaces_holding_a_default_route():
    recording, replay, _, read = replayed("incident")
    found = facts.read(replay, read, "/nonexistent", {"wana": "wan_a"})
    assert [(link["name"], link["named_by"], link["interface"]) for link in found["links"]] == [
        ("wan_a", "--link", "wana"),
        ("wanb", "interface", "wanb"),
    ]
    wana = found["links"][0]
    assert wana["gateways"] == {"ipv4": ["198.51.100.1"], "ipv6": ["2001:db8:a::1"]}
    assert wana["metrics"] == {"ipv4": 100, "ipv6": 100}
    assert wana["addresses"] == {"ipv4": ["198.51.100.2"], "ipv6": ["2001:db8:a::2"]}
    assert wana["rp_filter"] == {"all": 0, "interface": 0, "effective": 0}
    assert found["site_addresses"] == {"ipv4": ["203.0.113.1"], "ipv6": ["2001:db8:5::1"]}
    assert found["rules"]["ipv4"] == ["priority 0 lookup 255", "priority 32766 lookup 254", "priority 32767 lookup 253"]


def test_site_addresses_given_override_the_interfaces():
    _, replay, _, read = replayed("incident")
    found = facts.read(replay, read, "/nonexistent", {}, ["2001:db8:5::99", "203.0.113.7"])
    assert found["site_addresses"] == {"ipv4": ["203.0.113.7"], "ipv6": ["2001:db8:5::99"]}
    assert found["site_addresses_from"] == "--site-address"


def test_a_multipath_default_route_makes_each_nexthop_a_link():
    _, replay, _, read = replayed("incident")
    replay.set(ROUTES4, Result(0, (SAMPLES / "ecmp-default-routes.json").read_text(), ""))
    replay.set(("ip", "-6", "-json", "route", "show", "default"), Result(0, "[]", ""))
    found = facts.read(replay, read, "/nonexistent")
    assert [(link["interface"], link["gateways"]) for link in found["links"]] == [
        ("e1", {"ipv4": ["198.51.100.1"]}),
        ("e2", {"ipv4": ["198.51.100.5"]}),
    ]


def test_a_link_named_on_the_command_line_without_a_default_route_is_a_note():
    _, replay, _, read = replayed("incident")
    found = facts.read(replay, read, "/nonexistent", {"wanc": "wan_c"})
    assert found["notes"] == [
        "--link wan_c=wanc: wanc holds no default route in the main table, so it is not a WAN link here"
    ]


def test_an_unreadable_monitor_configuration_is_a_note(tmp_path):
    _, replay, _, read = replayed("incident")
    (tmp_path / "monitor.json").write_text("{not json")
    found = facts.read(replay, read, str(tmp_path / "monitor.json"))
    assert found["monitor_config"]["found"] is False
    assert found["notes"][0].startswith("symroute's monitor configuration could not be read")
    assert [link["name"] for link in found["links"]] == ["wana", "wanb"]


def test_monitor_configuration_entries_that_are_not_names_are_ignored(tmp_path):
    config = json.loads((SAMPLES / "monitor.json").read_text())
    config["monitor"]["links"][0]["name"] = "wan a\n"
    (tmp_path / "monitor.json").write_text(json.dumps(config))
    read = facts.monitor_config(str(tmp_path / "monitor.json"))
    assert sorted(read["links"]) == ["wanb", "wanc"]


def test_nat_present_absent_and_unknown():
    _, replay, _, _ = replayed("symroute")
    found = nat.read(replay)
    assert found["state"] == "present"
    assert found["chains"] == ["inet symroute source_nat", "ip sdoc_nat post"]
    assert "ip sdoc_nat post: masquerade" in found["rules"]
    replay.set(("nft", "-json", "list", "ruleset"), Result(0, json.dumps({"nftables": [{"metainfo": {}}]}), ""))
    assert nat.read(replay)["state"] == "absent"
    replay.remove("nft")
    assert nat.read(replay) == {"state": "unknown", "chains": [], "rules": [], "reason": "nft is not installed"}


def test_pinning_reads_symroutes_classify_chain_in_order():
    _, replay, _, _ = replayed("symroute")
    pins = pinning.read(replay)
    assert pins["table"] is True
    assert pinning.locate(pins, replay, "100.64.20.10") == {
        "set": "wan_a_failover_v4",
        "mark": "0x100",
        "interface": "wana",
    }
    assert pinning.locate(pins, replay, "100.64.21.10")["mark"] == "0x8100"
    assert pinning.locate(pins, replay, "203.0.113.5") is None  # the LAN set returns first
    assert pinning.locate(pins, replay, "100.64.30.1") is None  # in no set


def _table(elements):
    return json.dumps(
        {
            "nftables": [
                {"set": {"family": "inet", "table": "symroute", "name": "p", "type": "ipv4_addr", "elem": elements}},
                {
                    "rule": {
                        "family": "inet",
                        "table": "symroute",
                        "chain": "classify",
                        "expr": [
                            {
                                "match": {
                                    "op": "==",
                                    "left": {"payload": {"protocol": "ip", "field": "daddr"}},
                                    "right": "@p",
                                }
                            },
                            {"jump": {"target": "mark_0x300"}},
                        ],
                    }
                },
                {
                    "rule": {
                        "family": "inet",
                        "table": "symroute",
                        "chain": "mark_0x300",
                        "expr": [
                            {
                                "mangle": {
                                    "key": {"meta": {"key": "mark"}},
                                    "value": {"|": [{"&": [{"meta": {"key": "mark"}}, 4294902271]}, 768]},
                                }
                            }
                        ],
                    }
                },
            ]
        }
    )


def test_set_elements_may_be_addresses_prefixes_ranges_or_wrapped():
    replay = Replay({"commands": []})
    replay.set(
        ("nft", "-json", "list", "table", "inet", "symroute"),
        Result(
            0,
            _table(
                [
                    "192.0.2.7",
                    {"prefix": {"addr": "198.51.100.0", "len": 28}},
                    {"range": ["203.0.113.10", "203.0.113.20"]},
                    {"elem": {"val": "100.64.9.9", "comment": "x"}},
                ]
            ),
            "",
        ),
    )
    pins = pinning.read(replay)
    for address in ("192.0.2.7", "198.51.100.15", "203.0.113.20", "100.64.9.9"):
        assert pinning.locate(pins, replay, address)["mark"] == "0x300", address
    for address in ("192.0.2.8", "198.51.100.16", "203.0.113.21"):
        assert pinning.locate(pins, replay, address) is None, address


def test_no_symroute_table_is_not_installed():
    _, replay, _, _ = replayed("incident")
    pins = pinning.read(replay)
    assert (pins["table"], pins["classify"]) == (False, [])
    assert "No such file or directory" in pins["reason"]


def test_ignore_routes_with_linkdown_on_ipv4_counts_all_as_the_kernel_does():
    from symroute_router.doctor import facts

    values = {
        "net/ipv4/conf/all/ignore_routes_with_linkdown": "1",
        "net/ipv4/conf/wana/ignore_routes_with_linkdown": "0",
        "net/ipv6/conf/all/ignore_routes_with_linkdown": "1",
        "net/ipv6/conf/wana/ignore_routes_with_linkdown": "0",
    }
    read = values.get
    assert facts.ignore_routes_with_linkdown(read, "wana", ["ipv4", "ipv6"]) == {"ipv4": 1, "ipv6": 0}
