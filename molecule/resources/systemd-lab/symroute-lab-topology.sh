#!/bin/sh
# symroute lab, inside the systemd router container (tests/systemdlab.py):
#   symroute-lab-topology.sh boot   the lab's topology and the edge's addresses (router-topology.sh,
#                                   then edge-before-symroute.sh); with /etc/symroute-lab/absent-wanc
#                                   link C is left out: no wanc, no isp_c (an LTE modem not plugged in)
#                                   with /etc/symroute-lab/networkd, systemd-networkd gives wana and
#                                   wanb their addresses and main-table routes (.network files), and
#                                   /sys is read-only, as systemd's container interface wants it:
#                                   networkd then does not wait for udev, which the container lacks
#                                   with /etc/symroute-lab/dynamic-wanc link C is dynamic: provider C
#                                   is 100.66.0.1/24 and 2001:db8:c::1/64, its DHCP and RA server
#                                   (dnsmasq) runs in symroute-lab-isp-c.service, and the router leaves
#                                   wanc unaddressed for its DHCP/RA client (networkd or NetworkManager)
#   symroute-lab-topology.sh wanc   link C appears later: isp_c and wanc with its address, then up
set -eu
here=/usr/local/lib/symroute-lab

skip_wanc=no
skip_wana_wanb=no
dynamic_wanc=no
[ -e /etc/symroute-lab/absent-wanc ] && skip_wanc=yes
[ -e /etc/symroute-lab/dynamic-wanc ] && dynamic_wanc=yes
[ -e /etc/symroute-lab/networkd ] && skip_wana_wanb=yes
# The lab's own scripts run as they are, only ip commands naming the left-out interfaces skipped.
ip() {
    if [ "$skip_wanc" = yes ]; then
        case " $* " in *" wanc "* | *" isp_c "*) return 0 ;; esac
    fi
    if [ "$skip_wana_wanb" = yes ] && [ "${addressing:-no}" = yes ]; then
        case " $* " in *" wana "* | *" wanb "*) return 0 ;; esac
    fi
    if [ "$dynamic_wanc" = yes ] && [ "${addressing:-no}" = yes ]; then
        case " $* " in *" wanc "*) return 0 ;; esac
    fi
    command ip "$@"
}

case "${1:-}" in
    boot)
        [ "$skip_wana_wanb" = no ] || mount -o remount,ro /sys
        addressing=no
        . "$here/router-topology.sh"
        addressing=yes
        . "$here/edge-before-symroute.sh"
        if [ "$dynamic_wanc" = yes ]; then
            # Provider C hands out addresses: its own network, its partner and probe target on lo.
            command ip -n isp_c -4 addr flush dev eth0
            command ip -n isp_c addr add 100.66.0.1/24 dev eth0
            command ip -n isp_c -6 addr add 2001:db8:c::1/64 dev eth0 nodad
            command ip -n isp_c addr add 100.64.50.10/32 dev lo
            command ip -n isp_c -6 addr add 2001:db8:50::10/128 dev lo
            [ "$skip_wana_wanb" = yes ] || mount -o remount,ro /sys
        fi
        echo "symroute-lab: topology built (link C left out: $skip_wanc; dynamic: $dynamic_wanc; wana and wanb addressed by networkd: $skip_wana_wanb)"
        ;;
    wanc)
        # As test_absent_interface.py: the device appears with its address, then comes up.
        skip_wanc=no
        ip netns del isp_c 2>/dev/null || true
        ip netns add isp_c
        ip link add wanc type veth peer name eth0 netns isp_c
        ip -n isp_c link set lo up
        ip -n isp_c addr add 198.51.100.9/30 dev eth0
        ip -n isp_c addr add 100.64.3.2/32 dev lo
        ip -n isp_c addr add 100.64.20.10/32 dev lo
        ip -n isp_c link set eth0 up
        ip addr add 198.51.100.10/30 dev wanc
        ip link set wanc up
        ip route replace default via 198.51.100.9 dev wanc metric 30
        echo "symroute-lab: link C created"
        ;;
    *)
        echo "usage: $0 boot|wanc" >&2
        exit 2
        ;;
esac
