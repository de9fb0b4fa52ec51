"""Link C as a dynamic link under the DHCP/RA clients routers run, with systemd as PID 1
(tests/systemdlab.py): provider C's dnsmasq leases it an address and advertises a prefix; first
systemd-networkd, then NetworkManager manage wanc. symroute follows each lease, each renumbering and each
client's reload, reconfigure and restart within 1 s, and never fights them for the main table. Real
packets, real daemons from Debian's packages. One container for the module; the tests run in this order."""

import difflib
import json
import time

import pytest

import dynamiclab
from systemdlab import ISP_C_UNIT, SYMROUTE_UNITS, remove_systemd_router, start_systemd_router

NAME = "symroute-sysd-dynamic"
LEASES = ("100.66.0.10", "100.66.0.11", "100.66.0.12", "100.66.0.13")
SYMROUTE_STATE = (
    "ip rule; echo; ip -6 rule; echo; for t in 200 201 202; do echo table $t;"
    " ip route show table $t 2>/dev/null; ip -6 route show table $t 2>/dev/null; done;"
    " echo; nft list table inet symroute"
)
# The facts symroute learns from the client: wanc's global addresses (a tentative IPv6 address, still in
# duplicate address detection, cannot be used yet) and its default routes' gateways.
CLIENT_FACTS = (
    'ip -o addr show dev wanc scope global | awk \'{print $3, $4, /tentative/ ? "tentative" : ""}\';'
    " ip route show default dev wanc | awk '{print $3}'; ip -6 route show default dev wanc | awk '{print $3}'"
)
NETWORKD_WANC = """[Match]
Name=wanc

[Network]
DHCP=ipv4
IPv6AcceptRA=yes

[DHCPv4]
RouteMetric=30

[IPv6AcceptRA]
RouteMetric=30
"""
NETWORKD_UNITS = "systemd-networkd.service systemd-networkd.socket systemd-networkd-wait-online.service"
# NetworkManager manages wanc only (the lab's script addresses the other links) and creates no profile
# of its own; the LTE-style profile: DHCP and SLAAC, main-table routes with metric 30.
NM_CONF = "[main]\nno-auto-default=*\n\n[keyfile]\nunmanaged-devices=except:interface-name:wanc\n"
NM_CONNECTION = """[connection]
id=wanc
type=ethernet
interface-name=wanc

[ipv4]
method=auto
route-metric=30

[ipv6]
method=auto
route-metric=30
addr-gen-mode=eui64
"""


def _in_service(state):
    return all(link["up"] and not link["gated"] for link in state["links"].values())


def _learned(state, family="ipv4"):
    return state.get("learned", {}).get("wan_c", {}).get(family, {})


def _ipv6_learned(state):
    """Link C's SLAAC address and its router both learned (they arrive separately)."""
    return bool(_learned(state, "ipv6").get("address") and _learned(state, "ipv6").get("gateway"))


def _playbook(router, *args, **kwargs):
    return router.playbook(*args, inventory_vars=dynamiclab.inventory(), **kwargs)


def _follows(router, trigger, address, wait_s=60):
    """Run ``trigger`` and time inside the router: (ms until ``address`` is on wanc, ms from then until
    link C's rule and table use it); the second is 5001 when they never did."""
    out = router.sh(
        f"{trigger} >/dev/null 2>&1; t0=$(date +%s%N);"
        f" until ip -4 addr show dev wanc | grep -q 'inet {address}/'; do sleep 0.002;"
        f"   [ $(( ($(date +%s%N) - t0) / 1000000 )) -le {wait_s * 1000} ] || break; done; t1=$(date +%s%N);"
        f" until ip rule | grep -q 'from {address} lookup symroute_wan_c'"
        f"   && ip route show table 202 | grep -q 'src {address}'; do sleep 0.002;"
        "   [ $(( ($(date +%s%N) - t1) / 1000000 )) -le 5000 ] || { echo $(( (t1 - t0) / 1000000 )) 5001; exit 0; };"
        " done; echo $(( (t1 - t0) / 1000000 )) $(( ($(date +%s%N) - t1) / 1000000 ))"
    ).stdout.split()
    leased, followed = int(out[-2]), int(out[-1])
    assert leased <= wait_s * 1000, f"wanc never got {address}: {router.sh('ip addr show dev wanc').stdout}"
    return leased, followed


def _leaves_with(router, source):
    """Two pings from the LAN host to the partner pinned to link C, as provider C sees them: the source."""
    router.sh(
        "ip netns exec isp_c timeout 6 tcpdump -l -n -i eth0 -c 2"
        " 'icmp[icmptype] == icmp-echo and dst 100.64.50.10' > /tmp/isp_c.out 2>/dev/null &"
        " sleep 0.5; ip netns exec lan ping -c 2 -i 0.2 -W 1 100.64.50.10 >/dev/null; wait",
        check=False,
    )
    sources = {line.split()[2] for line in router.sh("cat /tmp/isp_c.out").stdout.splitlines() if " > " in line}
    return sources


def _settles(router, command, seconds=4.0):
    """Run ``command`` (a client's reload, reconfigure or restart) and sample the facts the client gives
    wanc and symroute's state: every period in which the facts are as before but symroute's state is
    not (symroute lagging behind the client), as (start, end or None, what differed) in seconds after
    the command; until symroute's state is as before again."""
    reference = router.sh(f"{CLIENT_FACTS}; echo ===; {SYMROUTE_STATE}").stdout
    facts_before = reference.split("===")[0]
    started = time.monotonic()
    router.sh(command)
    periods = []
    while True:
        now = router.sh(f"{CLIENT_FACTS}; echo ===; {SYMROUTE_STATE}").stdout
        elapsed = time.monotonic() - started
        lagging = now.split("===")[0] == facts_before and now != reference
        if lagging and (not periods or periods[-1][1] is not None):
            periods.append(
                [elapsed, None, "".join(difflib.unified_diff(reference.splitlines(True), now.splitlines(True), n=0))]
            )
        elif not lagging and periods and periods[-1][1] is None:
            periods[-1][1] = elapsed
        if elapsed > seconds and now.split("===")[1] == reference.split("===")[1]:
            return periods
        assert elapsed < seconds + 20, f"{command}: not back to the state before within {seconds + 20} s:\n" + "".join(
            difflib.unified_diff(reference.splitlines(True), now.splitlines(True), n=0)
        )
        time.sleep(0.05)


def _lagging_over_1_s(periods):
    return [
        (round(start, 2), end and round(end, 2), difference)
        for start, end, difference in periods
        if end is None or end - start > 1.0
    ]


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    """A router whose link C is dynamic, leased by systemd-networkd from the first boot."""
    device = start_systemd_router(NAME, tmp_path_factory.mktemp("dynamic-clients"))
    try:
        device.make_wanc_dynamic(LEASES[0])
        device.write_file("/etc/systemd/network/30-wanc.network", NETWORKD_WANC)
        device.sh(f"systemctl enable {NETWORKD_UNITS} 2>/dev/null")
        device.reboot()
        yield device
    finally:
        remove_systemd_router(NAME)


def test_a_never_configured_router_in_check_mode_then_converged_follows_networkds_dhcp_and_ra_lease(router):
    dynamiclab.wait_address(router, LEASES[0])  # networkd leased it at boot
    check = _playbook(router, "--check", "--diff")
    assert check.returncode == 0, check.stdout[-4000:]
    assert router.sh("nft list table inet symroute", check=False).returncode != 0  # check mode wrote nothing
    assert "100.66." not in router.sh("ip rule").stdout
    first = _playbook(router)
    assert first.returncode == 0, first.stdout[-4000:]
    assert router.sh("ip route show table 202").stdout.startswith("default via 100.66.0.1 dev wanc")
    assert f"from {LEASES[0]} lookup symroute_wan_c" in router.sh("ip rule").stdout
    state = router.wait_for_monitor(
        lambda s: _in_service(s) and _learned(s).get("address") == f"{LEASES[0]}/24" and _ipv6_learned(s),
        30,
        "wan_c in service with its DHCP address and its SLAAC address and router",
    )
    assert _learned(state, "ipv6")["address"].startswith("2001:db8:c:"), state["learned"]
    assert "default via fe80::" in router.sh("ip -6 route show table 202").stdout
    assert _leaves_with(router, LEASES[0]) == {LEASES[0]}
    # networkd's main-table routes are untouched: symroute never fights a client for the main table.
    assert "default via 100.66.0.1 dev wanc proto dhcp src 100.66.0.10 metric 30" in router.sh("ip route").stdout
    again = _playbook(router)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]


def test_networkd_renumbering_link_c_moves_its_rules_table_and_traffic_within_1_s(router):
    router.lease_next(LEASES[1])
    leased, followed = _follows(router, "networkctl reconfigure wanc", LEASES[1])
    assert followed <= 1000, f"link C's rule and table used {LEASES[1]} {followed} ms after networkd set it"
    assert _leaves_with(router, LEASES[1]) == {LEASES[1]}
    assert LEASES[0] not in router.sh("ip rule; ip route show table 202").stdout
    router.wait_for_monitor(lambda s: _learned(s).get("address") == f"{LEASES[1]}/24", 5, "the new address")


@pytest.mark.parametrize(
    "command", ["networkctl reload", "networkctl reconfigure wanc", "systemctl restart systemd-networkd.service"]
)
def test_networkds_reload_reconfigure_and_restart_leave_symroute_following_within_1_s(router, command):
    router.wait_for_monitor(
        lambda s: _in_service(s) and _ipv6_learned(s), 30, "all links in service, link C with its IPv6 router"
    )
    lagging = _lagging_over_1_s(_settles(router, command))
    assert not lagging, f"{command}: symroute lagged behind networkd for more than 1 s during {lagging} s"


def test_networkmanager_takes_over_link_c_and_symroute_follows_its_lease_within_1_s(router):
    router.sh(
        f"systemctl disable --now {NETWORKD_UNITS} 2>/dev/null; rm -f /etc/systemd/network/30-wanc.network;"
        " ip addr flush dev wanc scope global; ip route flush dev wanc"
    )
    router.write_file("/etc/NetworkManager/conf.d/90-symroute-lab.conf", NM_CONF)
    router.write_file("/etc/NetworkManager/system-connections/wanc.nmconnection", NM_CONNECTION, mode="0600")
    router.lease_next(LEASES[2])
    _, followed = _follows(router, "systemctl enable --now NetworkManager.service", LEASES[2])
    assert followed <= 1000, f"link C's rule and table used {LEASES[2]} {followed} ms after NetworkManager set it"
    devices = router.sh("nmcli -t -f DEVICE,STATE device").stdout
    assert "wanc:connected" in devices and "wana:unmanaged" in devices, devices
    router.wait_for_monitor(
        lambda s: _in_service(s) and _learned(s).get("address") == f"{LEASES[2]}/24" and _ipv6_learned(s),
        30,
        "wan_c in service under NetworkManager",
    )
    assert _leaves_with(router, LEASES[2]) == {LEASES[2]}
    assert "default via 100.66.0.1 dev wanc proto dhcp" in router.sh("ip route").stdout


def test_networkmanager_reconnecting_link_c_with_a_new_address_moves_it_within_1_s(router):
    router.lease_next(LEASES[3])
    _, followed = _follows(router, "nmcli connection up wanc", LEASES[3])
    assert followed <= 1000, f"link C's rule and table used {LEASES[3]} {followed} ms after NetworkManager set it"
    assert _leaves_with(router, LEASES[3]) == {LEASES[3]}
    assert LEASES[2] not in router.sh("ip rule; ip route show table 202").stdout


@pytest.mark.parametrize(
    "command", ["nmcli device reapply wanc", "nmcli connection reload", "systemctl restart NetworkManager.service"]
)
def test_networkmanagers_reapply_reload_and_restart_leave_symroute_following_within_1_s(router, command):
    router.wait_for_monitor(
        lambda s: _in_service(s) and _ipv6_learned(s), 30, "all links in service, link C with its IPv6 router"
    )
    lagging = _lagging_over_1_s(_settles(router, command))
    assert not lagging, f"{command}: symroute lagged behind NetworkManager for more than 1 s during {lagging} s"


def test_a_boot_before_link_c_is_leased_protects_the_other_links_at_once_and_link_c_within_1_s_of_its_lease(router):
    router.sh(f"systemctl disable {ISP_C_UNIT} 2>/dev/null")  # provider C's network is not up at boot
    try:
        router.reboot()
        status = router.wait_until_booted()
        assert status == "running", router.systemctl("--failed").stdout
        assert router.systemctl("is-active", *SYMROUTE_UNITS).stdout.split() == ["active"] * 3, router.journal()
        boot = router.sh("journalctl -b -o cat -u symroute-routing.service").stdout
        assert "table 202 (wanc): waiting for an IPv4 address on wanc (dynamic)" in " ".join(boot.split()), boot
        for table, gateway in ((200, "198.51.100.1 dev wana"), (201, "198.51.100.5 dev wanb")):
            assert router.sh(f"ip route show table {table}").stdout.startswith(f"default via {gateway}")
        # partner-api stays on link A; partner-lte fails over to link A while link C waits.
        assert " dev wana " in router.sh("ip route get 100.64.20.10 mark 0x100").stdout
        assert " dev wana " in router.sh("ip route get 100.64.50.10 mark 0x300").stdout
        assert router.sh("ip -4 addr show dev wanc scope global").stdout.strip() == ""
        leased, followed = _follows(router, f"systemctl start {ISP_C_UNIT}", LEASES[3])
        assert followed <= 1000, f"link C's rule and table {followed} ms after its lease ({leased} ms after start)"
        state = router.wait_for_monitor(
            lambda s: _in_service(s) and _learned(s).get("address") == f"{LEASES[3]}/24",
            30,
            "wan_c in service after its lease",
        )
        assert json.dumps(state["learned"]["wan_c"]["ipv4"]["gateway"]) == '"100.66.0.1"'
        assert _leaves_with(router, LEASES[3]) == {LEASES[3]}
    finally:
        router.sh(f"systemctl enable {ISP_C_UNIT} 2>/dev/null")
