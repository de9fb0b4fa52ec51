"""What the monitor tells the world: a JSON state file and node_exporter textfile metrics.

Both are written with the package's atomic write (files.write_atomically: a
temporary file from mkstemp in the target directory, created exclusively, so a
symlink planted in a directory symroute does not own, such as node_exporter's
textfile directory, is never followed; then renamed into place, so a reader
never sees half a file). Names in them (router, links, partners) come from the
inventory and are treated as data: the state file is one strict JSON document
(ASCII, no NaN), and every metrics label value is escaped as the Prometheus
text exposition format requires, so no name can break a line or add a series.
"""

import json
import math

from .. import deadman_record
from ..files import write_atomically
from . import ha_metrics


def _write_atomically(path, text):
    write_atomically(path, text, mode=0o644, durable=False)  # rewritten every second: no fsync


def _finite(value):
    """A measured number as it may be reported: a finite float, or None (unknown)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:  # an integer beyond any float
        return None
    return value if math.isfinite(value) else None


def _rounded(seconds):
    """Seconds to the microsecond, or None when unknown or not finite."""
    seconds = _finite(seconds)
    return None if seconds is None else round(seconds, 6)


def _partner_state(partner):
    return dict(partner, latency_seconds=_finite(partner.get("latency_seconds")))


def state(monitor, now_wall):
    """The state file's content (plain data). ``gated`` and ``general_rules`` are what the kernel was
    last read to hold (interface group, the monitor's band), ``decided`` what the monitor wants."""
    held = monitor.held
    out = held.out if held is not None else frozenset()
    missing = held.missing if held is not None else frozenset()
    return {
        "router": monitor.router,
        "updated": round(now_wall, 3),
        "links": {
            name: {
                "up": t.up,
                "carrier": t.carrier,
                "gated": name in out,
                "decided_gated": name in monitor.gated,
                "interface_present": name not in missing,
                "reason": t.reason,
                "since": round(monitor.wall(t.since), 3),
                "transitions": t.transitions,
                "rtt_seconds": _finite(t.rtt),
                "loss_ratio": round(t.loss, 4),
            }
            for name, t in monitor.trackers.items()
        },
        "general_rules": bool(held is not None and held.general),
        "drill": {"link": monitor.drill[0], "until": monitor.drill[1]} if monitor.drill else None,
        "kernel_holds_decision": held is not None and monitor.switch.holds(held, monitor.gated),
        "partners": {name: _partner_state(partner) for name, partner in monitor.partners.items()},
    }


def escape_label_value(value):
    """A label value in the text exposition format: backslash, double quote and line feed escaped.

    The text is UTF-8: a character that has no UTF-8 form (a lone surrogate) becomes "?".
    """
    value = str(value).encode("utf-8", "replace").decode("utf-8")
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels):
    """Label names are fixed here (valid names); only their values come from the inventory."""
    return "{" + ",".join(f'{key}="{escape_label_value(value)}"' for key, value in labels.items()) + "}"


def sample_value(value):
    """A sample value's text, or None when there is nothing valid to write (None, NaN, infinities)."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    value = _finite(value)
    return None if value is None else repr(value)


METRICS = (
    ("symroute_link_up", "gauge", "1 while the link monitor considers the link up."),
    ("symroute_link_carrier", "gauge", "1 while the link's interface has carrier."),
    ("symroute_link_gated", "gauge", "1 while the link's interface is out of service (read from the kernel)."),
    ("symroute_link_rtt_seconds", "gauge", "Mean round trip of the last answered probe round."),
    ("symroute_link_loss_ratio", "gauge", "Share of unanswered probes over the last 20 rounds."),
    ("symroute_link_transitions_total", "counter", "Up/down transitions since the monitor started."),
    ("symroute_partner_reachable", "gauge", "1 when the partner's last health check succeeded."),
    ("symroute_partner_latency_seconds", "gauge", "Duration of the partner's last successful health check."),
    ("symroute_partner_path", "gauge", "1 for the link the partner's traffic takes now."),
    (
        "symroute_partner_off_pinned_link",
        "gauge",
        "1 when the partner's traffic leaves by a link other than the one it is pinned to.",
    ),
    ("symroute_monitor_last_update_timestamp_seconds", "gauge", "When the monitor last wrote these metrics."),
    (
        "symroute_monitor_kernel_holds_decision",
        "gauge",
        "1 when the kernel was last read to hold the monitor's decision (groups and rules).",
    ),
    (
        "symroute_link_address_info",
        "gauge",
        "1 for a dynamic link's current address and gateway, learned from the kernel (policy: learned).",
    ),
    (
        "symroute_link_address_changes_total",
        "counter",
        "Times a dynamic link's address changed since the monitor started.",
    ),
    (
        "symroute_confirm_restores_total",
        "counter",
        "Converges not confirmed in time whose snapshot the router restored (its dead-man or the next converge).",
    ),
    (
        "symroute_confirm_last_run_restored",
        "gauge",
        "1 when the router's last converge was not confirmed and was restored (or its restore failed).",
    ),
    (
        "symroute_repairs_total",
        "counter",
        "Times the monitor repaired symroute's state: what=routing (rules, link-table routes), nftables (its table).",
    ),
    ("symroute_probe_name_addresses", "gauge", "Addresses of a health target's name, resolved through the link."),
    ("symroute_probe_name_answer_age_seconds", "gauge", "Age of the last good answer of a health target's name."),
    ("symroute_probe_name_lookup_ok", "gauge", "1 when the last lookup of the name through the link succeeded."),
) + ha_metrics.METRICS


def metrics(snapshot):
    """node_exporter textfile format, one family after another, in a fixed order."""
    router = snapshot["router"]
    samples = {name: [] for name, _kind, _help in METRICS}
    for name, link in snapshot["links"].items():
        labels = _labels(router=router, link=name)
        samples["symroute_link_up"].append((labels, int(link["up"])))
        samples["symroute_link_carrier"].append((labels, int(link["carrier"])))
        samples["symroute_link_gated"].append((labels, int(link["gated"])))
        samples["symroute_link_rtt_seconds"].append((labels, _rounded(link["rtt_seconds"])))
        samples["symroute_link_loss_ratio"].append((labels, link["loss_ratio"]))
        samples["symroute_link_transitions_total"].append((labels, link["transitions"]))
    for name, partner in snapshot["partners"].items():
        labels = _labels(router=router, partner=name, pinned_link=partner["pinned_link"])
        samples["symroute_partner_reachable"].append((labels, int(partner["reachable"])))
        samples["symroute_partner_latency_seconds"].append((labels, _rounded(partner["latency_seconds"])))
        if partner["link"]:
            path = _labels(router=router, partner=name, pinned_link=partner["pinned_link"], link=partner["link"])
            samples["symroute_partner_path"].append((path, 1))
        samples["symroute_partner_off_pinned_link"].append((labels, int(partner["off_pinned_link"])))
    for name, families in snapshot.get("learned", {}).items():
        for family, fact in sorted(families.items()):
            labels = {"router": router, "link": name, "family": family}
            if fact["address"]:
                samples["symroute_link_address_info"].append(
                    (_labels(**labels, address=fact["address"], gateway=fact["gateway"] or ""), 1)
                )
            samples["symroute_link_address_changes_total"].append((_labels(**labels), fact["changes"]))
    for name, probes in sorted(snapshot.get("probes", {}).items()):  # names of health targets, per link
        for entry in probes.get("names", []):
            labels = _labels(router=router, link=name, name=entry["name"], family=str(entry["family"]))
            samples["symroute_probe_name_addresses"].append((labels, len(entry["addresses"])))
            samples["symroute_probe_name_answer_age_seconds"].append((labels, _rounded(entry["age_seconds"])))
            samples["symroute_probe_name_lookup_ok"].append((labels, int(entry["outcome"] == "ok")))
    samples["symroute_monitor_last_update_timestamp_seconds"].append((_labels(router=router), snapshot["updated"]))
    samples["symroute_monitor_kernel_holds_decision"].append(
        (_labels(router=router), int(bool(snapshot.get("kernel_holds_decision"))))
    )
    if "repairs" in snapshot:
        samples["symroute_repairs_total"].append((_labels(router=router, what="routing"), snapshot["repairs"]["total"]))
        samples["symroute_repairs_total"].append(
            (_labels(router=router, what="nftables"), snapshot["repairs"].get("nftables", {}).get("total", 0))
        )
    if snapshot.get("confirm") is not None:
        samples["symroute_confirm_restores_total"].append(
            (_labels(router=router), snapshot["confirm"]["restores_total"])
        )
        samples["symroute_confirm_last_run_restored"].append(
            (_labels(router=router), int(snapshot["confirm"]["last_run_restored"]))
        )
    for name, labels, value in ha_metrics.samples(snapshot.get("ha")):  # an HA pair's (ha_metrics.py)
        samples[name].append((_labels(router=router, **labels), value))
    lines = []
    for name, kind, help_text in METRICS:  # fixed texts: nothing to escape
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for labels, value in samples[name]:
            text = sample_value(value)
            if text is not None:  # an unknown value is no sample, never "None" or "nan"
                lines.append(f"{name}{labels} {text}")
    return "\n".join(lines) + "\n"


def confirm_status(record_path):
    """The confirmed-commit record's outcome for the state file and metrics, or None (no record path, or no
    converge armed a dead-man yet): {"restores_total", "last_run_restored", "last_run": id, "state"}."""
    record = deadman_record.read(record_path) if record_path else None
    if record is None:
        return None
    return {
        "restores_total": deadman_record.restores_total(record),
        "last_run": str(record.get("run_id", ""))[:64],
        "state": str(record.get("state", ""))[:32],
        "last_run_restored": record.get("state") in ("expired", "restore failed"),
    }


def write(snapshot, state_file, textfile):
    # ensure_ascii (the default): one ASCII document, every control character escaped;
    # allow_nan=False: strict JSON (a non-finite number is a ValueError, logged by the daemon).
    _write_atomically(
        state_file, json.dumps(snapshot, indent=2, sort_keys=True, ensure_ascii=True, allow_nan=False) + "\n"
    )
    if textfile:
        _write_atomically(textfile, metrics(snapshot))
