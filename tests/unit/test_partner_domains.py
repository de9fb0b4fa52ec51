"""Partners by DNS name (issue #23): ``domains`` validated, planned, reviewed and explained; never answers."""

import copy
import json
import time

import pytest

from paths import REPOSITORY
from symroute.errors import InventoryError
from symroute.explain import explain_address
from symroute.partner_validation import PARTNER_FIELDS
from symroute.pipeline import plan_digest
from symroute.plan import build_plan
from symroute.review import partner_changes
from symroute.review_markdown import _plan_section


def _with(router_vars, **partner):
    router_vars["symroute_partners"].append(dict({"name": "partner-dns", "link": "wan_b"}, **partner))
    return router_vars


def _problems(router_vars):
    with pytest.raises(InventoryError) as raised:
        build_plan("edge", router_vars)
    return [str(problem) for problem in raised.value.problems]


def test_a_partner_named_by_dns_gets_timeout_capable_sets_in_both_families(router_vars):
    plan = build_plan("edge", _with(router_vars, domains=["api.partner.example", "xn--bcher-kva.example"]))
    sets = {s["name"]: s for s in plan["nftables"]["partner_sets"]}
    for name in ("wan_b_failover_v4", "wan_b_failover_v6"):
        assert sets[name]["domains"] == ["api.partner.example", "xn--bcher-kva.example"]
        assert "partner-dns" in sets[name]["partners"]
    assert sets["wan_b_failover_v6"]["elements"] == []  # no prefix: the router's answers only
    assert "domains" not in sets["wan_a_failover_v4"]  # a static-only set stays as it was
    partner = next(p for p in plan["partners"] if p["name"] == "partner-dns")
    assert partner["domains"] == ["api.partner.example", "xn--bcher-kva.example"] and partner["prefixes"] == []


def test_a_static_plan_has_no_domains_key(router_vars):
    plan = build_plan("edge", router_vars)
    assert all("domains" not in p for p in plan["partners"])
    assert all("domains" not in s for s in plan["nftables"]["partner_sets"])


def test_the_digest_covers_the_names(router_vars):
    one = build_plan("edge", _with(copy.deepcopy(router_vars), domains=["a.partner.example"]))
    two = build_plan("edge", _with(copy.deepcopy(router_vars), domains=["b.partner.example"]))
    assert plan_digest({"edge": one}) != plan_digest({"edge": two})


def test_hostile_names_are_all_refused_at_once_with_their_position(router_vars):
    hostile = [
        "{{ lookup('pipe', 'id') }}",
        "a\nb.example",
        "*.cdn.example",
        "bücher.example",
        "API.example",
        "x.example.",
        "1.2.3.4",
        "localhost",
        "foo.local",
        3,
        1.5,
        "ok.example",
        "ok.example",
        "'q'.example",
        "-a.example",
        "a" * 64 + ".example",
        ("a." * 127) + "example",
        "",
    ]
    problems = _problems(_with(router_vars, domains=hostile))
    text = "\n".join(problems)
    for position in range(len(hostile)):
        if position != 11:
            assert f"field domains[{position}]:" in text, position
    assert "field domains[11]" not in text
    assert "wildcard" in text and "punycode" in text and "lower case" in text and "final dot" in text
    assert "must be a string, got an integer 3" in text and "got a number 1.5" in text
    assert all("\n" not in problem for problem in problems)


def test_ten_thousand_names_are_one_problem_quickly(router_vars):
    started = time.monotonic()
    problems = _problems(_with(router_vars, domains=[f"n{i}.partner.example" for i in range(10000)]))
    assert time.monotonic() - started < 5
    assert [p for p in problems if "domains" in p] == [
        "edge, partner 'partner-dns': field domains: lists 10000 entries; at most 64"
    ]


def test_a_name_in_two_partners_and_a_partner_with_neither_are_errors(router_vars):
    router_vars["symroute_partners"][0]["domains"] = ["api.partner.example"]
    _with(router_vars, domains=["api.partner.example"])
    router_vars["symroute_partners"].append({"name": "empty", "link": "wan_a"})
    text = "\n".join(_problems(router_vars))
    assert "api.partner.example is in partner partner-api and partner partner-dns" in text
    assert "partner 'empty': needs prefixes, domains or both" in text


def test_review_report_and_explain_show_the_names(router_vars):
    before = build_plan("edge", copy.deepcopy(router_vars))
    after = build_plan("edge", _with(router_vars, domains=["api.partner.example"]))
    changes = partner_changes(before, after)
    assert changes["partner-dns"]["domains"] == ["api.partner.example"]
    router_vars["symroute_partners"][-1]["domains"] = ["api2.partner.example"]
    later = build_plan("edge", router_vars)
    assert partner_changes(after, later)["partner-dns"]["domains"] == {
        "added": ["api2.partner.example"],
        "removed": ["api.partner.example"],
    }
    assert "name `api.partner.example`" in "\n".join(_plan_section("edge", after))
    answer = explain_address(after, "api.partner.example")
    assert answer["partner"] == "partner-dns" and answer["pinned_link"] == "wan_b" and "error" not in answer


def test_domains_with_the_monitor_disabled_are_refused(router_vars):
    from symroute.pipeline import plan_routers

    _with(router_vars, domains=["api.partner.example"])
    with pytest.raises(InventoryError) as raised:
        plan_routers({"edge": dict(router_vars, symroute_monitor_enabled=False)})
    assert [str(p) for p in raised.value.problems] == [
        "edge: variable symroute_monitor_enabled: false, but partner partner-dns has domains (the monitor looks them "
        "up): enable the monitor or list prefixes only"
    ]
    assert plan_routers({"edge": dict(router_vars, symroute_monitor_enabled=True)})["edge"]["monitor"]["resolver"]


def test_the_resolver_section_guards_the_routers_own_networks(router_vars):
    plan = build_plan("edge", _with(router_vars, domains=["api.partner.example"], on_link_failure="fail_closed"))
    section = plan["monitor"]["resolver"]
    assert section["table"] == "inet symroute" and section["router"] == "edge"
    # LAN, management, the links' networks (198.51.100.0/30 and .4/30 merged)
    assert section["guarded"] == [
        "100.64.99.0/24",
        "198.51.100.0/29",
        "203.0.113.0/24",
        "2001:db8:5::/64",
        "2001:db8:a::/64",
        "2001:db8:b::/64",
    ]
    assert [(s["set"], s["family"], s["mark"]) for s in section["sets"]] == [
        ("wan_b_fail_closed_v4", 4, "0x200"),
        ("wan_b_fail_closed_v6", 6, "0x200"),
    ]  # no fail-closed bit
    assert "resolver" not in build_plan("edge", copy.deepcopy(router_vars) | {"symroute_partners": []})["monitor"]


@pytest.mark.parametrize("typo", ["prefxes", "Prefixes", "domian", "domain"])
def test_a_misspelt_prefixes_or_domains_is_one_message_not_two(router_vars, typo):
    """The schema's 'unknown key ... (did you mean ...)' says it; 'needs prefixes, domains or both' would be
    the same cause again (#28: one cause, one message)."""
    router_vars["symroute_partners"].append({"name": "typo", "link": "wan_a", typo: ["100.64.41.0/24"]})
    problems = [p for p in _problems(router_vars) if "'typo'" in p]
    assert len(problems) == 1 and f"unknown key '{typo}'" in problems[0], problems


def test_the_partner_fields_are_the_schemas():
    schema = json.loads((REPOSITORY / "symroute" / "schema" / "inventory.schema.json").read_text())
    assert tuple(sorted(schema["$defs"]["partner"]["properties"])) == PARTNER_FIELDS
