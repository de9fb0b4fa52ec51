"""A controller that reaches a systemd lab router (tests/systemdlab.py) the way production does: by real SSH
through the router's management network, not by ``podman exec``.

    controller: network namespace symroute-ctl on the host    router container (systemd, sshd)
      lo    100.64.97.10/32  the operations network            mgmt0 100.64.98.2/29  sshd listens here only
      ctl0  100.64.98.1/29   the management gateway  <-veth->  route 100.64.97.0/24 via 100.64.98.1 dev mgmt0

The host's own namespace is on no lab link (docs: LAB-NOTES): the controller's end of the management link is
in its own namespace, and ansible-playbook and ssh run there (``ip netns exec``). The router's replies to the
controller leave by its main table's route through the management gateway, which a change can cut. sshd
accepts one key, made for each test run in its temporary directory, and nothing else (no password, no
keyboard-interactive); the controller knows the router's host key, made at the same time, from its own
known_hosts file. Every SSH connection gives up within seconds once the router stops answering
(ServerAliveInterval, ConnectTimeout), and every controller command is killed, with its process group,
after a timeout: a router cut off never hangs a test. Used by tests/integration/test_confirmed_commit_ssh.py.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

import yaml

from routerlab import REPOSITORY, podman
from systemdlab import SystemdRouter, start_systemd_router

NAMESPACE = "symroute-ctl"
CONTROLLER = "100.64.97.10"  # on the controller's lo: the operations network, 100.64.97.0/24
GATEWAY, ROUTER, PREFIX = "100.64.98.1", "100.64.98.2", 29  # the management link
OPERATIONS = "100.64.97.0/24"
INTERFACE = "mgmt0"
SSHD_CONFIG = f"""# symroute lab (tests/sshlab.py): the management address only, one key, nothing else
ListenAddress {ROUTER}
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
"""
# The controller notices a router that stopped answering: a keepalive every 2 s, gone after 3 unanswered.
SSH_OPTIONS = (
    "-o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes"
    " -o ServerAliveInterval=2 -o ServerAliveCountMax=3"
)
PLAYBOOK_TIMEOUT_S = 240


def in_controller(*argv):
    return ["ip", "netns", "exec", NAMESPACE, *argv]


def _run(argv, timeout, check=True):
    """``argv`` in its own process group, killed with its group after ``timeout`` seconds (AssertionError)."""
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPOSITORY, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(
            f"{' '.join(argv[:8])}... still ran after {timeout} s: killed\n{stdout[-3000:]}{stderr[-2000:]}"
        ) from None
    result = subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed: {stdout}{stderr}")
    return result


class SshRouter(SystemdRouter):
    """A SystemdRouter whose playbooks run in the controller's namespace, over SSH to ``ROUTER``."""

    def __init__(self, name, inventory, keys):
        super().__init__(name, inventory)
        self.keys = Path(keys)

    def run_controller(self, command, env):
        process = subprocess.Popen(
            in_controller(*command),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPOSITORY,
            env=env,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=PLAYBOOK_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # never a hung test: the controller and its ssh processes killed
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            raise AssertionError(
                f"ansible-playbook still ran after {PLAYBOOK_TIMEOUT_S} s: killed\n{stdout[-4000:]}{stderr[-2000:]}"
            ) from None
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    def ssh(self, command="true", connect_timeout=2, timeout=10):
        """A new SSH connection from the controller running ``command`` (no connection sharing)."""
        return _run(
            in_controller("ssh", *self.ssh_arguments(connect_timeout), f"root@{ROUTER}", command), timeout, check=False
        )

    def ssh_arguments(self, connect_timeout):
        return [
            "-i",
            str(self.keys / "id_ed25519"),
            "-o",
            f"UserKnownHostsFile={self.keys / 'known_hosts'}",
            "-o",
            f"ConnectTimeout={connect_timeout}",
            "-o",
            "ControlPath=none",
            *SSH_OPTIONS.split(),
        ]

    def close_connections(self):
        """End the playbooks' shared SSH connections (ControlPersist) still open."""
        for socket in (self.keys / "cp").glob("*"):
            _run(in_controller("ssh", "-o", f"ControlPath={socket}", "-O", "exit", ROUTER), 10, check=False)


def _management_link(name):
    """The veth between the controller's namespace and the router container, addressed and routed."""
    pid = podman("inspect", "-f", "{{.State.Pid}}", name).stdout.strip()
    subprocess.run(["ip", "netns", "del", NAMESPACE], capture_output=True, check=False)  # a leftover
    commands = [
        ["ip", "netns", "add", NAMESPACE],
        # Made inside the controller's namespace, its peer straight into the router's: never on the host.
        ["ip", "-n", NAMESPACE, "link", "add", "ctl0", "type", "veth", "peer", "name", INTERFACE, "netns", pid],
        ["ip", "-n", NAMESPACE, "link", "set", "lo", "up"],
        ["ip", "-n", NAMESPACE, "addr", "add", f"{CONTROLLER}/32", "dev", "lo"],
        ["ip", "-n", NAMESPACE, "addr", "add", f"{GATEWAY}/{PREFIX}", "dev", "ctl0"],
        ["ip", "-n", NAMESPACE, "link", "set", "ctl0", "up"],
        # The controller's connections leave from its operations address, as from a host behind the gateway.
        [
            "ip",
            "-n",
            NAMESPACE,
            "route",
            "replace",
            f"100.64.98.0/{PREFIX}",
            "dev",
            "ctl0",
            "proto",
            "kernel",
            "scope",
            "link",
            "src",
            CONTROLLER,
        ],
    ]
    for command in commands:
        subprocess.run(command, capture_output=True, text=True, check=True)


def _sshd(router, keys):
    """sshd on the management address, the test run's key only; the controller's known_hosts."""
    subprocess.run(
        [
            "ssh-keygen",
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "symroute-lab-controller",
            "-f",
            str(keys / "id_ed25519"),
        ],
        check=True,
        capture_output=True,
    )
    router.sh(
        f"ip addr add {ROUTER}/{PREFIX} dev {INTERFACE}; ip link set {INTERFACE} up;"
        f" ip route replace {OPERATIONS} via {GATEWAY} dev {INTERFACE};"
        " rm -f /etc/ssh/ssh_host_*; ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key"
    )
    router.write_file("/etc/ssh/sshd_config.d/symroute-lab.conf", SSHD_CONFIG)
    router.write_file("/root/.ssh/authorized_keys", (keys / "id_ed25519.pub").read_text(), mode="0600")
    router.sh("chmod 0700 /root/.ssh; systemctl start ssh.service")
    host_key = router.sh("cat /etc/ssh/ssh_host_ed25519_key.pub").stdout.split()[:2]
    (keys / "known_hosts").write_text(f"{ROUTER} {' '.join(host_key)}\n")
    (keys / "cp").mkdir()


def _ssh_inventory(router):
    """The router in the inventory reached over SSH at its management address (the lab's variables kept)."""
    options = f"-o UserKnownHostsFile={router.keys / 'known_hosts'} {SSH_OPTIONS}"
    (router.inventory / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "symroute_routers": {
                    "hosts": {
                        router.name: {
                            "ansible_connection": "ansible.builtin.ssh",
                            "ansible_host": ROUTER,
                            "ansible_user": "root",
                            "ansible_python_interpreter": "/usr/bin/python3",
                            "ansible_ssh_private_key_file": str(router.keys / "id_ed25519"),
                            "ansible_ssh_common_args": options,
                            "ansible_ssh_timeout": 5,
                            "ansible_control_path_dir": str(router.keys / "cp"),
                        }
                    }
                }
            }
        )
    )


def start_ssh_router(name, directory):
    """A systemd lab router (``start_systemd_router``) reached over SSH from the controller's namespace; a
    first SSH connection made before returning (sshd listens)."""
    started = start_systemd_router(name, directory)
    keys = Path(directory) / "ssh"
    keys.mkdir(mode=0o700)
    router = SshRouter(name, started.inventory, keys)
    _management_link(name)
    _sshd(router, keys)
    _ssh_inventory(router)
    deadline = time.monotonic() + 20
    while (first := router.ssh("hostname")).returncode != 0:
        assert time.monotonic() < deadline, f"no SSH to {ROUTER} within 20 s: {first.stderr}\n{router.journal('ssh')}"
        time.sleep(0.2)
    return router


def stop_ssh_router(router):
    """The controller's shared connections ended and its namespace removed (the veth with it)."""
    if router is not None:
        router.close_connections()
    subprocess.run(["ip", "netns", "del", NAMESPACE], capture_output=True, check=False)
