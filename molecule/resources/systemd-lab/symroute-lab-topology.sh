#!/bin/sh
# symroute lab, inside the systemd router container (tests/systemdlab.py):
#   symroute-lab-topology.sh boot   the lab's topology and the edge's addresses (router-topology.sh,
#                                   then edge-before-symroute.sh); with /etc/symroute-lab/absent-wanc
#                                   link C is left out: no wanc, no isp_c (an LTE modem not plugged in)
#                                   with /etc/symroute-lab/networkd, systemd-networkd gives wana and
#                                   wanb their addresses and main-table routes (.network files), and
#                                   /sys is read-only, as systemd's container interface wants it:
#                                   networkd then does not wait for udev, which the container lacks
#   symroute-lab-topology.sh wanc   link C appears later: isp_c and wanc with its address, then up
set -eu
here=/usr/local/lib/symroute-lab

skip_wanc=no
skip_wana_wanb=no
[ -e /etc/symroute-lab/absent-wanc ] && skip_wanc=yes
[ -e /etc/symroute-lab/networkd ] && skip_wana_wanb=yes
# The lab's own scripts run as they are, only ip commands naming the left-out interfaces skipped.
ip() {
    if [ "$skip_wanc" = yes ]; then
        case " $* " in *" wanc "* | *" isp_c "*) return 0 ;; esac
    fi
    if [ "$skip_wana_wanb" = yes ] && [ "${addressing:-no}" = yes ]; then
        case " $* " in *" wana "* | *" wanb "*) return 0 ;; esac
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
        echo "symroute-lab: topology built (link C left out: $skip_wanc; wana and wanb addressed by networkd: $skip_wana_wanb)"
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
