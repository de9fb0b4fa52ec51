"""The router lab with link C as an LTE-style dynamic link, served by real daemons from Debian's packages.

Provider C's namespace (isp_c) runs dnsmasq: DHCPv4 with a reserved address per client MAC (changed by
rewriting its hosts file and a SIGHUP) and router advertisements for SLAAC on 2001:db8:c::/64. The
router runs isc-dhcp-client's dhclient on wanc (its dhclient-script installs the address and a main-table
default route with metric 30, as ifupdown does) and accepts router advertisements on wanc. The inventory
says ``address: dynamic``/``gateway: dynamic`` (and the IPv6 pair) for wan_c; a partner (100.64.50.0/24,
2001:db8:50::/48) is pinned to it. Used by tests/integration/test_dynamic_links_netns.py and
bench/address_change.py.
"""

import json
import time

from routerlab import lab_partners, remove_router, start_router

OLD, NEW = "100.66.0.10", "100.66.0.11"
PARTNER4, PARTNER6 = "100.64.50.10", "2001:db8:50::10"
HOSTS_FILE = "/run/isp_c-dhcp-hosts"
DNSMASQ_PID = "/run/isp_c-dnsmasq.pid"

LINK_C = {
    "name": "wan_c",
    "interface": "wanc",
    "address": "dynamic",
    "gateway": "dynamic",
    "address6": "dynamic",
    "gateway6": "dynamic",
    "nat66": True,
    "health_targets": ["100.64.3.2"],
}
PARTNER_LTE = {
    "name": "partner-lte",
    "prefixes": ["100.64.50.0/24", "2001:db8:50::/48"],
    "link": "wan_c",
    "description": "pinned to the LTE link, whose address changes",
}

# Provider C: its own network 100.66.0.0/24 and 2001:db8:c::/64, the partner's service on its loopback,
# dnsmasq for DHCP and RA. The router: no static address on wanc, RA accepted there (forwarding is on).
SETUP = f"""
set -e
ip -4 addr flush dev wanc
ip route del default dev wanc 2>/dev/null || true
sysctl -qw net.ipv6.conf.wanc.accept_ra=2 net.ipv6.conf.wanc.autoconf=1
ip -n isp_c addr add 100.66.0.1/24 dev eth0
ip -n isp_c -6 addr add 2001:db8:c::1/64 dev eth0 nodad
ip -n isp_c addr add {PARTNER4}/32 dev lo
ip -n isp_c -6 addr add {PARTNER6}/128 dev lo
mac=$(cat /sys/class/net/wanc/address)
echo "$mac,{OLD}" > {HOSTS_FILE}
ip netns exec isp_c dnsmasq --conf-file=/dev/null --port=0 --no-resolv --no-hosts --interface=eth0 \\
    --bind-interfaces --dhcp-range=100.66.0.100,100.66.0.150,255.255.255.0,2m \\
    --dhcp-option=option:router,100.66.0.1 --dhcp-hostsfile={HOSTS_FILE} --dhcp-leasefile=/run/isp_c.leases \\
    --enable-ra --dhcp-range=2001:db8:c::,ra-only,64,2m --ra-param=eth0,3,300 \\
    --pid-file={DNSMASQ_PID} --log-facility=/var/log/isp_c-dnsmasq.log --log-dhcp
(ip netns exec isp_c setsid python3 /usr/local/bin/lab-http-server 8080 partner-lte \\
    >/var/log/partner-lte.log 2>&1 &)
"""

# dhclient passes its script only what -e names: IF_METRIC gives the main-table route metric 30.
DHCLIENT = "dhclient -4 -nw -e IF_METRIC=30 -pf /run/dhclient.wanc.pid -lf /var/lib/dhcp/dhclient.wanc.leases wanc"
RELEASE = "dhclient -4 -r -pf /run/dhclient.wanc.pid -lf /var/lib/dhcp/dhclient.wanc.leases wanc"


def start(name, directory, server_script):
    """A router container with the dynamic link C set up (not yet leased)."""
    router = start_router(name, directory)
    router.sh(f"cat > /usr/local/bin/lab-http-server <<'EOF'\n{server_script}\nEOF\n")
    router.sh(SETUP)
    return router


def inventory():
    import yaml

    from routerlab import REPOSITORY

    host_vars = yaml.safe_load((REPOSITORY / "inventories" / "lab" / "host_vars" / "edge.yml").read_text())
    links = [link for link in host_vars["symroute_links"] if link["name"] != "wan_c"] + [LINK_C]
    return {"symroute_links": links, "symroute_partners": lab_partners() + [PARTNER_LTE]}


def lease(router):
    router.sh(DHCLIENT)


def release(router):
    router.sh(RELEASE, check=False)


def wait_address(router, address, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if f"inet {address}/" in router.sh("ip -4 addr show dev wanc").stdout:
            return
        time.sleep(0.05)
    raise AssertionError(
        f"wanc did not get {address} within {seconds} s: {router.sh('ip addr; cat /var/log/isp_c-dnsmasq.log').stdout}"
    )


def ask(router, address, port=8080, timeout=1.0):
    """One new connection from the LAN host to a partner's lab server (port 8080): the client address it saw, or
    None (also used by tests/integration/test_partner_by_name_netns.py)."""
    target = f"[{address}]" if ":" in address else address
    result = router.sh(f"ip netns exec lan curl -s --max-time {timeout} http://{target}:{port}/health", check=False)
    try:
        return json.loads(result.stdout)["client"]
    except ValueError:
        return None


# Inside the router, as an LTE reconnect: release the lease, provider C reserves the new address, lease
# again; from the moment the new address is on wanc, new connections from the LAN host until one is
# answered from the new address. Printed: "<ms until its rules and table follow> <ms until a new connection
# is answered from it> <attempts>" (bounded at 5 s and 8 s).
CHANGE = """
set -e
echo "$(cat /sys/class/net/wanc/address),{new}" > {hosts}; kill -HUP $(cat {pid})
{release} || true
{lease}
until ip -4 addr show dev wanc | grep -q "inet {new}/"; do sleep 0.002; done
t0=$(date +%s%N); n=0
until ip rule | grep -q "from {new} lookup" && ip route show table 202 | grep -q "src {new}"; do
  [ $(( ($(date +%s%N) - t0) / 1000000 )) -le 5000 ] || break; sleep 0.002
done
followed=$(( ($(date +%s%N) - t0) / 1000000 ))
while :; do
  n=$((n+1))
  got=$(ip netns exec lan curl -s --max-time 0.2 http://{partner}:8080/health | sed -n 's/.*"client": "\\([^"]*\\)".*/\\1/p')
  [ "$got" = "{new}" ] && break
  [ $(( ($(date +%s%N) - t0) / 1000000 )) -le 8000 ] || break
done
echo $followed $(( ($(date +%s%N) - t0) / 1000000 )) $n
"""


def change_address(router, new):
    """An LTE-style reconnect to ``new``: (ms from ``new`` on wanc until link C's rules and table use it,
    ms until the first new connection is answered from it)."""
    script = CHANGE.format(
        new=new, hosts=HOSTS_FILE, pid=DNSMASQ_PID, release=RELEASE, lease=DHCLIENT, partner=PARTNER4
    )
    followed, answered, _ = router.sh(script).stdout.split()[-3:]
    return int(followed), int(answered)


def stop(name):
    remove_router(name)
