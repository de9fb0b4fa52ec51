"""The monitor's probes, carrier watch and conntrack deletion with real packets, in namespaces.

    mon (the router's side)  wana 198.51.100.2/30 ─── isp_a 198.51.100.1, 100.64.1.2 (lo)
                             wanb 198.51.100.6/30 ─── isp_b 198.51.100.5, 100.64.2.2 (lo)

isp_a runs a TCP listener and an HTTP server on 100.64.1.2. The monitor's
code runs inside `mon` (ip netns exec), as it runs on a router.
"""

import json
import os
import subprocess
import textwrap
import time
import uuid

import pytest

from paths import REPOSITORY

SETUP = """
ip link add wana netns {mon} type veth peer name eth0 netns {isp_a}
ip link add wanb netns {mon} type veth peer name eth0 netns {isp_b}
ip -n {mon} link set lo up; ip -n {mon} link set wana up; ip -n {mon} link set wanb up
ip -n {mon} addr add 198.51.100.2/30 dev wana; ip -n {mon} addr add 198.51.100.6/30 dev wanb
ip -n {mon} route add 100.64.1.2/32 via 198.51.100.1 dev wana
ip -n {mon} route add 100.64.2.2/32 via 198.51.100.5 dev wanb
ip -n {isp_a} link set lo up; ip -n {isp_a} link set eth0 up; ip -n {isp_a} addr add 198.51.100.1/30 dev eth0
ip -n {isp_a} addr add 100.64.1.2/32 dev lo
ip -n {isp_b} link set lo up; ip -n {isp_b} link set eth0 up; ip -n {isp_b} addr add 198.51.100.5/30 dev eth0
ip -n {isp_b} addr add 100.64.2.2/32 dev lo
"""


def _sh(script):
    subprocess.run(["sh", "-c", script], check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def namespaces():
    tag = uuid.uuid4().hex[:6]
    names = {"mon": f"smon-{tag}", "isp_a": f"sisa-{tag}", "isp_b": f"sisb-{tag}"}
    for name in names.values():
        subprocess.run(["ip", "netns", "add", name], check=True)
    servers = []
    try:
        _sh(SETUP.format(**names))
        servers.append(
            subprocess.Popen(
                ["ip", "netns", "exec", names["isp_a"], "python3", "-m", "http.server", "--bind", "100.64.1.2", "8080"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait_until_listening(names["isp_a"], "100.64.1.2:8080")
        yield names
    finally:
        for server in servers:
            server.kill()
        for name in names.values():
            subprocess.run(["ip", "netns", "del", name], check=False)


def _wait_until_listening(namespace, address, seconds=30):
    """Waits until a TCP socket listens on address in the namespace (a probe never meets a server starting up)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        listening = subprocess.run(
            ["ip", "netns", "exec", namespace, "ss", "-Hltn", f"src {address}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if listening.strip():
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {address} in {namespace} after {seconds} s")


def in_namespace(namespace, code, timeout=20):
    """Run Python code with the monitor's package inside ``namespace``; its printed JSON."""
    result = subprocess.run(
        ["ip", "netns", "exec", namespace, "python3", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=MONITOR_ENVIRONMENT,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


MONITOR_ENVIRONMENT = {
    "PATH": os.environ["PATH"],
    "PYTHONPATH": str(REPOSITORY / "module_utils"),
    "PYTHONDONTWRITEBYTECODE": "1",
}
LINK_A = {"name": "wan_a", "interface": "wana", "addresses": [{"family": 4, "address": "198.51.100.2"}]}


@pytest.mark.parametrize(
    "target, answered",
    [
        ({"kind": "icmp", "address": "100.64.1.2", "family": 4}, True),
        ({"kind": "tcp", "address": "100.64.1.2", "family": 4, "port": 8080}, True),
        ({"kind": "http", "host": "100.64.1.2", "family": 4, "port": 8080, "path": "/"}, True),
        ({"kind": "tcp", "address": "100.64.1.2", "family": 4, "port": 8081}, False),  # nothing listens
        ({"kind": "http", "host": "100.64.1.2", "family": 4, "port": 8080, "path": "/missing"}, False),  # 404
        # Reachable only through wanb: a probe bound to wana must not find it.
        ({"kind": "icmp", "address": "100.64.2.2", "family": 4}, False),
        ({"kind": "tcp", "address": "100.64.2.2", "family": 4, "port": 22}, False),
    ],
)
def test_link_probes(namespaces, target, answered):
    rtt = in_namespace(
        namespaces["mon"],
        f"""
        import json
        from symroute_router.monitor.probes import probe_target
        print(json.dumps(probe_target({target!r}, {LINK_A!r}, 0.5)))
    """,
    )
    assert (rtt is not None) is answered
    if answered:
        assert 0 < rtt < 0.5


def test_carrier_changes_arrive_through_netlink(namespaces):
    watcher = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            namespaces["mon"],
            "python3",
            "-c",
            textwrap.dedent("""
            import json, sys
            from symroute_router.monitor.netlink import CarrierWatcher, read_carrier
            print(json.dumps(["start", read_carrier("wanb")]), flush=True)
            for event in CarrierWatcher():
                if event[0] == "wanb":
                    print(json.dumps(event), flush=True)
                if event == ("wanb", True):
                    break
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=MONITOR_ENVIRONMENT,
    )
    try:
        assert json.loads(watcher.stdout.readline()) == ["start", True]
        _sh(f"ip -n {namespaces['isp_b']} link set eth0 down")
        assert json.loads(watcher.stdout.readline()) == ["wanb", False]
        _sh(f"ip -n {namespaces['isp_b']} link set eth0 up")
        events = [json.loads(line) for line in watcher.stdout]  # ends with wanb's carrier back
        assert events[-1] == ["wanb", True]
    finally:
        watcher.kill()
        _sh(f"ip -n {namespaces['isp_b']} link set eth0 up")


def test_conntrack_deletion_takes_only_the_links_mark(namespaces):
    mon = namespaces["mon"]
    _sh(f"""ip netns exec {mon} nft -f - <<'EOF'
table inet marks {{
    chain out {{
        type filter hook output priority 0; policy accept;
        ip daddr 100.64.1.2 ct mark set 0x8100
        ip daddr 100.64.2.2 ct mark set 0x8200
    }}
}}
EOF
ip netns exec {mon} ping -c 1 -W 1 100.64.1.2 >/dev/null
ip netns exec {mon} ping -c 1 -W 1 100.64.2.2 >/dev/null""")
    try:
        listed = in_namespace(
            mon,
            """
            import json, subprocess
            from symroute_router.monitor.netlink import flush_conntrack
            def marks():
                out = subprocess.run(["conntrack", "-L"], capture_output=True, text=True).stdout
                return sorted(word for line in out.splitlines() for word in line.split() if word.startswith("mark="))
            before = marks()
            flush_conntrack(0x100, 0x7F00)
            print(json.dumps([before, marks()]))
        """,
        )
    finally:
        _sh(f"ip netns exec {mon} nft delete table inet marks")
    before, after = listed
    assert "mark=33024" in before and "mark=33280" in before  # 0x8100 (link A), 0x8200 (link B)
    assert "mark=33024" not in after and "mark=33280" in after
