"""Link C as a PPPoE-style point-to-point link, with real packets: its address and its peer change.

pppd cannot run here (the lab kernel has no CONFIG_PPP, so no /dev/ppp and no ppp0); a shell step does
what pppd and its ip-up do once IPCP has handed out the two addresses: ``ip addr add LOCAL peer PEER/32
dev wanc`` and a main-table ``default dev wanc`` (metric 30, as ``defaultroute-metric`` gives it), on the
router and the mirror image at provider C. A reconnect deletes the interface and makes it anew, as pppd
does without ``demand``: the ppp unit goes with the session, and the next session gets a new interface.

The link is NOARP like ppp0: ``arp off`` on both ends of the veth pair. A NOARP Ethernet device sends
every frame to its own MAC address, so provider C's end is given the router's MAC: each side then takes
the other's frames as its own. A far end merely in promiscuous mode carries nothing (measured: IPv4 drops
frames addressed to another host even in promiscuous mode), and proxy ARP would need ARP on the router's
side, which ppp0 never speaks. Provider C routes without NAT and keeps state: it drops what conntrack
calls invalid and what its reverse-path check refuses (a source it did not hand to the session), like
the incident lab's firewalls.

The inventory leaves link C's gateway out (point-to-point: ``default dev wanc`` in its table) and says
``address: dynamic``; a partner (100.64.50.0/24) is pinned to it. Link C's probes are fast (100 ms,
back in service after 2 good rounds) so that a reconnect's return to service fits the one-second bound.
"""

import re

import pytest

import dynamiclab
from routerlab import RESOURCES, start_router

NAME = "symroute-test-p2p"
TABLE = 202
OLD, OLD_PEER = "100.66.0.10", "100.66.0.1"
NEW, NEW_PEER = "100.66.7.20", "100.66.7.1"
PARTNER = "100.64.50.10"
LINK_C = {
    "name": "wan_c",
    "interface": "wanc",
    "address": "dynamic",
    "health_targets": ["100.64.3.2"],
    "health": {"interval_ms": 100, "timeout_ms": 80, "down_after": 3, "up_after": 2},
}
PARTNER_DSL = {
    "name": "partner-dsl",
    "prefixes": ["100.64.50.0/24"],
    "link": "wan_c",
    "description": "pinned to the PPPoE link, whose address and peer change",
}

# The link as pppd leaves it before IPCP: a NOARP interface without an address (run again on a reconnect).
WIRE = """
ip link add wanc type veth peer name eth0 netns isp_c
mac=$(cat /sys/class/net/wanc/address)
ip link set wanc arp off up
ip -n isp_c link set eth0 arp off address "$mac" up
"""

# Provider C: no address of the lab's on wanc any more, the partner's service on its loopback, and a
# stateful firewall without NAT in front of everything it answers (its own addresses: the input hook).
SETUP = f"""
set -e
ip link del wanc
{WIRE}
ip -n isp_c addr add {PARTNER}/32 dev lo
ip netns exec isp_c nft -f - <<'EOF'
table inet isp {{
	counter invalid {{ }}
	counter spoofed {{ }}
	chain input {{
		type filter hook input priority filter; policy drop;
		ct state invalid counter name invalid drop
		iifname "eth0" fib saddr . iif oif missing counter name spoofed drop
		ct state established,related accept
		iifname "lo" accept
		icmp type echo-request accept
		tcp dport 8080 accept
	}}
}}
EOF
(ip netns exec isp_c setsid python3 /usr/local/bin/lab-http-server 8080 partner-dsl \\
    >/var/log/partner-dsl.log 2>&1 &)
"""


def connect(local, peer):
    """IPCP's result as pppd's ip-up installs it, then the time until symroute follows and until the
    partner's server answers a new connection from ``local``: "<followed ms> <answered ms> <attempts>"."""
    return f"""
set -e
ip -n isp_c addr add {peer} peer {local}/32 dev eth0
ip addr add {local} peer {peer}/32 dev wanc
ip route add default dev wanc metric 30
t0=$(date +%s%N); n=0
until ip rule | grep -q "from {local} lookup" && ip route show table {TABLE} | grep -q "^default dev wanc" \\
        && ip route show table {TABLE} | grep -q "^{peer} dev wanc .*src {local}"; do
    [ $(( ($(date +%s%N) - t0) / 1000000 )) -le 5000 ] || break; sleep 0.002
done
followed=$(( ($(date +%s%N) - t0) / 1000000 ))
while :; do
    n=$((n+1))
    got=$(ip netns exec lan curl -s --max-time 0.2 http://{PARTNER}:8080/health \\
          | sed -n 's/.*"client": "\\([^"]*\\)".*/\\1/p')
    [ "$got" = "{local}" ] && break
    [ $(( ($(date +%s%N) - t0) / 1000000 )) -le 8000 ] || break
    sleep 0.01
done
echo $followed $(( ($(date +%s%N) - t0) / 1000000 )) $n
"""


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    try:
        device = start_router(NAME, tmp_path_factory.mktemp("p2p"))
        device.sh(
            f"cat > /usr/local/bin/lab-http-server <<'EOF'\n{(RESOURCES / 'lab-http-server.py').read_text()}\nEOF\n"
        )
        device.sh(SETUP)
        yield device
    finally:
        dynamiclab.stop(NAME)


def _inventory():
    variables = dynamiclab.inventory()
    variables["symroute_links"] = [link if link["name"] != "wan_c" else LINK_C for link in variables["symroute_links"]]
    variables["symroute_partners"] = [p for p in variables["symroute_partners"] if p["link"] != "wan_c"] + [PARTNER_DSL]
    return variables


def _playbook(router, *args):
    return router.playbook(*args, inventory_vars=_inventory())


def _measure(router, local, peer):
    followed, answered, attempts = (int(word) for word in router.sh(connect(local, peer)).stdout.split()[-3:])
    return followed, answered, attempts


def _changes(router):
    text = router.sh("cat /var/lib/prometheus/node-exporter/symroute.prom").stdout
    found = re.search(r'^symroute_link_address_changes_total\{[^}]*link="wan_c",family="ipv4"\} (\d+)$', text, re.M)
    assert found, text
    return int(found.group(1)), text


def test_the_first_converge_before_the_session_is_up_leaves_link_c_waiting_and_the_others_protected(router):
    assert "NOARP" in router.sh("ip link show wanc").stdout
    check = _playbook(router, "--check", "--diff")
    assert check.returncode == 0, check.stdout[-4000:]
    assert "masquerade" in check.stdout  # link C's SNAT: to whatever address the session has
    assert router.sh("nft list tables").stdout.strip() == ""  # check mode wrote nothing
    first = _playbook(router)
    assert first.returncode == 0, first.stdout[-4000:]
    output = " ".join((first.stdout + first.stderr).split())
    assert f"table {TABLE} is waiting for an IPv4 address on wanc (dynamic)" in output, output[-3000:]
    assert router.sh("ip route show table 200").stdout.startswith("default via 198.51.100.1 dev wana")
    assert " dev wana " in router.sh("ip route get 100.64.20.10 mark 0x100").stdout
    assert router.sh(f"ip route show table {TABLE} 2>/dev/null", check=False).stdout.strip() == ""
    assert "100.66." not in router.sh("ip rule").stdout
    # Until the session is up, the pinned partner's connections take its failover order (link A).
    assert " dev wana " in router.sh(f"ip route get {PARTNER} mark 0x300").stdout


def test_on_connect_the_pinned_partner_leaves_with_the_session_address_within_a_second(router):
    followed, answered, attempts = _measure(router, OLD, OLD_PEER)
    print(f"connect: rules and table {followed} ms, first answer from {OLD} {answered} ms ({attempts} tries)")
    assert followed <= 1000, f"link C's rules and table {followed} ms after the session's address"
    assert answered <= 1000, f"the partner saw {OLD} {answered} ms after the session's address"
    assert router.sh(f"ip route show table {TABLE}").stdout.startswith("default dev wanc")
    router.wait_for_monitor(
        lambda s: s.get("learned", {}).get("wan_c", {}).get("ipv4", {}).get("address") == f"{OLD}/32",
        10,
        "the monitor shows the session's address",
    )


def test_a_reconnect_with_a_new_address_and_peer_moves_everything_and_leaks_no_old_address(router):
    before, _ = _changes(router)
    router.sh(
        "(for i in $(seq 1 300); do ip netns exec lan curl -s --max-time 0.2 "
        f"http://{PARTNER}:8080/health >/dev/null; sleep 0.02; done) >/dev/null 2>&1 &"
    )
    router.sh("sleep 0.5")
    # The session ends: pppd closes the unit and the interface goes with its addresses and routes.
    router.sh("ip link del wanc")
    # Every packet either session's address leaves with, from the moment the old one is gone.
    router.sh(
        f"(timeout 4 tcpdump -i any -n -w /tmp/p2p.pcap src host {OLD} or src host {NEW} >/dev/null 2>&1 &); sleep 0.5"
    )
    router.sh(f"set -e\n{WIRE}")
    followed, answered, attempts = _measure(router, NEW, NEW_PEER)
    print(f"reconnect: rules and table {followed} ms, first answer from {NEW} {answered} ms ({attempts} tries)")
    assert followed <= 1000, f"link C's rules and table used {NEW} {followed} ms after the session had it"
    assert answered <= 1000, f"the partner saw {NEW} (SNAT) {answered} ms after the session had it"
    assert dynamiclab.ask(router, PARTNER) == NEW
    rules = router.sh("ip rule").stdout
    assert f"from {NEW} lookup symroute_wan_c" in rules and OLD not in rules, rules
    table = router.sh(f"ip route show table {TABLE}").stdout
    assert f"{NEW_PEER} dev wanc" in table and OLD_PEER not in table and OLD not in table, table
    router.sh("sleep 4")  # the capture ends with the background traffic still running
    captured = router.sh("tcpdump -n -r /tmp/p2p.pcap 2>/dev/null").stdout
    assert f"IP {NEW}" in captured, captured[-2000:]  # the capture saw the new session's packets...
    # ...and none with the old address. The address went with the interface, so this holds because symroute
    # translates a learned link's traffic with masquerade, whose bindings the kernel drops with the address;
    # a `snat to` the learned address would keep translating live connections to it and fail here.
    assert OLD not in captured, captured
    tracked = router.sh("conntrack -L -f ipv4 2>/dev/null").stdout
    assert NEW in tracked and OLD not in tracked, tracked  # connections bound to the old address are gone
    state = router.wait_for_monitor(
        lambda s: s.get("learned", {}).get("wan_c", {}).get("ipv4", {}).get("address") == f"{NEW}/32",
        10,
        "the monitor shows the new session's address",
    )
    assert state["learned"]["wan_c"]["ipv4"]["gateway"] == ""  # the point-to-point peer: default dev wanc
    after, text = _changes(router)
    assert after > before, text
    assert f'address="{NEW}/32"' in text and f'address="{OLD}/32"' not in text, text
    log = router.sh("cat /var/log/symroute-monitor.log").stdout
    assert f"-> {NEW}/32, gateway the point-to-point peer (learned from wanc)" in log, log[-3000:]
    again = _playbook(router)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]
    assert "default dev wanc scope link metric 30" in router.sh("ip route show table main").stdout  # the client's
