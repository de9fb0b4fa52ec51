"""The report: one plain dict (rendered as JSON here and as Markdown by ``markdown``), with the router's
hostname and the UTC time it was made. The JSON is stable: sorted keys, fixed list orders, ASCII."""

import json
import time


def utc_now(now=None):
    """``2024-05-14T09:30:00Z`` for ``now`` (seconds since the epoch; the current time when None)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))


def build(router, generated, settings, facts, nat, pins, targets, conntrack, findings):
    """The report (plain data)."""
    installed = facts["monitor_config"]["found"] or pins["table"]
    return {
        "doctor": 1,
        "router": router,
        "generated": generated,
        "options": {
            "targets": [t["text"] for t in settings["targets"]],
            "watch_s": settings["watch_s"],
            "timeout_ms": settings["timeout_ms"],
            "prefix_lengths": {"ipv4": settings["prefix_length4"], "ipv6": settings["prefix_length6"]},
        },
        "symroute": {
            "installed": bool(installed),
            "monitor_config": facts["monitor_config"],
            "table": pins["table"],
            "table_reason": pins["reason"],
        },
        "links": facts["links"],
        "site_addresses": facts["site_addresses"],
        "site_addresses_from": facts["site_addresses_from"],
        "rules": facts["rules"],
        "nat": nat,
        "targets": targets,
        "conntrack": conntrack,
        "findings": findings,
        "problems": sum(1 for finding in findings if finding["severity"] == "problem"),
        "notes": facts["notes"],
    }


def to_json(report):
    """Stable JSON text: sorted keys, ASCII, strict (no NaN), ending with a newline."""
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=True, allow_nan=False) + "\n"
