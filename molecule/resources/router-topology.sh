#!/bin/sh
# Inside the router container: the router's LAN and three WAN links, each with a
# namespace at the far end (lan, isp_a, isp_b, isp_c; link C is IPv4 only), so test traffic crosses the
# router and never leaves the container. Idempotent: re-running rebuilds it.
set -eu

for ns in lan isp_a isp_b isp_c; do ip netns del "$ns" 2>/dev/null || true; done
for link in lan0 wana wanb wanc; do ip link del "$link" 2>/dev/null || true; done

wire() { # wire <router interface> <namespace>
    ip netns add "$2"
    ip link add "$1" type veth peer name eth0 netns "$2"
    ip -n "$2" link set lo up
    ip -n "$2" link set eth0 up
    ip link set "$1" up
}
wire lan0 lan
wire wana isp_a
wire wanb isp_b
wire wanc isp_c
sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0

# The router's own addresses and main table: edge-before-symroute.sh (run next).

# LAN host.
ip -n lan addr add 203.0.113.10/24 dev eth0
ip -n lan -6 addr add 2001:db8:5::10/64 dev eth0 nodad
ip -n lan route add default via 203.0.113.1
ip -n lan -6 route add default via 2001:db8:5::1

# Provider ends: both reach the partner API (100.64.20.10, 2001:db8:20::10) and
# answer the link monitor's probes (100.64.1.2 behind link A, 100.64.2.2 behind B);
# the management network 100.64.99.0/24 is routed by the main table (default via link A).
for side in a b; do
    case "$side" in
        a) v4=198.51.100.1; v6=2001:db8:a::1; probe4=100.64.1.2; probe6=2001:db8:f1::2 ;;
        b) v4=198.51.100.5; v6=2001:db8:b::1; probe4=100.64.2.2; probe6=2001:db8:f2::2 ;;
    esac
    ip -n "isp_$side" addr add "$v4/30" dev eth0
    ip -n "isp_$side" -6 addr add "$v6/64" dev eth0 nodad
    # The link monitor's health targets in this provider's network (inventories/lab).
    ip -n "isp_$side" addr add "$probe4/32" dev lo
    ip -n "isp_$side" -6 addr add "$probe6/128" dev lo
    ip -n "isp_$side" addr add 100.64.20.10/32 dev lo
    ip -n "isp_$side" -6 addr add 2001:db8:20::10/128 dev lo
done
ip -n isp_c addr add 198.51.100.9/30 dev eth0
ip -n isp_c addr add 100.64.3.2/32 dev lo
ip -n isp_c addr add 100.64.20.10/32 dev lo
