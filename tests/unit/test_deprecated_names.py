"""Names replaced in 0.10 keep working, with a notice, until 0.12: playbooks/verify.yml runs the audit."""

import re
import subprocess

from paths import REPOSITORY


def _tasks(playbook, *arguments):
    return subprocess.run(
        [
            str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            str(REPOSITORY / "inventories" / "lab" / "hosts.yml"),
            str(REPOSITORY / playbook),
            "--list-tasks",
            *arguments,
        ],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        check=True,
    ).stdout


def test_the_old_audit_playbook_says_it_is_deprecated_then_runs_the_same_audit():
    old, new = _tasks("playbooks/verify.yml"), _tasks("playbooks/audit.yml")
    assert "Deprecation notice" in old and "Deprecation notice" not in new
    # After the notice's play, the same plays and tasks as audit.yml's, numbered one later.
    renumbered = re.sub(r"play #(\d+)", lambda match: f"play #{int(match.group(1)) - 1}", old.split("play #2", 1)[1])
    assert "Audit every router (read-only)" in new and new.split("play #1", 1)[1] == renumbered


def test_the_notice_is_shown_when_the_audit_is_limited_to_one_router():
    hosts = subprocess.run(
        [
            str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            str(REPOSITORY / "inventories" / "lab" / "hosts.yml"),
            str(REPOSITORY / "playbooks" / "verify.yml"),
            "--list-hosts",
            "-l",
            "edge",
        ],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        check=True,
    ).stdout
    notice_play = hosts.split("play #1", 1)[1].split("play #2", 1)[0]
    assert "hosts (1)" in notice_play and "edge" in notice_play
