"""symroute status as text for a terminal (status.py gathers it): one line per link and per partner."""

import time

from . import status_ha


def _when(seconds):
    if seconds is None:
        return "unknown"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def _ms(seconds):
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def _percent(ratio):
    return "-" if ratio is None else f"{ratio * 100:.0f}%"


def _safe(value):
    """A name from the inventory, printed without control characters."""
    return "".join(c if c.isprintable() else "?" for c in str(value))


def _table(rows):
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def _monitor_line(status):
    monitor = status["monitor"]
    if not monitor["running"]:
        age = monitor.get("age_seconds")
        return (
            f"monitor: NOT RUNNING (its state is {age:.0f} s old)"
            if age is not None
            else f"monitor: NOT RUNNING ({status.get('error', 'no state')})"
        )
    holds = (
        "the kernel holds its decision"
        if monitor["kernel_holds_decision"]
        else "the kernel does NOT hold its decision yet"
    )
    repairs = monitor.get("repairs") or {}
    repaired = f", {repairs.get('total', 0)} repairs" if isinstance(repairs, dict) else ""
    return f"monitor: running, state {monitor['age_seconds']:.1f} s old, {holds}{repaired}"


def _links(status):
    rows = [("link", "interface", "state", "since", "loss", "rtt", "addresses")]
    for link in status["links"]:
        rows.append(
            (
                _safe(link["name"]),
                _safe(link["interface"]),
                link["state"],
                _when(link["since"]),
                _percent(link["loss_ratio"]),
                _ms(link["rtt_seconds"]),
                ", ".join(map(_safe, link["addresses"])) or "-",
            )
        )
    lines = ["", "Links:"] + _table(rows)
    lines += [
        f"  {_safe(link['name'])}: {_safe(link['reason'])}"
        for link in status["links"]
        if link["state"] != "in service" and link["reason"]
    ]
    return lines


def _health(partner):
    if not partner.get("health_checked", partner["checked"]):
        return "-"
    if partner["reachable"] is None:
        return "not checked yet"
    return f"answered in {_ms(partner['latency_seconds'])}" if partner["reachable"] else "NO ANSWER"


def _note(partner, path):
    """What to say of the partner's path (one family's, or the health check's where no path is known)."""
    pinned = _safe(partner["pinned_link"])
    if path is not None and path.get("unknown"):
        return f"UNKNOWN: {_safe(path['unknown'])[:80]}"
    if path is not None and not path["as_planned"]:
        return f"NOT WHERE THE PLAN WANTS IT (plan: {_safe(path['planned_link'] or 'rejected')})"
    if path is not None and path["link_now"] is None:
        return "rejected: no link of its order in service"
    now = partner["link_now"] if path is None else path["link_now"]
    if not now or now == partner["pinned_link"]:
        return ""
    if path is not None and not path.get("pinned_carries_family", True):
        return f"its failover order ({pinned} carries no IPv{path['family']})"
    return (
        f"failed over ({pinned} not in service)"
        if partner.get("failed_over") or path is not None
        else "OFF ITS PINNED LINK while that link is in service"
    )


def _partner_rows(partner):
    paths = partner.get("paths") or [None]
    rows = []
    for index, path in enumerate(paths):
        family = "-" if path is None else f"IPv{path['family']}"
        now = partner["link_now"] if path is None else path["link_now"] or ("?" if path.get("unknown") else "none")
        rows.append(
            (
                _safe(partner["name"]) if index == 0 else "",
                family,
                _safe(partner["pinned_link"]),
                _safe(now or ("not checked yet" if not partner["checked"] else "unknown")),
                _health(partner) if index == 0 else "",
                _note(partner, path),
            )
        )
    return rows


def _partners(status):
    if not status["partners"]:
        return ["", "Partners: none (the plan pins none here, or the monitor's configuration lists none)"]
    rows = [("partner", "family", "pinned", "now", "health check", "")]
    for partner in status["partners"]:
        rows += _partner_rows(partner)
    return ["", "Partners (now: the kernel's route for a new connection):"] + _table(rows)


def _names(status):
    rows = [("name", "family", "addresses", "answer age", "last lookup")]
    for entry in status.get("names", []):
        more = len(entry["addresses"]) - 3
        shown = entry["addresses"][:3] + ([f"+{more} more"] if more > 0 else [])
        age = "-" if entry["age_seconds"] is None else f"{entry['age_seconds']:.0f} s"
        refused = f"; refused: {', '.join(entry['refused'][:3])}" if entry["refused"] else ""
        rows.append(
            (
                _safe(entry["name"]),
                f"IPv{entry['family']}",
                _safe(", ".join(shown) or "none"),
                age,
                _safe(entry["outcome"] + refused),
            )
        )
    return ["", "Partners' names (resolved on the router):"] + _table(rows)


def render(status):
    """The status as lines of text."""
    lines = [f"symroute status of {_safe(status['router'] or 'this router')}", _monitor_line(status)]
    if status["links"]:
        lines += _links(status)
    lines += _partners(status) if status["monitor"]["running"] or status["partners"] else []
    lines += _names(status) if status.get("names") else []
    lines += status_ha.lines(status.get("ha"), _safe, _when)
    last = status.get("last_transition")
    if last:
        lines += [
            "",
            f"Last transition: {_safe(last['link'])} at {_when(last['at'])} "
            f"(now {last['state']}: {_safe(last['reason'])})",
        ]
    drill = status["monitor"].get("drill")
    if isinstance(drill, dict) and drill.get("link"):
        lines.append(f"Drill in progress: {_safe(drill['link'])} out of service until {_when(drill.get('until'))}")
    return "\n".join(lines) + "\n"
