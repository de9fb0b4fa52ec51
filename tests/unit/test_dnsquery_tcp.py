"""The router's DNS client falls back to TCP for a truncated reply (issue #23): a real dnsmasq from Debian on
the loopback answers a name with 40 A records, too many for a 512-byte UDP reply without EDNS."""

import os
import socket
import subprocess
import threading
import time

import pytest

from symroute_router.monitor import dnsquery
from symroute_router.monitor.resolver import LookupFailed

MANY = [f"100.64.70.{i}" for i in range(1, 41)]


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        tcp.bind(("127.0.0.1", port))  # free for both
        return port


@pytest.fixture
def dnsmasq(tmp_path):
    if not os.path.exists("/usr/sbin/dnsmasq"):
        pytest.skip("dnsmasq (Debian's dnsmasq-base) is not installed")
    hosts = tmp_path / "hosts"
    hosts.write_text(
        "".join(f"{address} big.partner.example\n" for address in MANY) + "100.64.70.99 one.partner.example\n"
    )
    port = _free_port()
    process = subprocess.Popen(
        [
            "/usr/sbin/dnsmasq",
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            f"--addn-hosts={hosts}",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            f"--port={port}",
            f"--pid-file={tmp_path / 'pid'}",
            "--local-ttl=60",
            "--user=root",
            "--group=root",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 5
    while True:
        try:
            dnsquery.lookup("127.0.0.1", "one.partner.example", 4, timeout=0.5, port=port)
            break
        except LookupFailed:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"dnsmasq did not answer: {process.communicate()[0]}")
    yield port
    process.terminate()
    process.wait(timeout=5)


def test_a_truncated_udp_reply_is_asked_again_over_tcp(dnsmasq):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, pytest.raises(dnsquery.Truncated):
        dnsquery._over_udp(sock, "127.0.0.1", dnsmasq, 7, "big.partner.example", 4, time.monotonic() + 2, 2)
    addresses, ttl = dnsquery.lookup("127.0.0.1", "big.partner.example", 4, timeout=2.0, port=dnsmasq)
    assert sorted(addresses, key=socket.inet_aton) == MANY and ttl == 60
    assert dnsquery.lookup("127.0.0.1", "one.partner.example", 4, port=dnsmasq) == (["100.64.70.99"], 60)  # UDP


def test_a_server_that_closes_the_tcp_connection_mid_reply_is_a_failed_lookup():
    with socket.socket() as listener, socket.socket() as client:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def serve():
            server, _ = listener.accept()
            with server:
                server.recv(512)
                server.sendall(b"\x01\x00\xab")  # says 256 bytes, sends one, closes

        thread = threading.Thread(target=serve)
        thread.start()
        with pytest.raises(LookupFailed, match="closed the TCP connection mid-reply"):
            dnsquery._over_tcp(
                client, "127.0.0.1", listener.getsockname()[1], 7, "big.partner.example", 4, time.monotonic() + 1, 1
            )
        thread.join(timeout=2)
