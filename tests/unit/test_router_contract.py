"""The controller-to-router contract: real plans pass contract.check; hostile data does not.

The contract has one definition on each side: the engine's slices (symroute/contract_slices.py, what the
controller hands over) and the router's check (module_utils/symroute_router/contract.py, what the router
accepts before anything changes). Every slice of every router of inventories/lab and inventories/production,
and of every harmless hostile inventory (the routing slice as the routing role hands it over, the nftables
slice with the rendered symroute.nft), must be accepted by the check; each hostile mutation in ``REFUSED``
(types, ranges, tokens, relations between fields, a prefix in network form, the nft file's structure) must
be refused.
"""

import copy
import shutil

import pytest
import yaml

from hostile_corpus import ACCEPTED, CASES
from paths import REPOSITORY
from rendering import environment, role_variables
from symroute.ansible_inventory import load_inventory
from symroute.contract_slices import contract_slice
from symroute.pipeline import plan_routers
from symroute_router import contract


def nft_content(plan):
    variables = dict(role_variables("symroute_nftables", plan), symroute_nftables_plan=plan)
    return environment("symroute_nftables").get_template("symroute.nft.j2").render(variables)


def slices(plan):
    """The five parts as the controller hands them to the router: the engine's slices (symroute_contract, the
    roles' vars), with what the roles add (the rendered nft table, the monitor's state file)."""
    state_file = {"monitor_state_file": "/run/symroute/monitor.json"}
    return {
        "routing": contract_slice(plan, "routing"),
        "sysctls": contract_slice(plan, "sysctls"),
        "nftables": dict(contract_slice(plan, "nftables"), content=nft_content(plan)),
        "verify": dict(contract_slice(plan, "verify"), **state_file),
        "audit": dict(contract_slice(plan, "audit"), **state_file),
    }


ROLE_SLICES = {
    ("symroute_routing", "__symroute_routing_request", "routing"): "routing",
    ("symroute_sysctl", "__symroute_sysctl_request", "sysctls"): "sysctls",
    ("symroute_nftables", "__symroute_nftables_request", "nftables"): "nftables",
    ("symroute_verify", "__symroute_verify_request", None): "verify",
    ("symroute_verify", "__symroute_verify_audit_request", None): "audit",
    ("symroute_snapshot", "__symroute_snapshot_request", "scope"): "snapshot_scope",
}


@pytest.mark.parametrize("where, part", ROLE_SLICES.items(), ids=[f"{w[0]}-{p}" for w, p in ROLE_SLICES.items()])
def test_each_role_hands_over_the_engines_slice_and_defines_none_of_its_own(where, part):
    """The contract is defined once: each role's request takes its slice from the symroute_contract filter
    (symroute/contract_slices.py), which the tests above check; no role lists the slice's fields itself."""
    role, variable, key = where
    request = yaml.safe_load((REPOSITORY / "roles" / role / "vars" / "main.yml").read_text())[variable]
    value = request if key is None else request[key]
    assert isinstance(value, str) and value.strip().startswith("{{") and f"symroute_contract('{part}')" in value, value


@pytest.fixture(scope="module")
def plans():
    found = {}
    for inventory in ("lab", "production"):
        routers = load_inventory(REPOSITORY / "inventories" / inventory).routers
        for name, plan in plan_routers(routers).items():
            found[f"{inventory}/{name}"] = plan
    return found


@pytest.fixture(scope="module")
def lab(plans):
    return slices(plans["lab/edge"])


def test_real_plans_are_accepted_by_the_routers_check(plans):
    assert len(plans) == 3
    for name, plan in plans.items():
        assert plan.get("contract_version", 1) == contract.CONTRACT_VERSION, name
        for part, data in slices(plan).items():
            assert contract.check(part, data) == [], (name, part)


HARMLESS = [case for case in CASES if case[2] == ACCEPTED]


@pytest.mark.parametrize("case", HARMLESS, ids=[case[0] for case in HARMLESS])
def test_hostile_but_harmless_inventories_still_pass_the_check(case, tmp_path):
    """The corpus's accepted cases (quotes, '#' and ';' in the nft header, VLAN interfaces, link-local gateways)."""
    name, edits, _ = case
    root = tmp_path / "inventory"
    shutil.copytree(REPOSITORY / "inventories" / "lab", root)
    for edit in edits:
        edit(root)
    for router, plan in plan_routers(load_inventory(root).routers).items():
        for part, data in slices(plan).items():
            assert contract.check(part, data) == [], (name, router, part)


def _set(path, value):
    def mutate(data):
        *parents, last = path
        for key in parents:
            data = data[key]
        data[last] = value

    return mutate


def _delete(path):
    def mutate(data):
        *parents, last = path
        for key in parents:
            data = data[key]
        del data[last]

    return mutate


def _append(path, value):
    def mutate(data):
        for key in path:
            data = data[key]
        data.append(value)

    return mutate


def _content(change):
    def mutate(data):
        data["content"] = change(data["content"])

    return mutate


REFUSED = [
    # every part: the version, unknown keys
    ("routing", "no contract_version", _delete(["contract_version"])),
    ("routing", "contract_version 2", _set(["contract_version"], 2)),
    ("sysctls", "contract_version as a string", _set(["contract_version"], "1")),
    ("nftables", "contract_version true", _set(["contract_version"], True)),
    ("verify", "contract_version 0", _set(["contract_version"], 0)),
    ("routing", "an unknown top-level key", _set(["extra"], 1)),
    ("routing", "a router name with a newline", _set(["router"], "edge\nrule flush")),
    ("routing", "a comment with a control character", _set(["comment"], "ok\x1b[2J")),
    # routing
    ("routing", "priority_band of three", _set(["priority_band"], [10000, 10500, 10999])),
    ("routing", "priority_band as text", _set(["priority_band"], "10000-10999")),
    ("routing", "the main table as a link table", _append(["tables"], 254)),
    ("routing", "table 0", _append(["tables"], 0)),
    ("routing", "a table as text", _append(["tables"], "200")),
    ("routing", "a table listed twice", _append(["tables"], 200)),
    ("routing", "a rule with iif", _set(["rules", 0, "iif"], "eth0")),
    ("routing", "a rule with table and action", _set(["rules", 0, "action"], "prohibit")),
    ("routing", "a rule with neither table nor action", _delete(["rules", 0, "table"])),
    (
        "routing",
        "a rule action goto",
        _set(["rules", 0], {"priority": 10300, "family": 4, "fwmark": "0x8000/0x8000", "action": "goto"}),
    ),
    ("routing", "a fwmark with more words", _set(["rules", 5, "fwmark"], "0x100/0x7f00 lookup 99")),
    ("routing", "a rule address injecting a line", _set(["rules", 2, "from"], "198.51.100.2\nrule flush")),
    ("routing", "rule family 5", _set(["rules", 0, "family"], 5)),
    ("routing", "an IPv6 prefix in an IPv4 rule", _set(["rules", 0, "to"], "2001:db8::/32")),
    ("routing", "a negative priority", _set(["rules", 0, "priority"], -1)),
    ("routing", "a priority as text", _set(["rules", 0, "priority"], "10000")),
    ("routing", "a priority above 2^32", _set(["rules", 0, "priority"], 2**32)),
    ("routing", "a rule comment of two lines", _set(["rules", 0, "comment"], "a\nb")),
    ("routing", "a rule comment of 201 characters", _set(["rules", 0, "comment"], "x" * 201)),
    ("routing", "a rule comment with U+2028", _set(["rules", 0, "comment"], "a\u2028b")),
    ("routing", "a device with a semicolon", _set(["routes", 0, "dev"], "wana;reboot")),
    ("routing", "the loopback device", _set(["routes", 0, "dev"], "lo")),
    ("routing", "device all", _set(["routes", 0, "dev"], "all")),
    ("routing", "a 16-character device", _set(["routes", 0, "dev"], "a" * 16)),
    ("routing", "an empty device", _set(["routes", 0, "dev"], "")),
    ("routing", "a /33", _set(["routes", 0, "dst"], "198.51.100.0/33")),
    ("routing", "a gateway with more words", _set(["routes", 1, "via"], "198.51.100.1 dev eth0")),
    ("routing", "a route in table 255", _set(["routes", 0, "table"], 255)),
    ("routing", "a route in the main table by name", _set(["routes", 0, "table"], "main")),
    ("routing", "scope global", _set(["routes", 0, "scope"], "global")),
    ("routing", "onlink as text", _set(["routes", 1, "onlink"], "yes")),
    ("routing", "a route with a metric", _set(["routes", 0, "metric"], 5)),
    ("routing", "1025 routes", lambda data: data["routes"].extend([data["routes"][0]] * 1025)),
    # sysctls
    ("sysctls", "a kernel key outside net", _append(["sysctls"], {"name": "kernel.core_pattern", "value": "1"})),
    (
        "sysctls",
        "a key climbing out of /proc/sys/net",
        _append(["sysctls"], {"name": "net/ipv4/../../kernel/core_pattern", "value": "1"}),
    ),
    ("sysctls", "a key with a newline", _set(["sysctls", 0, "name"], "net.ipv4.ip_forward\nkernel.x")),
    ("sysctls", "a value with a second line", _set(["sysctls", 0, "value"], "1\nnet.ipv4.ip_forward = 0")),
    ("sysctls", "a word as value", _set(["sysctls", 0, "value"], "yes")),
    ("sysctls", "an integer value", _set(["sysctls", 0, "value"], 1)),
    ("sysctls", "an extra key", _set(["sysctls", 0, "mode"], "0644")),
    # nftables
    ("nftables", "another table", _set(["table"], "ip filter")),
    ("nftables", "flush ruleset first", _content(lambda text: "flush ruleset\n" + text)),
    ("nftables", "an include", _content(lambda text: text + 'include "/etc/nftables.d/*.nft"\n')),
    (
        "nftables",
        "a second table that drops input",
        _content(
            lambda text: (
                text + "table ip filter {\n\tchain input {\n\t\ttype filter hook input priority 0; "
                "policy drop;\n\t}\n}\n"
            )
        ),
    ),
    ("nftables", "deleting another table", _content(lambda text: text + "delete table ip nat\n")),
    ("nftables", "a define", _content(lambda text: "define wan = eth9\n" + text)),
    ("nftables", "a flush after a closing brace on the same line", _content(lambda text: text + "}; flush ruleset\n")),
    (
        "nftables",
        "a flush after a semicolon",
        _content(lambda text: text.replace("policy accept;", "policy accept; flush ruleset;", 1)),
    ),
    ("nftables", "a NUL character", _content(lambda text: text + "\x00")),
    ("nftables", "an escape character", _content(lambda text: "# \x1b[2J\n" + text)),
    ("nftables", "content as a list", _set(["content"], ["table inet symroute {}"])),
    # verify
    ("verify", "a mark with more words", _set(["partners", 0, "mark"], "0x100 ; reboot")),
    ("verify", "an address with more words", _set(["partners", 0, "address"], "100.64.20.1 mark 0x1")),
    ("verify", "a partner name with a slash", _set(["partners", 0, "partner"], "a/b")),
    ("verify", "a management address that is no address", _append(["management"], "example.com")),
    ("verify", "an interface with a space", _set(["tables", 0, "interface"], "eth0 extra")),
    ("verify", "a relative monitor state file", _set(["monitor_state_file"], "run/monitor.json")),
    ("verify", "a monitor state file climbing out", _set(["monitor_state_file"], "/run/../etc/shadow")),
    ("verify", "an IPv6 gateway for IPv4", _set(["tables", 0, "gateway"], "2001:db8::1")),
    ("verify", "an unknown key", _set(["tables", 0, "extra"], 1)),
    # Relations between fields, exact integers and the nft file's structure.
    ("routing", "a priority below the band", _set(["rules", 0, "priority"], 9999)),
    ("routing", "a priority in the monitor's sub-band", _set(["rules", 0, "priority"], 10950)),
    ("routing", "a rule looking up a table the state does not own", _set(["rules", 2, "table"], 999)),
    ("routing", "a route in a table the state does not own", _set(["routes", 0, "table"], 999)),
    # The check takes integers only (JSON Schema, for one, would count 200.0 as an integer).
    ("routing", "a table id as a float", _set(["routes", 0, "table"], 200.0)),
    ("routing", "a rule table id as a float", _set(["rules", 2, "table"], 200.0)),
    ("routing", "two IPv4 rules at one priority", _set(["rules", 1, "priority"], 10000)),
    ("routing", "a prefix not in network form", _set(["rules", 0, "to"], "203.0.113.7/24")),
    ("routing", "an IPv6 gateway that is not an address", _set(["routes", 3, "via"], "1:2:3")),
    ("routing", "a reversed band", _set(["priority_band"], [10999, 10000])),
    ("routing", "a monitor band outside the band", _set(["monitor_bands", 0], [9000, 9100])),
    ("routing", "two routes to one destination in one table", lambda data: data["routes"].append(data["routes"][0])),
    ("sysctls", "a key listed twice", lambda data: data["sysctls"].append(dict(data["sysctls"][0]))),
    ("nftables", "unbalanced braces", _content(lambda text: text + "}\n")),
    ("nftables", "no definition of the table", _set(["content"], "table inet symroute\n")),
]


def _ids(cases):
    return [f"{part}: {what}" for part, what, _ in cases]


@pytest.mark.parametrize(("part", "what", "mutate"), REFUSED, ids=_ids(REFUSED))
def test_hostile_data_is_refused_by_the_check(lab, part, what, mutate):
    data = copy.deepcopy(lab[part])
    mutate(data)
    assert contract.check(part, data), what


def test_a_wrong_or_missing_version_names_both_versions(lab):
    problems = contract.check("routing", dict(lab["routing"], contract_version=2))
    assert problems == [
        "routing: contract_version: the controller sent version 2, this router's package speaks contract version 1"
    ]
    missing = dict(lab["verify"])
    del missing["contract_version"]
    assert contract.check("verify", missing) == [
        "verify: contract_version: missing: the controller sent no version, this router's package speaks "
        "contract version 1"
    ]


def test_problems_name_the_field(lab):
    data = copy.deepcopy(lab["routing"])
    data["routes"][1]["dev"] = "wana;x"
    data["rules"][0]["priority"] = 9999
    problems = contract.check("routing", data)
    assert "routing: routes[1].dev: 'wana;x' is not an interface name" in problems
    assert any(p.startswith("routing: rules[0].priority: 9999 is outside") for p in problems)


def test_an_unknown_part_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown contract part"):
        contract.check("monitor", {})


def test_refusal_is_one_message_naming_every_problem_or_none():
    from symroute_router.contract import refusal

    assert (
        refusal("sysctls", {"contract_version": 1, "sysctls": [{"name": "net.ipv4.ip_forward", "value": "1"}]}) is None
    )
    message = refusal("sysctls", {"contract_version": 2, "sysctls": "x"})
    assert message.startswith("the plan slice breaks the contract: ") and "2" in message
