"""Link C as a dynamic link (tests/dynamiclab.py): dnsmasq hands out its IPv4 address by DHCP and its
IPv6 prefix by router advertisements, dhclient and the kernel's SLAAC configure the router, and symroute
follows. Real packets between namespaces inside a router container."""

import json
import time

import pytest

import dynamiclab
from routerlab import RESOURCES

NAME = "symroute-test-dynamic"


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    device = dynamiclab.start(NAME, tmp_path_factory.mktemp("dynamic"), (RESOURCES / "lab-http-server.py").read_text())
    yield device
    dynamiclab.stop(NAME)


def _playbook(router, *args):
    return router.playbook(*args, inventory_vars=dynamiclab.inventory())


def test_a_router_never_configured_with_link_c_not_leased_yet_converges_and_c_waits(router):
    check = _playbook(router, "--check", "--diff")
    assert check.returncode == 0, check.stdout[-4000:]
    assert "masquerade" in check.stdout  # the nftables diff shows link C's SNAT to its current address
    assert router.sh("nft list tables").stdout.strip() == ""  # check mode wrote nothing
    first = _playbook(router)
    assert first.returncode == 0, first.stdout[-4000:]
    output = " ".join((first.stdout + first.stderr).split())
    assert "table 202 is waiting for an IPv4 address on wanc (dynamic)" in output, output[-3000:]
    # The other links are protected at once: partner-api's connections take link A's table; link C's is empty.
    assert router.sh("ip route show table 200").stdout.startswith("default via 198.51.100.1 dev wana")
    assert " dev wana " in router.sh("ip route get 100.64.20.10 mark 0x100").stdout
    assert router.sh("ip route show table 202 2>/dev/null", check=False).stdout.strip() == ""
    assert "100.66." not in router.sh("ip rule").stdout


def test_within_a_second_of_its_lease_link_c_has_its_table_rules_and_snat(router):
    took = int(
        router.sh(
            f"{dynamiclab.DHCLIENT}; until ip -4 addr show dev wanc | grep -q 'inet {dynamiclab.OLD}/'; do sleep 0.002;"
            " done; t=$(date +%s%N);"
            " until ip route show table 202 | grep -q '^default via 100.66.0.1 dev wanc'"
            f" && ip rule | grep -q 'from {dynamiclab.OLD} lookup '; do"
            "   [ $(( ($(date +%s%N) - t) / 1000000 )) -le 5000 ] || break; sleep 0.005; done;"
            " echo $(( ($(date +%s%N) - t) / 1000000 ))"
        ).stdout.split()[-1]
    )
    assert took <= 1000, f"link C's table and rules {took} ms after its lease"
    # Waiting for its lease, link C's rounds counted neither way (no probe could be sent): it is in service
    # as soon as its table is there.
    router.wait_for_monitor(
        lambda state: state["links"]["wan_c"]["up"] and not state["links"]["wan_c"]["gated"],
        20,
        "wan_c in service once leased",
    )
    assert dynamiclab.ask(router, dynamiclab.PARTNER4) == dynamiclab.OLD
    router.wait_for_monitor(
        lambda state: (
            state.get("learned", {}).get("wan_c", {}).get("ipv4", {}).get("address") == f"{dynamiclab.OLD}/24"
        ),
        10,
        "the monitor shows link C's learned address",
    )
    again = _playbook(router)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]


def test_ipv6_by_slaac_leaves_with_the_learned_address(router):
    deadline = time.monotonic() + 20  # router advertisements come every few seconds
    while True:
        address = router.sh("ip -6 -json addr show dev wanc scope global").stdout
        learned = [
            entry["local"]
            for link in json.loads(address or "[]")
            for entry in link["addr_info"]
            if "local" in entry
            if not entry.get("temporary") and not entry.get("tentative")
        ]
        if learned or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert learned and learned[0].startswith("2001:db8:c:"), address
    # The address and the default route come from router advertisements; the monitor follows both.
    router.wait_for_monitor(
        lambda state: (
            state.get("learned", {}).get("wan_c", {}).get("ipv6", {}).get("address") == f"{learned[0]}/64"
            and state["learned"]["wan_c"]["ipv6"]["gateway"]
        ),
        20,
        "the monitor shows link C's SLAAC address and router",
    )
    assert router.sh("ip -6 route show table 202").stdout.startswith("2001:db8:c::/64 dev wanc")
    assert "default via fe80::" in router.sh("ip -6 route show table 202").stdout
    assert dynamiclab.ask(router, dynamiclab.PARTNER6) == learned[0]


def test_an_address_change_while_traffic_flows_moves_new_connections_and_leaks_no_old_address(router):
    # Background traffic to the partner during the whole change, and a capture of every packet that
    # leaves with the old address once it is gone (started after the release, below).
    router.sh(
        "(for i in $(seq 1 400); do ip netns exec lan curl -s --max-time 0.2 "
        f"http://{dynamiclab.PARTNER4}:8080/health >/dev/null; sleep 0.02; done) >/dev/null 2>&1 &"
    )
    router.sh(
        f"{dynamiclab.RELEASE}; (timeout 8 tcpdump -i any -n -w /tmp/old.pcap src host {dynamiclab.OLD} "
        ">/dev/null 2>&1 &); sleep 0.5"
    )
    followed, answered = dynamiclab.change_address(router, dynamiclab.NEW)
    assert followed <= 1000, f"link C's rules and table used {dynamiclab.NEW} {followed} ms after it was on wanc"
    # Between the two leases link C had no address: no probe was sent and no round counted, so the link was
    # never taken out of service for renumbering and carries new connections as soon as its table follows.
    assert answered <= 1000, f"the first new connection from {dynamiclab.NEW} came {answered} ms after it was on wanc"
    assert dynamiclab.ask(router, dynamiclab.PARTNER4) == dynamiclab.NEW
    router.sh("sleep 8")
    leaked = router.sh("tcpdump -n -r /tmp/old.pcap 2>/dev/null | wc -l").stdout.strip()
    assert leaked == "0", router.sh("tcpdump -n -r /tmp/old.pcap").stdout
    rules = router.sh("ip rule").stdout
    assert f"from {dynamiclab.NEW} lookup symroute_wan_c" in rules and dynamiclab.OLD not in rules
    state = router.wait_for_monitor(
        lambda s: s.get("learned", {}).get("wan_c", {}).get("ipv4", {}).get("address") == f"{dynamiclab.NEW}/24",
        10,
        "the monitor shows the new address",
    )
    assert state["learned"]["wan_c"]["ipv4"]["changes"] >= 1
    log = router.sh("cat /var/log/symroute-monitor.log").stdout
    assert "link wan_c: IPv4 address" in log and f"-> {dynamiclab.NEW}/24" in log
    again = _playbook(router)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]


def test_the_audit_passes_on_the_dynamic_link(router):
    audit = router.playbook(inventory_vars=dynamiclab.inventory(), playbook="playbooks/audit.yml")
    assert audit.returncode == 0, audit.stdout[-4000:]


def test_without_its_lease_link_c_waits_and_the_audit_expects_its_partner_to_fail_over(router):
    dynamiclab.release(router)
    audit = router.playbook(inventory_vars=dynamiclab.inventory(), playbook="playbooks/audit.yml")
    assert audit.returncode == 0, audit.stdout[-4000:]
    assert dynamiclab.NEW not in router.sh("ip rule").stdout
    assert " dev wana " in router.sh(f"ip route get {dynamiclab.PARTNER4} mark 0x300").stdout
    dynamiclab.lease(router)
    dynamiclab.wait_address(router, dynamiclab.NEW)
