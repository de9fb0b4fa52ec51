"""Confirmed commit over a real SSH cut-off (issue #24): the controller runs symmetric-routing.yml over SSH
through the router's management network (tests/sshlab.py: its own namespace, sshd on the router's management
address, a key made for this run), a change cuts that path, the router's dead-man restores it within the
timeout plus 5 s and SSH works again, and the controller's next run, and the audit before it, report it.

The change is an operator's mistake: a fourth link declared on the management interface (its interface and
address copied from the wrong line of ``ip -br addr``, the new provider's gateway typed on the management
subnet, where nothing answers). The link's ``from <address> lookup <table>`` rule sends every reply from the
router's management address to that gateway: the controller's session stops mid-converge. The controller's
operations network (100.64.97.0/24) is not among symroute_management_networks: were it, the rule keeping
those networks in the main table (priority base + 0) would keep the replies on their path, and nothing in this
change could cut them. After the restore, the link monitor still ran that link in memory: its failed probes
kept mgmt0 out of service and held the general rules that route around it, so the router stayed cut off
until the dead-man restarted the monitor (deadman_services).

One router container for the module; the tests run in this order (70 to 105 s in the lab).
"""

import json
import re
import time

import pytest
import yaml

from routerlab import REPOSITORY
from sshlab import CONTROLLER, INTERFACE, ROUTER, start_ssh_router, stop_ssh_router
from systemdlab import remove_systemd_router

NAME = "symroute-ssh-router"
RECORD = "/var/lib/symroute/confirm.json"
TIMEOUT_S = 30  # the shortest symroute_confirm_timeout_s allowed
# The mistake: link D on the management interface, the router's management address, a gateway nobody has.
TYPO_LINK = {
    "name": "wan_d",
    "interface": INTERFACE,
    "address": f"{ROUTER}/29",
    "gateway": "100.64.98.6",
    "health_targets": ["100.64.98.6"],
}


def _recap(result):
    match = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", result.stdout)
    assert match, result.stdout[-3000:] + result.stderr
    return {"changed": int(match[2]), "unreachable": int(match[3]), "failed": int(match[4])}


def _lab_links():
    return yaml.safe_load((REPOSITORY / "inventories" / "lab" / "host_vars" / "edge.yml").read_text())["symroute_links"]


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    device = None
    try:
        device = start_ssh_router(NAME, tmp_path_factory.mktemp("ssh-router"))
        yield device
    finally:
        stop_ssh_router(device)
        remove_systemd_router(NAME)


def _why(router):
    """What keeps the router cut off: its rules, mgmt0's group, the record, the monitor's and dead-man's logs."""
    return router.sh(
        f"ip rule; ip -d link show {INTERFACE} | grep -o 'group [^ ]*'; ip route get {CONTROLLER};"
        f" cat {RECORD}; journalctl -b --no-pager -n 40 -u symroute-monitor.service"
        " -u 'symroute-confirm-*'",
        check=False,
    ).stdout


def _record(router):
    """The dead-man's record, read in the container (an observer's view: the controller may be cut off)."""
    return json.loads(router.sh(f"cat {RECORD}").stdout)


def test_a_converge_over_ssh_through_the_management_network_is_confirmed_from_a_new_connection(router):
    who = router.ssh("echo $SSH_CONNECTION")
    assert who.returncode == 0 and who.stdout.split()[0] == CONTROLLER, who.stdout + who.stderr  # not the host
    converged = router.playbook()
    assert converged.returncode == 0, converged.stdout[-4000:] + converged.stderr[-2000:]
    assert "Confirm the change (the router's dead-man restores it unless confirmed in time)" in converged.stdout
    record = _record(router)
    assert record["state"] == "confirmed" and record["mechanism"] == "systemd", record
    assert f"Accepted publickey for root from {CONTROLLER}" in router.journal("ssh.service", lines=200)


def test_a_change_cutting_the_controller_off_is_restored_within_timeout_plus_5_s_and_reported_by_the_next_run(
    router, tmp_path
):
    monitor_before = router.main_pid("symroute-monitor.service")
    started = time.time()
    cut = router.playbook(
        inventory_vars={"symroute_links": [*_lab_links(), TYPO_LINK]},
        extra_vars={"symroute_confirm_timeout_s": TIMEOUT_S},
    )
    returned = time.time()
    # The controller lost the router mid-converge: unreachable, no rescue, no confirmation.
    assert cut.returncode != 0 and _recap(cut)["unreachable"] == 1, cut.stdout[-4000:] + cut.stderr[-2000:]
    assert "Confirm the change" not in cut.stdout, cut.stdout[-3000:]
    record = _record(router)
    assert record["state"] == "armed" and record["timeout_s"] == TIMEOUT_S and record["armed_at"] > started, record
    assert f"from {ROUTER} lookup" in router.sh("ip rule").stdout  # the change is live on the router
    assert returned < record["deadline"], (returned, record)  # the controller gave up before the deadline
    refused = router.ssh(connect_timeout=2)
    assert refused.returncode == 255 and time.time() < record["deadline"], refused.stderr  # really cut off

    # Back over SSH: new connections until one works (each gives up after 1 s while the router is cut off).
    while router.ssh(connect_timeout=1, timeout=5).returncode != 0:
        assert time.time() < record["deadline"] + 5 + 10, f"no SSH 15 s after the deadline\n{_why(router)}"
    ssh_back_s = time.time() - record["deadline"]
    record = _record(router)
    restore_s = record["expired_at"] - record["deadline"]
    print(
        f"confirmed commit over SSH: the controller gave up {returned - started:.1f} s after starting; "
        f"restored {restore_s:.2f} s after the deadline, SSH back {ssh_back_s:.2f} s after it"
    )
    assert record["state"] == "expired", record
    assert 0 <= restore_s <= 5.0, record
    assert ssh_back_s <= 5.0, (ssh_back_s, record)
    assert f"from {ROUTER} lookup" not in router.sh("ip rule").stdout
    # The monitor ran link D from memory: the dead-man restarted it with the restored configuration.
    assert any(line.startswith("restarted symroute-monitor.service") for line in record["restored"]), record
    assert router.main_pid("symroute-monitor.service") != monitor_before
    router.wait_for_monitor(
        lambda state: (
            set(state["links"]) == {"wan_a", "wan_b", "wan_c"}
            and all(link["up"] and not link["gated"] for link in state["links"].values())
        ),
        20,
        "the restarted monitor running links A, B and C, all in service",
    )
    journal = router.journal(f"{record['unit']}.service", lines=20)
    assert f"run {record['run_id']} was not confirmed" in journal, journal

    # The audit, while that run is the router's last, and the controller's next run, both over SSH.
    audit = router.playbook(playbook="playbooks/audit.yml", extra_vars={"symroute_report_dir": str(tmp_path)})
    findings = json.loads((tmp_path / f"audit-{NAME}.json").read_text())["findings"]
    assert audit.returncode != 0 and [finding["kind"] for finding in findings] == ["confirm"], findings
    assert findings[0]["text"].startswith(
        f"the last converge was not confirmed: run {record['run_id']} was not "
        f"confirmed within {TIMEOUT_S} s: its snapshot was restored"
    ), findings
    following = router.playbook()
    assert following.returncode == 0, following.stdout[-4000:] + following.stderr[-2000:]
    assert f"previous converge was not confirmed: run {record['run_id']}" in following.stdout + following.stderr
    assert _recap(following)["unreachable"] == 0
