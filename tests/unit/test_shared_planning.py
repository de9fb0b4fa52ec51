"""Shared planning (issue #14): routers that share a partner list share its per-prefix work, and every
plan, problem and review is exactly what the router planned alone gives, in another process."""

import contextlib
import copy
import hashlib
import io
import json
import os
import subprocess
import sys

import pytest
import yaml

from paths import REPOSITORY
from symroute import cli, json_text, shared_partners
from symroute.errors import InventoryError
from symroute.pipeline import canonical_json, plan_digest, plan_routers
from symroute.shared_work import SharedWork, Unshareable, canonical

SYMROUTE = str(REPOSITORY / "bin" / "symroute")
EAST = [
    {
        "name": "acme",
        "link": "wan_a",
        "prefixes": ["100.64.1.0/24", "100.64.2.0/24", "2001:db8:100::/48", "100.64.1.128/25"],
    },  # redundant: a warning
    {"name": "ledger", "link": "wan_b", "on_link_failure": "fail_closed", "prefixes": ["100.65.0.0/16"]},
    {
        "name": "payments",
        "link": "wan_a",
        "failover_links": ["wan_b"],
        "prefixes": ["100.66.0.0/24", "100.66.1.0/24", "2001:db8:200::/48"],
    },
    {"name": "status", "link": "wan_b", "prefixes": ["100.67.0.0/24"], "health_check": "tcp://100.67.0.1:443"},
]
WEST = [
    {"name": "acme", "link": "wan_a", "prefixes": ["100.64.8.0/24", "2001:db8:108::/48"]},
    {"name": "ledger", "link": "wan_a", "on_link_failure": "fail_closed", "prefixes": ["100.65.0.0/16"]},
]
# router: (group, link shape): "a6" wan_a with IPv6, "b" wan_b without, "b6" with IPv6 (and NAT66), "c6" wan_c.
ROUTERS = {
    "e1": ("east", ("a6", "b")),
    "e2": ("east", ("a6", "b")),
    "e3": ("east", ("a6", "b6")),
    "e4": ("east", ("a6", "b", "c6")),
    "w1": ("west", ("b", "a6")),
    "w2": ("west", ("a6", "b")),
}


def _link(kind, number):
    name = {"a": "wan_a", "b": "wan_b", "c": "wan_c"}[kind[0]]
    third = {"a": 16, "b": 17, "c": 18}[kind[0]]
    link = {
        "name": name,
        "interface": name.replace("_", ""),
        "address": f"172.{third}.{number}.2/30",
        "gateway": f"172.{third}.{number}.1",
    }
    if kind.endswith("6"):
        link.update(address6=f"2001:db8:{third}:{number}::2/64", gateway6=f"2001:db8:{third}:{number}::1")
        link["nat66"] = kind[0] == "b"
    return link


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, default_flow_style=None, sort_keys=False))


def _inventory(root, east=EAST, west=WEST):
    """Two partner files (groups east and west), six routers of five link shapes, one solo group per router."""
    inventory = root / "inventory"
    _write(inventory / "group_vars" / "east" / "partners.yml", {"symroute_partners": east})
    _write(inventory / "group_vars" / "west" / "partners.yml", {"symroute_partners": west})
    groups = {"east": {}, "west": {}}
    for number, (router, (group, shape)) in enumerate(ROUTERS.items()):
        variables = {
            "symroute_links": [_link(kind, number) for kind in shape],
            "symroute_lan_networks": [f"192.168.{number}.0/24"],
        }
        if number % 2:
            variables["symroute_management_networks"] = [f"10.99.{number}.0/24"]
        _write(inventory / "host_vars" / f"{router}.yml", variables)
        groups[group][router] = {"ansible_host": f"192.0.2.{number + 1}"}
    hosts = {"symroute_routers": {"children": {group: {"hosts": members} for group, members in groups.items()}}}
    hosts.update({f"solo_{router}": {"hosts": {router: {}}} for router in ROUTERS})
    _write(inventory / "hosts.yml", hosts)
    return inventory


def _together(inventory, *extra, cwd=None):
    """The whole fleet through bin/symroute in one process: (exit code, output)."""
    result = subprocess.run(
        [SYMROUTE, "plan", "--inventory", str(inventory), "--format", "json", *extra],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=dict(os.environ, PYTHONHASHSEED="1"),
    )
    return result.returncode, result.stdout


ALONE = """
import contextlib, io, json, sys
from symroute import cli
inventory, extra, routers = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
documents = {}
for router in routers:  # each router alone: its own load, its own planning
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli.main(["plan", "--inventory", inventory, "--group", "solo_" + router, "--format", "json", *extra])
    documents[router] = json.loads(out.getvalue())
print(json.dumps(documents))
"""


def _alone(inventory, *extra, cwd=None):
    """{router: its review document planned alone}, in another process with another hash seed."""
    result = subprocess.run(
        [sys.executable, "-c", ALONE, str(inventory), json.dumps(extra), *ROUTERS],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        env=dict(os.environ, PYTHONHASHSEED="2"),
    )
    return json.loads(result.stdout)


def _text(value):
    return json.dumps(value, indent=2, sort_keys=True)


def test_a_fleet_planned_together_is_each_router_planned_alone(tmp_path):
    inventory = _inventory(tmp_path)
    status, output = _together(inventory)
    assert status == 0, output
    document = json.loads(output)
    assert output == _text(document) + "\n"  # the CLI's own JSON writer gives json.dumps's bytes
    alone = _alone(inventory)
    for router in ROUTERS:
        assert _text(document["routers"][router]) == _text(alone[router]["routers"][router]), router
        assert [w for w in document["warnings"] if w.startswith(f"{router},")] == alone[router]["warnings"]
    assert any(w.startswith("e4, partner 'acme'") and "redundant" in w for w in document["warnings"])
    assert (
        document["digest"]
        == "sha256:"
        + hashlib.sha256(
            canonical_json(
                {
                    "plans": document["routers"],
                    "inventory_files": {
                        path: entry["sha256"]
                        for path, entry in cli.manifest(cli.load_inventory(inventory))["files"].items()
                    },
                }
            ).encode()
        ).hexdigest()
    )


def _commit(repository, message):
    for args in (["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message]):
        subprocess.run(["git", "-C", str(repository), *args], check=True, capture_output=True)


def _two_commits(tmp_path):
    """A repository whose HEAD~1 is the base: HEAD adds a prefix to east's partners and a LAN network to e1."""
    inventory = _inventory(tmp_path)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _commit(tmp_path, "base")
    east = copy.deepcopy(EAST)
    east[0]["prefixes"].append("100.64.3.0/24")
    _write(inventory / "group_vars" / "east" / "partners.yml", {"symroute_partners": east})
    e1 = yaml.safe_load((inventory / "host_vars" / "e1.yml").read_text())
    e1["symroute_lan_networks"].append("192.168.100.0/24")
    _write(inventory / "host_vars" / "e1.yml", e1)
    _commit(tmp_path, "head")
    return inventory


def test_a_review_with_base_is_each_routers_review_alone(tmp_path):
    inventory = _two_commits(tmp_path)
    status, output = _together(inventory, "--base", "HEAD~1", cwd=tmp_path)
    assert status == 0, output
    document = json.loads(output)
    alone = _alone(inventory, "--base", "HEAD~1", cwd=tmp_path)
    for router in ROUTERS:
        mine = alone[router]
        assert _text(document["routers"][router]) == _text(mine["routers"][router]), router
        assert _text(document["changes"][router]) == _text(mine["changes"][router]), router
        for partner, entry in document["partners_changed"].items():
            if router in entry["routers"]:
                assert entry["changes"][router] == mine["partners_changed"][partner]["changes"][router]
    assert document["changes"]["e2"]["partners"]["acme"]["prefixes"] == {"added": ["100.64.3.0/24"], "removed": []}
    assert document["changes"]["w1"]["status"] == "unchanged"
    assert document["changes"]["e1"]["rules"]["added"]


def test_invalid_shared_partners_are_reported_for_every_router_as_alone(tmp_path):
    east = copy.deepcopy(EAST)
    east[0]["prefixes"][1] = "100.64.2.7/24"
    east[3]["prefixes"].append("2001:db8:300::/48")  # wan_b: IPv6 on e3 only
    inventory = _inventory(tmp_path, east=east)
    status, output = _together(inventory)
    assert status == 1
    # Each problem names its file and line first (symroute/locate.py): compared without them, in order.
    problems = [p.split(": ", 1)[1] if ".yml:" in p.split(": ", 1)[0] else p for p in json.loads(output)["problems"]]
    alone = _alone(inventory)
    assert sorted(json.loads(output)["problems"]) == sorted(p for router in ROUTERS for p in alone[router]["problems"])
    for router in ("e1", "e2", "e3", "e4"):
        assert (
            f"{router}, partner 'acme': field prefixes[1]: '100.64.2.7/24' has host bits set; the network form "
            "is 100.64.2.0/24"
        ) in problems
    for router in ("e1", "e2", "e4"):
        assert (
            f"{router}, partner 'status': field prefixes[1]: 2001:db8:300::/48 is IPv6 but link 'wan_b' has no "
            "IPv6 (address6/gateway6)"
        ) in problems
    assert not any(p.startswith(("e3, partner 'status'", "w1,", "w2,")) for p in problems)


def _fleet_variables(routers):
    """Router variables as separate copies (no object shared): equal content must be enough to share."""
    variables = {}
    for number in range(routers):
        shape = ("a6", "b") if number % 2 else ("a6", "b", "c6")
        variables[f"r{number:02d}"] = {
            "symroute_links": [_link(kind, number) for kind in shape],
            "symroute_partners": copy.deepcopy(EAST if number % 4 < 2 else WEST),
            "symroute_lan_networks": [f"192.168.{number}.0/24"],
        }
    return variables


@pytest.fixture
def counted(monkeypatch):
    """Calls of the per-prefix partner checks (validation, overlap sweep, index, views) by planning."""
    calls = []
    real = shared_partners._check

    def check(raw_partners, links, *sharing):
        calls.append(len(links))
        return real(raw_partners, links, *sharing)

    monkeypatch.setattr(shared_partners, "_check", check)
    return calls


def test_twenty_routers_check_each_partner_list_and_link_shape_once(counted):
    variables = _fleet_variables(20)
    plans = plan_routers(variables)
    assert sorted(counted) == [2, 2, 3, 3]  # two partner lists x two link shapes, not twenty
    alone = {router: plan_routers({router: copy.deepcopy(variables[router])})[router] for router in variables}
    assert json_text.dumps(plans, indent=2) == json.dumps(alone, indent=2, sort_keys=True)


def test_a_review_checks_partner_lists_equal_in_head_and_base_once(tmp_path, counted, capsys):
    inventory = _two_commits(tmp_path)
    assert cli.main(["plan", "--inventory", str(inventory), "--base", "HEAD~1", "--format", "json"]) == 0
    # head: east (a6 b, a6 b6, a6 b c6), west (b a6, a6 b); base: only east's list differs (three more)
    assert len(counted) == 5 + 3
    assert json.loads(capsys.readouterr().out)["changes"]["w2"]["status"] == "unchanged"


def test_the_base_reuses_the_heads_work_on_what_it_did_not_change(tmp_path, monkeypatch, capsys):
    inventory = _two_commits(tmp_path)
    works = []

    class Recorded(SharedWork):
        def __init__(self):
            super().__init__()
            works.append(self)

    monkeypatch.setattr(cli, "SharedWork", Recorded)
    assert cli.main(["plan", "--inventory", str(inventory), "--format", "json"]) == 0
    assert cli.main(["plan", "--inventory", str(inventory), "--base", "HEAD~1", "--format", "json"]) == 0
    capsys.readouterr()
    head, review = works
    # The base differs from the head in one partner (east's acme, one prefix fewer) and in e1's host_vars:
    # only those are parsed and checked again (the review's plans are each router's alone: the test above).
    assert review.computed["partner prefixes"] == head.computed["partner prefixes"] + 1
    assert review.computed["intervals"] == head.computed["intervals"] + 1
    assert len(review.parsed_files) == len(head.parsed_files) + 2


def test_a_partner_file_is_parsed_once_and_as_ansible_reads_it(tmp_path, monkeypatch):
    from ansible.parsing.dataloader import DataLoader

    from symroute.ansible_inventory import load_inventory

    inventory = _inventory(tmp_path)
    parsed_by_ansible = []
    real = DataLoader.load

    def load(self, data, file_name=None, *args, **kwargs):
        parsed_by_ansible.append(
            os.path.basename(os.path.dirname(file_name or "")) + "/" + os.path.basename(file_name or "")
        )
        return real(self, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DataLoader, "load", load)
    routers = load_inventory(inventory).routers
    assert "east/partners.yml" not in parsed_by_ansible and "host_vars/e1.yml" in parsed_by_ansible
    assert routers["e1"]["symroute_partners"] == EAST and routers["w1"]["symroute_partners"] == WEST
    # Written as JSON, Ansible reads the file as JSON (not as YAML): it parses it itself.
    (inventory / "group_vars" / "east" / "partners.yml").write_text(json.dumps({"symroute_partners": EAST}))
    parsed_by_ansible.clear()
    assert load_inventory(inventory).routers["e1"]["symroute_partners"] == EAST
    assert "east/partners.yml" in parsed_by_ansible


def test_partners_of_other_content_or_type_are_not_shared():
    keys = [
        canonical(value)
        for value in (
            [1],
            [True],
            [1.0],
            ["1"],
            [0.0],
            [-0.0],
            (1,),
            {"a": 1, "b": 2},
            {"b": 2, "a": 1},
            [None],
            [[]],
            [{}],
        )
    ]
    assert len(set(keys)) == len(keys)
    assert canonical([{"a": ["x", "y"]}]) == canonical([{"a": ["x", "y"]}])

    class Tagged(str):
        pass

    with pytest.raises(Unshareable):
        canonical(["x", Tagged("y")])
    nested = []
    nested.append(nested)
    with pytest.raises(Unshareable):
        canonical(nested)


def test_a_router_with_unusual_values_is_planned_alone_and_the_same():
    class Tagged(str):
        pass

    variables = _fleet_variables(4)
    variables["r00"]["symroute_partners"][0]["description"] = Tagged("tagged")
    shared = SharedWork()
    plans = plan_routers(variables, shared)
    assert plans["r00"]["partners"][0]["description"] == "tagged"
    assert json_text.dumps(plans) == json.dumps(
        {router: plan_routers({router: variables[router]})[router] for router in variables},
        sort_keys=True,
        separators=(",", ":"),
    )
    with pytest.raises(InventoryError):
        plan_routers({"x": dict(variables["r01"], symroute_partners=[{"name": "y", "link": "wan_q"}])}, shared)


def test_shared_plan_lists_are_written_once_and_the_digest_is_unchanged():
    plans = plan_routers(_fleet_variables(8))
    assert plans["r01"]["partners"][0]["prefixes"] is plans["r05"]["partners"][0]["prefixes"]
    manifest = {"files": {"hosts.yml": {"sha256": "0" * 64}}}
    document = {"plans": plans, "inventory_files": {"hosts.yml": "0" * 64}}
    assert plan_digest(plans, manifest) == "sha256:" + hashlib.sha256(canonical_json(document).encode()).hexdigest()
    for value in (plans, {"x": [float("nan"), -0.0, 1e300, "é\u2028"]}, {"a": {1: 2}}, [("t", {})]):
        for indent in (None, 2):
            separators = (",", ":") if indent is None else (",", ": ")
            assert json_text.dumps(value, indent) == json.dumps(
                value, sort_keys=True, indent=indent, separators=separators
            )


def test_the_cli_output_is_unchanged_for_the_lab_in_process():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["plan", "--inventory", str(REPOSITORY / "inventories" / "lab"), "--format", "json"]) == 0
    assert out.getvalue() == json.dumps(json.loads(out.getvalue()), indent=2, sort_keys=True) + "\n"
