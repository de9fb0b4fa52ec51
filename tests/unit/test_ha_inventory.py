"""symroute_ha: one test per rule of the validator, each router's side and the two sides together.

Every case edits a copy of the HA lab's two routers (inventories/ha-lab) and says which problem must be
reported: one problem holds every fragment (the router, ``symroute_ha``, the field, the link).
"""

import copy
from pathlib import Path

import pytest
import yaml
from conftest import BASE_ROUTER

from paths import REPOSITORY
from symroute.errors import InventoryError
from symroute.pipeline import plan_routers

HA_LAB = REPOSITORY / "inventories" / "ha-lab"
ROUTERS = ("edge-1", "edge-2")


def _read(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def pair_variables() -> dict:
    """{router: its symroute variables} of the HA lab, as the inventory loader hands them over."""
    partners = _read(HA_LAB / "group_vars" / "all" / "partners.yml")
    return {router: dict(_read(HA_LAB / "host_vars" / f"{router}.yml"), **partners) for router in ROUTERS}


def problems_of(routers: dict) -> list[str]:
    try:
        plan_routers(routers)
    except InventoryError as error:
        return [str(problem) for problem in error.problems]
    return []


# --- edits: each returns a function of {router: variables}
def ha(router="edge-1", **fields):
    def edit(routers):
        routers[router]["symroute_ha"].update(fields)

    return edit


def both(**fields):
    def edit(routers):
        for router in ROUTERS:
            routers[router]["symroute_ha"].update(copy.deepcopy(fields))

    return edit


def sync(router="edge-1", **fields):
    def edit(routers):
        routers[router]["symroute_ha"]["sync"].update(fields)

    return edit


def lan(router="edge-1", index=0, **fields):
    def edit(routers):
        routers[router]["symroute_ha"]["lan"][index].update(fields)

    return edit


def lan_both(**fields):
    return [lan("edge-1", **fields), lan("edge-2", **fields)]


def ha_link(name, router="edge-1", replace=None, **fields):
    def edit(routers):
        links = routers[router]["symroute_ha"]["links"]
        if replace is not None:
            links[name] = replace
        else:
            links[name].update(fields)

    return edit


def add_lan(router="edge-1", **segment):
    def edit(routers):
        routers[router]["symroute_ha"]["lan"].append(dict(segment))

    return edit


def partner_prefix(router, prefix, partner=0):
    def edit(routers):
        partners = routers[router]["symroute_partners"] = copy.deepcopy(routers[router]["symroute_partners"])
        partners[partner]["prefixes"] = [*partners[partner]["prefixes"], prefix]

    return edit


def ha_link_both(name, replace=None, **fields):
    return [ha_link(name, router, copy.deepcopy(replace), **fields) for router in ROUTERS]


def drop_ha_link(name, router="edge-1"):
    def edit(routers):
        del routers[router]["symroute_ha"]["links"][name]

    return edit


def link(index, router="edge-1", **fields):
    def edit(routers):
        routers[router]["symroute_links"][index].update(fields)

    return edit


def variable(router="edge-1", **variables):
    def edit(routers):
        routers[router].update(variables)

    return edit


def drop_router(router):
    def edit(routers):
        del routers[router]

    return edit


def drop_ha(router):
    def edit(routers):
        del routers[router]["symroute_ha"]

    return edit


E1, E2 = "edge-1, symroute_ha", "edge-2, symroute_ha"
RULES = [
    # --- one router's side: the schema
    ("priority out of range", [ha(priority=255)], (E1, "field priority", "maximum 254")),
    ("priority zero", [ha(priority=0)], (E1, "field priority", "minimum 1")),
    ("priority a boolean", [ha(priority=True)], (E1, "field priority", "integer")),
    ("priority a float", [ha(priority=150.0)], (E1, "field priority", "integer")),
    ("advertisement interval too short", [both(advert_interval_ms=5)], (E1, "field advert_interval_ms", "minimum")),
    ("vrid out of range", lan_both(vrid=256), (E1, "field lan[0].vrid", "maximum 255")),
    ("unknown key", [ha(prempt=True)], (E1, "unknown key 'prempt'", "did you mean 'preempt'")),
    ("pair name with capitals", [both(pair="Edge")], (E1, "field pair", "expected form")),
    ("peer name with a space", [ha(peer="edge 2")], (E1, "field peer", "expected form")),
    ("sync interface lo", [sync(interface="lo")], (E1, "field sync.interface", "expected form")),
    ("sync without its peer address", [sync(peer_address=None)], (E1, "field sync.peer_address", "string")),
    (
        "lan without a vrid",
        [lambda r: r["edge-1"]["symroute_ha"]["lan"][0].pop("vrid")],
        (E1, "field lan[0]", "'vrid' is required"),
    ),
    ("link mode unknown", ha_link_both("wan_a", replace={"mode": "both"}), (E1, "field links.wan_a.mode", "one of")),
    ("link key not a link name", [ha_link("Wan_A", replace={"mode": "own"})], (E1, "field links", "expected form")),
    # --- one router's side: what the schema cannot say
    ("peer is the router itself", [ha(peer="edge-1")], (E1, "field peer", "is this router")),
    (
        "advertisement interval not a multiple of 10",
        [both(advert_interval_ms=105)],
        (E1, "field advert_interval_ms", "multiple of 10"),
    ),
    ("sync address IPv6", [sync(address="2001:db8:9::1/64")], (E1, "field sync.address", "not an IPv4")),
    ("sync address without a length", [sync(address="10.255.0.1")], (E1, "field sync.address", "prefix length")),
    (
        "sync peer outside the sync network",
        [sync(peer_address="10.255.1.2")],
        (E1, "field sync.peer_address", "not in the sync network 10.255.0.0/30"),
    ),
    (
        "sync peer is the own sync address",
        [sync(peer_address="10.255.0.1")],
        (E1, "field sync.peer_address", "own sync address"),
    ),
    (
        "sync peer is the broadcast address",
        [sync(peer_address="10.255.0.3")],
        (E1, "field sync.peer_address", "broadcast"),
    ),
    ("sync address is the network address", [sync(address="10.255.0.0/30")], (E1, "field sync.address", "network")),
    (
        "sync address loopback",
        [sync(address="127.0.0.1/8", peer_address="127.0.0.2")],
        (E1, "field sync.address", "loopback"),
    ),
    ("sync interface is a link's", [sync(interface="wana")], (E1, "field sync.interface", "link wan_a")),
    ("sync interface is the LAN's", [sync(interface="lan0")], (E1, "field sync.interface", "LAN segment lan")),
    (
        "sync network overlaps the LAN",
        [sync(address="203.0.113.5/30", peer_address="203.0.113.6")],
        (E1, "field sync.address", "overlaps the LAN network 203.0.113.0/24"),
    ),
    (
        "sync network overlaps a link",
        [sync(address="198.51.100.5/30", peer_address="198.51.100.6")],
        (E1, "field sync.address", "overlaps link wan_a's network"),
    ),
    (
        "lan gateway outside the LAN networks",
        lan_both(address="192.0.2.1/24"),
        (E1, "field lan[0].address", "not in any of symroute_lan_networks"),
    ),
    (
        "lan gateway with another prefix length",
        lan_both(address="203.0.113.1/25"),
        (E1, "field lan[0].address", "another prefix length", "203.0.113.1/24"),
    ),
    (
        "lan gateway is the network address",
        lan_both(address="203.0.113.0/24"),
        (E1, "field lan[0].address", "network address"),
    ),
    (
        "lan IPv6 gateway is the subnet-router anycast address",
        lan_both(address6="2001:db8:5::/64"),
        (E1, "field lan[0].address6", "subnet-router anycast"),
    ),
    (
        "two lan segments in one network",
        [add_lan(router, interface="lan1", vrid=11, address="203.0.113.9/24") for router in ROUTERS],
        (E1, "field lan[1].address", "203.0.113.0/24 is also the network of lan[0].address"),
    ),
    (
        "a partner prefix over the sync network",
        [partner_prefix(router, "10.0.0.0/8") for router in ROUTERS],
        ("edge-1, partner 'partner-api'", "overlaps the router's own HA sync network 10.255.0.0/30"),
    ),
    (
        "lan IPv6 gateway outside the LAN",
        lan_both(address6="2001:db8:6::1/64"),
        (E1, "field lan[0].address6", "not in any of symroute_lan_networks"),
    ),
    (
        "lan IPv6 gateway written as IPv4",
        lan_both(address6="203.0.113.1/24"),
        (E1, "field lan[0].address6", "not an IPv6"),
    ),
    (
        "lan without any address",
        [lambda r: [r[x]["symroute_ha"]["lan"][0].pop(k) for x in ROUTERS for k in ("address", "address6")]],
        (E1, "field lan[0]", "needs its shared gateway address"),
    ),
    ("lan interface is a link's", lan_both(interface="wanb"), (E1, "field lan[0].interface", "link wan_b")),
    (
        "lan interface twice",
        [
            lambda r: r["edge-1"]["symroute_ha"]["lan"].append(
                {"interface": "lan0", "vrid": 11, "address": "203.0.113.1/24"}
            )
        ],
        (E1, "field lan[1].interface", "also the interface of lan[0]"),
    ),
    ("unknown link", [ha_link("wan_z", replace={"mode": "own"})], (E1, "field links.wan_z", "unknown link 'wan_z'")),
    ("link not listed", [drop_ha_link("wan_b")], (E1, "field links", "link wan_b is not listed")),
    (
        "shared link without a vrid",
        [lambda r: r["edge-1"]["symroute_ha"]["links"]["wan_a"].pop("vrid")],
        (E1, "field links.wan_a", "needs its vrid"),
    ),
    (
        "shared link without an address",
        [lambda r: r["edge-1"]["symroute_ha"]["links"]["wan_a"].pop("address")],
        (E1, "field links.wan_a", "needs its address"),
    ),
    (
        "own link with an address",
        [ha_link("wan_a", replace={"mode": "own", "address": "198.51.100.4/29"})],
        (E1, "field links.wan_a.address", "mode own shares no address"),
    ),
    (
        "shared address outside the link's network",
        ha_link_both("wan_a", address="198.51.100.20/29"),
        (E1, "field links.wan_a.address", "not in wan_a's network 198.51.100.0/29"),
    ),
    (
        "shared address with another prefix length",
        ha_link_both("wan_a", address="198.51.100.4/28"),
        (E1, "field links.wan_a.address", "another prefix length", "(write 198.51.100.4/29)"),
    ),
    (
        "shared address on one router only is the peer's own address",
        [ha_link("wan_a", address="198.51.100.3/29")],
        ("edge-1", "link wan_a: the shared address 198.51.100.3 is edge-2's own address"),
    ),
    (
        "shared address is the own address",
        ha_link_both("wan_a", address="198.51.100.2/29"),
        (E1, "field links.wan_a.address", "this router's own address"),
    ),
    (
        "shared address is the peer's own address",
        ha_link_both("wan_a", address="198.51.100.3/29"),
        (E2, "field links.wan_a.address", "this router's own address"),
    ),
    (
        "shared address is the gateway",
        ha_link_both("wan_a", address="198.51.100.1/29"),
        (E1, "field links.wan_a.address", "gateway"),
    ),
    (
        "shared address is the broadcast address",
        ha_link_both("wan_a", address="198.51.100.7/29"),
        (E1, "field links.wan_a.address", "broadcast"),
    ),
    (
        "shared address on a dynamic link",
        [link(1, address="dynamic", gateway="dynamic")],
        (E1, "field links.wan_b", "only a static address can be shared", "mode: own"),
    ),
    (
        "shared link with NAT66",
        [link(0, address6="2001:db8:a::2/64", gateway6="2001:db8:a::1", nat66=True)],
        (E1, "field links.wan_a", "nat66"),
    ),
    # --- the two sides together
    ("peer not in the inventory", [drop_router("edge-2")], (E1, "field peer", "edge-2 is not a router")),
    ("peer without symroute_ha", [drop_ha("edge-2")], (E1, "field peer", "edge-2 has no symroute_ha")),
    ("peer names another router", [ha("edge-2", peer="edge-3")], (E1, "field peer", "edge-2 names edge-3 as its peer")),
    ("pair names differ", [ha("edge-2", pair="other-pair")], (E1, "field pair", "edge-pair on edge-1, other-pair")),
    ("preemption differs", [ha("edge-2", preempt=True)], (E1, "field preempt", "False on edge-1, True on edge-2")),
    (
        "advertisement intervals differ",
        [ha("edge-2", advert_interval_ms=200)],
        (E1, "field advert_interval_ms", "100 on edge-1, 200 on edge-2"),
    ),
    ("priorities equal", [ha("edge-2", priority=150)], (E1, "field priority", "150 on both edge-1 and edge-2")),
    ("lan vrids differ", [lan("edge-2", vrid=11)], (E1, "field lan", "differ between edge-1 and edge-2")),
    ("lan gateways differ", [lan("edge-2", address="203.0.113.9/24")], (E1, "field lan", "differ")),
    ("link vrids differ", [ha_link("wan_a", "edge-2", vrid=31)], (E1, "field links", "sharing differs")),
    (
        "shared addresses differ",
        [ha_link("wan_a", "edge-2", address="198.51.100.5/29")],
        (E1, "field links", "sharing differs"),
    ),
    (
        "link shared on one, own on the other",
        [ha_link("wan_b", "edge-2", replace={"mode": "own"})],
        (E1, "field links", "sharing differs"),
    ),
    (
        "sync networks differ",
        [sync("edge-2", address="10.255.0.6/30", peer_address="10.255.0.5")],
        (E1, "field sync.address", "not on one network"),
    ),
    (
        "sync peer is not the peer's sync address",
        [
            sync("edge-2", peer_address="10.255.0.1"),
            sync("edge-1", peer_address="10.255.0.2"),
            sync("edge-2", address="10.255.0.2/29"),
            sync("edge-1", address="10.255.0.1/29", peer_address="10.255.0.3"),
        ],
        (E1, "field sync.peer_address", "10.255.0.3 on edge-1, but edge-2's sync address is 10.255.0.2"),
    ),
    ("link tables differ", [link(0, "edge-2", table=300)], (E1, "link wan_a: table 200 on edge-1, 300 on edge-2")),
    ("link interfaces differ", [link(0, "edge-2", interface="wan0")], (E1, "link wan_a: interface wana on edge-1")),
    ("link gateways differ", [link(0, "edge-2", gateway="198.51.100.6")], (E1, "link wan_a: gateway")),
    (
        "a link of one router only",
        [
            lambda r: r["edge-2"]["symroute_links"].append(
                {"name": "wan_c", "interface": "wanc", "address": "192.0.2.2/30", "gateway": "192.0.2.1"}
            ),
            ha_link("wan_c", "edge-2", replace={"mode": "own"}),
        ],
        (E1, "link wan_c is a link of edge-2 but not of edge-1"),
    ),
    (
        "same own address on both",
        [link(0, "edge-2", address="198.51.100.2/29")],
        (E1, "link wan_a: 198.51.100.2 is the own address of both"),
    ),
    (
        "partners differ",
        [lambda r: r["edge-2"].update(symroute_partners=r["edge-2"]["symroute_partners"][:1])],
        (E1, "partners differ between edge-1 and edge-2", "partner-ledger"),
    ),
    (
        "LAN networks differ",
        [variable("edge-2", symroute_lan_networks=["203.0.113.0/24", "2001:db8:5::/64", "192.0.2.0/24"])],
        (E1, "lan_networks differ"),
    ),
    (
        "rule priority bases differ",
        [variable("edge-2", symroute_rule_priority_base=20000)],
        (E1, "rule_priority_base differ"),
    ),
]


def test_the_ha_lab_pair_is_valid():
    assert problems_of(pair_variables()) == []


@pytest.mark.parametrize("case", RULES, ids=[case[0] for case in RULES])
def test_each_rule_reports_its_problem(case):
    _, edits, fragments = case
    routers = pair_variables()
    for edit in edits:
        edit(routers)
    problems = problems_of(routers)
    assert any(all(fragment in problem for fragment in fragments) for problem in problems), (
        f"no problem holds {fragments}: {problems}"
    )
    assert all("Traceback" not in problem and len(problem) < 600 for problem in problems)


def test_every_problem_of_both_routers_at_once():
    routers = pair_variables()
    for edit in (
        ha(priority=0),
        sync(peer_address="10.255.1.2"),
        ha_link("wan_a", "edge-2", address="198.51.100.3/29"),
        lan("edge-2", address="192.0.2.1/24"),
    ):
        edit(routers)
    problems = problems_of(routers)
    expected = [
        (E1, "field priority"),
        (E1, "field sync.peer_address"),
        (E2, "field links.wan_a.address"),
        (E2, "field lan[0].address"),
    ]
    for fragments in expected:
        assert any(all(f in p for f in fragments) for p in problems), (fragments, problems)


def test_a_cross_router_difference_is_reported_once_naming_both_routers():
    routers = pair_variables()
    ha("edge-2", priority=150)(routers)
    problems = [p for p in problems_of(routers) if "priority" in p]
    assert problems == ["edge-1, symroute_ha: field priority: 150 on both edge-1 and edge-2 (the priorities differ)"]


def test_a_router_alone_planned_with_symroute_ha_is_refused_not_half_planned():
    """The filter plans one router: a pair's router alone has no peer to check against."""
    routers = pair_variables()
    problems = problems_of({"edge-1": routers["edge-1"]})
    assert problems == [
        "edge-1, symroute_ha: field peer: edge-2 is not a router of the inventory (both routers of "
        "a pair are planned together; routers: edge-1)"
    ]


def test_a_vrid_is_refused_twice_on_one_interface():
    """Other checks keep segments on distinct interfaces; the VRID check stands on its own all the same."""
    from symroute.ha_model import HaLan, HaLink
    from symroute.ha_validation import _vrids

    reported = []
    lan = [HaLan("lan", "lan0", 10), HaLan("lan_2", "lan0", 10)]
    links = [HaLink("wan_a", "shared", 10), HaLink("wan_b", "own")]
    _vrids(
        lambda field, message: reported.append(f"{field}: {message}"),
        lan,
        links,
        {"wan_a": "lan0", "wan_b": "wanb"},
        {},
    )
    assert reported == [
        "lan[1].vrid: VRID 10 is also lan[0].vrid's on interface lan0 (one VRID per instance and interface)",
        "links.wan_a.vrid: VRID 10 is also lan[0].vrid's on interface lan0 (one VRID per instance and interface)",
    ]


def test_a_link_named_like_a_lan_segment_is_refused():
    routers = pair_variables()
    for router in ROUTERS:
        routers[router]["symroute_links"][1]["name"] = "lan"
        routers[router]["symroute_ha"]["links"]["lan"] = routers[router]["symroute_ha"]["links"].pop("wan_b")
    assert any(
        p.startswith(E1 + ": field links.lan: the link's name is also the name of a LAN segment")
        for p in problems_of(routers)
    )


def test_a_pair_s_difference_is_reported_with_another_router_s_problem():
    """Every problem at once: an invalid router elsewhere in the inventory does not hide the pair's problems."""
    routers = pair_variables()
    ha("edge-2", priority=150)(routers)
    routers["edge-3"] = copy.deepcopy(BASE_ROUTER)
    routers["edge-3"]["symroute_links"][0]["gateway"] = "not an address"
    problems = problems_of(routers)
    assert "edge-1, symroute_ha: field priority: 150 on both edge-1 and edge-2 (the priorities differ)" in problems
    assert any(problem.startswith("edge-3") and "gateway" in problem for problem in problems), problems


def test_a_router_whose_peer_is_invalid_is_not_compared_with_it():
    """The invalid peer's own problems are the ones to fix: no comparison with a half-read router is added."""
    routers = pair_variables()
    routers["edge-2"]["symroute_links"][0]["gateway"] = "not an address"
    problems = problems_of(routers)
    assert problems and all(problem.startswith("edge-2") for problem in problems), problems
