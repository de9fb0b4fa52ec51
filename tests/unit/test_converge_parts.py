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
ROLES = {
    "symroute_snapshot": None,
    "symroute_sysctl": "sysctl",
    "symroute_nftables": "nftables",
    "symroute_routing": "routing",
    "symroute_verify": "verify",
    "symroute_monitor": "monitor",
}
CONVERGE = "Converge the router in one call"


def _apply_play():
    return next(
        play for play in yaml.safe_load(PLAYBOOK.read_text()) if "__symroute_converge_parts" in play.get("vars", {})
    )


def _listed(*arguments):
    """The request tasks and the converge task that the apply play would run with ``arguments``."""
    listing = subprocess.run(
        [
            str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            str(REPOSITORY / "inventories" / "lab" / "hosts.yml"),
            str(PLAYBOOK),
            "--list-tasks",
            *arguments,
        ],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        check=True,
    ).stdout
    apply_play = listing.split("Apply the plans", 1)[1]
    requests = {
        role
        for role in ROLES
        for line in apply_play.splitlines()
        if line.strip().startswith(f"{role} : The ") and "request (" in line
    }
    return requests, CONVERGE in apply_play


@pytest.mark.parametrize(
    ("arguments", "roles"),
    [
        ((), set(ROLES)),
        (("--tags", "routing"), {"symroute_snapshot", "symroute_sysctl", "symroute_routing"}),
        (
            ("--tags", "nftables,routing"),
            {"symroute_snapshot", "symroute_sysctl", "symroute_nftables", "symroute_routing"},
        ),
        (("--tags", "sysctls"), {"symroute_snapshot", "symroute_sysctl"}),
        (("--tags", "verify"), {"symroute_snapshot", "symroute_verify"}),
        (("--skip-tags", "monitor"), set(ROLES) - {"symroute_monitor"}),
        (("--tags", "tagged"), set(ROLES)),
        (("--tags", "always"), {"symroute_snapshot"}),
        (("--skip-tags", "all"), {"symroute_snapshot"}),
    ],
    ids=["no tags", "routing", "nftables,routing", "sysctls", "verify", "skip monitor", "tagged", "always", "skip all"],
)
def test_the_tags_decide_which_roles_build_their_part(arguments, roles):
    requests, converge_listed = _listed(*arguments)
    assert requests == roles
    assert converge_listed  # tagged always: it runs the parts that were built, or is skipped with none


@pytest.mark.parametrize(
    ("run_tags", "noticed"),
    [
        (["routing"], True),
        (["routing", "sysctls"], False),
        (["nftables", "routing"], True),
        (["all"], False),
        (["sysctls"], False),
    ],
)
def test_routing_without_sysctls_says_it_will_stop_selecting_the_kernel_settings(run_tags, noticed):
    notice = "Say that --tags routing will stop selecting the kernel settings"
    listed = subprocess.run(
        [
            str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            str(REPOSITORY / "inventories" / "lab" / "hosts.yml"),
            str(PLAYBOOK),
            "--list-tasks",
            "--tags",
            ",".join(run_tags),
        ],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        check=True,
    ).stdout
    plays = yaml.safe_load(PLAYBOOK.read_text())
    condition = next(task for play in plays for task in play.get("tasks", []) if task["name"] == notice)["when"]
    shown = notice in listed and Templar(loader=DataLoader(), variables={"ansible_run_tags": run_tags}).template(
        trust_as_template("{{ " + condition + " }}")
    )
    assert bool(shown) is noticed


def _parts(defined):
    variables = {
        f"symroute_{part}_request": {"a": "request"} if part in defined else {}
        for part in ("sysctl", "nftables", "routing", "verify", "monitor")
    }
    return Templar(loader=DataLoader(), variables=variables).template(
        trust_as_template(_apply_play()["vars"]["__symroute_converge_parts"])
    )


@pytest.mark.parametrize(
    "defined",
    [
        ["sysctl", "nftables", "routing", "verify", "monitor"],
        ["routing", "sysctl"],
        ["monitor", "nftables"],
        ["verify"],
        [],
    ],
)
def test_the_converge_runs_the_parts_whose_request_was_built_in_the_flows_order(defined):
    assert _parts(defined) == [
        part for part in ("sysctl", "nftables", "routing", "verify", "monitor") if part in defined
    ]


def test_the_converge_is_skipped_when_no_part_was_built_and_reads_only_built_requests():
    tasks = _apply_play()["tasks"]
    assert tasks[0]["tags"] == ["always"] and tasks[0]["ansible.builtin.set_fact"] == {
        f"symroute_{part}_request": {} for part in ("sysctl", "nftables", "routing", "verify", "monitor", "ha")
    }
    block = next(task for task in tasks if "rescue" in task)
    assert block["tags"] == ["always"] and block["when"] == "__symroute_converge_parts | length > 0"
    arguments = block["block"][0]["symroute_converge"]
    assert arguments["parts"] == "{{ __symroute_converge_parts }}"
    for part in ("sysctl", "nftables", "routing", "verify", "monitor", "ha"):
        assert arguments[part] == f"{{{{ symroute_{part}_request | default({{}}) }}}}"


# A role run alone (its main entry point) converges its own part through the same module, with the
# arguments the playbook's converge passes: one apply path (docs/design.md).
PART_ROLES = {
    "symroute_sysctl": "sysctl",
    "symroute_nftables": "nftables",
    "symroute_routing": "routing",
    "symroute_monitor": "monitor",
    "symroute_ha": "ha",
}


@pytest.mark.parametrize(("role", "part"), PART_ROLES.items())
def test_a_role_run_alone_converges_its_part_as_the_playbook_does(role, part):
    tasks = yaml.safe_load((REPOSITORY / "roles" / role / "tasks" / "main.yml").read_text())
    assert [next(iter(set(task) - {"name", "register"})) for task in tasks] == [
        "ansible.builtin.import_tasks",
        "symroute_converge",
    ]
    assert tasks[0]["ansible.builtin.import_tasks"] == "request.yml"
    alone = tasks[1]["symroute_converge"]
    playbook = next(task for task in _apply_play()["tasks"] if "rescue" in task)["block"][0]["symroute_converge"]
    assert alone["parts"] == [part]
    assert alone[part] == f"{{{{ symroute_{part}_request }}}}"
    # The package files where the part installs the router package (routing, monitor), as the playbook does.
    assert set(alone) == {"parts", part} | ({"package_files"} if part in ("routing", "monitor") else set())
    assert alone.get("package_files", playbook["package_files"]) == playbook["package_files"]


def _task_files_used():
    """(role, tasks file) that a playbook or a role imports or includes, main.yml when it names no file."""
    used = set()
    sources = [
        *REPOSITORY.glob("*.yml"),
        *(REPOSITORY / "playbooks").glob("*.yml"),
        *(REPOSITORY / "roles").glob("*/tasks/*.yml"),
        *(REPOSITORY / "molecule").glob("*/*.yml"),
        *(REPOSITORY / "tests").rglob("*.yml"),
    ]

    def walk(node):
        if isinstance(node, dict):
            for key in ("ansible.builtin.import_role", "ansible.builtin.include_role"):
                if isinstance(node.get(key), dict):
                    used.add((node[key]["name"], node[key].get("tasks_from", "main") + ".yml"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for source in sources:
        walk(yaml.safe_load(source.read_text()))
    return used


def test_every_role_tasks_file_is_used_by_a_playbook_or_is_a_parts_main():
    files = {(path.parent.parent.name, path.name) for path in (REPOSITORY / "roles").glob("*/tasks/*.yml")}
    role_imports = {
        (path.parent.parent.name, "request.yml")
        for path in (REPOSITORY / "roles").glob("*/tasks/main.yml")
        if "import_tasks: request.yml" in path.read_text()
    }
    alone = {(role, "main.yml") for role in PART_ROLES}
    assert files - _task_files_used() - role_imports - alone == set()


def test_every_module_is_called_by_a_role_or_playbook():
    modules = {path.stem for path in (REPOSITORY / "library").glob("*.py")}
    texts = "\n".join(
        path.read_text()
        for path in [
            *REPOSITORY.glob("*.yml"),
            *(REPOSITORY / "playbooks").glob("*.yml"),
            *(REPOSITORY / "roles").glob("*/tasks/*.yml"),
        ]
    )
    assert {
        module
        for module in modules
        if f"\n  {module}:" not in texts and f"  - {module}:" not in texts and f"    {module}:" not in texts
    } == set()
