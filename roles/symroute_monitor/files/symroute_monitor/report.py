"""What the monitor tells the world: a JSON state file and node_exporter textfile metrics.

Both are written to a temporary file and renamed into place, so a reader never
sees half a file.
"""

import json
import os


def _write_atomically(path, text):
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(directory, f".{os.path.basename(path)}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def state(monitor, now_wall):
    """The state file's content (plain data)."""
    return {
        "router": monitor.router,
        "updated": round(now_wall, 3),
        "links": {
            name: {"up": t.up, "carrier": t.carrier, "gated": name in monitor.gated, "reason": t.reason,
                   "since": round(monitor.wall(t.since), 3), "transitions": t.transitions,
                   "rtt_seconds": t.rtt, "loss_ratio": round(t.loss, 4)}
            for name, t in monitor.trackers.items()
        },
        "general_traffic_link": monitor.general,
        "partners": monitor.partners,
    }


def _labels(**labels):
    return "{" + ",".join(f'{key}="{value}"' for key, value in labels.items()) + "}"


METRICS = (
    ("symroute_link_up", "gauge", "1 while the link monitor considers the link up."),
    ("symroute_link_carrier", "gauge", "1 while the link's interface has carrier."),
    ("symroute_link_gated", "gauge", "1 while the link's traffic is moved to other links."),
    ("symroute_link_rtt_seconds", "gauge", "Mean round trip of the last answered probe round."),
    ("symroute_link_loss_ratio", "gauge", "Share of unanswered probes over the last 20 rounds."),
    ("symroute_link_transitions_total", "counter", "Up/down transitions since the monitor started."),
    ("symroute_partner_reachable", "gauge", "1 when the partner's last health check succeeded."),
    ("symroute_partner_latency_seconds", "gauge", "Duration of the partner's last successful health check."),
    ("symroute_partner_path", "gauge", "1 for the link the partner's traffic takes now."),
    ("symroute_partner_off_pinned_link", "gauge",
     "1 when the partner's traffic leaves by a link other than the one it is pinned to."),
    ("symroute_monitor_last_update_timestamp_seconds", "gauge", "When the monitor last wrote these metrics."),
)


def metrics(snapshot):
    """node_exporter textfile format, one family after another, in a fixed order."""
    router = snapshot["router"]
    samples = {name: [] for name, _, _ in METRICS}
    for name, link in snapshot["links"].items():
        labels = _labels(router=router, link=name)
        samples["symroute_link_up"].append((labels, int(link["up"])))
        samples["symroute_link_carrier"].append((labels, int(link["carrier"])))
        samples["symroute_link_gated"].append((labels, int(link["gated"])))
        if link["rtt_seconds"] is not None:
            samples["symroute_link_rtt_seconds"].append((labels, round(link["rtt_seconds"], 6)))
        samples["symroute_link_loss_ratio"].append((labels, link["loss_ratio"]))
        samples["symroute_link_transitions_total"].append((labels, link["transitions"]))
    for name, partner in snapshot["partners"].items():
        labels = _labels(router=router, partner=name, pinned_link=partner["pinned_link"])
        samples["symroute_partner_reachable"].append((labels, int(partner["reachable"])))
        if partner["latency_seconds"] is not None:
            samples["symroute_partner_latency_seconds"].append((labels, round(partner["latency_seconds"], 6)))
        if partner["link"]:
            path = _labels(router=router, partner=name, pinned_link=partner["pinned_link"], link=partner["link"])
            samples["symroute_partner_path"].append((path, 1))
        samples["symroute_partner_off_pinned_link"].append((labels, int(partner["off_pinned_link"])))
    samples["symroute_monitor_last_update_timestamp_seconds"].append((_labels(router=router), snapshot["updated"]))
    lines = []
    for name, kind, help_text in METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        lines += [f"{name}{labels} {value}" for labels, value in samples[name]]
    return "\n".join(lines) + "\n"


def write(snapshot, state_file, textfile):
    _write_atomically(state_file, json.dumps(snapshot, indent=2, sort_keys=True) + "\n")
    if textfile:
        _write_atomically(textfile, metrics(snapshot))
