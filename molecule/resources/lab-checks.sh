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
#   lab-checks.sh blackhole 4|6       link A's provider drops everything, carrier up: the monitor moves the
#                                     partner to B in time, a connection on B survives, nothing of A's on B
#   lab-checks.sh compound X KIND Y KIND   link X fails (blackhole|carrier-loss), then link Y: for IPv4 and
#                                     IPv6 the partner and the ledger take the link and source address that
#                                     `bin/symroute explain --down` gives (or are rejected), no packet with a
#                                     dead link's address leaves by another link; then both come back
#   lab-checks.sh learned             link C, leased by DHCP: the monitor shows the address and gateway it
#                                     learned, link C's rule and table use them, a partner pinned nowhere
#                                     else reaches through C with it when A and B are out (compound)
# A partner known by its DNS name only (issue #23; partner-dns, pinned to link B, in molecule/incident's
# inventory; the partner's dnsmasq answers with a TTL of 5 s, lab.sh partner-dns):
#   lab-checks.sh names-pinned 4|6    a new connection to the name's answer leaves by link B with its address;
#                                     the resolver's query reached the partner's server from link B's address
#   lab-checks.sh names-move          the answer moves (A and AAAA): a new connection to each new address is
#                                     pinned within TTL + 1 s; the old address stays in the sets (the grace)
#   lab-checks.sh names-rebinding     the second name's LAN answer (IPv4 and IPv6) is refused, shown by
#                                     symroute-status, the resolver's state, the metrics and the log
#   lab-checks.sh names-server-down   the partner's DNS server stopped: the last good answer stays in the
#                                     sets (renewed), still pinned; the server is started again
#   lab-checks.sh names-expired       later (past TTL + the 60 s grace): the old addresses left the sets and
#                                     take the main table again; the name is looked up again after the restart
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
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

# link_a blackhole|carrier-loss|restore: fail link A at fw-a, or restore it (lab.sh).
link_a() { "$here/lab.sh" link a "$1"; }

# capture_leaks FAMILY: start capturing on wanb whatever carries link A's address or goes to the ledger.
capture_leaks() {
    local word
    word="$(ip_word "$1")"
    capture leak edge wanb "$word src host $(address_a "$1") or $word dst host $(ledger "$1" | tr -d '[]')"
}

# ledger_refused FAMILY: the fail-closed ledger must not answer the app; prints what the app got.
ledger_refused() {
    local refused
    refused="$(on app curl -s -m 3 -o /dev/null -w '%{http_code}' "http://$(ledger "$1")/health" 2>&1 || true)"
    echo "app -> fail-closed ledger: ${refused:-rejected}"
    [ "$refused" = 000 ] || [ -z "$refused" ] || fail "the fail-closed ledger answered ($refused)"
}

check_failover() {
    local family="$1" answer seen
    # Link A up (and back in service: the monitor waits for its good probe rounds), then a
    # connection through it that keeps sending (about 6 s) across the failure: it is bound
    # to link A's address, so its packets must never leave by link B.
    link_a restore
    wait_link wan_a True 10
    on app sh -c "(i=0; while [ \$i -lt 30 ]; do echo x; sleep 0.2; i=\$((i+1)); done) |
        timeout 10 nc $(partner_api "$family" | tr -d '[]') 9000 >/dev/null 2>&1 &"
    sleep 1
    on edge conntrack -L -f "ipv$family" -p tcp --dport 9000 2>/dev/null | grep -q "ESTABLISHED.*mark=33024" \
        || fail "the long-lived connection is not established and bound to link A"
    link_a carrier-loss
    sleep 0.5
    on edge ip link show wana | grep -q NO-CARRIER || fail "wana still has carrier"
    [ "$(link_state wan_a reason)" = "carrier lost" ] && [ "$(link_state wan_a gated)" = True ] \
        || fail "the link monitor did not take wan_a out of service on carrier loss"
    capture_leaks "$family"
    settle
    answer="$(request "$family" "$(partner_api "$family")")"
    echo "link A without carrier; app -> partner API (IPv$family): ${answer:-no answer}"
    ledger_refused "$family"
    seen="$(captured leak edge)"
    echo "$answer" | grep -q "\"client\": \"$(address_b "$family")\"" || fail "the partner did not move to link B's address"
    [ -z "$seen" ] || fail "packets with link A's address (the bound connection's too) or to the ledger left by wanb: $seen"
    echo "OK: IPv$family failover to link B with its own address; the ledger and the connection bound to A"
    echo "    rejected; nothing of link A's on wanb"
}

# link_state LINK FIELD: a field of the link monitor's state file on the edge (up, gated, reason).
link_state() {
    on edge python3 -c "import json; print(json.load(open('/run/symroute/monitor.json'))['links']['$1']['$2'])"
}
# wait_gated LINK SECONDS: until the kernel holds the link out of service (the monitor's state file).
wait_gated() {
    local tries=$(( $2 * 10 ))
    while [ "$tries" -gt 0 ]; do
        [ "$(link_state "$1" gated 2>/dev/null)" = True ] && return 0
        sleep 0.1; tries=$((tries - 1))
    done
    fail "the monitor did not take $1 out of service within $2 s (now: $(link_state "$1" reason 2>&1))"
}
# wait_link LINK True|False SECONDS: until the monitor reports the link up (True) or down (False).
wait_link() {
    local tries=$(( $3 * 10 ))
    while [ "$tries" -gt 0 ]; do
        [ "$(link_state "$1" up 2>/dev/null)" = "$2" ] && return 0
        sleep 0.1; tries=$((tries - 1))
    done
    fail "the monitor did not report $1 up=$2 within $3 s (now: $(link_state "$1" reason 2>&1))"
}
now() { date +%s.%N; }
elapsed_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
app_address() { [ "$1" = 6 ] && echo 2001:db8:5::10 || echo 203.0.113.10; }

check_blackhole() {
    local family="$1" answer seen lines_before lines_after started moved="" took
    link_a restore
    wait_link wan_a True 10
    # A connection on link B before the failure: the partner calls the app (its ISP routes the site by B).
    on app sh -c "rm -f /tmp/conn-b.log; (timeout 15 nc -$family -l -p 9001 > /tmp/conn-b.log 2>/dev/null &)"
    sleep 0.5
    on partner sh -c "(i=0; while [ \$i -lt 60 ]; do echo x; sleep 0.2; i=\$((i+1)); done) |
        timeout 15 nc $(app_address "$family") 9001 >/dev/null 2>&1 &"
    sleep 1
    on edge conntrack -L -f "ipv$family" -p tcp --dport 9001 2>/dev/null | grep -q "ESTABLISHED.*mark=512" \
        || fail "the connection from the partner is not established on link B (mark 0x200)"
    answer="$(request "$family" "$(partner_api "$family")")"
    echo "$answer" | grep -q "\"client\": \"$(address_a "$family")\"" || fail "the partner is not reached by link A before the failure"
    capture_leaks "$family"
    settle
    lines_before="$(on app sh -c "wc -l < /tmp/conn-b.log")"
    started="$(now)"
    link_a blackhole
    while [ "$(elapsed_ms "$started" "$(now)")" -lt 5000 ]; do
        answer="$(request "$family" "$(partner_api "$family")" 0.5)"
        if echo "$answer" | grep -q "\"client\": \"$(address_b "$family")\""; then moved=yes; break; fi
    done
    took="$(elapsed_ms "$started" "$(now)")"
    [ -n "$moved" ] || fail "the partner did not move to link B's address within 5 s"
    ledger_refused "$family"
    sleep 1
    lines_after="$(on app sh -c "wc -l < /tmp/conn-b.log")"
    seen="$(captured leak edge)"
    echo "link A blackholed (carrier up); the partner API answered by link B after $took ms"
    echo "monitor: wan_a up=$(link_state wan_a up) gated=$(link_state wan_a gated) ($(link_state wan_a reason))"
    echo "connection on link B: $lines_before lines before the failure, $lines_after one second after the move"
    [ "$(link_state wan_a gated)" = True ] || fail "the monitor did not gate wan_a"
    [ "$lines_after" -gt "$((lines_before + 3))" ] || fail "the connection on link B stopped carrying data"
    on edge conntrack -L -f "ipv$family" -p tcp --dport 9001 2>/dev/null | grep -q "ESTABLISHED.*mark=512" \
        || fail "the connection on link B lost its conntrack entry"
    [ -z "$seen" ] || fail "packets with link A's address or to the ledger left by wanb: $seen"
    link_a restore
    wait_link wan_a True 10
    answer="$(request "$family" "$(partner_api "$family")")"
    echo "$answer" | grep -q "\"client\": \"$(address_a "$family")\"" || fail "new connections did not return to link A"
    echo "OK: IPv$family blackhole on link A: partner on link B after $took ms (request loop included); the"
    echo "    connection on B survived; the ledger rejected; nothing of A's on wanb; back on A after recovery"
}

check_recovery() {
    local family="$1" answer
    link_a restore
    # Carrier back is not enough: the monitor waits for up_after good probe rounds.
    wait_link wan_a True 10
    answer="$(request "$family" "$(partner_api "$family")")"
    echo "link A back; app -> partner API (IPv$family): ${answer:-no answer}"
    echo "$answer" | grep -q "\"client\": \"$(address_a "$family")\"" || fail "new connections did not return to link A"
    echo "OK: IPv$family new connections use link A again"
}

# The edge's own interface bounced (ifdown/ifup, a NIC reset, a network manager's reconfigure): the
# kernel deletes link A's table routes and IPv6 address; the monitor puts the table back.
check_bounce() {
    local answer table took
    # Timed inside the edge, from the up to link A's default route back in its table (the monitor's
    # carrier notification; its periodic repair would take up to 5 s in the lab).
    took="$(on edge sh -c 'ip link set wana down; sleep 1; ip link set wana up; t=$(date +%s%N);
        while ! ip route show table 200 | grep -q "^default via 198.51.100.1 dev wana"; do
            [ $(( ($(date +%s%N) - t) / 1000000 )) -le 3000 ] || { echo 3001; exit 0; }; sleep 0.01; done
        echo $(( ($(date +%s%N) - t) / 1000000 ))')"
    echo "link A's table back $took ms after the up"
    [ "$took" -le 1000 ] || fail "link A's table came back after $took ms (more than 1 s)"
    on edge ip -6 addr replace 2001:db8:a::2/64 dev wana nodad  # what a network manager gives back
    wait_link wan_a True 15
    table="$(on edge ip route show table 200)"
    echo "edge, link A's table after the bounce: $(echo "$table" | head -n 1)"
    echo "$table" | grep -q "^default via 198.51.100.1 dev wana" || fail "link A's table was not repaired"
    for family in 4 6; do
        answer="$(request "$family" "$(partner_api "$family")")"
        echo "app -> partner API (IPv$family): ${answer:-no answer}"
        echo "$answer" | grep -q "\"client\": \"$(address_a "$family")\"" \
            || fail "the partner API is not back on link A with A's address (IPv$family)"
    done
    echo "OK: after wana down/up the table is repaired and the partner API is back on link A with A's address"
}

# expected FAMILY ADDRESS LINK LINK: the source address `explain --down` says the edge uses, or "rejected".
# The lab inventory writes link C's address statically: the address provider C leases the incident
# scenario's edge, whose inventory says dynamic (tests/unit/test_incident_inventory.py).
expected() {
    "$here/../../bin/symroute" explain --inventory "$here/../../inventories/lab" --host edge --format json \
        --down "$3" --down "$4" "$2" | python3 -c '
import json, sys
answer = json.load(sys.stdin)[0]
print("rejected" if answer["rejected"] else answer["source"])'
}
# leaks: tcpdump lines on the edge where a WAN address leaves by another link's interface.
leaks() {
    awk '$2 ~ /^wan[abc]$/ && $3 == "Out" {
        split($5, parts, "."); source = $5
        owner = ""
        if (index(source, "198.51.100.2.") == 1 || index(source, "2001:db8:a::2.") == 1) owner = "wana"
        if (index(source, "198.51.100.6.") == 1 || index(source, "2001:db8:b::2.") == 1) owner = "wanb"
        if (index(source, "198.51.100.10.") == 1) owner = "wanc"
        if (owner != "" && owner != $2) print
    }'
}

check_compound() {
    local first="$1" first_kind="$2" second="$3" second_kind="$4" family side want answer seen
    for side in a b c; do "$here/lab.sh" link "$side" restore; done
    for side in a b c; do wait_link "wan_$side" True 15; done
    "$here/lab.sh" link "$first" "$first_kind"
    wait_gated "wan_$first" 5
    "$here/lab.sh" link "$second" "$second_kind"
    wait_gated "wan_$second" 5
    capture leak edge any "tcp port 80"
    settle
    for family in 4 6; do
        for target in partner_api ledger; do
            want="$(expected "$family" "$("$target" "$family" | tr -d '[]')" "wan_$first" "wan_$second")"
            answer="$(request "$family" "$("$target" "$family")" 2)"
            echo "link $first $first_kind, link $second $second_kind; app -> $target (IPv$family): ${answer:-no answer}"
            echo "  explain --down wan_$first --down wan_$second: $want"
            if [ "$want" = rejected ]; then
                [ -z "$answer" ] || fail "$target answered over IPv$family although explain says rejected"
            else
                echo "$answer" | grep -q "\"client\": \"$want\"" \
                    || fail "$target (IPv$family) was not reached with $want, as explain --down says"
            fi
        done
    done
    seen="$(captured leak edge | leaks)"
    [ -z "$seen" ] || fail "a link's address left by another link: $seen"
    "$here/lab.sh" link "$second" restore
    "$here/lab.sh" link "$first" restore
    wait_link "wan_$first" True 15
    wait_link "wan_$second" True 15
    answer="$(request 4 "$(partner_api 4)")"
    echo "$answer" | grep -q "\"client\": \"$(address_a 4)\"" || fail "new connections did not return to link A"
    echo "OK: links $first ($first_kind) then $second ($second_kind): IPv4 and IPv6 paths as explain --down"
    echo "    says; no address left by another link; back on link A after recovery"
}

# doctor PACKAGE_DIR: `symroute doctor` on the edge for the partner API (both families), link names as
# in the inventory; its JSON report on stdout (its exit status is judged from the report).
doctor() {
    on edge env PYTHONPATH="$1" PYTHONSAFEPATH=1 PYTHONDONTWRITEBYTECODE=1 python3 -m symroute_router.doctor \
        --format json --target 100.64.20.10:80 --target '[2001:db8:20::10]:80' \
        --link wan_a=wana --link wan_b=wanb --link wan_c=wanc || true
}

# Before symroute: the router package of this checkout, copied to the edge (nothing is installed).
check_doctor_before() {
    podman exec "$PREFIX-edge" sh -c 'rm -rf /tmp/symroute-doctor && mkdir -p /tmp/symroute-doctor'
    podman cp "$here/../../module_utils/symroute_router" "$PREFIX-edge:/tmp/symroute-doctor/symroute_router"
    doctor /tmp/symroute-doctor | python3 -c '
import json, sys
report = json.load(sys.stdin)
problems = {(f["kind"], f["subject"]): f for f in report["findings"] if f["severity"] == "problem"}
for target, prefix in (("100.64.20.10:80", "100.64.20.0/24"), ("[2001:db8:20::10]:80", "2001:db8:20::/48")):
    found = problems.get(("asymmetric-return-path", target))
    assert found, f"no asymmetric-return-path finding for {target}: {sorted(problems)}"
    entry = found["partner_entry"]["entry"]
    assert entry["prefixes"] == [prefix] and entry["link"] == "wan_a", entry
    title = found["title"]
    print(f"doctor: {target}: {title}")
    print("  proposes:", " ".join(found["partner_entry"]["yaml"].split()))
# No conntrack signature here: the edge has no stateful rule before symroute, so the kernel tracks no
# connection (tests/integration/test_doctor_netns.py proves the signature on a router that does).
'
    echo "OK: before symroute, doctor names the partner API, link A, and proposes the partner entry"
}

# After the playbook: the package symroute installed; link names from its monitor configuration.
check_doctor_after() {
    doctor /usr/local/lib/symroute | python3 -c '
import json, sys
report = json.load(sys.stdin)
problems = [f["id"] for f in report["findings"] if f["severity"] == "problem"]
assert report["problems"] == 0 and not problems, problems
kinds = {f["subject"]: f["kind"] for f in report["findings"]}
for target in ("100.64.20.10:80", "[2001:db8:20::10]:80"):
    assert kinds.get(target) == "pinned-symmetric", kinds
    pinned = next(t["pinned"] for t in report["targets"] if t["target"] == target)
    assert pinned["link"] == "wan_a", pinned
    print(f"doctor: {target}: pinned to wan_a, answered from its address")
'
    echo "OK: after the playbook, doctor reports the partner API pinned to link A and symmetric"
}

check_learned() {
    local learned rules table
    learned="$(on edge python3 -c "import json; f = json.load(open('/run/symroute/monitor.json'))['learned']['wan_c']['ipv4']; print(f['address'], f['gateway'])")"
    echo "the monitor learned for wan_c: $learned"
    [ "$learned" = "198.51.100.10/30 198.51.100.9" ] || fail "wan_c's learned address and gateway are not provider C's lease"
    rules="$(on edge ip rule)"
    echo "$rules" | grep -q "from 198.51.100.10 lookup symroute_wan_c" || fail "no rule for wan_c's learned address"
    table="$(on edge ip route show table symroute_wan_c)"
    echo "$table" | grep -q "^default via 198.51.100.9 dev wanc" || fail "wan_c's table has no default route via its learned gateway"
    on edge sh -c 'ip route show default dev wanc' | grep -q "proto dhcp\|metric 30" \
        || fail "the DHCP client's main-table route is gone"
    echo "OK: link C's lease learned; its rule and table use it; the client's main-table route untouched"
}

# --- A partner known by its DNS name (issue #23): partner-dns, link B (not the main table's link A).
NAME=api.partner-dns.example
REBIND=rebind.partner-dns.example
NAME_TTL=5   # the partner's dnsmasq (lab.sh partner-dns): the resolver's floor, so TTL + 1 s is measured unclamped
GRACE=60     # seconds an address the name no longer returns stays in the sets (module_utils/.../resolver.py)
MOVED_AT=/run/lab-names-moved-at  # on the edge: when the answer moved (ns since the epoch; names-expired)
old_answer() { [ "$1" = 6 ] && echo 2001:db8:60::10 || echo 100.64.60.10; }
new_answer() { [ "$1" = 6 ] && echo 2001:db8:60::11 || echo 100.64.60.11; }
lan_answer() { [ "$1" = 6 ] && echo 2001:db8:5::10 || echo 203.0.113.10; }
url_host() { [ "$1" = 6 ] && echo "[$2]" || echo "$2"; }

# name_state NAME FAMILY: the resolver's entry for a name and family (resolver.json on the edge), as JSON.
name_state() {
    on edge python3 -c "import json, sys
names = json.load(open('/run/symroute/resolver.json'))['names']
print(json.dumps(next(n for n in names if n['name'] == sys.argv[1] and n['family'] == int(sys.argv[2]))))" "$1" "$2"
}
# name_field NAME FAMILY EXPRESSION: a Python expression of the entry ``n`` (e.g. "n['addresses']").
name_field() { name_state "$1" "$2" | python3 -c "import json, sys; n = json.load(sys.stdin); print($3)"; }
# name_outcomes: the last lookup's outcome of the name, IPv4 then IPv6 (one line each).
name_outcomes() {
    on edge python3 -c "import json
names = json.load(open('/run/symroute/resolver.json'))['names']
for family in 4, 6: print(next(n['outcome'] for n in names if n['name'] == '$NAME' and n['family'] == family))"
}
partner_set() { on edge nft list set inet symroute "wan_b_failover_v$1"; }
# element FAMILY ADDRESS: "TIMEOUT EXPIRES" of the address in partner-dns's set (nft's units), or nothing.
element() {
    partner_set "$1" | tr ',{}' '\n\n\n' | awk -v a="$2" '$1 == a && $2 == "timeout" { print $3, $5 }'
}
seconds_of() { # nft's duration (1m4s, 58s344ms) in whole seconds
    echo "$1" | awk '{ t = 0; s = $0
        while (match(s, /^[0-9]+(ms|h|m|s|d)/)) { v = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
            n = v + 0; u = v; sub(/^[0-9]+/, "", u)
            t += (u == "d" ? n * 86400 : u == "h" ? n * 3600 : u == "m" ? n * 60 : u == "s" ? n : n / 1000) }
        printf "%d", t }'
}
# wait_element FAMILY ADDRESS SECONDS: until the resolver added the address to partner-dns's set.
wait_element() {
    local tries=$(( $3 * 10 ))
    while [ "$tries" -gt 0 ]; do
        [ -n "$(element "$1" "$2")" ] && return 0
        sleep 0.1; tries=$((tries - 1))
    done
    fail "$2 is not in wan_b_failover_v$1 after $3 s: $(partner_set "$1" | tr -s ' \n' ' ')"
}
client_of() { echo "$1" | python3 -c "import json, sys; print(json.load(sys.stdin)['client'])" 2>/dev/null || true; }

check_names_pinned() {
    local family="$1" old new source answer other seen queries
    old="$(old_answer "$family")" new="$(new_answer "$family")" source="$(address_b "$family")"
    wait_element "$family" "$old" 10
    echo "resolver: $NAME IPv$family: $(name_field "$NAME" "$family" "n['addresses'], 'ttl', n['ttl'], n['outcome']")"
    echo "edge, partner-dns's set: $(element "$family" "$old" | awk '{ print "'"$old"' timeout", $1 }')"
    capture edge edge any "tcp port 80 and host $old"
    settle
    answer="$(request "$family" "$(url_host "$family" "$old")")"
    seen="$(captured edge edge | grep 'Flags \[S')"
    # Not (yet) an answer of the name: the same partner's server, by the main table (link A).
    other="$(request "$family" "$(url_host "$family" "$new")")"
    queries="$(on partner grep -c "query\[$([ "$family" = 6 ] && echo AAAA || echo A)\] $NAME from $(address_b 4)\$" \
        /var/log/partner-dnsmasq.log || true)"
    echo "app -> $old (the name's answer, IPv$family): ${answer:-no answer}"
    echo "edge:"; echo "$seen"
    echo "app -> $new (not an answer of the name): client $(client_of "$other")"
    echo "the partner's dnsmasq: ${queries:-0} queries for $NAME (IPv$family) from link B's address $(address_b 4)"
    [ "$(client_of "$answer")" = "$source" ] || fail "the partner did not see link B's address $source"
    echo "$seen" | grep -q "^[0-9:.]* wanb *Out .* $source\.[0-9]* > .*\.80: Flags \[S\]" \
        || fail "the SYN did not leave by wanb with $source"
    echo "$seen" | grep -q "^[0-9:.]* wanb *In .*\.80 > $source\.[0-9]*: Flags \[S\.\]" \
        || fail "the SYN-ACK did not come back on wanb"
    echo "$seen" | grep -q "wana" && fail "the handshake touched wana"
    [ "$(client_of "$other")" = "$(address_a "$family")" ] \
        || fail "an address the name does not return was not left to the main table's link A"
    [ "${queries:-0}" -gt 0 ] || fail "the resolver's queries did not reach the partner's server by link B"
    echo "OK: IPv$family $NAME's answer is pinned to link B: SYN and SYN-ACK on wanb, source $source"
}

# The answer moves (A and AAAA at once): from the SIGHUP on, new connections from the app to each new address
# (a fresh source port each, every ~0.1 s, bounded at 15 s) until one is answered from link B's address.
MOVE_LOOP='v4=-1; v6=-1; n=0; end=$(( $(date +%s%N) + 15000000000 ))
while [ $v4 -lt 0 ] || [ $v6 -lt 0 ]; do
  t=$(date +%s%N); [ $t -le $end ] || break; n=$((n+1))
  if [ $v4 -lt 0 ] && curl -s --max-time 0.5 http://$1/health | grep -q "\"client\": \"$3\""; then v4=$t; fi
  t=$(date +%s%N)
  if [ $v6 -lt 0 ] && curl -s --max-time 0.5 "http://[$2]/health" | grep -q "\"client\": \"$4\""; then v6=$t; fi
  sleep 0.05
done
echo $v4 $v6 $n'

check_names_move() {
    local family moved result v4 v6 tries ms ms4 ms6 left answer
    for family in 4 6; do
        wait_element "$family" "$(old_answer "$family")" 10
        [ -z "$(element "$family" "$(new_answer "$family")")" ] || fail "$(new_answer "$family") is in the set already"
    done
    moved="$("$here/lab.sh" partner-dns answer "$(new_answer 4)" "$(new_answer 6)" | awk '$1 == "sighup" { print $2 }')"
    [ -n "$moved" ] || fail "the partner's dnsmasq was not told of the new answer"
    on edge sh -c "echo $moved > $MOVED_AT"
    result="$(on app sh -c "$MOVE_LOOP" move "$(new_answer 4)" "$(new_answer 6)" "$(address_b 4)" "$(address_b 6)")"
    read -r v4 v6 tries <<< "$result"
    ms4=$(( v4 < 0 ? -1 : (v4 - moved) / 1000000 )) ms6=$(( v6 < 0 ? -1 : (v6 - moved) / 1000000 ))
    echo "$NAME moved to $(new_answer 4) and $(new_answer 6) (SIGHUP to the partner's dnsmasq, TTL $NAME_TTL s)"
    echo "a new connection to the new address pinned (answered from link B's address) after: IPv4 $ms4 ms," \
        "IPv6 $ms6 ms ($tries rounds of connections)"
    for family in 4 6; do
        ms="$ms4"; [ "$family" = 6 ] && ms="$ms6"
        [ "$ms" -ge 0 ] || fail "no connection to $(new_answer "$family") was pinned within 15 s"
        [ "$ms" -le $(( (NAME_TTL + 1) * 1000 )) ] || fail "IPv$family: pinned after more than TTL + 1 s ($ms ms)"
        [ -n "$(element "$family" "$(new_answer "$family")")" ] || fail "$(new_answer "$family") is not in the set"
        # The old address stays for the grace: connections opened just before the move keep their link.
        left="$(element "$family" "$(old_answer "$family")")"
        echo "IPv$family: the old address $(old_answer "$family") stays in the set: timeout $left (expires)"
        [ -n "$left" ] || fail "the old address $(old_answer "$family") left the set at once"
        [ "$(seconds_of "${left#* }")" -ge $(( GRACE - 15 )) ] || fail "the old address expires before the grace"
        answer="$(request "$family" "$(url_host "$family" "$(old_answer "$family")")")"
        [ "$(client_of "$answer")" = "$(address_b "$family")" ] || fail "the old address is no longer pinned to link B"
    done
    echo "OK: the answer moved; new connections to the new address pinned within TTL + 1 s (IPv4 $ms4 ms," \
        "IPv6 $ms6 ms); the old address stays pinned for the grace"
}

check_names_rebinding() {
    local family lan entry shown status prom
    shown="$(on edge /usr/local/sbin/symroute-status)" && status=0 || status=$?
    prom="$(on edge sh -c 'cat /var/lib/prometheus/node-exporter/symroute_resolver.prom')"
    for family in 4 6; do
        lan="$(lan_answer "$family")"
        entry="$(name_field "$REBIND" "$family" "n['addresses'], n['outcome'], n['refused']")"
        echo "resolver: $REBIND IPv$family: $entry"
        name_field "$REBIND" "$family" "n['addresses'] == [] and any('$lan ' in r and 'rebinding' in r for r in n['refused'])" \
            | grep -qx True || fail "$REBIND's LAN answer $lan (IPv$family) was not refused as DNS rebinding"
        partner_set "$family" | grep -q "[ {]$lan[ ,}]" && fail "the LAN address $lan is in partner-dns's set"
        echo "$shown" | grep -q "^ *$REBIND *IPv$family .*refused: $lan" \
            || fail "symroute-status does not show $REBIND's refused answer (IPv$family)"
        local labels="partner=\"partner-dns\",name=\"$REBIND\",family=\"$family\""
        echo "$prom" | grep "^symroute_resolver_refused{.*$labels} 1\$" \
            || fail "the metric symroute_resolver_refused is not 1 for $REBIND (IPv$family)"
        echo "$prom" | grep -E "^symroute_resolver_refused_total\{.*$labels\} [1-9]" \
            || fail "symroute_resolver_refused_total (the alert's counter) did not count $REBIND (IPv$family)"
        on edge grep -m 1 "resolver: $REBIND IPv$family: .*refused: $lan" /var/log/symroute-monitor.log \
            || fail "the monitor's log does not say that $lan was refused"
    done
    echo "symroute-status (exit status $status):"; echo "$shown" | grep -A 8 "Partners' names"
    [ "$status" = 1 ] || fail "symroute-status did not exit 1 (needs attention) for a refused answer"
    echo "OK: $REBIND's LAN answers refused (IPv4 and IPv6), kept out of the sets, shown and counted for the alert"
}

check_names_server_down() {
    local family started took answer timeout shown
    for family in 4 6; do wait_element "$family" "$(new_answer "$family")" 10; done
    "$here/lab.sh" partner-dns stop
    started="$(now)"
    until [ "$(name_outcomes | grep -c 'last good answer kept')" = 2 ]; do
        [ "$(elapsed_ms "$started" "$(now)")" -le 15000 ] \
            || { "$here/lab.sh" partner-dns start; fail "no failed lookup within 15 s"; }
        sleep 0.1
    done
    took="$(elapsed_ms "$started" "$(now)")"
    shown="$(on edge /usr/local/sbin/symroute-status)" || true
    echo "the partner's dnsmasq stopped; the resolver's next lookups failed after $took ms"
    for family in 4 6; do
        echo "resolver: $NAME IPv$family: $(name_field "$NAME" "$family" "n['addresses'], n['outcome']")"
        name_field "$NAME" "$family" "n['addresses'] == ['$(new_answer "$family")']" | grep -qx True \
            || fail "the last good answer was not kept (IPv$family)"
        # Re-added with the retry period's timeout (30 s + the 60 s grace) after the failed lookup.
        timeout="$(element "$family" "$(new_answer "$family")")"
        echo "edge, partner-dns's set: $(new_answer "$family") timeout $timeout (expires)"
        [ "$(seconds_of "${timeout%% *}")" = 90 ] || fail "the last good answer was not renewed after the failure"
        answer="$(request "$family" "$(url_host "$family" "$(new_answer "$family")")")"
        [ "$(client_of "$answer")" = "$(address_b "$family")" ] \
            || fail "new connections to the last good answer are no longer pinned to link B (IPv$family)"
        echo "$shown" | grep -q "^ *$NAME *IPv$family .*$(new_answer "$family").*last good answer kept" \
            || fail "symroute-status does not show the kept answer and the failed lookup (IPv$family)"
    done
    "$here/lab.sh" partner-dns start
    on edge env PYTHONPATH=/usr/local/lib/symroute python3 -c "from symroute_router.monitor import dnsquery
print('the partner\'s dnsmasq answers again:', dnsquery.lookup('100.64.53.53', '$NAME', 4))"
    echo "OK: the server down, the last good answer stays in the sets (renewed) and pinned, IPv4 and IPv6;" \
        "the server started again"
}

check_names_expired() {
    local moved since family answer started
    moved="$(on edge cat "$MOVED_AT")" || fail "names-move did not run"
    since=$(( ($(date +%s%N) - moved) / 1000000000 ))
    echo "$since s since the answer moved (the old addresses' TTL + grace: $(( NAME_TTL + GRACE )) s)"
    if [ "$since" -lt $(( NAME_TTL + GRACE + 5 )) ]; then sleep $(( NAME_TTL + GRACE + 5 - since )); fi
    # Link A's carrier losses and the bounce (checks 4-7) took the main table's default routes via wana with
    # them, as the kernel does: put back what the edge had (edge-before-symroute.sh), so that an address pinned
    # nowhere leaves by link A again, as in names-pinned.
    # The benchmark (check 8) may have left a link recovering: all three back in service first.
    on edge sh -c 'ip route replace default via 198.51.100.1 dev wana metric 10
        ip -6 route replace default via 2001:db8:a::1 dev wana metric 10'
    for side in a b c; do wait_link "wan_$side" True 30; done
    echo "edge, main table: $(on edge ip route show default | head -n 1)"
    for family in 4 6; do
        [ -z "$(element "$family" "$(old_answer "$family")")" ] \
            || fail "the old address $(old_answer "$family") is still in the set after the grace"
        [ -n "$(element "$family" "$(new_answer "$family")")" ] || fail "the current answer left the set"
        answer="$(request "$family" "$(url_host "$family" "$(old_answer "$family")")")"
        echo "app -> $(old_answer "$family") (no longer an answer): client $(client_of "$answer")"
        [ "$(client_of "$answer")" = "$(address_a "$family")" ] || fail "the old address is still pinned to link B"
    done
    # The server was started again (names-server-down): the next lookup, at most the retry period (30 s) after
    # the failure, succeeds.
    started="$(now)"
    until [ "$(name_outcomes | grep -cx ok)" = 2 ]; do
        [ "$(elapsed_ms "$started" "$(now)")" -le 40000 ] || fail "the name is not looked up again after the restart"
        sleep 0.2
    done
    echo "resolver: $NAME: $(name_field "$NAME" 4 "n['addresses'], n['outcome']"), $(name_field "$NAME" 6 "n['addresses'], n['outcome']")"
    echo "OK: the old addresses left the sets after the grace and take the main table; the name resolves again"
}

case "${1:-}" in
    incident) check_incident ;;
    learned) check_learned ;;
    doctor-before) check_doctor_before ;;
    doctor-after) check_doctor_after ;;
    bounce) check_bounce ;;
    partner-via-a) check_partner_via_a "${2:?4 or 6}" ;;
    inbound) check_inbound "${2:?4 or 6}" "${3:?a or b}" ;;
    failover) check_failover "${2:?4 or 6}" ;;
    recovery) check_recovery "${2:?4 or 6}" ;;
    blackhole) check_blackhole "${2:?4 or 6}" ;;
    compound) check_compound "${2:?a|b|c}" "${3:?blackhole|carrier-loss}" "${4:?a|b|c}" "${5:?blackhole|carrier-loss}" ;;
    names-pinned) check_names_pinned "${2:?4 or 6}" ;;
    names-move) check_names_move ;;
    names-rebinding) check_names_rebinding ;;
    names-server-down) check_names_server_down ;;
    names-expired) check_names_expired ;;
    *) echo "usage: $0 incident | doctor-before | doctor-after | bounce | partner-via-a F | inbound F a|b | failover F | recovery F | blackhole F" \
            "| compound X KIND Y KIND | names-pinned F | names-move | names-rebinding | names-server-down | names-expired" >&2
       exit 2 ;;
esac
