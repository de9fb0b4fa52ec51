#!/bin/bash
# Checks on the incident lab with real packets (curl, tcpdump, nft counters).
# Each check prints what it saw and exits non-zero with a reason when the
# behaviour is not there. Used by molecule/incident and by `make demo`.
#
#   lab-checks.sh incident            the partner request fails as in the incident
#   lab-checks.sh partner-via-a 4|6   the partner is reached through link A, with link A's address
#   lab-checks.sh inbound 4|6 a|b     a connection the partner opens arrives and is answered on one link
#   lab-checks.sh failover 4|6        carrier loss on link A: the partner moves to B; the ledger is rejected
#   lab-checks.sh recovery 4|6        link A back: new connections use A again
set -euo pipefail
PREFIX=symroute-lab
CAPTURE_SECONDS=12

fail() { echo "FAIL: $*" >&2; exit 1; }
on() { local host="$1"; shift; podman exec "$PREFIX-$host" "$@"; }

# capture NAME HOST IFACE FILTER: tcpdump in the background (bounded by time and count).
capture() {
    on "$2" sh -c "rm -f /tmp/$1.cap; (timeout $CAPTURE_SECONDS tcpdump -lnni $3 -c 200 '$4' > /tmp/$1.cap 2>/dev/null &)"
}
# captured NAME HOST: stop the capture and print what it saw.
captured() {
    sleep 0.5
    on "$2" sh -c "pkill -x tcpdump || true; sleep 0.3; cat /tmp/$1.cap"
}
settle() { sleep 1.5; }  # let tcpdump attach before the traffic

partner_api() { [ "$1" = 6 ] && echo "[2001:db8:20::10]" || echo 100.64.20.10; }
ledger() { [ "$1" = 6 ] && echo "[2001:db8:21::10]" || echo 100.64.21.10; }
address_a() { [ "$1" = 6 ] && echo 2001:db8:a::2 || echo 198.51.100.2; }
address_b() { [ "$1" = 6 ] && echo 2001:db8:b::2 || echo 198.51.100.6; }
ip_word() { [ "$1" = 6 ] && echo ip6 || echo ip; }

# request FAMILY URL: curl from the app; prints the partner's answer or nothing.
request() { on app curl -s -m "${3:-3}" "http://$2/health" || true; }

dropped_at_fw_b() { on fw-b nft list counter inet firewall dropped_towards_site | awk '/packets/ {print $2}'; }

check_incident() {
    local before after answer
    before="$(dropped_at_fw_b)"
    capture edge edge wana "tcp port 80 and host 100.64.20.10"
    capture fwb fw-b up "tcp port 80 and host 100.64.20.10"
    settle
    answer="$(request 4 100.64.20.10 4)"
    local edge_seen fwb_seen
    edge_seen="$(captured edge edge)"
    fwb_seen="$(captured fwb fw-b)"
    after="$(dropped_at_fw_b)"
    echo "app -> partner API: ${answer:-no answer (timed out)}"
    echo "edge, link A (wana):"; echo "$edge_seen" | head -n 3
    echo "fw-b, from the partner:"; echo "$fwb_seen" | head -n 3
    echo "fw-b dropped towards the site: $before -> $after packets"
    [ -z "$answer" ] || fail "the request worked: the incident is not reproduced"
    echo "$edge_seen" | grep -q "203.0.113.10.[0-9]* > 100.64.20.10.80: Flags \[S\]" \
        || fail "no SYN from the app left the edge by link A"
    echo "$fwb_seen" | grep -q "100.64.20.10.80 > 203.0.113.10.[0-9]*: Flags \[S.\]" \
        || fail "no SYN-ACK from the partner reached fw-b"
    [ "$after" -gt "$before" ] || fail "fw-b dropped nothing"
    echo "OK: the SYN left by link A, the SYN-ACK came back to fw-b and was dropped"
}

check_partner_via_a() {
    local family="$1" answer seen source
    source="$(address_a "$family")"
    capture edge edge any "tcp port 80 and tcp[tcpflags] & tcp-syn != 0 or ip6 and tcp port 80"
    settle
    answer="$(request "$family" "$(partner_api "$family")")"
    seen="$(captured edge edge | grep 'Flags \[S')"
    echo "app -> partner API (IPv$family): ${answer:-no answer}"
    echo "edge:"; echo "$seen"
    echo "$answer" | grep -q "\"client\": \"$source\"" || fail "the partner did not see link A's address $source"
    echo "$seen" | grep -q "^[0-9:.]* wana *Out .* $source\.[0-9]* > .*\.80: Flags \[S\]" \
        || fail "the SYN did not leave by wana with $source"
    echo "$seen" | grep -q "^[0-9:.]* wana *In .*\.80 > $source\.[0-9]*: Flags \[S\.\]" \
        || fail "the SYN-ACK did not come back on wana"
    echo "$seen" | grep -q "wanb" && fail "the handshake touched wanb"
    echo "OK: IPv$family SYN and SYN-ACK both on wana, source $source"
}

check_inbound() {
    local family="$1" side="$2" app=203.0.113.10 via answer seen iface
    [ "$family" = 6 ] && app=2001:db8:5::10
    iface="wan$side"
    if [ "$side" = a ]; then
        via=100.64.1.1; [ "$family" = 6 ] && via=2001:db8:f1::1
        on partner ip -"$family" route add "$app" via "$via"
    fi
    capture edge edge any "tcp port 8080"
    settle
    local url="$app"; [ "$family" = 6 ] && url="[$app]"
    answer="$(on partner curl -s -m 3 "http://$url:8080/inbound" || true)"
    seen="$(captured edge edge | grep 'Flags \[S')"
    if [ "$side" = a ]; then on partner ip -"$family" route del "$app" via "$via"; fi
    echo "partner -> app (IPv$family, arriving by link $side): ${answer:-no answer}"
    echo "edge:"; echo "$seen"
    [ -n "$answer" ] || fail "the app's answer never reached the partner"
    echo "$seen" | grep -q "^[0-9:.]* $iface *In .*: Flags \[S\]" || fail "the SYN did not arrive on $iface"
    echo "$seen" | grep -q "^[0-9:.]* $iface *Out .*: Flags \[S\.\]" || fail "the SYN-ACK did not leave by $iface"
    echo "OK: IPv$family connection from the partner arrived on $iface and was answered on $iface"
}

check_failover() {
    local family="$1" answer refused seen word
    word="$(ip_word "$family")"
    # Link A up, then a connection through it that keeps sending (about 6 s) across the
    # failure: it is bound to link A's address, so its packets must never leave by link B.
    on fw-a ip link set site up
    sleep 1
    on app sh -c "(i=0; while [ \$i -lt 30 ]; do echo x; sleep 0.2; i=\$((i+1)); done) |
        timeout 10 nc $(partner_api "$family" | tr -d '[]') 9000 >/dev/null 2>&1 &"
    sleep 1
    on edge conntrack -L -f "ipv$family" -p tcp --dport 9000 2>/dev/null | grep -q "ESTABLISHED.*mark=33024" \
        || fail "the long-lived connection is not established and bound to link A"
    on fw-a ip link set site down
    sleep 0.5
    on edge ip link show wana | grep -q NO-CARRIER || fail "wana still has carrier"
    capture leak edge wanb "$word src host $(address_a "$family") or $word dst host $(ledger "$family" | tr -d '[]')"
    settle
    answer="$(request "$family" "$(partner_api "$family")")"
    refused="$(on app curl -s -m 3 -o /dev/null -w '%{http_code}' "http://$(ledger "$family")/health" 2>&1 || true)"
    seen="$(captured leak edge)"
    echo "link A without carrier; app -> partner API (IPv$family): ${answer:-no answer}"
    echo "app -> fail-closed ledger: ${refused:-rejected}"
    echo "$answer" | grep -q "\"client\": \"$(address_b "$family")\"" || fail "the partner did not move to link B's address"
    [ "$refused" = 000 ] || [ -z "$refused" ] || fail "the fail-closed ledger answered ($refused)"
    [ -z "$seen" ] || fail "packets with link A's address (the bound connection's too) or to the ledger left by wanb: $seen"
    echo "OK: IPv$family failover to link B with its own address; the ledger and the connection bound to A"
    echo "    rejected; nothing of link A's on wanb"
}

check_recovery() {
    local family="$1" answer
    on fw-a ip link set site up
    sleep 1
    answer="$(request "$family" "$(partner_api "$family")")"
    echo "link A back; app -> partner API (IPv$family): ${answer:-no answer}"
    echo "$answer" | grep -q "\"client\": \"$(address_a "$family")\"" || fail "new connections did not return to link A"
    echo "OK: IPv$family new connections use link A again"
}

case "${1:-}" in
    incident) check_incident ;;
    partner-via-a) check_partner_via_a "${2:?4 or 6}" ;;
    inbound) check_inbound "${2:?4 or 6}" "${3:?a or b}" ;;
    failover) check_failover "${2:?4 or 6}" ;;
    recovery) check_recovery "${2:?4 or 6}" ;;
    *) echo "usage: $0 incident | partner-via-a F | inbound F a|b | failover F | recovery F" >&2; exit 2 ;;
esac
