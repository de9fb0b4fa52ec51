"""library/symroute_snapshot.py state=restored with run_id: a snapshot another run took, or none, is never
restored (a run takes its snapshot before any change, so without its own nothing changed). Run through
Ansible on this machine; only the refusing cases, which touch nothing."""

import json
import os
import subprocess

import pytest

from paths import REPOSITORY

ANSIBLE = REPOSITORY / ".venv" / "bin" / "ansible"


def _restore(arguments):
    environment = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_DEPRECATION_WARNINGS="0",
    )
    done = subprocess.run(
        [
            str(ANSIBLE),
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            "ansible_python_interpreter=/usr/bin/python3",
            "-m",
            "symroute_snapshot",
            "-a",
            json.dumps(dict(arguments, state="restored")),
        ],
        capture_output=True,
        text=True,
        env=environment,
        cwd=str(REPOSITORY),
        timeout=180,
        check=False,
    )
    document = json.loads(done.stdout[done.stdout.index("{") :])
    return document["plays"][0]["tasks"][0]["hosts"]["localhost"]


@pytest.mark.parametrize(
    "existing",
    [None, {"snapshot_version": 1, "run_id": "20261128T040000.000000-1"}, {"snapshot_version": 1}],
    ids=["no snapshot", "another run's", "no run id"],
)
def test_a_snapshot_of_another_run_or_none_is_not_restored(tmp_path, existing):
    path = tmp_path / "snapshot.json"
    if existing is not None:
        path.write_text(json.dumps(dict(existing, files={str(tmp_path / "canary"): {"content": "x", "mode": 420}})))
    result = _restore({"path": str(path), "run_id": "20261128T050000.000000-2"})
    assert result.get("failed") is not True, result
    assert result["changed"] is False and result["restored"] == []
    assert result["outcome"] == "Nothing was changed (this run took no snapshot)."
    assert not (tmp_path / "canary").exists()


def test_without_a_run_id_a_missing_snapshot_is_an_error(tmp_path):
    result = _restore({"path": str(tmp_path / "snapshot.json")})
    assert result["failed"] is True and "nothing can be restored" in result["msg"]
