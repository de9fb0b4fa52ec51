"""The doctor's argument parser: every refusal is one line on stderr and exit status 2, never a traceback."""

import argparse
import sys

DESCRIPTION = (
    "symroute doctor: find asymmetric return paths on this router (read-only). Exit status 0: no "
    "problem; 1: problems found; 2: bad usage."
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a refusal is one line (no usage block) on the given stream."""

    def __init__(self, err, **kwargs):
        super().__init__(**kwargs)
        self.err = err

    def error(self, message):
        flat = " ".join(str(message).split())
        self.err.write(f"symroute doctor: error: {flat} (see --help)\n")
        raise SystemExit(2)


def parser(defaults, err=None):
    """The argument parser; values stay text here (``options`` checks them)."""
    command = _Parser(err or sys.stderr, prog="symroute doctor", description=DESCRIPTION, allow_abbrev=False)
    add = command.add_argument
    add(
        "--target",
        action="append",
        default=[],
        metavar="ADDRESS:PORT",
        help="destination to prove by TCP connects, [IPV6]:PORT for IPv6; an IP address, no name (repeatable)",
    )
    add(
        "--watch",
        default=str(defaults["watch_s"]),
        metavar="SECONDS",
        help="sample conntrack once a second for this long, 0-3600 (default 0: one read)",
    )
    add(
        "--timeout-ms",
        default=str(defaults["timeout_ms"]),
        metavar="MS",
        help="TCP connect timeout, 1-60000 (default %(default)s)",
    )
    add(
        "--link",
        action="append",
        default=[],
        metavar="NAME=INTERFACE",
        help="name a WAN link (repeatable; default: symroute's monitor configuration, else the interface)",
    )
    add(
        "--site-address",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="a site (LAN) address to probe from (repeatable; default: global addresses of the other interfaces)",
    )
    add(
        "--monitor-config",
        default=defaults["monitor_config"],
        metavar="FILE",
        help="symroute's monitor configuration, for link names (default %(default)s)",
    )
    add(
        "--prefix-length4",
        default=str(defaults["prefix_length4"]),
        metavar="N",
        help="IPv4 destinations are grouped and proposed by this prefix length, 8-32 (default %(default)s)",
    )
    add(
        "--prefix-length6",
        default=str(defaults["prefix_length6"]),
        metavar="N",
        help="IPv6 destinations are grouped and proposed by this prefix length, 16-128 (default %(default)s)",
    )
    add("--format", choices=("markdown", "json"), default="markdown", help="what to print (default %(default)s)")
    add("--json-out", metavar="FILE", help="also write the JSON report to FILE")
    add("--markdown-out", metavar="FILE", help="also write the Markdown report to FILE")
    return command
