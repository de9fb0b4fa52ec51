"""The report as Markdown (headings Links, Findings, Targets, Conntrack), from the same dict as the JSON.

Every value read from the router is escaped, so an interface or host name cannot open a
link, an HTML tag, a table cell or a code span: values are code spans without backticks, prose
has Markdown's active characters escaped, and a fix's `commands` stay code spans."""

_SPECIAL = "\\`*[]<>|"


def _flat(value):
    return " ".join(str(value).split())


def _escaped(flat):
    return "".join(f"\\{char}" if char in _SPECIAL else char for char in flat)


def text(value):
    """Prose: one line, Markdown's active characters escaped."""
    return _escaped(_flat(value))


def code(value):
    """A value as code spans (lists and dicts spelled out); "-" for nothing."""
    if value is None or value == "" or value == [] or value == {}:
        return "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(code(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{text(key)}: {code(item)}" for key, item in sorted(value.items()))
    return "`" + _flat(value).replace("`", "'").replace("|", "\\|") + "`"


def prose(value):
    """Text whose `quoted` parts are code spans (the fixes' commands), the rest escaped."""
    parts = _flat(value).split("`")
    if len(parts) % 2 == 0:
        return text(value)
    return "".join(code(part) if index % 2 else _escaped(part) for index, part in enumerate(parts))


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(code(cell) for cell in row) + " |" for row in rows]
    return lines


def _links(report):
    rows = [
        (
            link["name"],
            link["interface"],
            link["gateways"],
            link["metrics"],
            link["addresses"],
            link["rp_filter"]["effective"],
            link["ignore_routes_with_linkdown"],
        )
        for link in report["links"]
    ]
    lines = ["## Links", ""]
    lines += (
        _table(
            ["link", "interface", "gateways", "metric", "own addresses", "rp_filter", "ignore_routes_with_linkdown"],
            rows,
        )
        if rows
        else ["No interface holds a default route."]
    )
    lines += [
        "",
        f"Site addresses ({text(report['site_addresses_from'])}): {code(report['site_addresses'])}.",
        f"NAT: {text(report['nat']['state'])}"
        + (f" ({text(report['nat']['reason'])})" if report["nat"]["reason"] else "")
        + (f": {code(report['nat']['chains'] + report['nat']['rules'])}" if report["nat"]["state"] == "present" else "")
        + ".",
        f"symroute installed: {'yes' if report['symroute']['installed'] else 'no'}.",
    ]
    for family, rules in sorted(report["rules"].items()):
        lines += ["", f"Policy rules ({family}):", ""] + [f"- {code(rule)}" for rule in rules]
    lines += [f"- note: {text(note)}" for note in report["notes"]]
    return lines


def _findings(report):
    lines = ["## Findings", ""]
    if not report["findings"]:
        lines.append("No findings.")
    for finding in report["findings"]:
        lines += [f"### {finding['severity'].upper()}: {text(finding['title'])}", "", f"- id: {code(finding['id'])}"]
        lines += [f"- {text(key)}: {code(value)}" for key, value in sorted(finding["evidence"].items())]
        lines += ["", f"Fix: {prose(finding['fix'])}", ""]
        if "partner_entry" in finding:
            lines += ["```yaml", finding["partner_entry"]["yaml"].rstrip("\n").replace("`", "'"), "```", ""]
    return lines


def _targets(report):
    lines = ["## Targets", ""]
    if not report["targets"]:
        lines.append("No target given (--target ADDRESS:PORT).")
    for target in report["targets"]:
        pinned = target.get("pinned")
        lines += [
            f"### {text(target['target'])}",
            "",
            f"Leaves now by: {code(target['route_now']['link'] or target['route_now']['interface'])}"
            f" (from site address {code(target['site_address'])}). "
            + (
                f"Pinned by symroute to {code(pinned['link'] or pinned['interface'])} (mark {code(pinned['mark'])})."
                if pinned
                else "Not pinned by symroute."
            ),
            "",
        ]
        lines += _table(
            ["from", "link", "source", "result", "answer or detail"],
            [(a["kind"], a["link"], a["source"], a["result"], a["answer"] or a["detail"]) for a in target["attempts"]],
        )
        lines.append("")
    return lines


def _conntrack(report):
    section = report["conntrack"]
    lines = ["## Conntrack", ""]
    if not section["available"]:
        return lines + [f"Not read: {text(section['reason'])}."]
    lines.append(
        f"{section['connections']} TCP connection(s) over {section['watch_s']} s; left out: "
        f"{section['from_router']} opened by the router itself, {section['not_via_wan']} not leaving by a "
        "WAN link."
    )
    if section["groups"]:
        lines += [""] + _table(
            ["prefix", "link", "answered", "unanswered (SYN_SENT)", "other"],
            [(g["prefix"], g["link"], g["answered"], g["unanswered"], g["other"]) for g in section["groups"]],
        )
    return lines


def _ha(report):
    section = report.get("ha")
    if not section:
        return []
    caches = section["caches"]
    counts = {name: (caches[name] or {}).get("active") for name in ("internal", "external")}
    return [
        f"## HA pair {text(section['pair'])}",
        "",
        f"- VRRP state: {code(section['vrrp']['state'] or section['vrrp']['error'])}",
        "- services: " + code({name: entry["state"] or entry["error"] for name, entry in section["services"].items()}),
        f"- keepalived -t: {code(section['keepalived_config_test'])}",
        f"- peer {code(section['peer_router'])} over {code(section['sync']['interface'])}: "
        f"{code({True: 'reachable', False: 'unreachable'}.get(section['sync']['reachable'], 'unknown'))}",
        "- shared addresses held: " + code({name: entry["held"] for name, entry in section["addresses"].items()}),
        f"- conntrackd's caches (active): {code(counts)}",
    ]


def render(report):
    """The Markdown text, ending with a newline."""
    lines = [
        f"# symroute doctor: {text(report['router'])}",
        "",
        f"Generated {text(report['generated'])} (UTC). {report['problems']} problem(s), "
        f"{len(report['findings']) - report['problems']} note(s).",
        "",
    ]
    for section in (_links, _findings, _targets, _conntrack, _ha):
        lines += section(report) + [""]
    return "\n".join(lines).rstrip("\n") + "\n"
