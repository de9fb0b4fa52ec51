"""playbooks/remove.yml on the HA pair (issue #25), last of tests/ha (it leaves the pair removed): --check
lists keepalived's and conntrackd's files and services with the rest and changes nothing; the run removes the
backup first (it never becomes the master while it goes: its keepalived journal has no MASTER state), then
the master; afterwards no
file symroute wrote is left, keepalived and conntrackd are stopped and disabled, the shared addresses gone;
a second run changes nothing."""

import re

import halab
import haplaybooks

HA_FILES = ("/etc/keepalived/keepalived.conf", "/etc/conntrackd/conntrackd.conf", "/usr/local/sbin/symroute-ha-notify")


def _exists(router, path):
    return halab.on(router, f"test -e {path}", check=False).returncode == 0


def test_remove_takes_the_backup_first_then_the_master_and_leaves_nothing(lab):
    master = halab.master()
    backup = "edge-2" if master == "edge-1" else "edge-1"
    checked = haplaybooks.run(lab["inventory"], "remove.yml", "--check")
    assert checked.returncode == 0, checked.stdout[-4000:]
    for path in HA_FILES:
        assert path in checked.stdout, checked.stdout[-4000:]
    assert "keepalived.service (stopped and disabled)" in checked.stdout
    assert all(_exists(router, path) for router in halab.ROUTERS for path in HA_FILES)
    assert halab.master() == master  # --check changed nothing

    since = halab.on(backup, "date +%s").stdout.strip()
    result = haplaybooks.run(lab["inventory"], "remove.yml")
    assert result.returncode == 0, result.stdout[-5000:]
    # The backup's removal is the first removal task, the master's the second: the order of the task banners.
    first = result.stdout.index("TASK [Remove everything symroute installed (every router but a pair's master)]")
    second = result.stdout.index("TASK [Remove everything symroute installed (a pair's master, once its backup is")
    between = result.stdout[first:second]
    assert re.search(rf"changed: \[{backup}\]", between) and f"skipping: [{master}]" in between, between
    assert re.search(rf"changed: \[{master}\]", result.stdout[second:]), result.stdout[second:][:3000]
    # The master kept the shared addresses while the backup went: the backup's keepalived stopped (its journal
    # since the run says so) without ever entering the MASTER state.
    journal = halab.on(backup, f"journalctl -u keepalived.service --since @{since} -o cat --no-pager").stdout
    assert "Stopp" in journal and "Entering MASTER STATE" not in journal, journal[-3000:]
    for router in halab.ROUTERS:
        for path in (*HA_FILES, "/run/symroute", "/etc/symroute/monitor.json"):
            assert not _exists(router, path), (router, path)
        for unit in ("keepalived", "conntrackd"):
            states = halab.on(router, f"systemctl is-active {unit}; systemctl is-enabled {unit}", check=False)
            assert states.stdout.split() == ["inactive", "disabled"], (router, unit, states.stdout)
        assert not halab.holds(router, halab.SHARED_WAN_A) and not halab.holds(router, "203.0.113.1")
        assert halab.on(router, "nft list table inet symroute", check=False).returncode != 0

    again = haplaybooks.run(lab["inventory"], "remove.yml")
    assert again.returncode == 0, again.stdout[-4000:]
    assert {router: changed for router, (_ok, changed, _failed) in haplaybooks.recap(again).items()} == {
        "edge-1": 0,
        "edge-2": 0,
    }, again.stdout[-3000:]
