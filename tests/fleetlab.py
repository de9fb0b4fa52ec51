"""A fleet of router containers from the lab image, one inventory, the real rollout.

Every router is wired like the single router of tests/routerlab.py (its own
kernel, its own namespaces), and shares the lab's partners and links through
group_vars, as a fleet shares one partner list. Used by bench/fleet_scale.py.
"""

import subprocess
from pathlib import Path

import yaml

from routerlab import PODMAN_ENVIRONMENT, REPOSITORY, remove_router, start_router

ANSIBLE_ENVIRONMENT = dict(
    PODMAN_ENVIRONMENT, ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"
)


class Fleet:
    """Routers ``names`` and the inventory in ``directory`` that holds all of them, in that order."""

    def __init__(self, names, directory):
        self.names = list(names)
        self.inventory = Path(directory) / "fleet"

    def start(self):
        for name in self.names:
            start_router(name, self.inventory.parent / name)
        group_vars = self.inventory / "group_vars"
        (group_vars / "all").mkdir(parents=True)
        lab = REPOSITORY / "inventories" / "lab"
        (group_vars / "all" / "partners.yml").write_text((lab / "group_vars" / "all" / "partners.yml").read_text())
        (group_vars / "symroute_routers.yml").write_text((lab / "host_vars" / "edge.yml").read_text())
        hosts = {
            name: {"ansible_connection": "containers.podman.podman", "ansible_python_interpreter": "/usr/bin/python3"}
            for name in self.names
        }
        (self.inventory / "hosts.yml").write_text(
            yaml.safe_dump({"symroute_routers": {"hosts": hosts}}, sort_keys=False)
        )
        return self

    def remove(self):
        for name in self.names:
            remove_router(name)

    def ansible(self, program, *args):
        command = [str(REPOSITORY / ".venv" / "bin" / program), "-i", str(self.inventory), *args]
        return subprocess.run(
            command, capture_output=True, text=True, cwd=REPOSITORY, env=ANSIBLE_ENVIRONMENT, check=False
        )

    def ping(self):
        return self.ansible("ansible", "symroute_routers", "-m", "ansible.builtin.ping")

    def rollout(self):
        return self.ansible("ansible-playbook", str(REPOSITORY / "symmetric-routing.yml"))
