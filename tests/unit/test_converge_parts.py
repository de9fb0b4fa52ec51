"""symmetric-routing.yml's tags select the parts of the one-call converge: Ansible's own tag logic decides
which roles build their request (ansible-playbook --list-tasks), and the converge runs the parts whose
request was built (the play's expression, templated by Ansible)."""

import subprocess

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from paths import REPOSITORY

PLAYBOOK = REPOSITORY / "symmetric-routing.yml"
ROLES = {"symroute_snapshot": None, "symroute_sysctl": "sysctl", "symroute_nftables": "nftables",
         "symroute_routing": "routing", "symroute_verify": "verify", "symroute_monitor": "monitor"}
CONVERGE = "Converge the router in one call"


def _apply_play():
    return next(play for play in yaml.safe_load(PLAYBOOK.read_text())
                if "__symroute_converge_parts" in play.get("vars", {}))


def _listed(*arguments):
    """The request tasks and the converge task that the apply play would run with ``arguments``."""
    listing = subprocess.run([str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"), "-i",
                              str(REPOSITORY / "inventories" / "lab" / "hosts.yml"), str(PLAYBOOK), "--list-tasks",
                              *arguments], capture_output=True, text=True, cwd=REPOSITORY, check=True).stdout
    apply_play = listing.split("Apply the plans", 1)[1]
    requests = {role for role in ROLES for line in apply_play.splitlines()
                if line.strip().startswith(f"{role} : The ") and "request (" in line}
    return requests, CONVERGE in apply_play


@pytest.mark.parametrize(("arguments", "roles"), [
    ((), set(ROLES)),
    (("--tags", "routing"), {"symroute_snapshot", "symroute_sysctl", "symroute_routing"}),
    (("--tags", "nftables,routing"), {"symroute_snapshot", "symroute_sysctl", "symroute_nftables", "symroute_routing"}),
    (("--tags", "verify"), {"symroute_snapshot", "symroute_verify"}),
    (("--skip-tags", "monitor"), set(ROLES) - {"symroute_monitor"}),
    (("--tags", "tagged"), set(ROLES)),
    (("--tags", "always"), {"symroute_snapshot"}),
    (("--skip-tags", "all"), {"symroute_snapshot"}),
], ids=["no tags", "routing", "nftables,routing", "verify", "skip monitor", "tagged", "always", "skip all"])
def test_the_tags_decide_which_roles_build_their_part(arguments, roles):
    requests, converge_listed = _listed(*arguments)
    assert requests == roles
    assert converge_listed  # tagged always: it runs the parts that were built, or is skipped with none


def _parts(defined):
    variables = {f"symroute_{part}_request": {"a": "request"} if part in defined else {}
                 for part in ("sysctl", "nftables", "routing", "verify", "monitor")}
    return Templar(loader=DataLoader(), variables=variables).template(
        trust_as_template(_apply_play()["vars"]["__symroute_converge_parts"]))


@pytest.mark.parametrize("defined", [
    ["sysctl", "nftables", "routing", "verify", "monitor"], ["routing", "sysctl"], ["monitor", "nftables"],
    ["verify"], []])
def test_the_converge_runs_the_parts_whose_request_was_built_in_the_flows_order(defined):
    assert _parts(defined) == [part for part in ("sysctl", "nftables", "routing", "verify", "monitor")
                               if part in defined]


def test_the_converge_is_skipped_when_no_part_was_built_and_reads_only_built_requests():
    tasks = _apply_play()["tasks"]
    assert tasks[0]["tags"] == ["always"] and tasks[0]["ansible.builtin.set_fact"] == {
        f"symroute_{part}_request": {} for part in ("sysctl", "nftables", "routing", "verify", "monitor")}
    block = next(task for task in tasks if "rescue" in task)
    assert block["tags"] == ["always"] and block["when"] == "__symroute_converge_parts | length > 0"
    arguments = block["block"][0]["symroute_converge"]
    assert arguments["parts"] == "{{ __symroute_converge_parts }}"
    for part in ("sysctl", "nftables", "routing", "verify", "monitor"):
        assert arguments[part] == f"{{{{ symroute_{part}_request | default({{}}) }}}}"
