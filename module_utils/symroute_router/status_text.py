"""symroute status as text for a terminal (status.py gathers it): one line per link and per partner."""

import time


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
        return (f"monitor: NOT RUNNING (its state is {age:.0f} s old)" if age is not None
                else f"monitor: NOT RUNNING ({status.get('error', 'no state')})")
    holds = "the kernel holds its decision" if monitor["kernel_holds_decision"] else \
        "the kernel does NOT hold its decision yet"
    repairs = monitor.get("repairs") or {}
    repaired = f", {repairs.get('total', 0)} repairs" if isinstance(repairs, dict) else ""
    return f"monitor: running, state {monitor['age_seconds']:.1f} s old, {holds}{repaired}"


def _links(status):
    rows = [("link", "interface", "state", "since", "loss", "rtt", "addresses")]
    for link in status["links"]:
        rows.append((_safe(link["name"]), _safe(link["interface"]), link["state"], _when(link["since"]),
                     _percent(link["loss_ratio"]), _ms(link["rtt_seconds"]),
                     ", ".join(map(_safe, link["addresses"])) or "-"))
    lines = ["", "Links:"] + _table(rows)
    lines += [f"  {_safe(link['name'])}: {_safe(link['reason'])}" for link in status["links"]
              if link["state"] != "in service" and link["reason"]]
    return lines


def _partners(status):
    if not status["partners"]:
        return ["", "Partners: none checked by the monitor (partners with a health_check are; "
                    "playbooks/verify.yml audits every partner)"]
    rows = [("partner", "pinned", "now", "health check", "")]
    for partner in status["partners"]:
        now = partner["link_now"] or ("not checked yet" if not partner["checked"] else "unknown")
        health = ("-" if partner["reachable"] is None else
                  f"answered in {_ms(partner['latency_seconds'])}" if partner["reachable"] else "NO ANSWER")
        note = ("" if not partner["off_pinned_link"] else
                f"failed over ({_safe(partner['pinned_link'])} not in service)" if partner.get("failed_over")
                else "OFF ITS PINNED LINK while that link is in service")
        rows.append((_safe(partner["name"]), _safe(partner["pinned_link"]), _safe(now), health, note))
    return ["", "Partners (checked by the monitor):"] + _table(rows)


def render(status):
    """The status as lines of text."""
    lines = [f"symroute status of {_safe(status['router'] or 'this router')}", _monitor_line(status)]
    if status["links"]:
        lines += _links(status)
    lines += _partners(status) if status["monitor"]["running"] or status["partners"] else []
    last = status.get("last_transition")
    if last:
        lines += ["", f"Last transition: {_safe(last['link'])} at {_when(last['at'])} "
                      f"(now {last['state']}: {_safe(last['reason'])})"]
    drill = status["monitor"].get("drill")
    if isinstance(drill, dict) and drill.get("link"):
        lines.append(f"Drill in progress: {_safe(drill['link'])} out of service until {_when(drill.get('until'))}")
    return "\n".join(lines) + "\n"
