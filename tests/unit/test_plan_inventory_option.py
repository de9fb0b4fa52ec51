"""The plan step under AWX: `-e symroute_plan_inventory=DIR` plans from DIR's files.

AWX / Automation Platform hand every job its inventory as a generated,
executable script (docs/awx.md). The plan step refuses to read such a file (it
would be code), so it must be pointed at the reviewed inventory directory. These
tests run playbooks/plan.yml (its tasks all run on the controller) against a
script inventory written the way AWX writes one.
"""

import json
import os
import shutil
import stat
import subprocess

import pytest

from paths import REPOSITORY
from symroute.settings import unknown_name_problem

LAB = REPOSITORY / "inventories" / "lab"


def _awx_script(path, hosts):
    """An executable inventory script printing ``hosts`` in group symroute_routers, as AWX's does."""
    inventory = {"symroute_routers": {"hosts": hosts},
                 "_meta": {"hostvars": {host: {"ansible_connection": "local"} for host in hosts}}}
    path.write_text("#!/bin/sh\ncat <<'EOF'\n" + json.dumps(inventory) + "\nEOF\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _plan_step(tmp_path, script, *extra):
    output = tmp_path / "plan.json"
    environment = dict(os.environ, ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                       ANSIBLE_INVENTORY_ENABLED="ansible.builtin.script", ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"))
    result = subprocess.run(
        [str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"), "-i", str(script),
         str(REPOSITORY / "playbooks" / "plan.yml"), "-e", f"symroute_plan_output={output}", *extra],
        capture_output=True, text=True, timeout=180, cwd=tmp_path, env=environment, check=False)
    return result, (json.loads(output.read_text()) if output.exists() else None)


def _cli_digest(directory):
    result = subprocess.run([str(REPOSITORY / "bin" / "symroute"), "plan", "--format", "json",
                             "--inventory", str(directory)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)["digest"]


@pytest.fixture()
def reviewed(tmp_path):
    """The reviewed inventory directory (a copy of the lab's), as in the AWX project checkout."""
    directory = tmp_path / "project" / "inventories" / "lab"
    shutil.copytree(LAB, directory)
    return directory


def test_the_plan_step_plans_from_the_named_directory_not_the_script(tmp_path, reviewed):
    script = _awx_script(tmp_path / "hosts", ["edge"])
    result, plans = _plan_step(tmp_path, script, "-e", f"symroute_plan_inventory={reviewed}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert plans["digest"] == _cli_digest(reviewed)
    assert list(plans["routers"]) == ["edge"]


def test_a_relative_directory_is_taken_from_where_ansible_playbook_runs(tmp_path, reviewed):
    script = _awx_script(tmp_path / "hosts", ["edge"])
    result, plans = _plan_step(tmp_path, script, "-e", "symroute_plan_inventory=project/inventories/lab")
    assert result.returncode == 0, result.stdout + result.stderr
    assert plans["digest"] == _cli_digest(reviewed)


def test_without_the_option_the_script_itself_is_refused(tmp_path):
    script = _awx_script(tmp_path / "hosts", ["edge"])
    result, plans = _plan_step(tmp_path, script)
    assert result.returncode != 0 and plans is None
    assert "executable" in result.stdout + result.stderr


def test_a_router_of_the_run_missing_from_the_planned_inventory_stops_the_run(tmp_path, reviewed):
    script = _awx_script(tmp_path / "hosts", ["edge", "edge-added-in-awx"])
    result, _ = _plan_step(tmp_path, script, "-e", f"symroute_plan_inventory={reviewed}")
    assert result.returncode != 0
    assert "router \"edge-added-in-awx\" is in this run's inventory but not in the planned inventory" in (
        result.stdout.replace("\n", " "))


def test_the_option_is_refused_in_the_inventory():
    assert "give it with -e" in unknown_name_problem("symroute_plan_inventory")
