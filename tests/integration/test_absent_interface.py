"""A link whose interface is not there at the converge (an LTE modem unplugged, PPPoE not dialled yet):
the converge succeeds with that link waiting, and when the interface appears the monitor gives it its
sysctls and its table, and the link enters service. A router container (real kernel, no udev)."""

import pytest

from routerlab import remove_router, start_router

NAME = "symroute-test-absent"
WANC_SYSCTLS = "sysctl -n net.ipv4.conf.wanc.rp_filter net.ipv4.conf.wanc.ignore_routes_with_linkdown"


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    device = start_router(NAME, tmp_path_factory.mktemp("absent"))
    device.sh("ip link del wanc")  # the LTE link's device is gone (its namespace end goes with it)
    yield device
    remove_router(NAME)


def test_a_converge_with_link_c_absent_succeeds_and_says_it_waits(router):
    result = router.playbook()
    assert result.returncode == 0, result.stdout[-4000:]
    output = " ".join((result.stdout + result.stderr).split())
    assert "symroute_sysctl: interface wanc is not there: its keys wait for it" in output, output[-3000:]
    assert "symroute_routing: table 202 is waiting for interface wanc" in output, output[-3000:]
    assert router.sh("ip route show table 200").stdout.startswith("default via 198.51.100.1 dev wana")
    assert router.sh("ip route show table 202 2>&1 || true").stdout.strip() in (
        "",
        "Error: ipv4: FIB table does not exist.\nDump terminated",
    )
    again = router.playbook()
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]


def test_when_the_interface_appears_the_monitor_gives_it_its_sysctls_and_table_and_it_enters_service(router):
    # Timed inside the router, from the interface up to its table's default route (the monitor's carrier
    # notification; the lab's periodic repair alone would take up to 5 s).
    took = int(
        router.sh(
            "ip link add wanc type veth peer name eth0 netns isp_c; ip -n isp_c link set eth0 up;"
            " ip -n isp_c addr add 198.51.100.9/30 dev eth0; ip addr add 198.51.100.10/30 dev wanc;"
            " ip link set wanc up; t=$(date +%s%N);"
            " while ! ip route show table 202 2>/dev/null | grep -q '^default via 198.51.100.9 dev wanc'; do"
            "   [ $(( ($(date +%s%N) - t) / 1000000 )) -le 3000 ] || { echo 3001; exit 0; }; sleep 0.01; done;"
            " echo $(( ($(date +%s%N) - t) / 1000000 ))"
        ).stdout.split()[-1]
    )
    assert took <= 1000, f"table 202's default route {took} ms after wanc came up"
    router.wait_for_monitor(
        lambda state: (
            state["links"]["wan_c"]["interface_present"]
            and state["links"]["wan_c"]["up"]
            and not state["links"]["wan_c"]["gated"]
        ),
        60,
        "wan_c present and in service",
    )
    assert router.sh(WANC_SYSCTLS).stdout.split() == ["2", "1"]
    assert router.sh("ip route show table 202").stdout.startswith("default via 198.51.100.9 dev wanc")
    assert "applied the sysctls of wanc" in router.sh("cat /var/log/symroute-monitor.log").stdout
    again = router.playbook()
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]
