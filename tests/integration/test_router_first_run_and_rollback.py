"""Check mode on a router symroute never configured, and the whole-state rollback after a failure at each step."""

import json
import re
import subprocess
import time

import pytest
import yaml

from routerlab import REPOSITORY, remove_router, start_router, with_extra_partner

FRESH = "symroute-test-fresh"
# Wrappers put before /usr/sbin in PATH: each fails once (the marker file is removed), then behaves.
FAIL_ONCE = """#!/bin/sh
if [ -e /tmp/symroute-fail-{name} ] && {condition}; then
    rm -f /tmp/symroute-fail-{name}; echo "injected failure of {name}" >&2; exit 1
fi
exec /usr/sbin/{name} "$@"
"""
WRAPPERS = {
    "nft": 'case " $* " in *" -f - "*) case " $* " in *" -c "*) false ;; *) true ;; esac ;; *) false ;; esac',
    "ip": 'case " $* " in *" -batch "*) true ;; *) false ;; esac',
}


@pytest.fixture(scope="module")
def fresh_router(tmp_path_factory):
    device = start_router(FRESH, tmp_path_factory.mktemp("fresh"))
    yield device
    remove_router(FRESH)


def _settled_state(router):
    """The live state once the kernel has finished bringing the new interfaces up (IPv6 DAD adds routes)."""
    state = None
    for _ in range(30):
        now = router.live_state() + router.sh("sysctl -a 2>/dev/null | grep -E 'wan[ab]'").stdout
        if now == state:
            return now
        state = now
        time.sleep(2)
    raise AssertionError("the router's state did not settle")


def test_check_mode_on_a_fresh_router_changes_nothing_and_shows_everything(fresh_router):
    before = _settled_state(fresh_router)
    result = fresh_router.playbook("--check", "--diff")
    assert result.returncode == 0, result.stdout[-4000:]
    after = fresh_router.live_state() + fresh_router.sh("sysctl -a 2>/dev/null | grep -E 'wan[ab]'").stdout
    assert after == before
    for element in ("100.64.20.0/24,", "100.64.21.0/24,", "2001:db8:20::/48,", "2001:db8:21::/48,"):
        assert f"+\t\t\t{element}" in result.stdout, element
    assert "+net.ipv4.conf.wana.rp_filter = 2" in result.stdout
    for line in (
        "+ipv4 priority 10200 fwmark 0x100/0x7f00 suppress_ifgroup 21337 lookup 200",
        "+ipv6 priority 10300 fwmark 0x8000/0x8000 prohibit",
        "+ipv4 default via 198.51.100.1 dev wana table 200",
        "+ipv6 default via 2001:db8:b::1 dev wanb table 201",
    ):
        assert line in result.stdout, line
    assert "was restored" not in result.stdout and "Restore the snapshot" not in result.stdout


def _inject(router, step):
    if step in WRAPPERS:
        router.sh(
            f"cat > /usr/local/sbin/{step} <<'EOF'\n"
            f"{FAIL_ONCE.format(name=step, condition=WRAPPERS[step])}EOF\n"
            f"chmod 755 /usr/local/sbin/{step}; touch /tmp/symroute-fail-{step}"
        )
        return {}
    if step == "verify":
        # Someone else's rule shadows symroute's: link A's marked traffic would leave by wanb.
        router.sh(
            "ip route add default via 198.51.100.5 dev wanb table 99;"
            " ip rule add priority 5000 fwmark 0x100/0x7f00 lookup 99"
        )
        return {}
    return {"symroute_monitor_service_manager": "systemd"}  # the monitor: this container runs no systemd


def _clean(router):
    router.sh(
        "rm -f /usr/local/sbin/nft /usr/local/sbin/ip /tmp/symroute-fail-*;"
        " ip rule del priority 5000 2>/dev/null; ip route flush table 99 2>/dev/null; true"
    )


# A change to every part: a set element (nftables), a LAN rule (routing), the sysctls (set apart first).
CHANGE = dict(with_extra_partner(), symroute_lan_networks=["203.0.113.0/24", "2001:db8:5::/64", "198.51.100.128/25"])


@pytest.mark.parametrize("step", ["nft", "ip", "verify", "monitor"])
def test_a_failure_at_each_step_restores_all_of_symroute_state(router, step):
    router.sh("sysctl -qw net.ipv4.conf.wana.rp_filter=0 net.ipv4.conf.wanb.rp_filter=1")
    try:
        extra = _inject(router, step)
        before = router.live_state()
        result = router.playbook(inventory_vars=dict(CHANGE, **extra))
        assert result.returncode != 0, result.stdout[-3000:]
        assert "The previous state was restored" in result.stdout, result.stdout[-3000:]
        after = router.live_state()
    finally:
        _clean(router)
    assert after == before
    assert router.playbook().returncode == 0


def _lab_links():
    return yaml.safe_load((REPOSITORY / "inventories" / "lab" / "host_vars" / "edge.yml").read_text())["symroute_links"]


def _renamed_b():
    links = _lab_links()
    links[1]["name"] = "wan_d"
    return {"symroute_links": links}


def _without_b():
    links = _lab_links()
    return {"symroute_links": [links[0]] + links[2:]}


def _reordered():
    """Link B first: with their table and mark pinned (as they were), only the failover order changes."""
    links = _lab_links()
    for number, link in enumerate(links):
        link.update(table=200 + number, mark=number + 1)
    return {"symroute_links": links[::-1]}


@pytest.mark.parametrize(
    "change",
    [_renamed_b, _without_b, _reordered, with_extra_partner],
    ids=["rename link B", "remove link B", "reorder the links", "add and remove a partner"],
)
def test_changes_beside_a_partner_lose_none_of_its_packets(router, change):
    """50 pings a second to the partner pinned to link A while link B or another partner changes and comes back."""
    router.sh(
        "rm -f /tmp/ping.out; (ip netns exec lan ping -i 0.02 -c 5000 -w 200 100.64.20.10 > /tmp/ping.out 2>&1 &)"
    )
    time.sleep(1)
    try:
        changed = router.playbook(inventory_vars=change())
        assert changed.returncode == 0, changed.stdout[-3000:]
        back = router.playbook()
        assert back.returncode == 0, back.stdout[-3000:]
    finally:
        router.sh("pkill -INT -x ping; sleep 1", check=False)
    summary = router.sh("cat /tmp/ping.out").stdout
    match = re.search(r"(\d+) packets transmitted, (\d+) received", summary)
    assert match and int(match[1]) > 100, summary
    assert match[2] == match[1], summary


def _reviewed_digest(router, inventory_vars=None):
    """The digest `bin/symroute plan` prints for the router's inventory (what a reviewer approves)."""
    router.write_inventory(inventory_vars)
    result = subprocess.run(
        [str(REPOSITORY / "bin" / "symroute"), "plan", "--inventory", str(router.inventory), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)["digest"]


def test_a_stale_digest_applies_nothing_and_the_reviewed_one_applies(router):
    reviewed = _reviewed_digest(router)
    before = router.live_state()
    stale = router.playbook(inventory_vars=with_extra_partner(), extra_vars={"symroute_expected_plan_digest": reviewed})
    assert stale.returncode != 0
    text = " ".join(stale.stdout.split())  # the YAML callback folds long messages
    assert f"not the reviewed {reviewed}" in text and "nothing was applied" in text, stale.stdout[-2000:]
    assert "symroute_snapshot" not in stale.stdout  # no router task ran
    assert router.live_state() == before
    changed = _reviewed_digest(router, with_extra_partner())
    applied = router.playbook(
        inventory_vars=with_extra_partner(), extra_vars={"symroute_expected_plan_digest": changed}
    )
    assert applied.returncode == 0, applied.stdout[-2000:]
    assert f"symroute plan digest {changed}" in " ".join(applied.stdout.split())
    assert "100.64.40.0/24" in router.sh("nft list table inet symroute").stdout
    assert router.playbook().returncode == 0
