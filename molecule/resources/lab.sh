#!/bin/bash
# The incident lab: six containers wired with veth pairs (no podman networking,
# so the host is never on a lab link and lab routes point at lab containers only).
#
#   app ── edge ──wana── fw-a ──┐
#            ├───wanb── fw-b ──┼── partner
#            └───wanc── fw-c ──┘   (link C: an LTE-style backup, IPv4 only)
#
#   lab.sh up      build the image if needed, (re)create and wire the lab
#   lab.sh down    remove it (succeeds when nothing is left)
#   lab.sh shell HOST
#   lab.sh link a|b|c blackhole|carrier-loss|restore
#                  fail a link at its firewall (the lab checks and bench/failover.py), or restore it
#   lab.sh link-a ...   the same for link A
#   lab.sh partner-dns start|stop|answer ADDRESS4 ADDRESS6
#                  the partner's DNS server (dnsmasq, 100.64.53.53, TTL 5 s): start or stop it, or move
#                  api.partner-dns.example's A and AAAA answers (its hosts file rewritten, then SIGHUP)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lab-image.env"
PREFIX=symroute-lab
HOSTS=(app edge fw-a fw-b fw-c partner)
# The partner's DNS server (issue #23: a partner known by its name only, molecule/incident): its address,
# TTL, hosts file and pid file (in the partner container).
DNS_SERVER=100.64.53.53 DNS_TTL=5 DNS_HOSTS=/run/partner-dns.hosts DNS_PID=/run/partner-dnsmasq.pid

on() { # on HOST COMMAND...: run a shell script from stdin in a lab container
    local host="$1"
    shift
    podman exec -i "$PREFIX-$host" "$@"
}

down() {
    for host in "${HOSTS[@]}"; do
        podman rm -f -t 0 "$PREFIX-$host" >/dev/null 2>&1 || true
    done
}

wire() { # wire HOST_A IFACE_A HOST_B IFACE_B
    local pid_a pid_b tmp_a="sr$RANDOM$RANDOM" tmp_b="sr$RANDOM$RANDOM"
    pid_a="$(podman inspect -f '{{.State.Pid}}' "$PREFIX-$1")"
    pid_b="$(podman inspect -f '{{.State.Pid}}' "$PREFIX-$3")"
    ip link add "$tmp_a" type veth peer name "$tmp_b"
    ip link set "$tmp_a" netns "$pid_a"
    ip link set "$tmp_b" netns "$pid_b"
    nsenter -t "$pid_a" -n ip link set "$tmp_a" name "$2" up
    nsenter -t "$pid_b" -n ip link set "$tmp_b" name "$4" up
}

configure() {
    # Common: no DAD delays, loopback up.
    for host in "${HOSTS[@]}"; do
        on "$host" sh -c 'ip link set lo up; sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0'
    done

    on app sh -s <<'EOF'
ip addr add 203.0.113.10/24 dev eth0
ip -6 addr add 2001:db8:5::10/64 dev eth0 nodad
ip route add default via 203.0.113.1
ip -6 route add default via 2001:db8:5::1
EOF

    on edge sh -s < "$here/edge-before-symroute.sh"

    # Provider edges: stateful firewalls (provider C: IPv4 only). Towards the site only established and
    # related traffic passes, plus new connections to the app's published
    # services (203.0.113.10 tcp/8080, and tcp/9001 for long-lived test
    # connections); out-of-state packets are dropped and counted.
    for side in a b c; do
        case "$side" in
            a) site4=198.51.100.1 edge4=198.51.100.2 site6=2001:db8:a::1 edge6=2001:db8:a::2 up4=100.64.1.1 peer4=100.64.1.2 up6=2001:db8:f1::1 peer6=2001:db8:f1::2 ;;
            b) site4=198.51.100.5 edge4=198.51.100.6 site6=2001:db8:b::1 edge6=2001:db8:b::2 up4=100.64.2.1 peer4=100.64.2.2 up6=2001:db8:f2::1 peer6=2001:db8:f2::2 ;;
            c) site4=198.51.100.9 edge4=198.51.100.10 site6="" edge6="" up4=100.64.3.1 peer4=100.64.3.2 up6="" peer6="" ;;
        esac
        # keep_addr_on_down: the tests take the site link down to cut link A's carrier.
        on "fw-$side" sh -s <<EOF
sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.site.keep_addr_on_down=1
ip addr add $site4/30 dev site
ip addr add $up4/30 dev up
ip route add 203.0.113.0/24 via $edge4
ip route add default via $peer4
if [ -n "$site6" ]; then
    ip -6 addr add $site6/64 dev site nodad
    ip -6 addr add $up6/64 dev up nodad
    ip -6 route add 2001:db8:5::/64 via $edge6
    ip -6 route add default via $peer6
fi
nft -f - <<'NFT'
table inet firewall {
	counter dropped_towards_site { }
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state invalid counter name dropped_towards_site drop
		ct state established,related accept
		iifname "site" accept
		oifname "site" ip daddr 203.0.113.10 tcp dport { 8080, 9001 } accept
		oifname "site" ip6 daddr 2001:db8:5::10 tcp dport { 8080, 9001 } accept
		oifname "site" counter name dropped_towards_site drop
	}
}
NFT
EOF
    done

    # Link C is the LTE-style backup, leased by DHCP: provider C's dnsmasq (on fw-c) gives the edge
    # its one address, 198.51.100.10/30, for an hour with 198.51.100.9 as router; the edge's dhclient
    # installs it and a main-table default route with metric 30 (the addresses and routes the edge had
    # before, now learned). The incident scenario's inventory says `address: dynamic` for link C; the
    # demo's (inventories/lab) writes the same address statically, as a router with a reserved lease may.
    on fw-c dnsmasq --conf-file=/dev/null --port=0 --no-resolv --no-hosts --interface=site --bind-interfaces \
        --dhcp-range=198.51.100.10,198.51.100.10,255.255.255.252,1h --dhcp-option=option:router,198.51.100.9 \
        --dhcp-leasefile=/run/fw-c.leases --pid-file=/run/fw-c-dnsmasq.pid
    on edge sh -s <<'EOF'
ip route del default via 198.51.100.9 dev wanc 2>/dev/null || true
ip addr flush dev wanc
dhclient -4 -nw -e IF_METRIC=30 -pf /run/dhclient.wanc.pid -lf /var/lib/dhcp/dhclient.wanc.leases wanc
for i in $(seq 1 200); do
    ip route show default dev wanc | grep -q 'via 198.51.100.9 .*metric 30' && exit 0
    sleep 0.05
done
echo "symroute lab: no DHCP lease for wanc from fw-c" >&2
exit 1
EOF

    # The partner: its API on 100.64.20.10 / 2001:db8:20::10, a fail-closed
    # ledger on 100.64.21.10 / 2001:db8:21::10. Its ISP prefers provider B for
    # the site's /24 (the incident); link A's and link B's own addresses route
    # by their provider.
    on partner sh -s <<'EOF'
ip addr add 100.64.1.2/30 dev pa
ip -6 addr add 2001:db8:f1::2/64 dev pa nodad
ip addr add 100.64.2.2/30 dev pb
ip -6 addr add 2001:db8:f2::2/64 dev pb nodad
ip addr add 100.64.3.2/30 dev pc
for address in 100.64.20.10/32 100.64.21.10/32; do ip addr add "$address" dev lo; done
for address in 2001:db8:20::10/128 2001:db8:21::10/128; do ip -6 addr add "$address" dev lo; done
ip route add 203.0.113.0/24 via 100.64.2.1
ip route add 198.51.100.0/30 via 100.64.1.1
ip route add 198.51.100.4/30 via 100.64.2.1
ip route add 198.51.100.8/30 via 100.64.3.1
ip -6 route add 2001:db8:5::/64 via 2001:db8:f2::1
ip -6 route add 2001:db8:a::/64 via 2001:db8:f1::1
ip -6 route add 2001:db8:b::/64 via 2001:db8:f2::1
EOF

    # The partner's DNS server (on its loopback, reached by the edge through any provider) and the
    # addresses its name moves between (lab-checks.sh names-*), answered by its HTTP server below. The edge
    # asks it (its resolv.conf, where the router's resolver takes its servers from), never the host's.
    on partner sh -c "ip addr add $DNS_SERVER/32 dev lo; ip addr add 100.64.60.10/32 dev lo
        ip addr add 100.64.60.11/32 dev lo; ip -6 addr add 2001:db8:60::10/128 dev lo
        ip -6 addr add 2001:db8:60::11/128 dev lo"
    partner_dns answer 100.64.60.10 2001:db8:60::10
    partner_dns start
    on edge sh -c "echo 'nameserver $DNS_SERVER' > /etc/resolv.conf"

    for host in partner app; do
        podman cp "$here/lab-http-server.py" "$PREFIX-$host:/usr/local/bin/lab-http-server"
    done
    on partner sh -c 'nohup python3 /usr/local/bin/lab-http-server 80 partner >/var/log/lab-http.log 2>&1 &'
    # A TCP sink for long-lived connections (failover checks).
    on partner sh -c 'nohup nc -4 -lk -p 9000 >/dev/null 2>&1 & nohup nc -6 -lk -p 9000 >/dev/null 2>&1 &'
    on app sh -c 'nohup python3 /usr/local/bin/lab-http-server 8080 app >/var/log/lab-http.log 2>&1 &'
}

up() {
    "$here/build-image.sh"
    down
    for host in "${HOSTS[@]}"; do
        podman run -d --privileged --network none --stop-timeout 0 --name "$PREFIX-$host" \
            --hostname "$host" "$SYMROUTE_LAB_IMAGE" sleep infinity >/dev/null
    done
    wire app eth0 edge lan0
    wire edge wana fw-a site
    wire edge wanb fw-b site
    wire edge wanc fw-c site
    wire fw-a up partner pa
    wire fw-b up partner pb
    wire fw-c up partner pc
    configure
    echo "symroute: lab up (${HOSTS[*]/#/$PREFIX-})"
}

# link a|b|c blackhole|carrier-loss|restore: the link's provider network drops everything it
# should forward while the link keeps carrier; or the firewall's side of the link goes down
# (the edge's interface loses carrier); or both are undone, with the firewall's routes towards
# the site, which the kernel drops with the link.
link() {
    local side="$1" edge4 edge6=""
    case "$side" in
        a) edge4=198.51.100.2 edge6=2001:db8:a::2 ;;
        b) edge4=198.51.100.6 edge6=2001:db8:b::2 ;;
        c) edge4=198.51.100.10 ;;
        *) echo "usage: $0 link a|b|c blackhole|carrier-loss|restore" >&2; exit 2 ;;
    esac
    case "${2:-}" in
        blackhole)
            on "fw-$side" nft add table inet symroute_lab_blackhole
            on "fw-$side" nft add chain inet symroute_lab_blackhole forward \
                '{ type filter hook forward priority -10; policy drop; }' ;;
        carrier-loss) on "fw-$side" ip link set site down ;;
        restore)
            on "fw-$side" sh -c 'nft delete table inet symroute_lab_blackhole 2>/dev/null || true'
            on "fw-$side" ip link set site up
            on "fw-$side" ip route replace 203.0.113.0/24 via "$edge4"
            if [ -n "$edge6" ]; then on "fw-$side" ip -6 route replace 2001:db8:5::/64 via "$edge6"; fi ;;
        *) echo "usage: $0 link a|b|c blackhole|carrier-loss|restore" >&2; exit 2 ;;
    esac
}

# partner-dns start|stop|answer ADDRESS4 ADDRESS6: dnsmasq on the partner answers from a hosts file with a
# TTL of 5 s: api.partner-dns.example (A and AAAA: the addresses given) and rebind.partner-dns.example (the
# app's LAN addresses: a DNS rebinding answer, which the router's resolver must refuse). A running server is
# sent SIGHUP after the rewrite ("sighup" and the time in ns since the epoch on stdout: lab-checks.sh times from it).
partner_dns() {
    case "${1:-}" in
        start)
            on partner dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --addn-hosts="$DNS_HOSTS" \
                --local-ttl="$DNS_TTL" --listen-address="$DNS_SERVER" --bind-interfaces --port=53 \
                --pid-file="$DNS_PID" --log-queries --log-facility=/var/log/partner-dnsmasq.log ;;
        stop)  # until it is gone or a zombie (the container's PID 1, sleep, reaps no child); at most 5 s
            on partner sh -c "[ -s $DNS_PID ] || exit 0; pid=\$(cat $DNS_PID); kill \$pid; n=100
                while ps -o stat= -p \$pid | grep -qv '^Z' && [ \$n -gt 0 ]; do sleep 0.05; n=\$((n - 1)); done
                rm -f $DNS_PID; [ \$n -gt 0 ]" ;;
        answer)
            on partner sh -c "printf '%s api.partner-dns.example\n' ${2:?address4} ${3:?address6} > $DNS_HOSTS.new
                printf '%s rebind.partner-dns.example\n' 203.0.113.10 2001:db8:5::10 >> $DNS_HOSTS.new
                mv $DNS_HOSTS.new $DNS_HOSTS
                if [ -s $DNS_PID ]; then kill -HUP \$(cat $DNS_PID) && echo sighup \$(date +%s%N); fi" ;;
        *) echo "usage: $0 partner-dns start|stop|answer ADDRESS4 ADDRESS6" >&2; exit 2 ;;
    esac
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    shell) podman exec -it "$PREFIX-${2:?host}" bash ;;
    link) link "${2:-}" "${3:-}" ;;
    link-a) link a "${2:-}" ;;
    partner-dns) partner_dns "${2:-}" "${3:-}" "${4:-}" ;;
    *) echo "usage: $0 up|down|shell HOST|link a|b|c blackhole|carrier-loss|restore|partner-dns ..." >&2; exit 2 ;;
esac
