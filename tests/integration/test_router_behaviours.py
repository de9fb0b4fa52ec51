"""Behaviours of symmetric-routing.yml on a real router (a container), one test each."""

import re
import time

from routerlab import lab_partners, with_extra_partner


def _recap(result):
    match = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    return {"ok": int(match[1]), "changed": int(match[2]), "failed": int(match[4])}


def test_second_run_changes_nothing(router):
    result = router.playbook()
    assert result.returncode == 0, result.stdout
    assert _recap(result)["changed"] == 0, result.stdout


def test_check_mode_reports_the_change_and_changes_nothing(router):
    before = router.live_state()
    result = router.playbook("--check", "--diff", inventory_vars=with_extra_partner())
    assert result.returncode == 0, result.stdout
    assert _recap(result)["changed"] > 0
    assert "+\t\t\t100.64.40.0/24," in result.stdout  # the new set element, in the nftables diff
    assert "+ rule" not in result.stdout or "100.64.40" not in result.stdout  # rules do not depend on prefixes
    assert router.live_state() == before


def test_invalid_inventory_fails_before_the_router_is_touched(router):
    before = router.live_state()
    broken = {
        "symroute_partners": lab_partners()
        + [
            {"name": "typo", "prefxes": ["100.64.41.0/24"], "link": "wan_a"},
            {"name": "hostbits", "prefixes": ["100.64.42.7/24"], "link": "wan_z"},
        ]
    }
    result = router.playbook(inventory_vars=broken)
    assert result.returncode != 0
    # The problems are listed in the task result, which Ansible prints as YAML: lines folded, quotes doubled.
    listed = " ".join(result.stdout.split()).replace("''", "'")
    for fragment in ("unknown key 'prefxes'", "host bits set", "unknown link 'wan_z'"):
        assert fragment in listed, result.stdout
    assert listed.count("partner 'typo'") == 1, result.stdout  # one cause, one message
    assert "symroute_verify : Record how the management networks route" not in result.stdout
    assert "symroute_snapshot" not in result.stdout
    assert router.live_state() == before


FOREIGN = """
ip rule add priority 5000 from 100.64.55.0/24 lookup main
ip rule add priority 20000 to 100.64.57.0/24 lookup main
ip route add 100.64.56.0/24 via 198.51.100.5 dev wanb
nft add table inet foreign
nft add chain inet foreign keep '{ type filter hook input priority 10; policy accept; }'
"""
FOREIGN_CLEANUP = """
ip rule del priority 5000 from 100.64.55.0/24 lookup main
ip rule del priority 20000 to 100.64.57.0/24 lookup main
ip route del 100.64.56.0/24 via 198.51.100.5 dev wanb
nft delete table inet foreign
"""


def _foreign_present(router):
    state = router.sh("ip rule; ip route; nft list tables").stdout
    return all(
        fragment in state
        for fragment in (
            "5000:\tfrom 100.64.55.0/24 lookup main",
            "20000:\tfrom all to 100.64.57.0/24 lookup main",
            "100.64.56.0/24 via 198.51.100.5 dev wanb",
            "table inet foreign",
        )
    )


def test_foreign_rules_routes_and_tables_survive(router):
    router.sh(FOREIGN)
    try:
        assert _foreign_present(router)
        changed = router.playbook(inventory_vars=with_extra_partner())
        assert changed.returncode == 0 and _recap(changed)["changed"] > 0, changed.stdout
        assert _foreign_present(router)
        back = router.playbook()
        assert back.returncode == 0 and _recap(back)["changed"] > 0, back.stdout
        assert _foreign_present(router)
    finally:
        router.sh(FOREIGN_CLEANUP, check=False)


def test_reapplying_under_traffic_loses_no_packet(router):
    # A bounded ping (at most 30000 packets, 600 s) from the LAN to the partner through the
    # router, running across all re-applies and stopped right after them.
    router.sh(
        "rm -f /tmp/ping.out; (ip netns exec lan ping -i 0.02 -c 30000 -w 600 100.64.20.10 > /tmp/ping.out 2>&1 &)"
    )
    time.sleep(1)
    try:
        for run in range(10):
            result = router.playbook(
                "--tags", "nftables,routing", inventory_vars=with_extra_partner() if run % 2 == 0 else None
            )
            assert result.returncode == 0 and _recap(result)["changed"] > 0, result.stdout
        still_running = router.sh("pgrep -x ping", check=False).returncode == 0
    finally:
        router.sh("pkill -INT -x ping; sleep 1", check=False)
    assert still_running, "the ping ended before the last re-apply"
    summary = router.sh("cat /tmp/ping.out").stdout
    match = re.search(r"(\d+) packets transmitted, (\d+) received", summary)
    assert match, summary
    sent, received = int(match[1]), int(match[2])
    assert sent > 200, summary
    assert received == sent, summary
    router.playbook()


def test_boot_commands_restore_the_state_exactly(router):
    before = router.symroute_state()
    # A boot starts with none of symroute's state and without its monitor (which would repair what is
    # deleted here within a second: a route event of its links triggers it), so the boot commands alone
    # restore it.
    ctl = "/usr/local/sbin/symroute-monitor-ctl"
    router.sh(f"{ctl} stop")
    try:
        router.sh(
            "nft delete table inet symroute;"
            " for f in 4 6; do ip -$f rule | awk -F: '$1 >= 10000 && $1 <= 10999 {print $1}' |"
            " while read p; do ip -$f rule del priority $p; done; done;"
            " for t in 200 201; do ip route flush table $t; ip -6 route flush table $t; done"
        )
        assert "symroute" not in router.sh("nft list tables").stdout
        assert "fwmark" not in router.sh("ip rule").stdout
        # What the boot does: nftables.service loads /etc/nftables.conf, symroute-routing.service runs its
        # ExecStart.
        unit = "/etc/systemd/system/symroute-routing.service"
        environment = " ".join(router.sh(f"sed -n 's/^Environment=//p' {unit}").stdout.split())
        exec_start = router.sh(f"sed -n 's/^ExecStart=//p' {unit}").stdout.strip()
        router.sh("nft -f /etc/nftables.conf")
        router.sh(f"env {environment} {exec_start}")
        assert router.symroute_state() == before
    finally:
        router.sh(f"{ctl} start")


def test_verification_failure_rolls_back_to_the_previous_state(router):
    # Someone else's rule shadows symroute's: link A's marked traffic would leave by wanb.
    router.sh(
        "ip route add default via 198.51.100.5 dev wanb table 99;"
        " ip rule add priority 5000 fwmark 0x100/0x7f00 lookup 99"
    )
    try:
        before = router.live_state()
        result = router.playbook(inventory_vars=with_extra_partner())
        assert result.returncode != 0
        assert "previous state was restored" in result.stdout, result.stdout
        assert "is routed wanb; expected out wana (wan_a)" in result.stdout, result.stdout
        assert router.live_state() == before
    finally:
        router.sh("ip rule del priority 5000; ip route flush table 99", check=False)
    after = router.playbook()
    assert after.returncode == 0, after.stdout
