"""A role run alone (sysctl, nftables, routing, monitor) converges its part through symroute_converge, the
playbook's one apply path: exact check mode and diff, the same state as symmetric-routing.yml's converge."""

import re

import pytest

from routerlab import with_extra_partner

PLAYBOOK = "tests/integration/role-alone.yml"


def _changed(result):
    match = re.search(r"ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", result.stdout)
    assert result.returncode == 0 and match, result.stdout[-3000:] + result.stderr[-2000:]
    return int(match[1])


def test_the_nftables_role_alone_checks_diffs_and_applies_its_part(router):
    before = router.live_state()
    try:
        checked = router.playbook(
            "--check",
            "--diff",
            playbook=PLAYBOOK,
            inventory_vars=with_extra_partner(),
            extra_vars={"symroute_test_role": "symroute_nftables"},
        )
        assert _changed(checked) > 0
        assert "+\t\t\t100.64.40.0/24," in checked.stdout  # the new set element, in the nftables diff
        assert "symroute_nftables : The nftables table (checked, then loaded" in checked.stdout
        assert router.live_state() == before
        applied = router.playbook(
            playbook=PLAYBOOK,
            inventory_vars=with_extra_partner(),
            extra_vars={"symroute_test_role": "symroute_nftables"},
        )
        assert _changed(applied) > 0
        assert "100.64.40.0/24" in router.sh("nft list table inet symroute").stdout
        again = router.playbook(
            playbook=PLAYBOOK,
            inventory_vars=with_extra_partner(),
            extra_vars={"symroute_test_role": "symroute_nftables"},
        )
        assert _changed(again) == 0
    finally:
        back = router.playbook()
    assert back.returncode == 0, back.stdout[-3000:]
    assert router.live_state() == before


@pytest.mark.parametrize("role", ["symroute_sysctl", "symroute_routing", "symroute_monitor"])
def test_a_role_alone_finds_the_playbooks_converged_state_unchanged(router, role):
    before = router.live_state()
    result = router.playbook("--diff", playbook=PLAYBOOK, extra_vars={"symroute_test_role": role})
    assert _changed(result) == 0
    assert router.live_state() == before
