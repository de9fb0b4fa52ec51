"""A router container with systemd as PID 1, driven by symmetric-routing.yml (the monitor and the boot
unit are then real systemd services).

The router's links are built at every boot inside the container by symroute-lab-topology.service
(molecule/resources/systemd-lab): `podman restart` is a real reboot, into a new network namespace
whose links, addresses and main table the unit rebuilds and whose symroute state only symroute's
own units (nftables.service, symroute-routing.service, symroute-monitor.service) can bring back.
With /etc/symroute-lab/absent-wanc the boot leaves link C out (``create_wanc`` adds it later); with
``use_networkd`` systemd-networkd gives wana and wanb their addresses and routes from the next boot.
Used by tests/integration/test_systemd_router.py.
"""

import json
import subprocess
import time
from pathlib import Path

from routerlab import PODMAN_ENVIRONMENT, RESOURCES, Router, _image, lab_inventory, podman

SYSTEMD_LAB = RESOURCES / "systemd-lab"
LAB_DIR = "/usr/local/lib/symroute-lab"
TOPOLOGY_UNIT = "symroute-lab-topology.service"
ABSENT_WANC = "/etc/symroute-lab/absent-wanc"
NETWORKD_MARK = "/etc/symroute-lab/networkd"
DYNAMIC_WANC = "/etc/symroute-lab/dynamic-wanc"
ISP_C_UNIT = "symroute-lab-isp-c.service"
ISP_C_HOSTS = "/etc/symroute-lab/isp_c-hosts"
SYMROUTE_UNITS = ("nftables.service", "symroute-routing.service", "symroute-monitor.service")
MONITOR_STATE_FILE = "/run/symroute/monitor.json"  # symroute_monitor_state_file, the same in both modes


class SystemdRouter(Router):
    """A Router (routerlab) whose init is systemd: boots, reboots, units and their journal."""

    def systemctl(self, *args, check=False):
        return self.sh("systemctl --no-pager " + " ".join(args), check=check)

    def monitor_state(self):
        """The monitor's state file (the same path as in background mode), or None while there is none
        (a boot before the new monitor's first write: /run is this boot's tmpfs)."""
        result = podman("exec", self.name, "cat", MONITOR_STATE_FILE, check=False)
        if result.returncode != 0:
            return None
        try:
            return json.loads(result.stdout)
        except ValueError:  # written atomically, but a podman exec can race a container stop
            return None

    def diagnostics(self):
        """For a failed wait (routerlab): the journal of the lab's and symroute's units."""
        return self.journal()

    def wait_until_booted(self, seconds=60):
        """systemd's view once the boot is complete: "running" or "degraded" (a unit failed)."""
        deadline = time.monotonic() + seconds
        state = ""
        while time.monotonic() < deadline:
            result = podman("exec", self.name, "systemctl", "is-system-running", check=False)
            state = result.stdout.strip()
            if state in ("running", "degraded"):
                return state
            time.sleep(0.1)
        raise AssertionError(f"the boot did not complete within {seconds} s (is-system-running: {state!r})")

    def reboot(self, seconds=60):
        """`podman restart`: systemd shuts down, the container starts again with new namespaces (a new
        /run, a new network namespace) and systemd boots; returns is-system-running once booted."""
        # A mark in /run (a tmpfs of this boot): gone after a real reboot.
        self.sh("touch /run/symroute-lab-before-reboot")
        podman("restart", self.name)
        state = self.wait_until_booted(seconds)
        assert self.sh("test ! -e /run/symroute-lab-before-reboot", check=False).returncode == 0, "not a new boot"
        return state

    def main_pid(self, unit):
        return int(self.systemctl("show", "-p", "MainPID", "--value", unit, check=True).stdout)

    def journal(self, *units, lines=60):
        """The current boot's journal of ``units`` (symroute's and the lab's by default), for failure messages."""
        units = units or (TOPOLOGY_UNIT, *SYMROUTE_UNITS)
        selection = " ".join(f"-u {unit}" for unit in units)
        return self.sh(f"journalctl -b --no-pager -o short-monotonic -n {lines} {selection}", check=False).stdout

    def leave_wanc_out_at_boot(self, absent=True):
        self.sh(f"mkdir -p {Path(ABSENT_WANC).parent}; touch {ABSENT_WANC}" if absent else f"rm -f {ABSENT_WANC}")

    def create_wanc(self):
        """Link C appears (an LTE modem plugged in): isp_c and wanc with its address, then up."""
        self.sh(f"{LAB_DIR}/symroute-lab-topology.sh wanc")

    def use_networkd(self, networks):
        """From the next boot, systemd-networkd gives the interfaces of ``networks`` ({file name: .network
        text} for /etc/systemd/network) their addresses and routes instead of the lab's script, with
        network-online.target reached through systemd-networkd-wait-online.service (networkctl talks to
        it over the lab image's D-Bus). ``networks`` None: back to the lab's script."""
        self.sh("rm -f /etc/systemd/network/*.network")
        if networks is None:
            self.sh(
                f"rm -f {NETWORKD_MARK};"
                " systemctl disable systemd-networkd.service systemd-networkd-wait-online.service"
                " systemd-networkd.socket 2>/dev/null"
            )
            return
        files = {f"/etc/systemd/network/{name}": text for name, text in networks.items()}
        for path, text in files.items():
            self.sh(f"mkdir -p {Path(path).parent}")
            podman("exec", "-i", self.name, "sh", "-c", f"cat > {path}", stdin=text)
        self.sh(
            f"mkdir -p {Path(NETWORKD_MARK).parent}; touch {NETWORKD_MARK};"
            " systemctl enable systemd-networkd.service systemd-networkd-wait-online.service 2>/dev/null"
        )

    def make_wanc_dynamic(self, address):
        """From the next boot link C is dynamic (the topology script's dynamic-wanc mode): provider C's
        dnsmasq (symroute-lab-isp-c.service, enabled) leases ``address`` to whichever client asks."""
        podman("cp", str(SYSTEMD_LAB / ISP_C_UNIT), f"{self.name}:/etc/systemd/system/{ISP_C_UNIT}")
        self.sh(
            f"mkdir -p {Path(DYNAMIC_WANC).parent}; touch {DYNAMIC_WANC}; systemctl daemon-reload;"
            f" systemctl enable {ISP_C_UNIT} 2>/dev/null"
        )
        self.lease_next(address, reload=False)

    def lease_next(self, address, reload=True):
        """Provider C reserves ``address`` for any client (every MAC: wanc's changes at each boot); the
        router's client gets it at its next DHCP exchange."""
        self.sh(f"echo '*:*:*:*:*:*,{address}' > {ISP_C_HOSTS}")
        if reload:
            self.systemctl("reload", ISP_C_UNIT, check=True)

    def write_file(self, path, text, mode="0644"):
        self.sh(f"mkdir -p {Path(path).parent}")
        podman("exec", "-i", self.name, "sh", "-c", f"cat > {path} && chmod {mode} {path}", stdin=text)


def start_systemd_router(name, directory):
    """A fresh router container `name` with systemd as PID 1 and the lab's topology unit enabled and run,
    with an inventory for it in `directory` (the lab inventory, as routerlab.start_router)."""
    subprocess.run([str(RESOURCES / "build-image.sh")], check=True, capture_output=True, env=PODMAN_ENVIRONMENT)
    podman("rm", "-f", "-t", "0", name, check=False)
    # --systemd=always: podman mounts /run, /tmp (tmpfs) and the cgroup tree the way systemd needs and
    # stops the container with SIGRTMIN+3 (a clean shutdown), for which --stop-timeout leaves 20 s.
    podman(
        "run",
        "-d",
        "--privileged",
        "--network",
        "none",
        "--systemd=always",
        "--stop-timeout",
        "20",
        "--name",
        name,
        "--hostname",
        name,
        _image(),
        "/lib/systemd/systemd",
    )
    router = SystemdRouter(name, lab_inventory(name, directory))
    router.wait_until_booted()
    podman("exec", name, "mkdir", "-p", LAB_DIR)
    for script in (
        RESOURCES / "router-topology.sh",
        RESOURCES / "edge-before-symroute.sh",
        SYSTEMD_LAB / "symroute-lab-topology.sh",
    ):
        podman("cp", str(script), f"{name}:{LAB_DIR}/{script.name}")
    podman("cp", str(SYSTEMD_LAB / TOPOLOGY_UNIT), f"{name}:/etc/systemd/system/{TOPOLOGY_UNIT}")
    router.sh(f"chmod 0755 {LAB_DIR}/*.sh; systemctl daemon-reload; systemctl enable --now {TOPOLOGY_UNIT}")
    return router


def remove_systemd_router(name):
    podman("rm", "-f", "-t", "0", name, check=False)
