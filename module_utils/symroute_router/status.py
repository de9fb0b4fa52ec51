"""symroute status: the live view on the router, from the link monitor's state file and configuration.

    symroute-status [--format text|json] [--state FILE] [--config FILE]

Read-only and standard library only: it reads the monitor's state file (written
every second by the monitor, monitor/publish.py) and its configuration (the
plan's monitor section), and says for each link its state (in service, out of
service, no carrier, interface missing, down), why, since when, its addresses
(a dynamic link's learned address and gateway), probe loss and round trip; for
each partner, per family, the link its new connections take now (the kernel's
answer, status_paths.py) against its pinned link and where the plan wants it,
and its health check's last result; the last link transition; a drill in
progress; the monitor's health (how old the state is, whether the kernel holds
its decision, repairs); on a router of an HA pair, its role, whether it yields and why, and the peer over
the sync link (status_ha.py: a lost sync link is said loudly).

Exit status: 0 all links in service and every partner on its pinned link; 1
something needs attention (a link not in service, a partner off its link, on
another path than the plan wants or not answering its check, the kernel not
holding the monitor's decision, in a pair: not master or backup, yielding, the peer not answering over the
sync link); 3 the monitor is not running (no state file,
or one older than --stale seconds); 2 usage.
"""

import argparse
import json
import sys
import time

from . import status_names
from .command import Runner
from .status_paths import mapping
from .status_text import render
from .status_view import STALE_SECONDS, view

STATE_FILE = "/run/symroute/monitor.json"
CONFIG_FILE = "/etc/symroute/monitor.json"
ROUTE_GET_TIMEOUT_S = 5
EXIT_OK, EXIT_ATTENTION, EXIT_USAGE, EXIT_NOT_RUNNING = 0, 1, 2, 3


def _read(path):
    """The JSON document at ``path``, or (None, why not)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None, f"{path} does not exist"
    except (OSError, ValueError) as error:
        return None, f"{path} cannot be read: {error}"
    if not isinstance(data, dict):
        return None, f"{path} is not a JSON object"
    return data, ""


def exit_status(status):
    if not status["monitor"]["running"]:
        return EXIT_NOT_RUNNING
    attention = (
        any(link["state"] != "in service" for link in status["links"])
        or any(
            p["off_pinned_link"] or p["reachable"] is False or not p.get("as_planned", True) for p in status["partners"]
        )
        or not status["monitor"]["kernel_holds_decision"]
        or any(name["attention"] for name in status.get("names", []))
        or bool((status.get("ha") or {}).get("attention"))
    )
    return EXIT_ATTENTION if attention else EXIT_OK


def _parser():
    parser = argparse.ArgumentParser(prog="symroute-status", description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--state", default=STATE_FILE, help=f"the monitor's state file ({STATE_FILE})")
    parser.add_argument("--config", default=CONFIG_FILE, help=f"the monitor's configuration ({CONFIG_FILE})")
    parser.add_argument(
        "--stale",
        type=float,
        default=STALE_SECONDS,
        help="seconds after which the state file counts as left by a monitor that stopped",
    )
    return parser


def main(argv=None, out=None, now=None, runner=None):
    out = out or sys.stdout
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stopped:  # --help (code 0) or a usage error (code 2), already printed
        return EXIT_OK if stopped.code in (0, None) else EXIT_USAGE
    state, why = _read(args.state)
    config = _read(args.config)[0]
    if state is None:
        status = {
            "router": str(mapping(config).get("router", "")),
            "error": why,
            "monitor": {"running": False},
            "links": [],
            "partners": [],
            "last_transition": None,
        }
    else:
        status = view(
            state,
            config,
            time.time() if now is None else now,
            args.stale,
            Runner(timeout=ROUTE_GET_TIMEOUT_S) if runner is None else runner,
        )
        status["names"] = status_names.names(status_names.resolver_file(args.state))
    if args.format == "json":
        out.write(json.dumps(status, indent=2, sort_keys=True, ensure_ascii=True) + "\n")
    else:
        out.write(render(status))
    return exit_status(status)


if __name__ == "__main__":
    raise SystemExit(main())
