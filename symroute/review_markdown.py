"""Markdown for a pull-request comment: validity, per-partner and per-router changes."""

from .ha_views import ha_lines
from .quoting import comment
from .review_contract import has_contract_changes
from .shapes import Document


def _code(value):
    """Untrusted text (file, variable, host names) as one inline code span that cannot break the comment."""
    return "`" + comment(str(value)).replace("`", "'").replace("<", "&lt;") + "`"


MAX_LISTED = 50


def _items(values, sign):
    lines = [f"  {sign} {_code(value)}" for value in values[:MAX_LISTED]]
    if len(values) > MAX_LISTED:
        lines.append(f"  {sign} ... and {len(values) - MAX_LISTED} more")
    return lines


def _partner_line(name, entry):
    if entry["change"] in ("added", "removed"):
        return (
            f"- **{name}** {entry['change']} (link `{entry['link']}`: "
            f"{', '.join(entry['prefixes'] + _names(entry.get('domains', [])))})"
        )
    details = []
    if "repinned" in entry:
        details.append(f"re-pinned `{entry['repinned']['from']}` → `{entry['repinned']['to']}`")
    if "on_link_failure" in entry:
        details.append(f"on_link_failure {entry['on_link_failure']['from']} → {entry['on_link_failure']['to']}")
    if "prefixes" in entry:
        added, removed = entry["prefixes"]["added"], entry["prefixes"]["removed"]
        if added:
            details.append("prefixes added " + ", ".join(added))
        if removed:
            details.append("prefixes removed " + ", ".join(removed))
    if "domains" in entry:
        added, removed = entry["domains"]["added"], entry["domains"]["removed"]
        if added:
            details.append("domains added " + ", ".join(_names(added)))
        if removed:
            details.append("domains removed " + ", ".join(_names(removed)))
    if "failover_links" in entry:
        details.append(
            f"failover_links {_order(entry['failover_links']['from'])} → {_order(entry['failover_links']['to'])}"
        )
    for key in ("health_check", "description"):
        if key in entry:
            details.append(f"{key} {_code(entry[key]['from'] or '(none)')} → {_code(entry[key]['to'] or '(none)')}")
    for key, change in entry.get("other_fields", {}).items():
        details.append(f"{key} {_code(change['from'])} → {_code(change['to'])}")
    return f"- **{name}**: " + ("; ".join(details) or "no change to its plan entry")


def _names(domains):
    """A partner's DNS names as the review shows them: marked as names, never as answers."""
    return [f"name {_code(domain)}" for domain in domains]


def _order(links):
    return "[" + ", ".join(links) + "]" if isinstance(links, list) else _code(links)


def _router_section(router, change):
    lines = [f"### Router {_code(router)} ({change['status']})"]
    for name, entry in change["partners"].items():
        lines.append(_partner_line(name, entry))
    for name, elements in change["set_elements"].items():
        lines.append(f"- nftables set `{name}`:")
        lines += _items(elements["added"], "+") + _items(elements["removed"], "-")
    for key, title in (
        ("rules", "ip rules"),
        ("routes", "routes"),
        ("tables", "tables"),
        ("sysctls", "sysctls"),
        ("link_health", "link monitoring"),
        ("settings", "router settings"),
        ("ha", "HA pair"),
    ):
        if key in change and (change[key]["added"] or change[key]["removed"]):
            lines.append(f"- {title}:")
            lines += _items(change[key]["added"], "+") + _items(change[key]["removed"], "-")
    return lines


def _plan_section(router, plan):
    lines = [f"### Router {_code(router)}", "", "| partner | link | on link failure | prefixes |", "|---|---|---|---|"]
    for partner in plan["partners"]:
        lines.append(
            f"| {partner['name']} | {partner['link']} | {partner['on_link_failure']} | "
            f"{', '.join(partner['prefixes'] + _names(partner.get('domains', [])))} |"
        )
    lines += ["", "| link | interface | table | mark |", "|---|---|---|---|"]
    for link in plan["links"]:
        lines.append(
            f"| {link['name']} | {link['interface']} | {link['table']} {link['table_name']} | {link['mark']} |"
        )
    sets = plan["nftables"]["partner_sets"]
    lines.append("")
    lines.append(
        f"{len(plan['rules'])} ip rules in priorities {plan['priority_band'][0]}-{plan['priority_band'][1]}; "
        + ", ".join(f"set `{s['name']}` {len(s['elements'])} elements" for s in sets)
    )
    if plan.get("ha"):
        lines += ["", "HA pair:"] + [f"- {line}" for line in ha_lines(plan)]
    return lines


def _contract_section(changes):
    lines = [
        "### ⚠ Changes outside the partner contract",
        "",
        "These change more than the partner list: review them as changes to the routers themselves.",
        "",
    ]
    for entry in changes["files_added"]:
        names = ", ".join(_code(name) for name in entry["variables"])
        lines.append(f"- new file {_code(entry['path'])}{entry['note']}" + (f": defines {names}" if names else ""))
    lines += [f"- removed file {_code(path)}" for path in changes["files_removed"]]
    for entry in changes["files_changed"]:
        details = [
            f"{kind} {', '.join(_code(n) for n in names)}" for kind, names in entry["variables"].items() if names
        ]
        details += [comment(mode) for mode in entry["modes"]]
        lines.append(f"- changed file {_code(entry['path'])}" + (": " + "; ".join(details) if details else ""))
    for group, hosts in changes["hosts"].items():
        moved = [_code(f"+{h}") for h in hosts["added"]] + [_code(f"-{h}") for h in hosts["removed"]]
        lines.append(f"- hosts of group {_code(group)}: {', '.join(moved)}")
    for entry in changes.get("templates", []):
        lines.append(
            f"- {_code(entry['variable'])} in {_code(entry['path'])} holds Jinja: Ansible renders it "
            "on the controller when it uses the variable"
        )
    return lines


def markdown(result: Document) -> str:
    """The review as Markdown."""
    lines = ["## symroute plan"]
    if not result["valid"]:
        lines += ["", f"**Invalid**: {len(result['problems'])} problem(s); nothing can be applied.", ""]
        lines += [f"- {problem}" for problem in result["problems"]]
        return "\n".join(lines) + "\n"
    lines += ["", f"**Valid**: {len(result['routers'])} router(s). Plan digest: `{result['digest']}`"]
    if has_contract_changes(result.get("outside_contract")):
        lines += [""] + _contract_section(result["outside_contract"])
    if result["warnings"]:
        lines += ["", "Warnings:"] + [f"- {warning}" for warning in result["warnings"]]
    if result.get("changes") is not None:
        changed = {r: c for r, c in result["changes"].items() if c["status"] != "unchanged"}
        lines += [
            "",
            f"Compared with {_code(result['base'])}: {len(changed)} router(s) change."
            + ("" if changed else " The plans are the same as the base's: this change changes no router."),
        ]
        lines += [f"- note: {comment(note)}" for note in result.get("base_notes", [])]
        if result["partners_changed"]:
            lines += ["", "### Partners"]
            for partner, item in result["partners_changed"].items():
                lines.append(f"- **{partner}** on {', '.join(f'`{r}`' for r in item['routers'])}")
        for router, change in changed.items():
            lines += [""] + _router_section(router, change)
    else:
        for router, plan in result["routers"].items():
            lines += [""] + _plan_section(router, plan)
    return "\n".join(lines) + "\n"
