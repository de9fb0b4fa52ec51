"""symroute doctor finds the incident with real packets, in network namespaces (sdoc-...):

    site 203.0.113.10 ── lan │ router │ wana 198.51.100.2 ── fwa ── 100.64.1.0/30 ──┐
                             │        │ wanb 198.51.100.6 ── fwb ── 100.64.2.0/30 ──┴── partner 100.64.20.10:80

The router's default route is by fwa (metric 100; fwb 200); fwa and fwb are stateful firewalls
(forward policy drop, ct state established accept, new connections only from the router's side).
The partner answers the links' own addresses by their own firewall, but routes the site prefix
203.0.113.0/24 (and 2001:db8:5::/64) back by fwb: the site's connections leave by fwa and their
replies die at fwb. The doctor runs in the router namespace through bin/symroute, with the system
python3, as on a router.
"""

import json
import os
import shutil
import subprocess
import textwrap
import time
import uuid

import pytest

from paths import REPOSITORY

# Like every integration test: root, iproute2, nftables and conntrack (bin/run installs them); a missing
# one fails the run rather than skipping the proof.
assert os.geteuid() == 0 and all(shutil.which(t) for t in ("ip", "nft", "conntrack")), (
    "the doctor's namespace test needs root, iproute2, nftables and conntrack"
)

SETUP = """
set -e
ip link add wana netns {router} type veth peer name ain netns {fwa}
ip link add wanb netns {router} type veth peer name bin netns {fwb}
ip link add lan netns {router} type veth peer name eth0 netns {site}
ip link add aout netns {fwa} type veth peer name pa netns {partner}
ip link add bout netns {fwb} type veth peer name pb netns {partner}
for ns in {router} {fwa} {fwb} {partner} {site}; do ip -n $ns link set lo up; done
R="ip -n {router}"
$R addr add 198.51.100.2/30 dev wana; $R addr add 2001:db8:a::2/64 dev wana nodad
$R addr add 198.51.100.6/30 dev wanb; $R addr add 2001:db8:b::2/64 dev wanb nodad
$R addr add 203.0.113.1/24 dev lan; $R addr add 2001:db8:5::1/64 dev lan nodad
for i in wana wanb lan; do $R link set $i up; done
$R route add default via 198.51.100.1 dev wana metric 100
$R route add default via 198.51.100.5 dev wanb metric 200
$R -6 route add default via 2001:db8:a::1 dev wana metric 100
$R -6 route add default via 2001:db8:b::1 dev wanb metric 200
ip netns exec {router} sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
S="ip -n {site}"
$S addr add 203.0.113.10/24 dev eth0; $S addr add 2001:db8:5::10/64 dev eth0 nodad; $S link set eth0 up
$S route add default via 203.0.113.1; $S -6 route add default via 2001:db8:5::1
P="ip -n {partner}"
$P addr add 100.64.1.2/30 dev pa; $P addr add 2001:db8:101::2/64 dev pa nodad
$P addr add 100.64.2.2/30 dev pb; $P addr add 2001:db8:102::2/64 dev pb nodad
$P link set pa up; $P link set pb up
$P addr add 100.64.20.10/32 dev lo; $P addr add 2001:db8:20::10/128 dev lo
$P route add 198.51.100.0/30 via 100.64.1.1; $P -6 route add 2001:db8:a::/64 via 2001:db8:101::1
$P route add 198.51.100.4/30 via 100.64.2.1; $P -6 route add 2001:db8:b::/64 via 2001:db8:102::1
$P route add 203.0.113.0/24 via 100.64.2.1; $P -6 route add 2001:db8:5::/64 via 2001:db8:102::1
"""
FIREWALL = """
set -e
F="ip -n {ns}"
$F addr add {gateway}/30 dev {side}in; $F addr add 2001:db8:{side}::1/64 dev {side}in nodad
$F addr add 100.64.{n}.1/30 dev {side}out; $F addr add 2001:db8:10{n}::1/64 dev {side}out nodad
$F link set {side}in up; $F link set {side}out up
$F route add 203.0.113.0/24 via {router_address}; $F -6 route add 2001:db8:5::/64 via 2001:db8:{side}::2
$F route add 100.64.20.0/24 via 100.64.{n}.2; $F -6 route add 2001:db8:20::/48 via 2001:db8:10{n}::2
ip netns exec {ns} sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
"""
FIREWALL_RULES = """
table inet lab_firewall {{
    chain forward {{
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        iifname "{side}in" ct state new accept
    }}
}}
"""
# The router tracks connections (as any router with NAT or a stateful rule does).
ROUTER_RULES = """
table inet lab_tracking {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state new counter
    }
}
"""
LISTENER = textwrap.dedent("""
    import socket, threading, time
    def serve(family, address):
        server = socket.socket(family)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((address, 80)); server.listen(64)
        while True:
            server.accept()[0].close()
    for family, address in ((socket.AF_INET, "100.64.20.10"), (socket.AF_INET6, "2001:db8:20::10")):
        threading.Thread(target=serve, args=(family, address), daemon=True).start()
    time.sleep(300)
""")
SITE_CLIENT = textwrap.dedent("""
    import socket, sys, threading
    def connect(family, address):
        client = socket.socket(family); client.settimeout(float(sys.argv[1]))
        try:
            client.connect((address, 80))
        except OSError:
            pass
        client.close()
    jobs = [(socket.AF_INET, "100.64.20.10")] * 2 + [(socket.AF_INET6, "2001:db8:20::10")]
    threads = [threading.Thread(target=connect, args=job) for job in jobs]
    [t.start() for t in threads]; [t.join() for t in threads]
""")


def _sh(script, stdin=None):
    subprocess.run(["sh", "-c", script], input=stdin, check=True, capture_output=True, text=True, timeout=60)


def _wait_for_the_partner(router):
    """Until each link (its own address) reaches the partner, IPv4 and IPv6: at most 20 tries of a second."""
    for interface in ("wana", "wanb"):
        for destination in ("100.64.20.10", "2001:db8:20::10"):
            for _ in range(20):
                if (
                    subprocess.run(
                        ["ip", "netns", "exec", router, "ping", "-c", "1", "-W", "1", "-I", interface, destination],
                        capture_output=True,
                        timeout=10,
                        check=False,
                    ).returncode
                    == 0
                ):
                    break
            else:
                raise AssertionError(f"the lab does not route {interface} to {destination}")


@pytest.fixture(scope="module")
def lab():
    tag = uuid.uuid4().hex[:6]
    names = {role: f"sdoc-{tag}-{role}" for role in ("router", "fwa", "fwb", "partner", "site")}
    for name in names.values():
        subprocess.run(["ip", "netns", "add", name], check=True)
        # No duplicate address detection: link-local addresses usable at once (IPv6 neighbours answer).
        _sh(f"ip netns exec {name} sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0")
    listener = None
    try:
        _sh(SETUP.format(**names))
        for side, n, gateway, router_address in (
            ("a", 1, "198.51.100.1", "198.51.100.2"),
            ("b", 2, "198.51.100.5", "198.51.100.6"),
        ):
            ns = names[f"fw{side}"]
            _sh(FIREWALL.format(ns=ns, side=side, n=n, gateway=gateway, router_address=router_address))
            _sh(f"ip netns exec {ns} nft -f -", FIREWALL_RULES.format(side=side))
        _sh(f"ip netns exec {names['router']} nft -f -", ROUTER_RULES)
        listener = subprocess.Popen(
            ["ip", "netns", "exec", names["partner"], "python3", "-c", LISTENER],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_the_partner(names["router"])
        yield names
    finally:
        if listener is not None:
            listener.kill()
            listener.wait(timeout=10)
        for name in names.values():
            subprocess.run(["ip", "netns", "del", name], check=False)


def doctor(lab, *args):
    """bin/symroute doctor in the router namespace, JSON on stdout: (exit status, report)."""
    done = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            lab["router"],
            str(REPOSITORY / "bin" / "symroute"),
            "doctor",
            "--link",
            "wan_a=wana",
            "--link",
            "wan_b=wanb",
            "--timeout-ms",
            "1000",
            "--format",
            "json",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd="/",
    )
    assert done.stderr == "", done.stderr
    return done.returncode, json.loads(done.stdout)


def _by_id(report):
    return {finding["id"]: finding for finding in report["findings"]}


def test_the_doctor_finds_the_asymmetric_return_path(lab):
    status, report = doctor(lab, "--target", "100.64.20.10:80", "--target", "[2001:db8:20::10]:80")
    assert status == 1
    found = _by_id(report)
    for target, prefix in (("100.64.20.10:80", "100.64.20.0/24"), ("[2001:db8:20::10]:80", "2001:db8:20::/48")):
        asymmetric = found.get(f"asymmetric-return-path/{target}")
        assert asymmetric, json.dumps(report["targets"], indent=1)
        assert asymmetric["evidence"]["egress_link"] == "wan_a"
        assert asymmetric["evidence"]["site_answered_by"] == ["wan_b"]
        assert asymmetric["evidence"]["own_answered_by"] == ["wan_a", "wan_b"]
        assert asymmetric["partner_entry"]["entry"]["prefixes"] == [prefix]
        assert asymmetric["partner_entry"]["entry"]["link"] == "wan_a"
    assert report["site_addresses"] == {"ipv4": ["203.0.113.1"], "ipv6": ["2001:db8:5::1"]}


def test_the_site_traffic_shows_the_conntrack_signature(lab):
    client = subprocess.Popen(["ip", "netns", "exec", lab["site"], "python3", "-c", SITE_CLIENT, "4"])
    try:
        time.sleep(0.5)
        status, report = doctor(lab, "--watch", "1")
    finally:
        client.wait(timeout=30)
    found = _by_id(report)
    signature = found["conntrack-unanswered/100.64.20.0/24 via wan_a"]
    assert signature["evidence"]["unanswered"] == 2 and signature["evidence"]["answered"] == 0
    assert signature["evidence"]["sources"] == ["203.0.113.10"]
    assert "conntrack-unanswered/2001:db8:20::/48 via wan_a" in found
    assert status == 1


def test_after_the_fix_the_site_is_answered_by_its_link(lab):
    """What symroute's pinning does for the site: leave by wana with wana's own address (SNAT)."""
    _sh(
        f"ip netns exec {lab['router']} nft -f -",
        textwrap.dedent("""
        table ip lab_pin {
            chain postrouting {
                type nat hook postrouting priority srcnat; policy accept;
                oifname "wana" ip daddr 100.64.20.0/24 snat to 198.51.100.2
            }
        }
    """),
    )
    try:
        status, report = doctor(lab, "--target", "100.64.20.10:80")
        found = _by_id(report)
        assert "symmetric-not-pinned/100.64.20.10:80" in found
        assert report["nat"]["state"] == "present"
        assert not [key for key in found if key.startswith(("asymmetric", "unreachable"))]
    finally:
        _sh(f"ip netns exec {lab['router']} nft delete table ip lab_pin")


def test_a_destination_that_answers_nothing_is_unreachable(lab):
    status, report = doctor(lab, "--target", "100.64.20.10:81", "--target", "100.64.20.99:80")
    found = _by_id(report)
    assert found["asymmetric-return-path/100.64.20.10:81"]["evidence"]["own_address_via_egress"] == "answered (refused)"
    assert found["unreachable/100.64.20.99:80"]["severity"] == "problem"
