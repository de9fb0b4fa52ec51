"""symroute status: the live view on the router, from the link monitor's state file and configuration.

    symroute-status [--format text|json] [--state FILE] [--config FILE]

Read-only and standard library only: it reads the monitor's state file (written
every second by the monitor, monitor/report.py) and its configuration (the
plan's monitor section), and says for each link its state (in service, out of
service, no carrier, interface missing, down), why, since when, its addresses
(a dynamic link's learned address and gateway), probe loss and round trip; for
each partner, per family, the link its new connections take now (the kernel's
answer, status_paths.py) against its pinned link and where the plan wants it,
and its health check's last result; the last link transition; a drill in
progress; the monitor's health (how old the state is, whether the kernel holds
its decision, repairs).

Exit status: 0 all links in service and every partner on its pinned link; 1
something needs attention (a link not in service, a partner off its link, on
another path than the plan wants or not answering its check, the kernel not
holding the monitor's decision); 3 the monitor is not running (no state file,
or one older than --stale seconds); 2 usage.
"""

import argparse
import json
import math
import sys
import time

from . import status_names, status_paths
from .command import Runner
from .status_paths import listed, mapping
from .status_text import render

STATE_FILE = "/run/symroute/monitor.json"
CONFIG_FILE = "/etc/symroute/monitor.json"
STALE_SECONDS = 10.0
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


def link_state(entry, drill_link, name):
    """One link's state in words, from its state file entry."""
    if not entry.get("interface_present", True):
        return "interface missing"
    if not entry.get("carrier", True):
        return "no carrier"
    if entry.get("gated"):
        return "out of service (drill)" if name == drill_link else "out of service"
    if entry.get("up"):
        return "in service"
    return "down"


def _addresses(config_link, learned):
    """The link's addresses: as planned, a dynamic family by what the monitor learned from the kernel."""
    shown = []
    planned = [item for item in listed(config_link.get("addresses")) if isinstance(item, dict)]
    learned = mapping(learned)
    for item in planned:
        family, address = item.get("family"), item.get("address")
        fact = learned.get(f"ipv{family}") if isinstance(learned, dict) else None
        if isinstance(fact, dict):
            gateway = fact.get("gateway") or "none"
            shown.append(f"{fact.get('address') or 'not learned yet'} (learned, gateway {gateway})")
        elif address:
            shown.append(str(address))
    for family, fact in sorted(learned.items(), key=lambda item: str(item[0])):
        if isinstance(fact, dict) and not any(f"ipv{i.get('family')}" == family for i in planned):
            shown.append(f"{fact.get('address') or 'not learned yet'} (learned, gateway {fact.get('gateway')})")
    return shown


def _config_links(config):
    links = listed(mapping(mapping(config).get("monitor")).get("links"))
    return {link.get("name"): link for link in links if isinstance(link, dict) and isinstance(link.get("name"), str)}


def _config_partners(config):
    partners = listed(mapping(mapping(config).get("monitor")).get("partners"))
    return {p.get("name"): p for p in partners if isinstance(p, dict) and isinstance(p.get("name"), str)}


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def _links(state, config):
    drill = mapping(state.get("drill"))
    planned, learned = _config_links(config), mapping(state.get("learned"))
    links = []
    for name, entry in sorted(mapping(state.get("links")).items(), key=lambda item: str(item[0])):
        if not isinstance(entry, dict):
            continue
        planned_link = planned.get(name, {})
        links.append({
            "name": name, "interface": str(planned_link.get("interface", "")),
            "state": link_state(entry, drill.get("link"), name), "reason": str(entry.get("reason", "")),
            "carrier": bool(entry.get("carrier")), "since": _number(entry.get("since")),
            "transitions": _number(entry.get("transitions")) or 0,
            "loss_ratio": _number(entry.get("loss_ratio")), "rtt_seconds": _number(entry.get("rtt_seconds")),
            "addresses": _addresses(planned_link, learned.get(name)),
            "probe_targets": [str(t.get("text", "")) for t in listed(planned_link.get("targets"))
                              if isinstance(t, dict)],
        })
    order = list(planned)
    links.sort(key=lambda link: order.index(link["name"]) if link["name"] in order else len(order))
    return links


def _partner(name, planned, entry, paths):
    pinned = str(planned.get("link") or (paths[0]["pinned_link"] if paths else ""))
    return {
        "name": name, "pinned_link": pinned, "on_link_failure": planned.get("on_link_failure"),
        "link_now": entry.get("link") or next((p["link_now"] for p in paths if p["link_now"]), None),
        "checked": bool(entry), "health_checked": bool(planned),
        "reachable": entry.get("reachable") if entry else None,
        "latency_seconds": _number(entry.get("latency_seconds")),
        "paths": paths,
    }


def _partners(state, config, links, runner):
    """Every partner: the monitor's health check where it has one, and its path per family (from the
    kernel, against where the plan wants it) where the plan gives the monitor its addresses."""
    checked, planned = mapping(state.get("partners")), _config_partners(config)
    states = {link["name"]: link["state"] for link in links}
    found = status_paths.paths(runner, config, _config_links(config), states) if runner is not None else []
    names = sorted(set(planned) | {path["partner"] for path in found}, key=str)
    partners = [_partner(name, planned.get(name, {}), mapping(checked.get(name)),
                         [path for path in found if path["partner"] == name]) for name in names]
    for partner in partners:
        now, pinned = partner["link_now"], partner["pinned_link"]
        partner["on_pinned_link"] = bool(now) and now == pinned
        partner["off_pinned_link"] = bool(now) and now != pinned
        partner["failed_over"] = partner["off_pinned_link"] and states.get(pinned) not in (None, "in service")
        partner["as_planned"] = all(path["as_planned"] for path in partner["paths"])
    return partners


def _last_transition(links):
    moved = [link for link in links if link["transitions"] and link["since"] is not None]
    if not moved:
        return None
    link = max(moved, key=lambda item: item["since"])
    return {"link": link["name"], "at": link["since"], "state": link["state"], "reason": link["reason"]}


def view(state, config, now, stale=STALE_SECONDS, runner=None):
    """The status as plain data (what --format json prints); ``runner`` asks the kernel for the partners'
    paths (none asked without it)."""
    updated = _number(state.get("updated"))
    age = None if updated is None else round(max(0.0, now - updated), 3)
    links = _links(state, config)
    partners = _partners(state, config, links, runner)
    return {
        "router": str(state.get("router") or mapping(config).get("router", "")),
        "monitor": {"running": age is not None and age <= stale, "updated": updated, "age_seconds": age,
                    "kernel_holds_decision": bool(state.get("kernel_holds_decision")),
                    "drill": state.get("drill"), "repairs": state.get("repairs"),
                    "configuration": bool(config)},
        "links": links,
        "partners": partners,
        "last_transition": _last_transition(links),
    }


def exit_status(status):
    if not status["monitor"]["running"]:
        return EXIT_NOT_RUNNING
    attention = (any(link["state"] != "in service" for link in status["links"])
                 or any(p["off_pinned_link"] or p["reachable"] is False or not p.get("as_planned", True)
                        for p in status["partners"])
                 or not status["monitor"]["kernel_holds_decision"]
                 or any(name["attention"] for name in status.get("names", [])))
    return EXIT_ATTENTION if attention else EXIT_OK


def _parser():
    parser = argparse.ArgumentParser(prog="symroute-status", description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--state", default=STATE_FILE, help=f"the monitor's state file ({STATE_FILE})")
    parser.add_argument("--config", default=CONFIG_FILE, help=f"the monitor's configuration ({CONFIG_FILE})")
    parser.add_argument("--stale", type=float, default=STALE_SECONDS,
                        help="seconds after which the state file counts as left by a monitor that stopped")
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
        status = {"router": str(mapping(config).get("router", "")), "error": why,
                  "monitor": {"running": False}, "links": [], "partners": [], "last_transition": None}
    else:
        status = view(state, config, time.time() if now is None else now, args.stale,
                      Runner(timeout=ROUTE_GET_TIMEOUT_S) if runner is None else runner)
        status["names"] = status_names.names(status_names.resolver_file(args.state))
    if args.format == "json":
        out.write(json.dumps(status, indent=2, sort_keys=True, ensure_ascii=True) + "\n")
    else:
        out.write(render(status))
    return exit_status(status)


if __name__ == "__main__":
    raise SystemExit(main())
