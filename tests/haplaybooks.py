"""Run any of symroute's playbooks on the HA lab (tests/halab.py runs symmetric-routing.yml only), and read
the reports the operations playbooks write on the controller."""

import json
import subprocess
from pathlib import Path

from routerlab import PODMAN_ENVIRONMENT, REPOSITORY


def run(inventory_dir, playbook, *args, report_dir=None):
    """``ansible-playbook -i INVENTORY playbooks/PLAYBOOK ARGS`` from the repository (its ansible.cfg); the
    reports go to ``report_dir`` (-e symroute_report_dir)."""
    env = dict(
        PODMAN_ENVIRONMENT, ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"
    )
    extra = ["-e", f"symroute_report_dir={report_dir}"] if report_dir else []
    command = [
        str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
        "-i",
        str(inventory_dir),
        str(REPOSITORY / "playbooks" / playbook),
        *extra,
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPOSITORY, env=env, check=False, timeout=900)


def report(report_dir, kind, router):
    """A router's JSON report (audit-<router>.json, doctor-<router>.json)."""
    return json.loads((Path(report_dir) / f"{kind}-{router}.json").read_text())


def recap(result):
    """{router: (ok, changed, failed)} of the play recap."""
    found = {}
    for line in result.stdout.splitlines():
        words = line.split()
        if len(words) > 4 and words[1] == ":" and words[2].startswith("ok="):
            values = dict(word.split("=", 1) for word in words[2:] if "=" in word)
            found[words[0]] = (int(values["ok"]), int(values["changed"]), int(values["failed"]))
    return found
