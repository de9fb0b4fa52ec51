#!/usr/bin/env python3
"""Lab HTTP service: answers every GET with who asked and where it arrived.

lab-http-server PORT NAME     (dual stack, all addresses)
GET /health -> {"service": NAME, "status": "ok", "client": "198.51.100.2", "server": "100.64.20.10"}
"""

import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _plain(address):
    return address[7:] if address.startswith("::ffff:") else address


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = (
            json.dumps(
                {
                    "service": self.server.name,
                    "status": "ok",
                    "path": self.path,
                    "client": _plain(self.client_address[0]),
                    "server": _plain(self.connection.getsockname()[0]),
                }
            ).encode()
            + b"\n"
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002
        sys.stderr.write(f"{_plain(self.client_address[0])} {format % args}\n")
        sys.stderr.flush()


class DualStackServer(ThreadingHTTPServer):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


if __name__ == "__main__":
    server = DualStackServer(("::", int(sys.argv[1])), Handler)
    server.name = sys.argv[2]
    server.serve_forever()
