"""playbooks/remove.yml on a router container: after converge and removal, the router is as it was before."""

import pytest

from routerlab import remove_router, start_router

NAME = "symroute-test-remove"
FOREIGN = (
    "ip rule add priority 500 from 192.0.2.77 lookup 77; ip route add 192.0.2.0/24 dev lo table 77;"
    " nft add table inet foreign; nft add chain inet foreign input '{ type filter hook input priority 0; }'"
)


def _state(router):
    """Rules, routes, ruleset, sysctls, interface groups and symroute's files, once the kernel has settled:
    no IPv6 address is still tentative (duplicate address detection adds its routes when it ends, a second
    or two after a link comes up, which two reads half a second apart can miss) and two reads agree."""
    previous = None
    for _ in range(30):
        if router.sh("ip -6 -o addr show tentative").stdout.strip():
            router.sh("sleep 0.5")
            continue
        now = (
            router.live_state()
            + router.sh("sysctl -a 2>/dev/null | grep -E 'wan[abc]'").stdout
            + router.sh("ip -o link show | sed 's/^[0-9]*: //; s/ link\\/.*//'").stdout
            + router.sh(
                "ls -a /etc/symroute /var/lib/symroute /run/symroute /usr/local/lib/symroute 2>&1;"
                " ps -eo args | grep -c '[s]ymroute_router.monitor' || true"
            ).stdout
        )
        if now == previous:
            return now
        previous = now
        router.sh("sleep 0.5")
    raise AssertionError("the router's state did not settle")


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    device = start_router(NAME, tmp_path_factory.mktemp("remove"))
    device.sh(FOREIGN)
    yield device
    remove_router(NAME)


def test_converge_then_remove_gives_back_the_router_as_it_was(router):
    before = _state(router)
    converged = router.playbook()
    assert converged.returncode == 0, converged.stdout[-3000:]
    # As a monitor killed in an outage leaves it: wanb still in the out-of-service group.
    router.sh("pkill -9 -f '[s]ymroute_router[.]monitor'; sleep 0.5; ip link set dev wanb group 21337")
    installed = _state(router)
    checked = router.playbook("--check", playbook="playbooks/remove.yml")
    assert checked.returncode == 0 and "changed=1" in checked.stdout, checked.stdout[-3000:]
    assert _state(router) == installed  # check mode removes nothing
    removed = router.playbook(playbook="playbooks/remove.yml")
    assert removed.returncode == 0, removed.stdout[-3000:]
    for line in ("stopped the link monitor", "deleted the nft table inet symroute", "wanb back in the default"):
        assert line in removed.stdout, line
    assert _state(router) == before
    again = router.playbook(playbook="playbooks/remove.yml")
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]
    assert "from 192.0.2.77 lookup 77" in router.sh("ip rule").stdout  # foreign state untouched throughout
    assert "table inet foreign" in router.sh("nft list ruleset").stdout
