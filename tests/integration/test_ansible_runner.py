"""symmetric-routing.yml through ansible-runner's Python API (what AWX and Automation Platform execute),
summarized from its event stream by symroute.run_summary: the first run changes the router and prints the
reviewed digest, the second changes nothing, a failed verification rolls the router back."""

import json
import os
import subprocess

import ansible_runner
import pytest

from routerlab import PODMAN_ENVIRONMENT, REPOSITORY, remove_router, start_router
from symroute.run_summary import describe, summarize

NAME = "symroute-runner-router"
# Someone else's rule shadows symroute's: link A's marked traffic would leave by wanb, so verification fails.
FOREIGN_RULE = (
    "ip route add default via 198.51.100.5 dev wanb table 99; ip rule add priority 5000 fwmark 0x100/0x7f00 lookup 99"
)
REMOVE_FOREIGN_RULE = "ip rule del priority 5000 2>/dev/null; ip route flush table 99 2>/dev/null; true"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    directory = tmp_path_factory.mktemp("runner")
    router = start_router(NAME, directory)
    router.write_inventory()
    yield router, directory
    remove_router(NAME)


def _run(router, directory, name):
    """One ansible-runner run of symmetric-routing.yml from the repository (the AWX project)."""
    environment = {
        "ANSIBLE_CONFIG": str(REPOSITORY / "ansible.cfg"),
        "CONTAINERS_CONF": PODMAN_ENVIRONMENT["CONTAINERS_CONF"],
        "PATH": f"{REPOSITORY / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    (directory / name).mkdir()
    runner = ansible_runner.run(
        private_data_dir=str(directory / name),
        project_dir=str(REPOSITORY),
        playbook="symmetric-routing.yml",
        inventory=str(router.inventory),
        envvars=environment,
        quiet=True,
        timeout=240,
    )
    events = list(runner.events)
    return runner, summarize(events), runner.stdout.read()


def _reviewed_digest(router):
    result = subprocess.run(
        [str(REPOSITORY / "bin" / "symroute"), "plan", "--inventory", str(router.inventory), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)["digest"]


def test_runs_summarized_from_the_event_stream(lab):
    router, directory = lab
    reviewed = _reviewed_digest(router)

    first, summary, output = _run(router, directory, "first")
    assert (first.status, first.rc) == ("successful", 0), output[-4000:]
    assert summary["complete"] and summary["digest"] == reviewed, describe(summary)
    assert summary["routers"] == {
        NAME: {"changed": True, "failed": False, "rolled_back": False, "unreachable": False}
    }, describe(summary)

    second, summary, output = _run(router, directory, "second")
    assert second.rc == 0, output[-4000:]
    assert summary["digest"] == reviewed
    assert summary["routers"][NAME] == {
        "changed": False,
        "failed": False,
        "rolled_back": False,
        "unreachable": False,
    }, describe(summary)

    router.sh(FOREIGN_RULE)
    try:
        failed, summary, output = _run(router, directory, "failed")
    finally:
        router.sh(REMOVE_FOREIGN_RULE)
    assert (failed.status, failed.rc) == ("failed", 2), output[-4000:]
    assert "The previous state was restored" in output
    assert summary["digest"] == reviewed
    assert summary["routers"][NAME] == dict(
        summary["routers"][NAME], failed=True, rolled_back=True, unreachable=False
    ), describe(summary)
    assert f"{json.dumps(NAME)}: " in describe(summary) and "failed, rolled_back" in describe(summary)
