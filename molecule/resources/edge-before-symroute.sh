#!/bin/sh
# The edge router as it was in the incident, before symroute: its addresses on
# lan0, wana, wanb and wanc (the LTE-style backup), forwarding on, and a main
# table that prefers link A (lower metric) with links B and C as backups. No policy routing, no NAT: the site's
# /24 is announced by both providers. Runs inside the edge (lab or router scenario).
set -eu
sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip addr replace 203.0.113.1/24 dev lan0
ip -6 addr replace 2001:db8:5::1/64 dev lan0 nodad
ip addr replace 198.51.100.2/30 dev wana
ip -6 addr replace 2001:db8:a::2/64 dev wana nodad
ip addr replace 198.51.100.6/30 dev wanb
ip -6 addr replace 2001:db8:b::2/64 dev wanb nodad
ip route replace default via 198.51.100.1 dev wana metric 10
ip route replace default via 198.51.100.5 dev wanb metric 20
ip -6 route replace default via 2001:db8:a::1 dev wana metric 10
ip -6 route replace default via 2001:db8:b::1 dev wanb metric 20
ip addr replace 198.51.100.10/30 dev wanc
ip route replace default via 198.51.100.9 dev wanc metric 30
