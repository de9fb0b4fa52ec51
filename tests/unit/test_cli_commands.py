"""bin/symroute: --help lists every subcommand; explain defaults to the only router; status and doctor."""

import json
import subprocess

import pytest

from paths import REPOSITORY

SYMROUTE = [str(REPOSITORY / "bin" / "symroute")]
LAB = REPOSITORY / "inventories" / "lab"
EXAMPLES = REPOSITORY / "inventories" / "example"


def run(*args):
    return subprocess.run([*SYMROUTE, *map(str, args)], capture_output=True, text=True, cwd=REPOSITORY, check=False)


def test_help_lists_every_subcommand():
    result = run("--help")
    assert result.returncode == 0
    for command in ("plan", "explain", "doctor", "status"):
        assert f"    {command} " in result.stdout, result.stdout


def test_explain_defaults_to_the_only_router():
    with_host = run("explain", "--inventory", LAB, "--host", "edge", "100.64.20.10")
    without = run("explain", "--inventory", LAB, "100.64.20.10")
    assert without.returncode == 0, without.stderr
    assert without.stdout == with_host.stdout and "leaves by wan_a" in without.stdout


def test_explain_without_host_on_several_routers_names_them():
    result = run("explain", "--inventory", REPOSITORY / "inventories" / "production", "198.18.10.7")
    assert result.returncode == 2
    assert "--host is needed: the inventory has 2 routers (edge-ams1, edge-fra1)" in result.stderr


@pytest.mark.parametrize(
    "entry", [[str(REPOSITORY / "bin" / "symroute")], [str(REPOSITORY / ".venv" / "bin" / "python"), "-m", "symroute"]]
)
def test_status_runs_the_router_package(tmp_path, entry):
    result = subprocess.run(
        [*entry, "status", "--state", str(tmp_path / "none"), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(REPOSITORY / "module_utils"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 3, result.stderr
    assert json.loads(result.stdout)["monitor"]["running"] is False


def test_doctor_help_is_the_doctors_own():
    result = subprocess.run(
        [str(REPOSITORY / ".venv" / "bin" / "python"), "-m", "symroute", "doctor", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(REPOSITORY / "module_utils"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0 and "usage: symroute doctor" in result.stdout


@pytest.mark.parametrize("example", ["two-links", "three-links"])
def test_the_example_inventories_plan_valid_without_warnings(example):
    result = run("plan", "--inventory", EXAMPLES / example, "--format", "json")
    document = json.loads(result.stdout)
    assert result.returncode == 0 and document["valid"], document["problems"]
    assert document["warnings"] == []
    assert list(document["routers"]) == ["gw1"]
