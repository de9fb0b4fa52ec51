"""A port forward (DNAT) through a link that leaves service: its replies never leave by another link (issue
#24), with real packets on the three-link router in namespaces (tests/threelinklab.py).

The router forwards wana:2222 to a LAN server (10.10.0.2:7000) with a DNAT rule in a table of its own (an
operator's port forward, not symroute's). Provider A opens a connection through it and is answered; then
wana moves to the out-of-service group, exactly as the monitor takes a link out, and before the monitor's
conntrack deletion that follows (the window the bound mark closes). The LAN server answers again: the
answer is rejected on the router, and providers B and C never see a packet with wana's address.
"""

import json
import subprocess
import sys
import textwrap

import pytest

from threelinklab import ISPS, OUT_OF_SERVICE_GROUP, sh

PORT_FORWARD = """
table ip portforward_test {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        iifname "wana" tcp dport 2222 dnat to 10.10.0.2:7000
    }
}
"""
# Counts, in a provider's namespace, every packet arriving with wana's address as its source.
WATCH = """
table ip watch_test {
    chain prerouting {
        type filter hook prerouting priority raw; policy accept;
        ip saddr 198.51.100.2 counter
    }
}
"""
# The LAN server: says "listening" once it listens, then answers each line with "answer <line>".
SERVER = """
import socket
with socket.create_server(("10.10.0.2", 7000)) as server:
    print("listening", flush=True)
    connection, _ = server.accept()
    with connection, connection.makefile("rw") as stream:
        for line in stream:
            stream.write(f"answer {line}"); stream.flush()
"""
# Provider A's client: one connection; a line, its answer; then (after "go" on stdin) a second line and
# whether its answer came within 2 s.
CLIENT = """
import json, socket, sys
sock = socket.create_connection(("198.51.100.2", 2222), timeout=5)
stream = sock.makefile("rw")
stream.write("one\\n"); stream.flush()
print(json.dumps(stream.readline().strip()), flush=True)
sys.stdin.readline()
sock.settimeout(2)
stream.write("two\\n"); stream.flush()
try:
    print(json.dumps(stream.readline().strip() or None), flush=True)
except OSError:
    print(json.dumps(None), flush=True)
"""


def _counted(lab, link):
    listed = sh("ip", "netns", "exec", lab.names[link], "nft", "-j", "list", "table", "ip", "watch_test").stdout
    return sum(
        item["rule"]["expr"][-1]["counter"]["packets"] for item in json.loads(listed)["nftables"] if "rule" in item
    )


@pytest.fixture
def port_forward(three_links):
    sh("ip", "netns", "exec", three_links.r, "nft", "-f", "-", stdin=PORT_FORWARD)
    for link in ("wan_b", "wan_c"):
        sh("ip", "netns", "exec", three_links.names[link], "nft", "-f", "-", stdin=WATCH)
    server = subprocess.Popen(
        ["ip", "netns", "exec", three_links.names["client"], sys.executable, "-c", SERVER],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout.readline() == "listening\n"  # the client never connects before the server listens
        yield three_links
    finally:
        server.kill()
        server.wait()
        sh("ip", "-n", three_links.r, "link", "set", "dev", "wana", "group", "default")
        sh("ip", "netns", "exec", three_links.r, "nft", "delete", "table", "ip", "portforward_test", check=False)
        for link in ("wan_b", "wan_c"):
            sh(
                "ip",
                "netns",
                "exec",
                three_links.names[link],
                "nft",
                "delete",
                "table",
                "ip",
                "watch_test",
                check=False,
            )
        sh("ip", "netns", "exec", three_links.r, "conntrack", "-F", check=False)


def test_a_port_forwarded_connections_replies_never_leave_by_another_link_when_its_link_leaves_service(port_forward):
    lab = port_forward
    client = subprocess.Popen(
        ["ip", "netns", "exec", lab.names["wan_a"], sys.executable, "-c", textwrap.dedent(CLIENT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert json.loads(client.stdout.readline()) == "answer one"  # in service: answered by wana
        entries = sh("ip", "netns", "exec", lab.r, "conntrack", "-L", "-p", "tcp", "--orig-port-dst", "2222").stdout
        assert "mark=33024" in entries, entries  # 0x8100: wan_a's fail-closed mark, like an SNATed connection
        sh("ip", "-n", lab.r, "link", "set", "dev", ISPS["wan_a"][0], "group", str(OUT_OF_SERVICE_GROUP))
        client.stdin.write("go\n")
        client.stdin.flush()
        assert json.loads(client.stdout.readline()) is None  # no answer: wana is out of service
    finally:
        client.kill()
        client.wait()
    leaked = {link: _counted(lab, link) for link in ("wan_b", "wan_c")}
    assert leaked == {"wan_b": 0, "wan_c": 0}, f"replies with wana's address left by another link: {leaked}"
