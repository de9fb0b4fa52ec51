"""The molecule workflow runs every scenario under molecule/ on the pull requests that can change them."""

import pytest
import yaml

from paths import REPOSITORY

WORKFLOW = REPOSITORY / ".github" / "workflows" / "molecule.yml"
# What a scenario exercises: a pull request touching any of these runs every scenario.
SOURCES = ["roles/**", "module_utils/**", "library/**", "filter_plugins/**", "playbooks/**", "symmetric-routing.yml",
           "molecule/**", "symroute/**"]


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def _job(workflow):
    (job,) = workflow["jobs"].values()
    return job


def test_the_matrix_is_every_scenario_directory(workflow):
    scenarios = sorted(path.parent.name for path in (REPOSITORY / "molecule").glob("*/molecule.yml"))
    assert "fleet" in scenarios and "router" in scenarios and "incident" in scenarios
    matrix = _job(workflow)["strategy"]["matrix"]["scenario"]
    assert sorted(matrix) == scenarios and len(set(matrix)) == len(matrix)
    assert _job(workflow)["strategy"]["fail-fast"] is False


def test_pull_requests_touching_what_the_scenarios_exercise_run_it(workflow):
    paths = workflow["on"]["pull_request"]["paths"]
    for source in SOURCES:
        assert source in paths, source
    assert ".github/workflows/molecule.yml" in paths


def test_each_job_sets_up_like_bin_run_and_runs_its_scenario_with_the_podman_settings(workflow):
    runs = [step.get("run", "") for step in _job(workflow)["steps"]]
    setup = next(index for index, run in enumerate(runs) if "bin/run setup" in run)
    test = next(index for index, run in enumerate(runs) if "molecule test -s" in run)
    assert setup < test
    command = runs[test]
    assert '.venv/bin/molecule test -s "${{ matrix.scenario }}"' in command
    assert 'CONTAINERS_CONF="$PWD/molecule/resources/containers.conf"' in command
    assert (REPOSITORY / "molecule" / "resources" / "containers.conf").is_file()
    assert 'ANSIBLE_CONFIG="$PWD/ansible.cfg"' in command
    assert workflow["permissions"] == {"contents": "read"}
