#!/bin/sh
# Everything symroute could touch on a router, as text, so that two readings can
# be compared byte for byte (rollback, untouched routers): the whole ruleset, the
# policy rules, the interfaces (their groups: out of service), every routing
# table, the sysctls it sets and the state files it writes (the snapshot's list in
# symmetric-routing.yml). Not here: the router package's code in
# /usr/local/lib/symroute, which a rollback leaves in place (code, not state: the
# boot unit and monitor that would run it are restored away), and the snapshot.
# Used by the fleet scenario and tests/routerlab.py.
nft list ruleset
echo ---
ip rule
ip -6 rule
echo ---
ip -o link show
echo ---
ip route show table all
ip -6 route show table all
echo ---
for interface in wana wanb wanc; do
    [ -d "/proc/sys/net/ipv4/conf/$interface" ] || continue
    sysctl "net.ipv4.conf.$interface.rp_filter" "net.ipv4.conf.$interface.ignore_routes_with_linkdown" \
        "net.ipv6.conf.$interface.ignore_routes_with_linkdown"
done
sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding
echo ---
for file in /etc/symroute/symroute.nft /etc/symroute/routing.json /etc/symroute/monitor.json \
    /etc/sysctl.d/90-symroute.conf /etc/iproute2/rt_tables.d/symroute.conf /etc/nftables.conf \
    /etc/systemd/system/symroute-routing.service /etc/systemd/system/symroute-monitor.service \
    /usr/local/sbin/symroute-monitor-ctl /var/lib/symroute/routing-tables.json \
    /var/lib/symroute/nftables.listing /etc/systemd/networkd.conf.d/symroute.conf; do
    [ -e "$file" ] && echo "== $file" && cat "$file"
done
exit 0
