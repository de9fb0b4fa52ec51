"""A partner prefix inside a network the router is connected to (here the lab router's LAN, 203.0.113.0/24
on lan0, which the inventory says it has none of) is refused by the converge on the router, in check mode
and for real, naming the interface; nothing is changed."""

import pytest

from routerlab import lab_partners, remove_router, start_router

NAME = "symroute-test-connected"
INTRANET = {"name": "intranet", "prefixes": ["203.0.113.128/25"], "link": "wan_a", "description": "in fact behind lan0"}


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    device = start_router(NAME, tmp_path_factory.mktemp("connected"))
    yield device
    remove_router(NAME)


@pytest.mark.parametrize("mode", [("--check", "--diff"), ()], ids=["check mode", "converge"])
def test_a_partner_inside_the_routers_own_lan_is_refused_naming_lan0_and_nothing_changes(router, mode):
    result = router.playbook(
        *mode, inventory_vars={"symroute_lan_networks": [], "symroute_partners": lab_partners() + [INTRANET]}
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, result.stdout[-3000:]
    assert "Partners outside the router's own networks" in output, output[-3000:]
    assert "holds 203.0.113.128/25, inside 203.0.113.0/24 on lan0" in output, output[-3000:]
    assert router.sh("nft list tables").stdout.strip() == ""
    assert "lookup 200" not in router.sh("ip rule").stdout
