"""The audit's report as Markdown (the JSON report is the same dict, audit.judge's)."""

from . import audit_ha


def _cell(value):
    text = "—" if value in (None, "") else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(_cell(value) for value in row) + " |" for row in rows)
    return lines


def _link_state(state):
    if not state["present"]:
        return "interface missing"
    if state["out_of_service"]:
        return "out of service (monitor)"
    return "in service" if state["carrier"] else "no carrier"


def _expected(row):
    if row["expected"] == "rejected":
        return "rejected"
    return f"{row['expected_link']} ({row['expected']})"


def markdown(router, report):
    """The report for people: verdict, findings, links, partners' paths, connections, monitor."""
    verdict = "passed" if report["passed"] else f"FAILED: {len(report['findings'])} finding(s)"
    lines = [f"# symroute audit of {router}: {verdict}", ""]
    if report["findings"]:
        lines += ["## Findings", ""] + [f"- **{item['kind']}**: {item['text']}" for item in report["findings"]]
        lines.append("")
    lines += ["## Links", ""]
    lines += _table(
        ["link", "interface", "state"],
        [(name, state["interface"], _link_state(state)) for name, state in sorted(report["links"].items())],
    )
    lines += ["", "## Partners: the link a new connection takes now", ""]
    lines += _table(
        ["partner", "family", "address", "pinned link", "expected", "now", "source", "ok"],
        [
            (
                row["partner"],
                f"IPv{row['family']}",
                row["address"],
                row["pinned_link"],
                _expected(row),
                row["link_now"] or "rejected",
                row["source_now"],
                "yes" if row["ok"] else "**no**",
            )
            for row in report["partners"]
        ],
    )
    lines += ["", "## Live connections of each partner, by link", ""]
    if not report["conntrack"]["available"]:
        lines.append(f"Not read: {report['conntrack']['error'] or 'conntrack unavailable'}.")
    else:
        rows = [
            (partner, link, ", ".join(f"{state}: {count}" for state, count in sorted(states.items())))
            for partner, links in sorted(report["connections"].items())
            for link, states in sorted(links.items())
        ]
        lines += _table(["partner", "link", "connections"], rows) if rows else ["No live connection to a partner."]
    monitor = report["monitor"]
    lines += ["", "## The link monitor's view", ""]
    if monitor["state_age_s"] is None:
        lines.append("No state file (or one without its time): the link monitor is not running.")
    elif not monitor["running"]:
        lines.append(f"The state file is {monitor['state_age_s']} s old: the link monitor is not running.")
    else:
        lines += _table(
            ["link", "up", "out of service (kernel)", "decided out", "reason"],
            [
                (name, link["up"], link["gated"], link["decided_gated"], link["reason"])
                for name, link in monitor["links"].items()
            ],
        )
        if monitor["partners"]:
            lines += [""] + _table(
                ["partner", "health"],
                [
                    (name, ", ".join(f"{key}={value}" for key, value in sorted(state.items())))
                    for name, state in sorted(monitor["partners"].items())
                    if isinstance(state, dict)
                ],
            )
        lines += ["", f"The kernel holds the monitor's decision: {monitor['kernel_holds_decision']}"]
    lines += audit_ha.markdown_lines(report)
    return "\n".join(lines) + "\n"
