"""The audit's drift: the converge roles' check-mode results (what a converge would change now) and the last
converge's confirmation, as findings (routes the kernel dropped with a link's carrier are expected, not drift)."""

from . import deadman_record


def _unplugged(states):
    """The interfaces of links without carrier or gone: their routes are missing by the kernel's doing."""
    return {state["interface"] for state in states.values() if not (state["present"] and state["carrier"])}


LISTED = 5  # drift lines listed one by one per kind; the rest is counted (the JSON report has them all)


def _listed(what, verb, lines):
    found = [{"kind": "drift", "text": f"{what} {verb}: {line}"} for line in lines[:LISTED]]
    if len(lines) > LISTED:
        found.append({"kind": "drift", "text": f"and {len(lines) - LISTED} more {what}s {verb}"})
    return found


def _routing_drift(routing, states):
    unplugged, findings = _unplugged(states), []
    changes = routing.get("changes") or {}
    for key in ("add_rules", "remove_rules", "add_routes", "remove_routes"):
        lines = [
            line
            for line in changes.get(key, [])
            if not (key.endswith("routes") and any(f" dev {name} " in f"{line} " for name in unplugged))
        ]
        findings += _listed(
            "rule" if key.endswith("rules") else "route",
            "missing" if key.startswith("add") else "not in the plan",
            lines,
        )
    findings.extend(
        {"kind": "drift", "text": f"file {path} differs from the plan"}
        for path in routing.get("files", []) + routing.get("networkd_dropin", [])
    )
    findings.extend(
        {"kind": "drift", "text": f"routing: a converge would have {line}"} for line in routing.get("services", [])
    )
    return findings


def _nftables_drift(nft):
    services = [
        {"kind": "drift", "text": f"nftables: a converge would have {line}"} for line in nft.get("services", [])
    ]
    # Only the service (nftables.service not enabled): the file, the table and the include line are right.
    if not nft.get("changed") or (not nft.get("reason") and not nft.get("include_changed", not services)):
        return services
    elements = {} if nft.get("reason") == "first load" else (nft.get("elements") or {})
    changed = [f"+ {line}" for line in elements.get("added", [])] + [f"- {e}" for e in elements.get("removed", [])]
    detail = "; ".join(changed[:LISTED]) + (f"; and {len(changed) - LISTED} more" if len(changed) > LISTED else "")
    text = f"nftables: {nft.get('reason') or 'the include line is missing'}" + (f" ({detail})" if detail else "")
    return [{"kind": "drift", "text": text}] + services


def _sysctl_drift(result):
    if not result.get("changed"):
        return []
    values = result.get("changed_values") or []
    return [{"kind": "drift", "text": f"sysctl {change}"} for change in values] or [
        {"kind": "drift", "text": "the sysctl file differs from the plan"}
    ]


def _confirm_findings(last):
    """The router's last converge (confirmed commit): unconfirmed and restored by its dead-man, or still
    awaiting its confirmation, is a finding."""
    if not isinstance(last, dict):
        return []
    if last.get("pending"):
        return [
            {
                "kind": "confirm",
                "text": f"run {last.get('run_id')} awaits its confirmation (its dead-man "
                "restores it unless the controller confirms)",
            }
        ]
    if last.get("state") in ("expired", "restore failed"):
        return [{"kind": "confirm", "text": "the last converge was not confirmed: " + deadman_record.describe(last)}]
    return []


def drift_findings(drift, states):
    """The converge roles' check-mode results as findings: what a converge would change now (routes that
    the kernel dropped with a link's carrier are expected, not drift), and an unconfirmed last run."""
    return (
        _routing_drift(drift.get("routing") or {}, states)
        + _nftables_drift(drift.get("nftables") or {})
        + _sysctl_drift(drift.get("sysctl") or {})
        + [{"kind": "drift", "text": f"link monitor: {name} would change"} for name in drift.get("monitor") or []]
        + _confirm_findings(drift.get("confirm"))
    )
