"""The plan of an HA pair: the ``ha`` section's shape (the roles' interface), SNAT and rules to the shared
addresses, a router alone unchanged, determinism, and the review and ``explain`` showing the pair."""

import json
import os
import subprocess

from test_ha_inventory import ha_link, pair_variables

from paths import REPOSITORY
from symroute.cli import main
from symroute.explain import explain_address
from symroute.pipeline import plan_digest, plan_routers
from symroute.review import router_changes
from symroute.review_markdown import markdown

SYMROUTE = str(REPOSITORY / "bin" / "symroute")
HA_LAB = str(REPOSITORY / "inventories" / "ha-lab")
LAB = str(REPOSITORY / "inventories" / "lab")
HA_KEYS = [
    "pair",
    "router",
    "peer",
    "priority",
    "peer_priority",
    "preempt",
    "advert_interval_ms",
    "sync",
    "instances",
    "links",
    "tracked_links",
    "yield_file",
]


def _plans(routers=None):
    return plan_routers(routers or pair_variables())


def test_the_ha_section_has_the_agreed_shape_in_its_fixed_order():
    plan = _plans()["edge-1"]
    assert list(plan["ha"]) == HA_KEYS
    assert plan["ha"] == {
        "pair": "edge-pair",
        "router": "edge-1",
        "peer": "edge-2",
        "priority": 150,
        "peer_priority": 100,
        "preempt": False,
        "advert_interval_ms": 100,
        "sync": {"interface": "sync0", "address": "10.255.0.1/30", "peer": "10.255.0.2"},
        "instances": [
            {
                "name": "lan4",
                "segment": "lan",
                "family": 4,
                "vrid": 10,
                "interface": "lan0",
                "addresses": ["203.0.113.1/24"],
            },
            {
                "name": "lan6",
                "segment": "lan",
                "family": 6,
                "vrid": 10,
                "interface": "lan0",
                "addresses": ["2001:db8:5::1/64"],
            },
            {
                "name": "wan_a4",
                "segment": "wan_a",
                "family": 4,
                "vrid": 21,
                "interface": "wana",
                "addresses": ["198.51.100.4/29"],
            },
            {
                "name": "wan_b4",
                "segment": "wan_b",
                "family": 4,
                "vrid": 22,
                "interface": "wanb",
                "addresses": ["198.51.100.12/29"],
            },
        ],
        "links": {
            "wan_a": {"mode": "shared", "address": "198.51.100.4/29"},
            "wan_b": {"mode": "shared", "address": "198.51.100.12/29"},
        },
        "tracked_links": ["wan_a"],
        "yield_file": "/run/symroute/ha-yield",
    }
    for instance in plan["ha"]["instances"]:
        assert list(instance) == ["name", "segment", "family", "vrid", "interface", "addresses"]


def test_the_peer_sees_the_mirror_image():
    ha = _plans()["edge-2"]["ha"]
    assert (ha["router"], ha["peer"], ha["priority"], ha["peer_priority"]) == ("edge-2", "edge-1", 100, 150)
    assert ha["sync"] == {"interface": "sync0", "address": "10.255.0.2/30", "peer": "10.255.0.1"}
    assert ha["instances"] == _plans()["edge-1"]["ha"]["instances"]


def test_a_shared_link_snats_to_the_shared_address_and_an_own_link_to_its_own():
    routers = pair_variables()
    for router in routers:
        ha_link("wan_b", router, replace={"mode": "own"})(routers)
    plans = _plans(routers)
    for router, own_b in (("edge-1", "198.51.100.10"), ("edge-2", "198.51.100.11")):
        snat = {entry["link"]: entry["address"] for entry in plans[router]["nftables"]["snat"]}
        assert snat == {"wan_a": "198.51.100.4", "wan_b": own_b}
        assert plans[router]["ha"]["links"]["wan_b"] == {"mode": "own"}
        assert [i["name"] for i in plans[router]["ha"]["instances"]] == ["lan4", "lan6", "wan_a4"]


def test_the_shared_address_has_its_own_from_rules_and_the_own_address_keeps_its():
    rules = [
        (r["priority"], r["from"], r.get("table", r.get("action"))) for r in _plans()["edge-1"]["rules"] if "from" in r
    ]
    assert rules == [
        (10100, "198.51.100.2", 200),
        (10101, "198.51.100.10", 201),
        (10150, "198.51.100.4", 200),
        (10151, "198.51.100.12", 201),
        (10350, "198.51.100.2", "prohibit"),
        (10351, "198.51.100.10", "prohibit"),
        (10370, "198.51.100.4", "prohibit"),
        (10371, "198.51.100.12", "prohibit"),
    ]


def test_the_pair_plans_pass_the_router_side_contract():
    from rendering import render_all
    from symroute.contract_slices import contract_slice
    from symroute_router import contract

    for plan in _plans().values():
        for part in ("routing", "verify", "audit"):
            assert contract.check(part, contract_slice(plan, part)) == [], part
        content = render_all(plan)["symroute.nft.j2"]
        assert "snat ip to 198.51.100.4" in content and "snat ip to 198.51.100.12" in content
        assert contract.check("nftables", dict(contract_slice(plan, "nftables"), content=content)) == []


def test_the_routers_of_a_pair_have_the_same_rules_tables_and_sets():
    plans = _plans()
    for key in ("tables", "rules", "partners", "main_table_networks"):
        one, two = json.dumps(plans["edge-1"][key]), json.dumps(plans["edge-2"][key])
        if key == "rules":  # the own addresses differ, everything else is equal
            one = one.replace('198.51.100.2"', 'OWN_A"').replace('198.51.100.10"', 'OWN_B"')
            two = two.replace('198.51.100.3"', 'OWN_A"').replace('198.51.100.11"', 'OWN_B"')
        assert one == two, key
    assert plans["edge-1"]["nftables"]["snat"] == plans["edge-2"]["nftables"]["snat"]


def test_a_router_without_a_pair_has_no_ha_key_and_its_digest_is_pinned():
    """The digest test_dynamic_links pins for the lab: a router alone is planned byte for byte as before."""
    out = subprocess.run(
        [SYMROUTE, "plan", "--inventory", LAB, "--format", "json"], capture_output=True, text=True, check=True
    ).stdout
    document = json.loads(out)
    assert document["digest"] == "sha256:92327f615116648da7d583a2805eada3422292e8d48d2def2da82dba9990778a"
    assert all("ha" not in plan for plan in document["routers"].values())


def test_the_digest_covers_the_pair():
    before = plan_digest(_plans())
    routers = pair_variables()
    for router in routers:
        ha_link("wan_a", router, vrid=31)(routers)
    assert plan_digest(_plans(routers)) != before


def test_two_processes_plan_the_pair_byte_for_byte():
    outputs = []
    for seed in ("1", "2"):
        environment = dict(os.environ, PYTHONHASHSEED=seed)
        outputs.append(
            subprocess.run(
                [SYMROUTE, "plan", "--inventory", HA_LAB, "--format", "json"],
                capture_output=True,
                check=True,
                env=environment,
            ).stdout
        )
    assert outputs[0] == outputs[1] and json.loads(outputs[0])["valid"]


def test_the_review_shows_what_changed_in_the_pair():
    before = _plans()
    routers = pair_variables()
    for router in routers:
        ha_link("wan_a", router, vrid=31)(routers)
    change = router_changes(before["edge-1"], _plans(routers)["edge-1"])
    assert change["status"] == "changed"
    assert change["ha"] == {
        "added": ["VRRP wan_a4: vrid 31 on wana, 198.51.100.4/29"],
        "removed": ["VRRP wan_a4: vrid 21 on wana, 198.51.100.4/29"],
    }


def test_the_review_of_a_router_alone_has_no_ha_key():
    plan = plan_routers({"edge": _lab_variables()})["edge"]
    assert "ha" not in router_changes(plan, plan)


def _lab_variables():
    import yaml

    root = REPOSITORY / "inventories" / "lab"
    variables = yaml.safe_load((root / "host_vars" / "edge.yml").read_text())
    variables.update(yaml.safe_load((root / "group_vars" / "all" / "partners.yml").read_text()))
    return variables


def test_the_review_markdown_shows_the_pair():
    plans = _plans()
    text = markdown({"valid": True, "routers": plans, "digest": plan_digest(plans), "warnings": []})
    assert "HA pair:" in text
    for line in (
        "- pair edge-pair with edge-2: starts as the master",
        "- pair edge-pair with edge-1: starts as the backup",
        "- link wan_a: SNAT to the shared address 198.51.100.4 (the same on both routers)",
        "- VRRP lan6: vrid 10 on lan0, 2001:db8:5::1/64",
        "- yields when all of wan_a are out of service",
    ):
        assert line in text.splitlines(), line


def test_explain_says_the_partner_sees_the_shared_address():
    plan = _plans()["edge-2"]
    answer = explain_address(plan, "100.64.20.5")
    assert answer["source"] == "198.51.100.4"
    assert answer["when_link_fails"] == (
        "leaves by wan_b (wanb, source 198.51.100.12) (with that link's shared address)"
    )
    assert answer["ha"]["role"] == "starts as the backup"
    assert answer["ha"]["vrrp"][2] == {
        "name": "wan_a4",
        "vrid": 21,
        "interface": "wana",
        "addresses": ["198.51.100.4/29"],
    }


def test_explain_of_a_router_alone_is_unchanged():
    plan = plan_routers({"edge": _lab_variables()})["edge"]
    answer = explain_address(plan, "100.64.20.5")
    assert "ha" not in answer and answer["source"] == "198.51.100.2"


def test_explain_text_names_the_pair_once(capsys):
    assert main(["explain", "--inventory", HA_LAB, "--host", "edge-1", "100.64.20.5", "100.64.21.5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "edge-1 is in HA pair edge-pair with edge-2: starts as the master (priority 150, peer 100, preempt false)"
    )
    assert "  link wan_b: SNAT to the shared address 198.51.100.12 (the same on both routers)" in out
    assert "  VRRP wan_a4: vrid 21 on wana, 198.51.100.4/29" in out
    assert sum(line.startswith("edge-1 is in HA pair") for line in out) == 1
    assert (
        "100.64.20.5 (partner partner-api, prefix 100.64.20.0/24): leaves by wan_a (wana, source 198.51.100.4)" in out
    )
