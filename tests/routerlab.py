"""A router container from the lab image, driven by symmetric-routing.yml.

Real kernel state (nftables, ip rules, routes) in a privileged podman container
without podman networking; test traffic stays in namespaces inside it
(molecule/resources/router-topology.sh). Used by tests/integration and bench/.
"""

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import yaml

REPOSITORY = Path(__file__).resolve().parents[1]
RESOURCES = REPOSITORY / "molecule" / "resources"


def _image():
    env = (RESOURCES / "lab-image.env").read_text()
    return next(line.split("=", 1)[1] for line in env.splitlines() if line.startswith("SYMROUTE_LAB_IMAGE="))


# podman on the lab machines needs runc and explicit ulimits (see containers.conf); the
# Makefile exports this too, so that a direct `pytest` or benchmark run behaves the same.
PODMAN_ENVIRONMENT = dict(
    os.environ, CONTAINERS_CONF=os.environ.get("CONTAINERS_CONF", str(RESOURCES / "containers.conf"))
)


def podman(*args, check=True, stdin=None):
    return subprocess.run(
        ["podman", *args], input=stdin, capture_output=True, text=True, check=check, env=PODMAN_ENVIRONMENT
    )


class Router:
    """The container, its inventory, and helpers to run the playbook and read state."""

    def __init__(self, name, inventory):
        self.name = name
        self.inventory = inventory

    def sh(self, script, check=True):
        result = podman("exec", "-i", self.name, "sh", "-c", script, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"{script!r} failed: {result.stdout}{result.stderr}")
        return result

    def monitor_state(self):
        """The link monitor's state file on the router."""
        return json.loads(self.sh("cat /run/symroute/monitor.json").stdout)

    def wait_for_monitor(self, condition, seconds, what):
        """The monitor's state once ``condition`` holds for it; fails after ``seconds`` naming ``what``."""
        deadline = time.monotonic() + seconds
        state = None
        while time.monotonic() < deadline:
            try:
                state = self.monitor_state()
            except (AssertionError, ValueError):  # just started: no state file yet, or being replaced
                state = None
            if state is not None and condition(state):
                return state
            time.sleep(0.1)
        raise AssertionError(f"{what} within {seconds} s; state: {state}\n{self.diagnostics()}")

    def diagnostics(self):
        """What a failed wait shows besides the monitor's state (subclasses add their logs)."""
        return ""

    def write_inventory(self, variables=None):
        """The lab's inventory files plus ``variables``: the partner list to the partner file, the rest to
        the router's host_vars (the playbook plans from the files, never from extra vars)."""
        variables = dict(variables or {})
        partners = {"symroute_partners": variables.pop("symroute_partners", lab_partners())}
        (self.inventory / "group_vars" / "all" / "partners.yml").write_text(yaml.safe_dump(partners))
        host_vars = yaml.safe_load((REPOSITORY / "inventories" / "lab" / "host_vars" / "edge.yml").read_text())
        host_vars.update(variables)
        (self.inventory / "host_vars" / f"{self.name}.yml").write_text(yaml.safe_dump(host_vars))

    def playbook(self, *args, inventory_vars=None, extra_vars=None, playbook="symmetric-routing.yml"):
        """Run a playbook with the lab inventory changed by ``inventory_vars`` (files rewritten each run)."""
        self.write_inventory(inventory_vars)
        command = [
            str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            str(self.inventory),
            str(REPOSITORY / playbook),
            *args,
        ]
        if extra_vars is not None:
            path = self.inventory.parent / f"extra-{uuid.uuid4().hex}.yml"
            path.write_text(yaml.safe_dump(extra_vars))
            command += ["-e", f"@{path}"]
        env = dict(
            PODMAN_ENVIRONMENT,
            ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
        )
        return self.run_controller(command, env)

    def run_controller(self, command, env):
        """Run a controller's command (ansible-playbook); subclasses run it elsewhere (tests/sshlab.py)."""
        return subprocess.run(command, capture_output=True, text=True, cwd=REPOSITORY, env=env, check=False)

    def live_state(self):
        """Everything symroute could touch, as text: compared byte for byte (molecule/resources/router-state.sh)."""
        return self.sh((RESOURCES / "router-state.sh").read_text()).stdout

    def symroute_state(self):
        """symroute's own live state: its table, the rules of its band, its tables' routes."""
        return self.sh(
            "nft list table inet symroute; echo ---; ip rule | awk -F: '$1 >= 10000 && $1 <= 10999';"
            " ip -6 rule | awk -F: '$1 >= 10000 && $1 <= 10999'; echo ---;"
            " ip route show table 200; ip route show table 201; ip -6 route show table 200;"
            " ip -6 route show table 201"
        ).stdout


def lab_partners():
    path = REPOSITORY / "inventories" / "lab" / "group_vars" / "all" / "partners.yml"
    return yaml.safe_load(path.read_text())["symroute_partners"]


def with_extra_partner():
    """The lab's partners plus one: a real change to sets, marks' users and verification."""
    return {
        "symroute_partners": lab_partners() + [{"name": "partner-new", "prefixes": ["100.64.40.0/24"], "link": "wan_b"}]
    }


def lab_inventory(name, directory):
    """The lab's inventory for the router container ``name``, in ``directory``/router (reached by podman)."""
    inventory = Path(directory) / "router"
    shutil.copytree(REPOSITORY / "inventories" / "lab" / "group_vars", inventory / "group_vars")
    (inventory / "host_vars").mkdir()
    shutil.copy(REPOSITORY / "inventories" / "lab" / "host_vars" / "edge.yml", inventory / "host_vars" / f"{name}.yml")
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "symroute_routers": {
                    "hosts": {
                        name: {
                            "ansible_connection": "containers.podman.podman",
                            "ansible_python_interpreter": "/usr/bin/python3",
                        }
                    }
                }
            }
        )
    )
    return inventory


def start_router(name, directory):
    """A fresh router container `name` wired to its namespaces, with an inventory in `directory`."""
    subprocess.run([str(RESOURCES / "build-image.sh")], check=True, capture_output=True, env=PODMAN_ENVIRONMENT)
    podman("rm", "-f", "-t", "0", name, check=False)
    podman(
        "run",
        "-d",
        "--privileged",
        "--network",
        "none",
        "--stop-timeout",
        "0",
        "--name",
        name,
        "--hostname",
        name,
        _image(),
        "sleep",
        "infinity",
    )
    router = Router(name, lab_inventory(name, directory))
    router.sh((RESOURCES / "router-topology.sh").read_text())
    router.sh((RESOURCES / "edge-before-symroute.sh").read_text())
    return router


def remove_router(name):
    podman("rm", "-f", "-t", "0", name, check=False)
