#!/bin/sh
# What symroute's HA part could touch on a pair's router, as text, to compare two readings byte for byte
# (with ../resources/router-state.sh, the single router's part): keepalived's and conntrackd's configuration,
# the notify command, the state and yield files, the daemons' and the monitor's unit states, and whatever
# lies under symroute's own directories (a check-mode run must leave all of it as it was).
for file in /etc/keepalived/keepalived.conf /etc/conntrackd/conntrackd.conf /usr/local/sbin/symroute-ha-notify \
    /run/symroute/ha-state /run/symroute/ha-yield; do
    if [ -e "$file" ]; then echo "== $file" && cat "$file"; else echo "== $file absent"; fi
done
echo ---
for unit in keepalived conntrackd symroute-monitor symroute-routing; do
    echo "$unit $(systemctl is-enabled "$unit" 2>/dev/null || true) $(systemctl is-active "$unit" 2>/dev/null || true)"
done
echo ---
for directory in /etc/symroute /run/symroute /var/lib/symroute /usr/local/lib/symroute /etc/keepalived; do
    [ -e "$directory" ] && find "$directory" | sort
done
echo ---
ip -o addr show
exit 0
