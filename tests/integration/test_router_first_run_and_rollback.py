"""Check mode on a router symroute never configured, and the whole-state rollback after a failure at each step."""

import re
import time

import pytest

from routerlab import remove_router, start_router, with_extra_partner

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
    assert re.search(r"\+ipv4 pref 10200 fwmark 0x100/0x7f00 lookup 200", result.stdout), result.stdout[-3000:]
    assert "+ipv4 table 200 default via 198.51.100.1 dev wana" in result.stdout
    assert "restored" not in result.stdout


def _inject(router, step):
    if step in WRAPPERS:
        router.sh(f"cat > /usr/local/sbin/{step} <<'EOF'\n"
                  f"{FAIL_ONCE.format(name=step, condition=WRAPPERS[step])}EOF\n"
                  f"chmod 755 /usr/local/sbin/{step}; touch /tmp/symroute-fail-{step}")
        return {}
    if step == "verify":
        # Someone else's rule shadows symroute's: link A's marked traffic would leave by wanb.
        router.sh("ip route add default via 198.51.100.5 dev wanb table 99;"
                  " ip rule add priority 5000 fwmark 0x100/0x7f00 lookup 99")
        return {}
    return {"symroute_monitor_service_manager": "systemd"}  # the monitor: this container runs no systemd


def _clean(router):
    router.sh("rm -f /usr/local/sbin/nft /usr/local/sbin/ip /tmp/symroute-fail-*;"
              " ip rule del priority 5000 2>/dev/null; ip route flush table 99 2>/dev/null; true")


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
