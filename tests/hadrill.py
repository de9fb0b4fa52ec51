"""Any playbook of the repository against the HA lab (tests/halab.py runs only symmetric-routing.yml), and
the pair as a whole: both routers running and converged, one master (tests/ha/test_ha_drill.py)."""

import subprocess

import halab

from routerlab import PODMAN_ENVIRONMENT, REPOSITORY


def command(inventory_dir, playbook, *args):
    """The ansible-playbook command line of ``playbook`` (a path relative to the repository) and its
    environment, as halab.playbook runs symmetric-routing.yml."""
    env = dict(
        PODMAN_ENVIRONMENT, ANSIBLE_CONFIG=str(REPOSITORY / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"
    )
    argv = [
        str(REPOSITORY / ".venv" / "bin" / "ansible-playbook"),
        "-i",
        str(inventory_dir),
        str(REPOSITORY / playbook),
    ]
    return [*argv, *args], env


def playbook_file(inventory_dir, playbook, *args):
    """Run ``playbook`` to its end; the CompletedProcess (stdout and stderr as text)."""
    argv, env = command(inventory_dir, playbook, *args)
    return subprocess.run(argv, capture_output=True, text=True, cwd=REPOSITORY, env=env, check=False)


def start_playbook(inventory_dir, playbook, *args):
    """Start ``playbook`` in the background (its output in one pipe): a Popen to wait for."""
    argv, env = command(inventory_dir, playbook, *args)
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPOSITORY, env=env)


def whole_pair(inventory_dir):
    """Both routers running and converged, one master and one backup: a router an earlier test killed
    (``podman kill``) is started again, wired and converged (its monitor, keepalived, conntrackd)."""
    for router in halab.ROUTERS:
        if not halab._running(router):
            halab.start_router(router)
            result = halab.playbook(inventory_dir, "-l", router)
            assert result.returncode == 0, result.stdout[-4000:]
    halab.wait_for(
        lambda: sorted(halab.vrrp_state(router) or "" for router in halab.ROUTERS) == ["backup", "master"],
        30,
        "one master and one backup",
    )
    for router in halab.ROUTERS:
        halab.wait_for(
            lambda router=router: (
                (state := halab.monitor_state(router))
                and all(link["up"] and not link["gated"] for link in state["links"].values())
                and state.get("ha", {}).get("sync", {}).get("peer_reachable") is True
                and state["ha"].get("yield") is False
            ),
            30,
            f"{router}'s links in service and its peer reachable",
        )
    return halab.master()
