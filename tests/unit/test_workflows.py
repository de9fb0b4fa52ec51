"""The molecule workflow runs every scenario under molecule/ on the pull requests that can change them."""

import os
import re
from pathlib import Path

import pytest
import yaml

from paths import REPOSITORY

WORKFLOW = REPOSITORY / ".github" / "workflows" / "molecule.yml"
# The molecule files name what lies outside molecule/ like this: ../../inventories/lab, "$here/../../bin/symroute".
RELATIVE = re.compile(r"(?:\.\./)+[A-Za-z0-9_.-][A-Za-z0-9_./-]*")
PROJECT_DIRECTORY = re.compile(r"\$\{?MOLECULE_PROJECT_DIRECTORY\}?/([A-Za-z0-9_./-]+)")


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


def _inside(path):
    """``path`` (resolved) relative to the repository, or None when it lies outside it."""
    try:
        return Path(os.path.realpath(path)).relative_to(REPOSITORY.resolve())
    except ValueError:
        return None


def _exercised():
    """What the scenarios read outside molecule/, found in them: their molecule.yml's inventory links and
    ${MOLECULE_PROJECT_DIRECTORY}/... settings, the symlinks under molecule/, the ../../ paths of its files;
    and what the job runs before them: bin/run setup (make setup: the prerequisites of the virtualenv)."""
    molecule = REPOSITORY / "molecule"
    found = set()
    for scenario in molecule.glob("*/molecule.yml"):
        provisioner = yaml.safe_load(scenario.read_text()).get("provisioner", {})
        found.update(scenario.parent / link for link in provisioner.get("inventory", {}).get("links", {}).values())
        found.update(
            REPOSITORY / match
            for value in provisioner.get("env", {}).values()
            for match in PROJECT_DIRECTORY.findall(str(value))
        )
    for path in molecule.rglob("*"):
        if path.is_symlink():
            found.add(path)
        elif path.is_file():
            found.update(
                path.parent / match.rstrip(".") for match in RELATIVE.findall(path.read_text(errors="replace"))
            )
    makefile = (REPOSITORY / "Makefile").read_text()
    prerequisites = re.search(r"^\$\(VENV\)/\.installed:(.*)$", makefile, re.MULTILINE)[1].split()
    found.update(REPOSITORY / name for name in ["bin/run", "Makefile", "ansible.cfg", *prerequisites])
    paths = {_inside(path) for path in found if os.path.exists(path)}
    return sorted(path for path in paths if path is not None and path.parts[:1] != ("molecule",))


def _glob(pattern):
    """A paths filter of GitHub Actions as a regular expression: * within a directory, ** across them."""
    parts = re.split(r"(\*\*/?|\*|\?)", pattern)
    translated = {"**": ".*", "**/": "(?:.*/)?", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(translated.get(part, re.escape(part)) for part in parts) + r"\Z")


def _files(relative):
    path = REPOSITORY / relative
    if path.is_dir():
        return [
            file.relative_to(REPOSITORY).as_posix()
            for file in path.rglob("*")
            if file.is_file() and "__pycache__" not in file.parts
        ]
    return [relative.as_posix()]


def test_pull_requests_touching_what_the_scenarios_exercise_run_it(workflow):
    patterns = [_glob(pattern) for pattern in workflow["on"]["pull_request"]["paths"]]
    exercised = _exercised()
    # The derivation finds what is known to be read (so an empty list cannot pass).
    for known in (
        "inventories/lab",
        "bin/symroute",
        "symmetric-routing.yml",
        "roles",
        "library",
        "module_utils",
        "filter_plugins",
        "bin/run",
        "pyproject.toml",
        "requirements.txt",
    ):
        assert any(path == Path(known) or Path(known) in path.parents for path in exercised), known
    for relative in exercised:
        for file in _files(relative):
            assert any(pattern.match(file) for pattern in patterns), f"{file} ({relative}) is not in the paths"
    for file in (
        "molecule/router/molecule.yml",
        "molecule/resources/lab.sh",
        "symroute/plan.py",
        "playbooks/audit.yml",
        ".github/workflows/molecule.yml",
    ):
        assert any(pattern.match(file) for pattern in patterns), file
    assert not any(pattern.match("docs/awx.md") for pattern in patterns)


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
